//! Fused kernels of the depthwise 3×3 convolution (stride 1, zero padding 1, one
//! filter per channel) of MDTA's `qkv_dwconv` and GDFN's `dwconv`, forward and
//! both gradients, on contiguous NCHW `f32` data. Every loop runs along image
//! rows (vectorisable); rayon splits the `(b, c)` planes.

use super::math::dot;
use super::output;
use super::pointwise::sum;
use super::simd::wide;

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

wide! {
/// `out += Σ k[ky][kx] · in[y + ky - 1, x + kx - 1]` over one `h × w` plane
/// (zero outside), i.e. a 3×3 cross-correlation with zero padding 1. One pass per
/// output row: the nine taps of an interior pixel are summed in registers from the
/// three input rows (a zero row stands in above the first and below the last).
fn correlate_plane(input: &[f32], k: &[f32; 9], h: usize, w: usize, out: &mut [f32]) {
    let zero = vec![0f32; w];
    for y in 0..h {
        let above = if y > 0 { &input[(y - 1) * w..][..w] } else { &zero[..] };
        let row = &input[y * w..][..w];
        let below = if y + 1 < h { &input[(y + 1) * w..][..w] } else { &zero[..] };
        let orow = &mut out[y * w..][..w];
        let rows = [above, row, below];
        // Border columns (and images one pixel wide), tap by tap.
        let tap = |r: &[f32], x: isize| if x >= 0 && (x as usize) < w { r[x as usize] } else { 0.0 };
        for x in [0, w - 1] {
            let mut v = 0f32;
            for (ky, r) in rows.iter().enumerate() {
                for kx in 0..3 {
                    v += k[ky * 3 + kx] * tap(r, x as isize + kx as isize - 1);
                }
            }
            orow[x] += v;
            if w == 1 {
                break;
            }
        }
        if w < 3 {
            continue;
        }
        // Interior columns 1..w-1: every slice below has n = w - 2 values.
        let n = w - 2;
        let (a0, a1, a2) = (&above[..n], &above[1..n + 1], &above[2..n + 2]);
        let (b0, b1, b2) = (&row[..n], &row[1..n + 1], &row[2..n + 2]);
        let (c0, c1, c2) = (&below[..n], &below[1..n + 1], &below[2..n + 2]);
        let o = &mut orow[1..n + 1];
        for i in 0..n {
            let top = k[0] * a0[i] + k[1] * a1[i] + k[2] * a2[i];
            let mid = k[3] * b0[i] + k[4] * b1[i] + k[5] * b2[i];
            let bottom = k[6] * c0[i] + k[7] * c1[i] + k[8] * c2[i];
            o[i] += top + mid + bottom;
        }
    }
}
}

/// Forward pass: `x: [B, C, H, W]`, `weight: [C, 1, 3, 3]`, `bias: [C]` → `[B, C, H, W]`.
pub fn forward(x: &[f32], d: Dims, weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    assert_eq!(x.len(), d.batch * d.channels * d.plane(), "depthwise conv: data does not match {d:?}");
    assert_eq!(weight.len(), d.channels * 9, "depthwise conv: weight does not match {d:?}");
    output::par_chunks(x.len(), d.plane(), d.planes_per_task(), |i, yp| {
        let c = i % d.channels;
        if let Some(b) = bias {
            yp.fill(b[c]);
        }
        let k: &[f32; 9] = weight[c * 9..][..9].try_into().expect("nine taps");
        correlate_plane(&x[i * d.plane()..][..d.plane()], k, d.height, d.width, yp);
    })
    .0
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
    let (dx, per_plane) = output::par_chunks(x.len(), plane, d.planes_per_task(), |i, dxp| {
        let c = i % d.channels;
        let mut turned = [0f32; 9];
        for (t, v) in turned.iter_mut().zip(weight[c * 9..][..9].iter().rev()) {
            *t = *v;
        }
        let g = &dy[i * plane..][..plane];
        correlate_plane(g, &turned, d.height, d.width, dxp);
        let xp = &x[i * plane..][..plane];
        let mut sums = [0f64; 10];
        for ky in 0..3 {
            sums[ky * 3..][..3].copy_from_slice(&kernel_row_taps(g, xp, ky, d.height, d.width));
        }
        sums[9] = sum(g);
        sums
    });
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

/// `dweight[ky][kx] = Σ_{y, x} g[y, x] · x[y + ky - 1, x + kx - 1]` (zero outside)
/// for kx = 0, 1, 2 over one `h × w` plane: the rows of `g` whose input row
/// `y + ky - 1` is inside the image as one flat run through [`row_taps`], then the
/// products that wrapped from one image row to the next taken out again.
fn kernel_row_taps(g: &[f32], x: &[f32], ky: usize, h: usize, w: usize) -> [f64; 3] {
    // Output rows y0..y1 read input rows y0 + ky - 1 .. y1 + ky - 1.
    let (y0, y1) = (1usize.saturating_sub(ky), (h + 1 - ky).min(h));
    if y1 <= y0 {
        return [0.0; 3];
    }
    let rows = y1 - y0;
    let gs = &g[y0 * w..y1 * w];
    let xs = &x[(y0 + ky - 1) * w..(y1 + ky - 1) * w];
    let mut out = row_taps(gs, xs);
    // The flat run pairs column 0 of a row with the last column of the row above
    // (kx = 0) and the last column of a row with column 0 of the next (kx = 2).
    for j in 1..rows {
        out[0] -= (gs[j * w] * xs[j * w - 1]) as f64;
        out[2] -= (gs[j * w - 1] * xs[j * w]) as f64;
    }
    out
}

wide! {
/// `[Σ_x g[x] r[x - 1], Σ_x g[x] r[x], Σ_x g[x] r[x + 1]]` over one row (zero
/// outside): the three column taps of one kernel row, in one pass with eight
/// `f32` lanes per tap, returned in `f64`.
fn row_taps(g: &[f32], r: &[f32]) -> [f64; 3] {
    let w = g.len();
    if w < 2 {
        return [0.0, dot(g, r), 0.0];
    }
    // Interior columns 1..w-1 in lanes; columns 0 and w-1 as the border terms.
    let n = w - 2;
    let (gs, left, mid, right) = (&g[1..n + 1], &r[..n], &r[1..n + 1], &r[2..n + 2]);
    let mut lanes = [[0f32; 8]; 3];
    let chunks = gs.chunks_exact(8).zip(left.chunks_exact(8)).zip(mid.chunks_exact(8)).zip(right.chunks_exact(8));
    for (((g8, l8), m8), r8) in chunks {
        for l in 0..8 {
            lanes[0][l] += g8[l] * l8[l];
            lanes[1][l] += g8[l] * m8[l];
            lanes[2][l] += g8[l] * r8[l];
        }
    }
    let mut out = lanes.map(|l| l.iter().map(|v| *v as f64).sum::<f64>());
    for i in n - n % 8..n {
        out[0] += (gs[i] * left[i]) as f64;
        out[1] += (gs[i] * mid[i]) as f64;
        out[2] += (gs[i] * right[i]) as f64;
    }
    // Column 0 has no left neighbour; column w-1 no right one.
    out[1] += (g[0] * r[0] + g[w - 1] * r[w - 1]) as f64;
    out[2] += (g[0] * r[1]) as f64;
    out[0] += (g[w - 1] * r[w - 2]) as f64;
    out
}
}
