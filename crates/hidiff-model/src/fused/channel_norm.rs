//! Fused kernels of Restormer's channel LayerNorm on contiguous NCHW `f32` data:
//! `y = (x - mean_c x) / sqrt(var_c x + eps) * w + b` (`WithBias`) or
//! `y = x / sqrt(var_c x + eps) * w` (`BiasFree`), the statistics taken over C at
//! every pixel with the biased variance (reference 1.2).
//!
//! Each kernel is two passes: per-pixel statistics over C, computed on blocks of
//! `BLOCK` neighbouring pixels so that the inner loops run along contiguous memory,
//! then an element-wise pass over the `(b, c)` planes. Both passes run in parallel
//! with rayon (batch × pixel blocks, then planes).

use rayon::prelude::*;

use super::output;
use super::simd::wide;

/// The eps of every LayerNorm of HI-Diff.
pub const EPS: f32 = 1e-5;
/// Pixels per statistics block: `C × BLOCK` values stay in L2 for C ≤ 384.
const BLOCK: usize = 128;
/// Minimum number of elements per rayon task in the plane pass.
const MIN_TASK: usize = 16 * 1024;

/// Sizes of an NCHW tensor viewed as `[batch, channels, pixels]`.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// B.
    pub batch: usize,
    /// C.
    pub channels: usize,
    /// H·W.
    pub pixels: usize,
}

wide! {
/// Mean and `1 / sqrt(var + eps)` over C of the pixels `p0..p0 + mean.len()` of
/// one batch item `xb: [C, HW]`.
fn block_stats(xb: &[f32], d: Dims, p0: usize, mean: &mut [f32], rstd: &mut [f32]) {
    let n = mean.len();
    let inv_c = 1.0 / d.channels as f32;
    mean.fill(0.0);
    for row in xb.chunks_exact(d.pixels) {
        for (m, v) in mean.iter_mut().zip(&row[p0..p0 + n]) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m *= inv_c);
    rstd.fill(0.0);
    for row in xb.chunks_exact(d.pixels) {
        for ((s, v), m) in rstd.iter_mut().zip(&row[p0..p0 + n]).zip(mean.iter()) {
            let dv = v - m;
            *s += dv * dv;
        }
    }
    rstd.iter_mut().for_each(|s| *s = 1.0 / (*s * inv_c + EPS).sqrt());
}
}

/// Per-pixel mean and `1 / sqrt(var + eps)`, each `[B, HW]`.
fn stats(x: &[f32], d: Dims) -> (Vec<f32>, Vec<f32>) {
    let mut mean = vec![0f32; d.batch * d.pixels];
    let mut rstd = vec![0f32; d.batch * d.pixels];
    mean.par_chunks_mut(d.pixels).zip(rstd.par_chunks_mut(d.pixels)).enumerate().for_each(|(b, (mean, rstd))| {
        let xb = &x[b * d.channels * d.pixels..][..d.channels * d.pixels];
        mean.par_chunks_mut(BLOCK)
            .zip(rstd.par_chunks_mut(BLOCK))
            .enumerate()
            .for_each(|(k, (m, r))| block_stats(xb, d, k * BLOCK, m, r));
    });
    (mean, rstd)
}

/// Rayon tasks over planes of `pixels` values get at least this many planes.
fn planes_per_task(pixels: usize) -> usize {
    (MIN_TASK / pixels.max(1)).max(1)
}

/// Forward pass. `x: [B, C, HW]`, `weight: [C]`, `bias: [C]` or `None` (`BiasFree`)
/// → `y: [B, C, HW]`.
pub fn forward(x: &[f32], d: Dims, weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    assert_eq!(x.len(), d.batch * d.channels * d.pixels, "channel_norm: data does not match {d:?}");
    let (mean, rstd) = stats(x, d);
    output::par_chunks(x.len(), d.pixels, planes_per_task(d.pixels), |i, yp| {
        let (b, c) = (i / d.channels, i % d.channels);
        let xp = &x[i * d.pixels..][..d.pixels];
        let (m, r) = (&mean[b * d.pixels..][..d.pixels], &rstd[b * d.pixels..][..d.pixels]);
        normalize_plane(yp, xp, m, r, weight[c], bias.map(|b| b[c]));
    })
    .0
}

