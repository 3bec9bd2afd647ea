//! Fused kernels of the dense 3×3 convolution (stride 1, zero padding 1, one
//! group) on `f32` NCHW data, forward and all three gradients, as an unfolding of
//! the input (im2col) and one matrix product per image through [`super::pointwise`]'s
//! `gemm` call.
//!
//! These are the convolutions outside the Transformer blocks: the patch
//! embedding, the down/up-sampling convolutions, the output convolution and the
//! latent encoders' convolutions. burn's generic conv2d backward runs their weight
//! gradient as a convolution of the input with the output gradient as an H×W kernel
//! (on Flex a scalar loop over 3-wide output rows: the largest single cost of the
//! quick training step) and their input gradient as a transposed convolution
//! over strided copies. Here:
//!
//! * forward: `y[b] = W [C_out, 9 C_in] · cols(x[b]) [9 C_in, HW] + bias`;
//! * input gradient: the forward pass on `dy` with the flipped, transposed
//!   kernel `W'[ci, co, ky, kx] = W[co, ci, 2 - ky, 2 - kx]`;
//! * weight gradient: `Σ_b dy[b] [C_out, HW] · cols(x[b])ᵀ`;
//! * bias gradient: `Σ_b Σ_pixels dy[b]`.
//!
//! `unsafe` only for [`product`] (`gemm`'s raw pointers); each call states the
//! sizes its views address (SAFETY notes), [`Dims::check`] asserts the buffers first.
#![allow(unsafe_code)]

use std::ops::Range;

use gemm::Parallelism;
use rayon::prelude::*;

use super::output;
use super::pointwise::{across_batch, parallelism, product, product_strided, sum, View};

/// Sizes: `x: [batch, inputs, height, width]`, `W: [outputs, inputs, 3, 3]`.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// B.
    pub batch: usize,
    /// C_in.
    pub inputs: usize,
    /// C_out.
    pub outputs: usize,
    /// H.
    pub height: usize,
    /// W.
    pub width: usize,
}

impl Dims {
    fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// Rows of the unfolded input: `9 C_in`.
    fn taps(&self) -> usize {
        9 * self.inputs
    }

    fn check(&self, x: &[f32], w: &[f32]) {
        assert_eq!(x.len(), self.batch * self.inputs * self.pixels(), "conv3x3: data does not match {self:?}");
        assert_eq!(w.len(), self.outputs * self.taps(), "conv3x3: weight does not match {self:?}");
    }

    /// Parallelism inside one image's product when the images run one after another.
    fn inner(&self) -> Parallelism {
        parallelism(self.outputs * self.taps() * self.pixels())
    }
}

/// Output rows per unfolded tile: at most about `TILE_VALUES` values of the unfolded
/// input at a time (a 3×3 convolution of 96 channels over a 256×256 image would
/// otherwise unfold 226 MB at once).
const TILE_VALUES: usize = 1 << 19;

/// The output rows `tile` of image rows per unfolded block of `channels` inputs `width` wide.
fn tile_rows(channels: usize, width: usize) -> usize {
    (TILE_VALUES / (9 * channels * width).max(1)).max(1)
}

/// Unfolds output rows `rows` of one image `x: [C, H, W]` into `cols: [9 C, len]`
/// (`len` = rows × W): row `9 ci + 3 ky + kx` holds `x[ci, h + ky - 1, w + kx - 1]`
/// at column `(h - rows.start) W + w`, zero outside the image.
fn unfold(x: &[f32], channels: usize, height: usize, width: usize, rows: Range<usize>, cols: &mut [f32]) {
    let n = height * width;
    let len = rows.len() * width;
    debug_assert_eq!(cols.len(), 9 * channels * len);
    for (ci, plane) in x.chunks_exact(n).enumerate().take(channels) {
        for tap in 0..9 {
            let (ky, kx) = (tap / 3, tap % 3);
            let row = &mut cols[(9 * ci + tap) * len..][..len];
            for (out, oy) in row.chunks_exact_mut(width).zip(rows.clone()) {
                // Input row oy + ky - 1, outside the image above and below.
                if oy + ky == 0 || oy + ky > height {
                    out.fill(0.0);
                    continue;
                }
                let src = &plane[(oy + ky - 1) * width..][..width];
                match kx {
                    0 => {
                        out[0] = 0.0;
                        out[1..].copy_from_slice(&src[..width - 1]);
                    }
                    1 => out.copy_from_slice(src),
                    _ => {
                        out[..width - 1].copy_from_slice(&src[1..]);
                        out[width - 1] = 0.0;
                    }
                }
            }
        }
    }
}

/// The row ranges of the tiles of an image `height` rows high.
fn tiles(height: usize, tile: usize) -> impl Iterator<Item = Range<usize>> {
    (0..height).step_by(tile).map(move |y0| y0..(y0 + tile).min(height))
}

/// Unfolds one image `xb: [C_in, H, W]` tile by tile ([`tile_rows`] output rows at a
/// time) into one reused buffer and calls `f(rows, cols)` with each tile's output
/// rows and their unfolded input `cols: [9 C_in, rows × W]`.
fn for_each_tile(xb: &[f32], d: &Dims, mut f: impl FnMut(Range<usize>, &[f32])) {
    let mut cols = Vec::new();
    for rows in tiles(d.height, tile_rows(d.inputs, d.width)) {
        cols.resize(d.taps() * rows.len() * d.width, 0.0);
        unfold(xb, d.inputs, d.height, d.width, rows.clone(), &mut cols);
        f(rows, &cols);
    }
}

