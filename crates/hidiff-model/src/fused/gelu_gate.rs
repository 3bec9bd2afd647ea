//! Fused kernels of GDFN's gate `gelu(x1) * x2` with the exact (erf) GELU
//! (`F.gelu(x1) * x2` in Restormer's `FeedForward`, reference 1.2), on contiguous
//! `f32` data of any shape, in parallel chunks.

use super::math::{normal_cdf, normal_pdf};
use super::output;
use super::simd::wide;

/// Elements per rayon task.
const CHUNK: usize = 8 * 1024;

/// `y = x1 Φ(x1) x2` element-wise; `x1`, `x2` of equal length.
pub fn forward(x1: &[f32], x2: &[f32]) -> Vec<f32> {
    assert_eq!(x1.len(), x2.len(), "gelu_gate: the two halves differ in size");
    output::par_chunks(x1.len(), CHUNK, 1, |i, y| {
        let r = i * CHUNK..i * CHUNK + y.len();
        gate(y, &x1[r.clone()], &x2[r]);
    })
    .0
}

wide! {
/// `y = a Φ(a) b` over one chunk.
fn gate(y: &mut [f32], a: &[f32], b: &[f32]) {
    for ((y, a), b) in y.iter_mut().zip(a).zip(b) {
        *y = a * normal_cdf(*a) * b;
    }
}
}

/// Gradients of [`forward`] for `dy`: `dx1 = dy x2 (Φ(x1) + x1 φ(x1))`,
/// `dx2 = dy x1 Φ(x1)`.
pub fn backward(x1: &[f32], x2: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(x1.len(), x2.len(), "gelu_gate: the two halves differ in size");
    assert_eq!(dy.len(), x1.len(), "gelu_gate: the gradient differs in size");
    output::par_chunks2(x1.len(), CHUNK, |i, d1, d2| {
        let r = i * CHUNK..i * CHUNK + d1.len();
        gate_grad(d1, d2, &x1[r.clone()], &x2[r.clone()], &dy[r]);
    })
}

wide! {
/// The gate's gradients over one chunk.
fn gate_grad(d1: &mut [f32], d2: &mut [f32], a: &[f32], b: &[f32], g: &[f32]) {
    for (((d1, d2), (a, b)), g) in d1.iter_mut().zip(d2.iter_mut()).zip(a.iter().zip(b)).zip(g) {
        let cdf = normal_cdf(*a);
        *d1 = g * b * (cdf + a * normal_pdf(*a));
        *d2 = g * a * cdf;
    }
}
}
