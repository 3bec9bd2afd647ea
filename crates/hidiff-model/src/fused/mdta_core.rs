//! The fused core of MDTA (Restormer's transposed attention) on contiguous
//! channel-first `f32` data, forward and backward.
//!
//! For every image `b` and head `h`, with `q, k, v` the `d × N` rows of head `h`
//! in the three thirds of `qkv [B, 3C, N]` (`d = C / heads`):
//!
//! ```text
//! r_i = 1 / max(|q_i|, 1e-12),  c_j = 1 / max(|k_j|, 1e-12)       (F.normalize)
//! S = q kᵀ,  L_ij = S_ij r_i c_j t_h,  A = softmax_rows(L),  out = A v
//! ```
//!
//! The L2 norms scale the small `d × d` matrix instead of q and k; the products
//! are `gemm` calls, one task per `(b, h)`. Backward, for `G = ∂/∂out`:
//!
//! ```text
//! dA = G vᵀ,  dv = Aᵀ G,  dL_ij = A_ij (dA_ij - Σ_l dA_il A_il)
//! dS_ij = dL_ij r_i c_j t,  dt += Σ_ij dL_ij S_ij r_i c_j
//! dq = dS k - (Σ_j dL_ij S_ij c_j t) r_i³ q_i    (the norm term only where |q_i| > eps)
//! dk = dSᵀ q - (Σ_i dL_ij S_ij r_i t) c_j³ k_j
//! ```
#![allow(unsafe_code)]

use gemm::Parallelism;

use super::math::dot;
use super::output;
use super::pointwise::{product, View};

/// `F.normalize`'s eps.
const EPS: f32 = 1e-12;

/// Sizes: `qkv: [batch, 3·channels, pixels]`, `heads` heads of `channels / heads` rows.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// B.
    pub batch: usize,
    /// C (the width of q, k and v each).
    pub channels: usize,
    /// Heads.
    pub heads: usize,
    /// N = H·W.
    pub pixels: usize,
}

impl Dims {
    fn d(&self) -> usize {
        self.channels / self.heads
    }

    fn check(&self, qkv: &[f32], temperature: &[f32]) {
        assert!(self.heads > 0 && self.channels.is_multiple_of(self.heads), "mdta: {self:?}: heads do not divide C");
        assert_eq!(qkv.len(), self.batch * 3 * self.channels * self.pixels, "mdta: data does not match {self:?}");
        assert_eq!(temperature.len(), self.heads, "mdta: temperature does not match {self:?}");
    }

    /// Parallelism inside one head's products: gemm's own threads when there are
    /// fewer `(b, h)` tasks than threads (one image with one head at the first
    /// level of an inference), one thread each otherwise.
    fn inner(&self) -> Parallelism {
        let threads = rayon::current_num_threads();
        if self.batch * self.heads < threads && threads > 1 {
            Parallelism::Rayon(0)
        } else {
            Parallelism::None
        }
    }

    /// Offset of row 0 of part `part` (0 q, 1 k, 2 v) of head `h` of image `b`.
    fn part(&self, b: usize, part: usize, h: usize) -> usize {
        ((b * 3 + part) * self.channels + h * self.d()) * self.pixels
    }
}

/// `1 / max(|row|, eps)` for each of the `d` rows of length `n` at `x`.
fn inverse_norms(x: &[f32], d: usize, n: usize) -> Vec<f32> {
    x[..d * n].chunks_exact(n).map(|row| 1.0 / (dot(row, row) as f32).sqrt().max(EPS)).collect()
}

/// The attention matrix of one `(b, h)`: `(S, A)`, both `d × d` row-major.
fn attention(
    q: &[f32],
    k: &[f32],
    [d, n]: [usize; 2],
    t: f32,
    par: Parallelism,
) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let (r, c) = (inverse_norms(q, d, n), inverse_norms(k, d, n));
    let mut s = vec![0f32; d * d];
    // SAFETY: q is d × n (row stride n), kᵀ is n × d (k with its strides swapped), s is d × d.
    unsafe { product(&mut s, [d, d, n], View::rows(q, n), View::transposed(k, n), false, par) };
    let mut a = vec![0f32; d * d];
    for i in 0..d {
        let row = &mut a[i * d..][..d];
        for j in 0..d {
            row[j] = s[i * d + j] * r[i] * c[j] * t;
        }
        let max = row.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
        let mut total = 0f32;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            total += *v;
        }
        for v in row.iter_mut() {
            *v /= total;
        }
    }
    (s, a, r, c)
}

/// Forward pass: `qkv: [B, 3C, N]`, `temperature: [heads]` → `[B, C, N]`.
pub fn forward(qkv: &[f32], dims: Dims, temperature: &[f32]) -> Vec<f32> {
    dims.check(qkv, temperature);
    let (d, n) = (dims.d(), dims.pixels);
    let par = dims.inner();
    output::par_chunks(dims.batch * dims.channels * n, d * n, 1, |i, o| {
        let (b, h) = (i / dims.heads, i % dims.heads);
        let q = &qkv[dims.part(b, 0, h)..];
        let k = &qkv[dims.part(b, 1, h)..];
        let v = &qkv[dims.part(b, 2, h)..];
        let (_, a, _, _) = attention(q, k, [d, n], temperature[h], par);
        // SAFETY: a is d × d, v is d × n (row stride n), o is d × n.
        unsafe { product(o, [d, n, d], View::rows(&a, d), View::rows(v, n), false, par) };
    })
    .0
}

