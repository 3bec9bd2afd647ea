//! Fused kernels of `nn.Linear` on tokens, `y = x · W + bias` over the last axis
//! (`x: [M, K]` with every leading axis in M, burn's weight layout `W: [K, N]`), forward
//! and all three gradients, as `gemm` calls through [`super::pointwise`]'s `product`.
//!
//! The token paths (the latent encoders' `end`, the denoiser, the token mixers'
//! channel MLPs, the prior's down-sampling, HIM's `kv`) are small matrices, so
//! burn's `linear` costs more in its backward's transposed copies and its bias
//! reduction (one broadcast sum over the batch on the calling thread) than in
//! arithmetic; here each step is one product, the bias gradient one pass.
//!
//! `unsafe` only for `product` (`gemm`'s raw pointers); each call states the
//! sizes its views address (SAFETY notes), [`Dims::check`] asserts the buffers first.
#![allow(unsafe_code)]

use gemm::Parallelism;

use super::pointwise::{parallelism, product, View};

/// Sizes: `x: [rows, inputs]`, `W: [inputs, outputs]`.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// M: the tokens of every batch item.
    pub rows: usize,
    /// K.
    pub inputs: usize,
    /// N.
    pub outputs: usize,
}

impl Dims {
    fn check(&self, x: &[f32], w: &[f32]) {
        assert_eq!(x.len(), self.rows * self.inputs, "token_linear: data does not match {self:?}");
        assert_eq!(w.len(), self.inputs * self.outputs, "token_linear: weight does not match {self:?}");
    }

    fn par(&self) -> Parallelism {
        parallelism(self.rows * self.inputs * self.outputs)
    }
}

/// Forward pass: `x: [M, K]`, `w: [K, N]`, `bias: [N]` → `[M, N]`.
pub fn forward(x: &[f32], d: Dims, w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    d.check(x, w);
    let (m, k, n) = (d.rows, d.inputs, d.outputs);
    let mut y = vec![0f32; m * n];
    if n == 0 {
        return y;
    }
    if let Some(bias) = bias {
        for row in y.chunks_exact_mut(n) {
            row.copy_from_slice(bias);
        }
    }
    // SAFETY: x is m × k, w is k × n, y is m × n.
    unsafe { product(&mut y, [m, n, k], View::rows(x, k), View::rows(w, n), bias.is_some(), d.par()) };
    y
}

/// Gradients for the output gradient `dy: [M, N]`:
/// `(dx [M, K], dw [K, N], dbias [N])`.
pub fn backward(x: &[f32], d: Dims, w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    d.check(x, w);
    let (m, k, n) = (d.rows, d.inputs, d.outputs);
    assert_eq!(dy.len(), m * n, "token_linear: gradient does not match {d:?}");
    let (mut dx, mut dw) = (vec![0f32; m * k], vec![0f32; k * n]);
    let mut db = vec![0f64; n];
    if m == 0 || n == 0 || k == 0 {
        return (dx, dw, db.into_iter().map(|v| v as f32).collect());
    }
    // SAFETY: dy is m × n, wᵀ (w with its strides swapped) is n × k, dx is m × k.
    unsafe { product(&mut dx, [m, k, n], View::rows(dy, n), View::transposed(w, n), false, d.par()) };
    // SAFETY: xᵀ is k × m, dy is m × n, dw is k × n.
    unsafe { product(&mut dw, [k, n, m], View::transposed(x, k), View::rows(dy, n), false, d.par()) };
    for row in dy.chunks_exact(n) {
        for (s, v) in db.iter_mut().zip(row) {
            *s += *v as f64;
        }
    }
    (dx, dw, db.into_iter().map(|v| v as f32).collect())
}
