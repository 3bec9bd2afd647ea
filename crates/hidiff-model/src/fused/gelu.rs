//! Fused kernels of the exact (erf) GELU `x Φ(x)` (the latent encoders' and the
//! token mixers' activation, `nn.GELU()`), forward and gradient, on contiguous
//! `f32` data of any shape, in parallel chunks. Written with burn's operations
//! the GELU is five graph nodes (a scalar multiplication, libm's scalar `erf`, an
//! addition, a multiplication and the product with `x`) and as many passes over
//! memory on the calling thread; here it is one node and one pass.

use super::math::{normal_cdf, normal_pdf};
use super::output;
use super::simd::wide;

/// Elements per rayon task.
const CHUNK: usize = 8 * 1024;

/// `y = x Φ(x)` element-wise.
pub fn forward(x: &[f32]) -> Vec<f32> {
    output::par_chunks(x.len(), CHUNK, 1, |i, y| gelu(y, &x[i * CHUNK..][..y.len()])).0
}

wide! {
/// `y = x Φ(x)` over one chunk.
fn gelu(y: &mut [f32], x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = x * normal_cdf(*x);
    }
}
}

/// Gradient of [`forward`] for `dy`: `dx = dy (Φ(x) + x φ(x))`.
pub fn backward(x: &[f32], dy: &[f32]) -> Vec<f32> {
    assert_eq!(dy.len(), x.len(), "gelu: the gradient differs in size");
    output::par_chunks(x.len(), CHUNK, 1, |i, dx| {
        let r = i * CHUNK..i * CHUNK + dx.len();
        gelu_grad(dx, &x[r.clone()], &dy[r]);
    })
    .0
}

wide! {
/// The GELU's gradient over one chunk.
fn gelu_grad(dx: &mut [f32], x: &[f32], g: &[f32]) {
    for ((dx, x), g) in dx.iter_mut().zip(x).zip(g) {
        *dx = g * (normal_cdf(*x) + x * normal_pdf(*x));
    }
}
}
