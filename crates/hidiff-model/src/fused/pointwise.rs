//! Fused kernels of the pointwise (1×1) projection `y[b] = W · x[b] + bias` on
//! channel-first `f32` data, forward and all three gradients, as calls into the
//! `gemm` crate (the matrix kernels burn's Flex backend uses).
//!
//! One call replaces a matrix product, a broadcast bias addition and (in the
//! backward pass) a sum over the batch: Flex runs the broadcast addition through a
//! strided path that costs more than the product itself at HI-Diff's sizes.
//!
//! `unsafe` here (and in [`super::mdta_core`]) only because `gemm::gemm` takes raw
//! pointers and strides. Every call goes through [`product`], whose callers state the sizes
//! each pointer addresses (SAFETY notes); [`Dims::check`] asserts them first.
#![allow(unsafe_code)]

use super::output;
use gemm::{gemm, Parallelism};

/// Sizes: `x: [batch, inputs, pixels]`, `W: [outputs, inputs]`.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// B.
    pub batch: usize,
    /// C_in.
    pub inputs: usize,
    /// C_out.
    pub outputs: usize,
    /// N (pixels or tokens).
    pub pixels: usize,
}

/// Below this many multiply-adds one thread does a product.
const PARALLEL_FLOPS: usize = 1 << 20;

/// gemm's parallelism for one product of `flops` multiply-adds (the products of
/// this module, [`super::conv3x3`] and [`super::token_linear`]): its own rayon
/// threads from [`PARALLEL_FLOPS`] on, one thread below.
pub(super) fn parallelism(flops: usize) -> Parallelism {
    if flops >= PARALLEL_FLOPS && rayon::current_num_threads() > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    }
}

/// Whether `batch` items run in parallel, each product on one thread: when there
/// are at least as many items as threads.
pub(super) fn across_batch(batch: usize) -> bool {
    batch >= rayon::current_num_threads() && rayon::current_num_threads() > 1
}

impl Dims {
    fn check(&self, x: &[f32], w: &[f32]) {
        assert_eq!(x.len(), self.batch * self.inputs * self.pixels, "pointwise: data does not match {self:?}");
        assert_eq!(w.len(), self.outputs * self.inputs, "pointwise: weight does not match {self:?}");
    }
}

/// A row-major matrix view for [`product`]: element `(r, c)` at `ptr + r·rs + c·cs`.
#[derive(Clone, Copy)]
pub(super) struct View {
    /// Element (0, 0).
    pub ptr: *const f32,
    /// Row stride.
    pub rs: isize,
    /// Column stride.
    pub cs: isize,
}

impl View {
    /// `x` as a row-major matrix whose rows are `stride` values apart.
    pub fn rows(x: &[f32], stride: usize) -> Self {
        Self { ptr: x.as_ptr(), rs: stride as isize, cs: 1 }
    }

    /// The transpose of [`View::rows`]`(x, stride)`, without a copy.
    pub fn transposed(x: &[f32], stride: usize) -> Self {
        Self { ptr: x.as_ptr(), rs: 1, cs: stride as isize }
    }
}

/// `dst [m, n] (row-major) = (accumulate ? dst : 0) + lhs [m, k] · rhs [k, n]`.
///
/// # Safety
/// `dst` holds `m·n` values; `lhs` and `rhs` address `m×k` and `k×n` valid values.
pub(super) unsafe fn product(
    dst: &mut [f32],
    [m, n, k]: [usize; 3],
    lhs: View,
    rhs: View,
    accumulate: bool,
    par: Parallelism,
) {
    debug_assert_eq!(dst.len(), m * n);
    // SAFETY: the caller's guarantee; dst rows are n apart.
    unsafe { product_strided(dst, n, [m, n, k], lhs, rhs, accumulate, par) };
}