wide! {
/// One `(b, c)` plane of the forward pass: `(x - m) r w + bias`, or `x r w` without bias.
fn normalize_plane(yp: &mut [f32], xp: &[f32], m: &[f32], r: &[f32], w: f32, bias: Option<f32>) {
    match bias {
        Some(bc) => {
            for (((y, x), m), r) in yp.iter_mut().zip(xp).zip(m).zip(r) {
                *y = (x - m) * r * w + bc;
            }
        }
        None => {
            for ((y, x), r) in yp.iter_mut().zip(xp).zip(r) {
                *y = x * r * w;
            }
        }
    }
}
}

/// Gradients of [`forward`] for the output gradient `dy: [B, C, HW]`:
/// `(dx [B, C, HW], dweight [C], dbias [C] when with_bias)`.
///
/// With `x̂ = (x - mean) r`, `r = 1/sqrt(var + eps)` and `g = dy w`:
/// `WithBias`: `dx = r (g - mean_c g - x̂ mean_c(g x̂))`, `dw = Σ dy x̂`, `db = Σ dy`;
/// `BiasFree` (`y = x r w`): `dx = r (g - x̂ mean_c(g x r))`, `dw = Σ dy x r`.
pub fn backward(
    x: &[f32],
    d: Dims,
    weight: &[f32],
    with_bias: bool,
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Option<Vec<f32>>) {
    assert_eq!(x.len(), d.batch * d.channels * d.pixels, "channel_norm: data does not match {d:?}");
    assert_eq!(dy.len(), x.len(), "channel_norm: gradient does not match {d:?}");
    let n = d.batch * d.pixels;
    let (mut mean, mut rstd) = (vec![0f32; n], vec![0f32; n]);
    // Per pixel: mean_c(g) (0 for BiasFree) and mean_c(g x̂) or mean_c(g x r).
    let (mut s1, mut s2) = (vec![0f32; n], vec![0f32; n]);
    let inv_c = 1.0 / d.channels as f32;
    let per_batch = mean
        .par_chunks_mut(d.pixels)
        .zip(rstd.par_chunks_mut(d.pixels))
        .zip(s1.par_chunks_mut(d.pixels))
        .zip(s2.par_chunks_mut(d.pixels));
    per_batch.enumerate().for_each(|(b, (((mean, rstd), s1), s2))| {
        let off = b * d.channels * d.pixels;
        let (xb, gb) = (&x[off..][..d.channels * d.pixels], &dy[off..][..d.channels * d.pixels]);
        let blocks = mean
            .par_chunks_mut(BLOCK)
            .zip(rstd.par_chunks_mut(BLOCK))
            .zip(s1.par_chunks_mut(BLOCK))
            .zip(s2.par_chunks_mut(BLOCK));
        blocks.enumerate().for_each(|(k, (((m, r), s1), s2))| {
            let p0 = k * BLOCK;
            let len = m.len();
            block_stats(xb, d, p0, m, r);
            s1.fill(0.0);
            s2.fill(0.0);
            for (c, (xrow, grow)) in xb.chunks_exact(d.pixels).zip(gb.chunks_exact(d.pixels)).enumerate() {
                let (xrow, grow) = (&xrow[p0..p0 + len], &grow[p0..p0 + len]);
                channel_sums(s1, s2, xrow, grow, m, weight[c], with_bias);
            }
            // s2 holds Σ g (x - mean) or Σ g x; one more factor r makes it Σ g x̂ or Σ g x r.
            s1.iter_mut().for_each(|a| *a *= inv_c);
            s2.iter_mut().zip(r.iter()).for_each(|(a, r)| *a *= r * inv_c);
        });
    });
    let task = planes_per_task(d.pixels);
    // BiasFree's dw uses x r where WithBias uses (x - mean) r: a zero "mean" plane.
    let zeros = vec![0f32; if with_bias { 0 } else { d.pixels }];
    // Per plane: dx, and the plane's share of dw and db.
    let (dx, sums) = output::par_chunks(x.len(), d.pixels, task, |i, dxp| {
        let (b, c) = (i / d.channels, i % d.channels);
        let xp = &x[i * d.pixels..][..d.pixels];
        let gp = &dy[i * d.pixels..][..d.pixels];
        let sl = b * d.pixels..(b + 1) * d.pixels;
        let (m, r, s1, s2) = (&mean[sl.clone()], &rstd[sl.clone()], &s1[sl.clone()], &s2[sl]);
        input_gradient(dxp, [xp, gp, m, r, s1, s2], weight[c]);
        let m = if with_bias { m } else { &zeros[..] };
        plane_sums(gp, xp, m, r)
    });
    let mut dw = vec![0f64; d.channels];
    let mut db = vec![0f64; d.channels];
    for (i, (w, b)) in sums.into_iter().enumerate() {
        dw[i % d.channels] += w;
        db[i % d.channels] += b;
    }
    let dw = dw.into_iter().map(|v| v as f32).collect();
    let db = with_bias.then(|| db.into_iter().map(|v| v as f32).collect());
    (dx, dw, db)
}

