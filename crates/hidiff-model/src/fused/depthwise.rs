//! Fused kernels of the depthwise 3×3 convolution (stride 1, zero padding 1, one
//! filter per channel) of MDTA's `qkv_dwconv` and GDFN's `dwconv`, forward and
//! both gradients, on contiguous NCHW `f32` data. Every loop runs along image
//! rows (vectorisable); rayon splits the `(b, c)` planes.

use rayon::prelude::*;

use super::math::dot;

/// Minimum number of elements per rayon task.
const MIN_TASK: usize = 16 * 1024;

/// Sizes of the data: `[batch, channels, height, width]`.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// B.
    pub batch: usize,
    /// C (= groups = output channels).
    pub channels: usize,
    /// H.
    pub height: usize,
    /// W.
    pub width: usize,
}

impl Dims {
    fn plane(&self) -> usize {
        self.height * self.width
    }

    fn planes_per_task(&self) -> usize {
        (MIN_TASK / self.plane().max(1)).max(1)
    }
}

/// `out += Σ k[ky][kx] · in[y + ky - 1, x + kx - 1]` over one `h × w` plane
/// (zero outside), i.e. a 3×3 cross-correlation with zero padding 1.
fn correlate_plane(input: &[f32], k: &[f32; 9], h: usize, w: usize, out: &mut [f32]) {
    for y in 0..h {
        let orow = &mut out[y * w..][..w];
        for ky in 0..3 {
            let Some(iy) = (y + ky).checked_sub(1).filter(|iy| *iy < h) else { continue };
            let irow = &input[iy * w..][..w];
            let (k0, k1, k2) = (k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]);
            // kx = 1: aligned; kx = 0: input shifted right by one; kx = 2: left by one.
            for (o, i) in orow.iter_mut().zip(irow) {
                *o += k1 * i;
            }
            if w > 1 {
                for (o, i) in orow[1..].iter_mut().zip(&irow[..w - 1]) {
                    *o += k0 * i;
                }
                for (o, i) in orow[..w - 1].iter_mut().zip(&irow[1..]) {
                    *o += k2 * i;
                }
            }
        }
    }
}

/// Forward pass: `x: [B, C, H, W]`, `weight: [C, 1, 3, 3]`, `bias: [C]` → `[B, C, H, W]`.
pub fn forward(x: &[f32], d: Dims, weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    assert_eq!(x.len(), d.batch * d.channels * d.plane(), "depthwise conv: data does not match {d:?}");
    assert_eq!(weight.len(), d.channels * 9, "depthwise conv: weight does not match {d:?}");
    let mut y = vec![0f32; x.len()];
    y.par_chunks_mut(d.plane()).with_min_len(d.planes_per_task()).enumerate().for_each(|(i, yp)| {
        let c = i % d.channels;
        if let Some(b) = bias {
            yp.fill(b[c]);
        }
        let k: &[f32; 9] = weight[c * 9..][..9].try_into().expect("nine taps");
        correlate_plane(&x[i * d.plane()..][..d.plane()], k, d.height, d.width, yp);
    });
    y
}

/// Gradients for the output gradient `dy: [B, C, H, W]`:
/// `(dx [B, C, H, W], dweight [C, 1, 3, 3], dbias [C])`.
///
/// `dx` is the correlation of `dy` with the kernel turned by 180°;
/// `dweight[c][ky][kx] = Σ dy[b, c, y, x] · x[b, c, y + ky - 1, x + kx - 1]`.
pub fn backward(x: &[f32], d: Dims, weight: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert_eq!(x.len(), d.batch * d.channels * d.plane(), "depthwise conv: data does not match {d:?}");
    assert_eq!(dy.len(), x.len(), "depthwise conv: gradient does not match {d:?}");
    let plane = d.plane();
    let mut dx = vec![0f32; x.len()];
    let per_plane: Vec<[f64; 10]> = dx
        .par_chunks_mut(plane)
        .with_min_len(d.planes_per_task())
        .enumerate()
        .map(|(i, dxp)| {
            let c = i % d.channels;
            let mut turned = [0f32; 9];
            for (t, v) in turned.iter_mut().zip(weight[c * 9..][..9].iter().rev()) {
                *t = *v;
            }
            let g = &dy[i * plane..][..plane];
            correlate_plane(g, &turned, d.height, d.width, dxp);
            let xp = &x[i * plane..][..plane];
            let mut sums = [0f64; 10];
            for (ky, s) in sums.chunks_exact_mut(3).take(3).enumerate() {
                for kx in 0..3 {
                    s[kx] = tap_sum(xp, g, d.height, d.width, ky, kx);
                }
            }
            sums[9] = g.iter().map(|v| *v as f64).sum();
            sums
        })
        .collect();
    let mut dw = vec![0f64; d.channels * 9];
    let mut db = vec![0f64; d.channels];
    for (i, s) in per_plane.iter().enumerate() {
        let c = i % d.channels;
        for (a, v) in dw[c * 9..][..9].iter_mut().zip(&s[..9]) {
            *a += v;
        }
        db[c] += s[9];
    }
    (dx, dw.into_iter().map(|v| v as f32).collect(), db.into_iter().map(|v| v as f32).collect())
}

/// `Σ_{y, x} g[y, x] · x[y + ky - 1, x + kx - 1]` over one plane (zero outside), in
/// eight `f32` lanes per row.
fn tap_sum(xp: &[f32], g: &[f32], h: usize, w: usize, ky: usize, kx: usize) -> f64 {
    let mut total = 0f64;
    for y in 0..h {
        let Some(iy) = (y + ky).checked_sub(1).filter(|iy| *iy < h) else { continue };
        let (grow, irow) = (&g[y * w..][..w], &xp[iy * w..][..w]);
        // Output columns x with x + kx - 1 inside [0, w).
        let (gs, is) = match kx {
            0 if w > 1 => (&grow[1..], &irow[..w - 1]),
            1 => (grow, irow),
            2 if w > 1 => (&grow[..w - 1], &irow[1..]),
            _ => continue,
        };
        total += dot(gs, is);
    }
    total
}