/// Gradients for `grad: [B, C, N]`: `(dqkv [B, 3C, N], dtemperature [heads])`.
pub fn backward(qkv: &[f32], dims: Dims, temperature: &[f32], grad: &[f32]) -> (Vec<f32>, Vec<f32>) {
    dims.check(qkv, temperature);
    let (d, n, c) = (dims.d(), dims.pixels, dims.channels);
    assert_eq!(grad.len(), dims.batch * c * n, "mdta: gradient does not match {dims:?}");
    let par = dims.inner();
    // One task per image: its q, k and v gradients are three disjoint C × N blocks.
    let (dqkv, dt_parts) = output::par_chunks(qkv.len(), 3 * c * n, 1, |b, dimage| {
        let (dq_all, rest) = dimage.split_at_mut(c * n);
        let (dk_all, dv_all) = rest.split_at_mut(c * n);
        let mut dts = Vec::with_capacity(dims.heads);
        for (h, ((dq, dk), dv)) in
            dq_all.chunks_mut(d * n).zip(dk_all.chunks_mut(d * n)).zip(dv_all.chunks_mut(d * n)).enumerate()
        {
            let q = &qkv[dims.part(b, 0, h)..][..d * n];
            let k = &qkv[dims.part(b, 1, h)..][..d * n];
            let v = &qkv[dims.part(b, 2, h)..][..d * n];
            let g = &grad[(b * c + h * d) * n..][..d * n];
            dts.push(head_backward([q, k, v, g], [d, n], temperature[h], [dq, dk, dv], par));
        }
        dts
    });
    let mut dt = vec![0f64; dims.heads];
    for per_image in dt_parts {
        for (a, v) in dt.iter_mut().zip(per_image) {
            *a += v;
        }
    }
    (dqkv, dt.into_iter().map(|v| v as f32).collect())
}

/// Backward of one `(b, h)`: fills `dq, dk, dv` (each `d × N`) and returns `dt`.
fn head_backward(
    [q, k, v, g]: [&[f32]; 4],
    [d, n]: [usize; 2],
    t: f32,
    [dq, dk, dv]: [&mut [f32]; 3],
    par: Parallelism,
) -> f64 {
    let (s, a, r, c) = attention(q, k, [d, n], t, par);
    let mut da = vec![0f32; d * d];
    // SAFETY: g is d × n, vᵀ is n × d (v with swapped strides), da is d × d.
    unsafe { product(&mut da, [d, d, n], View::rows(g, n), View::transposed(v, n), false, par) };
    // SAFETY: aᵀ is d × d (a with swapped strides), g is d × n, dv is d × n.
    unsafe { product(dv, [d, n, d], View::transposed(&a, d), View::rows(g, n), false, par) };
    // dL, then dS and the norm terms.
    let mut ds = vec![0f32; d * d];
    let (mut dr, mut dc) = (vec![0f32; d], vec![0f32; d]);
    let mut dt = 0f64;
    for i in 0..d {
        let (arow, darow) = (&a[i * d..][..d], &da[i * d..][..d]);
        let inner: f32 = arow.iter().zip(darow).map(|(x, y)| x * y).sum();
        for j in 0..d {
            let dl = arow[j] * (darow[j] - inner);
            let sij = s[i * d + j];
            ds[i * d + j] = dl * r[i] * c[j] * t;
            dt += (dl * sij * r[i] * c[j]) as f64;
            dr[i] += dl * sij * c[j] * t;
            dc[j] += dl * sij * r[i] * t;
        }
    }
    // SAFETY: ds is d × d, k is d × n, dq is d × n.
    unsafe { product(dq, [d, n, d], View::rows(&ds, d), View::rows(k, n), false, par) };
    // SAFETY: dsᵀ is d × d (swapped strides), q is d × n, dk is d × n.
    unsafe { product(dk, [d, n, d], View::transposed(&ds, d), View::rows(q, n), false, par) };
    add_norm_term(dq, q, &r, &dr, n);
    add_norm_term(dk, k, &c, &dc, n);
    dt
}

/// `dx_i -= dinv_i · inv_i³ · x_i` for each row `i` whose norm is above eps (where
/// `inv_i = 1 / |x_i|`); below it `max(|x|, eps)` is constant and passes no gradient.
fn add_norm_term(dx: &mut [f32], x: &[f32], inv: &[f32], dinv: &[f32], n: usize) {
    for (i, (drow, xrow)) in dx.chunks_exact_mut(n).zip(x.chunks_exact(n)).enumerate() {
        if inv[i] >= 1.0 / EPS {
            continue;
        }
        let f = dinv[i] * inv[i] * inv[i] * inv[i];
        for (g, xv) in drow.iter_mut().zip(xrow) {
            *g -= f * xv;
        }
    }
}