wide! {
/// Adds one channel's terms to the per-pixel sums of the backward pass:
/// `s1 += g w`, `s2 += g w (x - m)` with bias, `s2 += g w x` without.
fn channel_sums(s1: &mut [f32], s2: &mut [f32], xrow: &[f32], grow: &[f32], m: &[f32], w: f32, with_bias: bool) {
    if with_bias {
        for ((((a1, a2), x), g), mr) in s1.iter_mut().zip(s2.iter_mut()).zip(xrow).zip(grow).zip(m) {
            let gw = g * w;
            *a1 += gw;
            *a2 += gw * (x - mr);
        }
    } else {
        for ((a2, x), g) in s2.iter_mut().zip(xrow).zip(grow) {
            *a2 += g * w * x;
        }
    }
}
}

wide! {
/// `dx = r (g w - s1 - (x - m) r s2)` over one plane.
fn input_gradient(dxp: &mut [f32], planes: [&[f32]; 6], w: f32) {
    let [xp, gp, m, r, s1, s2] = planes;
    for (((((dxv, x), g), m), r), (s1, s2)) in dxp.iter_mut().zip(xp).zip(gp).zip(m).zip(r).zip(s1.iter().zip(s2)) {
        *dxv = r * (g * w - s1 - (x - m) * r * s2);
    }
}
}

wide! {
/// `(Σ g (x - m) r, Σ g)` over one plane, in eight independent `f32` lanes (so
/// the loop vectorises) summed in `f64`.
fn plane_sums(g: &[f32], x: &[f32], m: &[f32], r: &[f32]) -> (f64, f64) {
    let (mut aw, mut ab) = ([0f32; 8], [0f32; 8]);
    let chunks = g.chunks_exact(8).zip(x.chunks_exact(8)).zip(m.chunks_exact(8)).zip(r.chunks_exact(8));
    for (((g, x), m), r) in chunks {
        for l in 0..8 {
            aw[l] += g[l] * (x[l] - m[l]) * r[l];
            ab[l] += g[l];
        }
    }
    let (mut dw, mut db) = (0f64, 0f64);
    for l in 0..8 {
        dw += aw[l] as f64;
        db += ab[l] as f64;
    }
    let tail = g.len() - g.len() % 8;
    for k in tail..g.len() {
        dw += (g[k] * (x[k] - m[k]) * r[k]) as f64;
        db += g[k] as f64;
    }
    (dw, db)
}
}