/// [`product`] into the first `n` columns of `m` rows of `dst` that are `dst_rs`
/// values apart (a block of a wider matrix).
///
/// # Safety
/// `lhs` and `rhs` address `m×k` and `k×n` valid values.
pub(super) unsafe fn product_strided(
    dst: &mut [f32],
    dst_rs: usize,
    [m, n, k]: [usize; 3],
    lhs: View,
    rhs: View,
    accumulate: bool,
    par: Parallelism,
) {
    assert!(n <= dst_rs || m <= 1, "product: rows of {n} values overlap at stride {dst_rs}");
    assert!(m == 0 || n == 0 || dst.len() >= (m - 1) * dst_rs + n, "product: destination too short");
    // SAFETY: the caller guarantees the views; `dst` holds the m rows of n values checked above.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            lhs.ptr,
            lhs.cs,
            lhs.rs,
            rhs.ptr,
            rhs.cs,
            rhs.rs,
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

/// Forward pass: `x: [B, C_in, N]`, `w: [C_out, C_in]`, `bias: [C_out]` → `[B, C_out, N]`.
pub fn forward(x: &[f32], d: Dims, w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    d.check(x, w);
    let (ci, co, n) = (d.inputs, d.outputs, d.pixels);
    let one = |b: usize, yb: &mut [f32], par: Parallelism| {
        if let Some(bias) = bias {
            for (row, v) in yb.chunks_exact_mut(n).zip(bias) {
                row.fill(*v);
            }
        }
        let lhs = View::rows(w, ci);
        let rhs = View::rows(&x[b * ci * n..], n);
        // SAFETY: w is co × ci, x[b] is ci × n, yb is co × n.
        unsafe { product(yb, [co, n, ci], lhs, rhs, bias.is_some(), par) };
    };
    if across_batch(d.batch) {
        output::par_chunks(d.batch * co * n, co * n, 1, |b, yb| one(b, yb, Parallelism::None)).0
    } else {
        let mut y = vec![0f32; d.batch * co * n];
        let par = parallelism(co * ci * n);
        y.chunks_mut(co * n).enumerate().for_each(|(b, yb)| one(b, yb, par));
        y
    }
}

/// Gradients for the output gradient `dy: [B, C_out, N]`:
/// `(dx [B, C_in, N], dw [C_out, C_in], dbias [C_out])`.
pub fn backward(x: &[f32], d: Dims, w: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    d.check(x, w);
    let (ci, co, n) = (d.inputs, d.outputs, d.pixels);
    assert_eq!(dy.len(), d.batch * co * n, "pointwise: gradient does not match {d:?}");
    // dx[b] = Wᵀ · dy[b]: Wᵀ is W with its strides swapped.
    let dx_one = |b: usize, dxb: &mut [f32], par: Parallelism| {
        let lhs = View::transposed(w, ci);
        let rhs = View::rows(&dy[b * co * n..], n);
        // SAFETY: Wᵀ is ci × co, dy[b] is co × n, dxb is ci × n.
        unsafe { product(dxb, [ci, n, co], lhs, rhs, false, par) };
    };
    // dw[b] = dy[b] · x[b]ᵀ, summed over b; x[b]ᵀ is x[b] with its strides swapped.
    let dw_one = |b: usize, dw: &mut [f32], accumulate: bool, par: Parallelism| {
        let lhs = View::rows(&dy[b * co * n..], n);
        let rhs = View::transposed(&x[b * ci * n..], n);
        // SAFETY: dy[b] is co × n, x[b]ᵀ is n × ci, dw is co × ci.
        unsafe { product(dw, [co, ci, n], lhs, rhs, accumulate, par) };
    };
    // db[b] = Σ_pixels dy[b].
    let db_one = |b: usize| -> Vec<f64> { dy[b * co * n..][..co * n].chunks_exact(n.max(1)).map(sum).collect() };
    let mut dw = vec![0f32; co * ci];
    let mut db = vec![0f64; co];
    let dx = if across_batch(d.batch) {
        // One task per image: its dx, and its shares of dw and db.
        let (dx, parts) = output::par_chunks(x.len(), ci * n, 1, |b, dxb| {
            dx_one(b, dxb, Parallelism::None);
            let mut part = vec![0f32; co * ci];
            dw_one(b, &mut part, false, Parallelism::None);
            (part, db_one(b))
        });
        for (part, dbb) in parts {
            dw.iter_mut().zip(part).for_each(|(a, v)| *a += v);
            db.iter_mut().zip(dbb).for_each(|(a, v)| *a += v);
        }
        dx
    } else {
        let mut dx = vec![0f32; x.len()];
        let par = parallelism(co * ci * n);
        dx.chunks_mut(ci * n).enumerate().for_each(|(b, dxb)| dx_one(b, dxb, par));
        for b in 0..d.batch {
            dw_one(b, &mut dw, b > 0, par);
            db.iter_mut().zip(db_one(b)).for_each(|(a, v)| *a += v);
        }
        dx
    };
    (dx, dw, db.into_iter().map(|v| v as f32).collect())
}

/// `Σ v` in eight `f32` lanes (vectorisable), returned in `f64`.
pub(super) fn sum(v: &[f32]) -> f64 {
    let mut lanes = [0f32; 8];
    for c in v.chunks_exact(8) {
        for l in 0..8 {
            lanes[l] += c[l];
        }
    }
    let tail: f64 = v[v.len() - v.len() % 8..].iter().map(|x| *x as f64).sum();
    lanes.iter().map(|x| *x as f64).sum::<f64>() + tail
}