/// Forward pass: `x: [B, C_in, H, W]`, `w: [C_out, C_in, 3, 3]`, `bias: [C_out]`
/// → `[B, C_out, H, W]`.
pub fn forward(x: &[f32], d: Dims, w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    d.check(x, w);
    let (ci, co, n, k) = (d.inputs, d.outputs, d.pixels(), d.taps());
    if n == 0 || co == 0 {
        return vec![0f32; d.batch * co * n];
    }
    let one = |b: usize, yb: &mut [f32], par: Parallelism| {
        if let Some(bias) = bias {
            for (row, v) in yb.chunks_exact_mut(n).zip(bias) {
                row.fill(*v);
            }
        }
        for_each_tile(&x[b * ci * n..(b + 1) * ci * n], &d, |rows, cols| {
            let len = rows.len() * d.width;
            let (lhs, rhs) = (View::rows(w, k), View::rows(cols, len));
            // SAFETY: w is co × 9ci, cols is 9ci × len; the block of yb is co rows of
            // len values, n apart, from the tile's first pixel.
            unsafe { product_strided(&mut yb[rows.start * d.width..], n, [co, len, k], lhs, rhs, bias.is_some(), par) };
        });
    };
    if across_batch(d.batch) {
        output::par_chunks(d.batch * co * n, co * n, 1, |b, yb| one(b, yb, Parallelism::None)).0
    } else {
        let mut y = vec![0f32; d.batch * co * n];
        let par = d.inner();
        y.chunks_mut(co * n).enumerate().for_each(|(b, yb)| one(b, yb, par));
        y
    }
}

/// The kernel of the input gradient: `W'[ci, co, ky, kx] = W[co, ci, 2 - ky, 2 - kx]`.
fn flipped(w: &[f32], d: Dims) -> Vec<f32> {
    let (ci, co) = (d.inputs, d.outputs);
    let mut out = vec![0f32; w.len()];
    for o in 0..co {
        for i in 0..ci {
            let src = &w[(o * ci + i) * 9..][..9];
            let dst = &mut out[(i * co + o) * 9..][..9];
            for (t, v) in dst.iter_mut().enumerate() {
                *v = src[8 - t];
            }
        }
    }
    out
}

/// Gradients for the output gradient `dy: [B, C_out, H, W]`:
/// `(dx [B, C_in, H, W] if with_dx, dw [C_out, C_in, 3, 3], dbias [C_out])`.
pub fn backward(x: &[f32], d: Dims, w: &[f32], dy: &[f32], with_dx: bool) -> (Option<Vec<f32>>, Vec<f32>, Vec<f32>) {
    d.check(x, w);
    let (ci, co, n, k) = (d.inputs, d.outputs, d.pixels(), d.taps());
    assert_eq!(dy.len(), d.batch * co * n, "conv3x3: gradient does not match {d:?}");
    let transposed = Dims { inputs: co, outputs: ci, ..d };
    let dx = with_dx.then(|| forward(dy, transposed, &flipped(w, d), None));
    // dw += dy[b] · cols(x[b])ᵀ; cols(x[b])ᵀ is cols with its strides swapped.
    let dw_one = |b: usize, dw: &mut [f32], accumulate: bool, par: Parallelism| {
        for_each_tile(&x[b * ci * n..(b + 1) * ci * n], &d, |rows, cols| {
            let len = rows.len() * d.width;
            // The tile's columns of dy[b]: co rows of len values, n apart.
            let lhs = View::rows(&dy[b * co * n + rows.start * d.width..], n);
            // The first tile (from row 0) starts dw unless it accumulates across images.
            let acc = accumulate || rows.start > 0;
            // SAFETY: that block of dy[b] is co × len, colsᵀ is len × 9ci, dw is co × 9ci.
            unsafe { product(dw, [co, k, len], lhs, View::transposed(cols, len), acc, par) };
        });
    };
    let db_one = |b: usize| -> Vec<f64> { dy[b * co * n..][..co * n].chunks_exact(n).map(sum).collect() };
    let mut dw = vec![0f32; co * k];
    let mut db = vec![0f64; co];
    if n > 0 && co > 0 && k > 0 {
        if across_batch(d.batch) {
            // One task per image: its shares of dw and db.
            let partial: Vec<(Vec<f32>, Vec<f64>)> = (0..d.batch)
                .into_par_iter()
                .map(|b| {
                    let mut part = vec![0f32; co * k];
                    dw_one(b, &mut part, false, Parallelism::None);
                    (part, db_one(b))
                })
                .collect();
            for (part, dbb) in partial {
                dw.iter_mut().zip(part).for_each(|(a, v)| *a += v);
                db.iter_mut().zip(dbb).for_each(|(a, v)| *a += v);
            }
        } else {
            let par = d.inner();
            for b in 0..d.batch {
                dw_one(b, &mut dw, b > 0, par);
                db.iter_mut().zip(db_one(b)).for_each(|(a, v)| *a += v);
            }
        }
    }
    (dx, dw, db.into_iter().map(|v| v as f32).collect())
}
