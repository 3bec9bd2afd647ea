//! Fused softmax over the middle axis of contiguous `[outer, len, inner]` `f32`
//! data (HIM's softmax over the prior tokens, axis 2 of `[B, heads, n, HW]`),
//! forward and backward. The loops run along `inner` (contiguous, vectorised);
//! rayon splits `outer`.
//!
//! Forward: `y = exp(x - max) / Σ exp(x - max)` per `(outer, inner)` column.
//! Backward: `dx = y (dy - Σ dy y)`, from the output alone.

use super::math::exp;
use super::output;
use super::simd::wide;

/// Sizes: `[outer, len, inner]`, the softmax over `len`.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// Product of the axes before the softmax axis.
    pub outer: usize,
    /// The softmax axis.
    pub len: usize,
    /// Product of the axes after it.
    pub inner: usize,
}

impl Dims {
    fn block(&self) -> usize {
        self.len * self.inner
    }
}

/// Forward pass.
pub fn forward(x: &[f32], d: Dims) -> Vec<f32> {
    assert_eq!(x.len(), d.outer * d.block(), "softmax: data does not match {d:?}");
    if d.block() == 0 {
        return vec![0f32; x.len()];
    }
    output::par_chunks(x.len(), d.block(), 1, |i, y| block_forward(y, &x[i * d.block()..][..d.block()], d.inner)).0
}

wide! {
/// One `[len, inner]` block of the forward pass.
fn block_forward(y: &mut [f32], x: &[f32], inner: usize) {
    let mut max = x[..inner].to_vec();
    for row in x.chunks_exact(inner).skip(1) {
        for (m, v) in max.iter_mut().zip(row) {
            *m = m.max(*v);
        }
    }
    let mut total = vec![0f32; inner];
    for (yrow, xrow) in y.chunks_exact_mut(inner).zip(x.chunks_exact(inner)) {
        for (((o, v), m), t) in yrow.iter_mut().zip(xrow).zip(&max).zip(total.iter_mut()) {
            *o = exp(v - m);
            *t += *o;
        }
    }
    for t in total.iter_mut() {
        *t = 1.0 / *t;
    }
    for yrow in y.chunks_exact_mut(inner) {
        for (o, t) in yrow.iter_mut().zip(&total) {
            *o *= t;
        }
    }
}
}

/// Backward pass from the output `y` and its gradient `dy`.
pub fn backward(y: &[f32], dy: &[f32], d: Dims) -> Vec<f32> {
    assert_eq!(y.len(), d.outer * d.block(), "softmax: data does not match {d:?}");
    assert_eq!(dy.len(), y.len(), "softmax: gradient does not match {d:?}");
    if d.block() == 0 {
        return vec![0f32; y.len()];
    }
    let block = d.block();
    output::par_chunks(y.len(), block, 1, |i, dx| {
        block_backward(dx, &y[i * block..][..block], &dy[i * block..][..block], d.inner)
    })
    .0
}

wide! {
/// One `[len, inner]` block of the backward pass.
fn block_backward(dx: &mut [f32], y: &[f32], g: &[f32], inner: usize) {
    let mut dot = vec![0f32; inner];
    for (yrow, grow) in y.chunks_exact(inner).zip(g.chunks_exact(inner)) {
        for ((s, y), g) in dot.iter_mut().zip(yrow).zip(grow) {
            *s += y * g;
        }
    }
    for ((dxrow, yrow), grow) in dx.chunks_exact_mut(inner).zip(y.chunks_exact(inner)).zip(g.chunks_exact(inner)) {
        for (((o, y), g), s) in dxrow.iter_mut().zip(yrow).zip(grow).zip(&dot) {
            *o = y * (g - s);
        }
    }
}
}
