//! Step 3 of `evaluate_realblur.py`: OpenCV 4.x `findTransformECC` with
//! `MOTION_HOMOGRAPHY`, the classic algorithm of Evangelidis & Psarakis (2008)
//! as `modules/video/src/ecc.cpp` implements it up to OpenCV 4.12.
//!
//! The script runs exactly 100 iterations (`COUNT|EPS`, epsilon 0 never stops
//! early) from the identity. On real image pairs the Gauss–Newton iteration
//! does not settle but keeps hopping between nearby warps, so the final warp
//! depends on float32 rounding details. This port therefore keeps OpenCV's
//! float32 storage everywhere it matters (images, warped images, Jacobian,
//! Hessian and its LU inverse, projections, the error image, the warp
//! itself) and its operation order where it is known, while dot products and
//! norms, which OpenCV accumulates with CPU-dependent SIMD lane sums, are
//! accumulated in float64 in a fixed order (deterministic for any number of
//! threads). Trying to emulate OpenCV's float32 lane sums (4, 8 or 16 lanes,
//! fused or not) did not bring the warps closer to the reference.

use std::ops::Range;

use rayon::prelude::*;

use super::float_image::FloatImage;
use super::fused::fma_f32;
use super::lu::{self, Matrix, N};
use super::smooth::{gaussian_blur_5x5, gradients};
use super::warp::{nearest_valid_mask, remap_linear_many, source_positions, Warp};
use crate::error::{MetricsError, Result};

/// Rows per chunk of the parallel reductions; partial sums are combined in
/// chunk order, so results do not depend on the thread count.
const ROWS_PER_CHUNK: usize = 8;

/// The outcome of [`find_transform_ecc`].
#[derive(Clone, Debug, PartialEq)]
pub struct EccOutcome {
    /// The final warp (float32, `h22 = 1`), for `WARP_INVERSE_MAP`.
    pub warp: Warp,
    /// The enhanced correlation coefficient ρ of the last iteration (the value
    /// OpenCV returns, computed *before* that iteration's update).
    pub rho: f64,
}

/// Sums gathered in one pass over the template pixels.
#[derive(Clone, Copy)]
struct Moments {
    /// `JᵀJ`, upper triangle with diagonal, indexed `a*N + b` with `b ≥ a`.
    hessian: [f64; N * N],
    /// `Jᵀ·Iz`.
    image_proj: [f64; N],
    /// `Jᵀ·Tz`.
    template_proj: [f64; N],
    /// `Tz·Iz`.
    correlation: f64,
}

impl Moments {
    fn zero() -> Self {
        Self { hessian: [0.0; N * N], image_proj: [0.0; N], template_proj: [0.0; N], correlation: 0.0 }
    }

    fn add(mut self, o: &Self) -> Self {
        self.hessian.iter_mut().zip(&o.hessian).for_each(|(a, b)| *a += b);
        self.image_proj.iter_mut().zip(&o.image_proj).for_each(|(a, b)| *a += b);
        self.template_proj.iter_mut().zip(&o.template_proj).for_each(|(a, b)| *a += b);
        self.correlation += o.correlation;
        self
    }
}

/// The state of one iteration: everything that lives in template coordinates.
struct Iterate<'a> {
    width: usize,
    /// Current warp, row-major.
    h: [f32; 9],
    /// Warped input, zero-mean inside the mask (`imageWarped`).
    image_zm: Vec<f32>,
    /// Template, zero-mean inside the mask and 0 outside (`templateZM`).
    template_zm: Vec<f32>,
    /// Warped gradients.
    gx: &'a [f32],
    gy: &'a [f32],
}

impl Iterate<'_> {
    /// The 8 Jacobian images over `rows`, one plane per parameter
    /// (`image_jacobian_homo_ECC`).
    ///
    /// Parameter order `[h00, h10, h20, h01, h11, h21, h02, h12]`; with
    /// `d = h20·x + h21·y + 1`, `gx = Gx/d`, `gy = Gy/d`,
    /// `t = −(x'·gx + y'·gy)` the images are
    /// `[gx·x, gy·x, t·x, gx·y, gy·y, t·y, gx, gy]`. OpenCV builds `d` and
    /// `−x'·d` with `addWeighted`, whose AVX2 kernel fuses the multiply-adds;
    /// the rest are separate float32 operations.
    fn jacobian(&self, rows: Range<usize>) -> [Vec<f32>; N] {
        let h = &self.h;
        let w = self.width;
        let mut jac: [Vec<f32>; N] = std::array::from_fn(|_| vec![0.0; rows.len() * w]);
        for (r, y) in rows.enumerate() {
            let yf = y as f32;
            let den_y = fma_f32(yf, h[7], 1.0);
            let hx_y = fma_f32(yf, -h[1], -h[2]);
            let hy_y = fma_f32(yf, -h[4], -h[5]);
            for x in 0..w {
                let (i, idx) = (r * w + x, y * w + x);
                let xf = x as f32;
                let den = fma_f32(xf, h[6], den_y);
                let hat_x = fma_f32(xf, -h[0], hx_y) / den;
                let hat_y = fma_f32(xf, -h[3], hy_y) / den;
                let gxd = self.gx[idx] / den;
                let gyd = self.gy[idx] / den;
                let t = hat_x * gxd + hat_y * gyd;
                jac[0][i] = gxd * xf;
                jac[1][i] = gyd * xf;
                jac[2][i] = t * xf;
                jac[3][i] = gxd * yf;
                jac[4][i] = gyd * yf;
                jac[5][i] = t * yf;
                jac[6][i] = gxd;
                jac[7][i] = gyd;
            }
        }
        jac
    }

    /// Hessian, projections and correlation over `rows`.
    fn moments(&self, rows: Range<usize>) -> Moments {
        let span = rows.start * self.width..rows.end * self.width;
        let jac = self.jacobian(rows);
        let (iz, tz) = (&self.image_zm[span.clone()], &self.template_zm[span]);
        let mut m = Moments::zero();
        for a in 0..N {
            for b in a..N {
                m.hessian[a * N + b] = dot64(&jac[a], &jac[b]);
            }
            m.image_proj[a] = dot64(&jac[a], iz);
            m.template_proj[a] = dot64(&jac[a], tz);
        }
        m.correlation = dot64(tz, iz);
        m
    }

    /// `Jᵀ·(λ·Tz − Iz)` over `rows`; the error image is `addWeighted`'s fused
    /// float32 `Tz·λ − Iz`.
    fn error_projection(&self, rows: Range<usize>, lambda: f32) -> [f64; N] {
        let span = rows.start * self.width..rows.end * self.width;
        let jac = self.jacobian(rows);
        let error: Vec<f32> = self.template_zm[span.clone()]
            .iter()
            .zip(&self.image_zm[span])
            .map(|(&t, &i)| fma_f32(t, lambda, -i))
            .collect();
        std::array::from_fn(|k| dot64(&jac[k], &error))
    }
}

/// Float32 dot product accumulated in float64 over four fixed lanes.
fn dot64(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += f64::from(x[k]) * f64::from(y[k]);
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail
}

/// `meanStdDev(img, mean, std, mask)`: mean and population standard deviation
/// over the pixels where `mask` is set, accumulated in double, and the count.
fn masked_mean_std(img: &[f32], mask: &[u8]) -> (f64, f64, usize) {
    let (mut s, mut sq, mut n) = (0.0f64, 0.0f64, 0usize);
    for (&v, &m) in img.iter().zip(mask) {
        if m != 0 {
            let v = f64::from(v);
            s += v;
            sq += v * v;
            n += 1;
        }
    }
    if n == 0 {
        return (0.0, 0.0, 0);
    }
    let mean = s / n as f64;
    let var = (sq / n as f64 - mean * mean).max(0.0);
    (mean, var.sqrt(), n)
}

/// Runs `findTransformECC(template, input, warp, MOTION_HOMOGRAPHY,
/// (COUNT|EPS, iterations, 0), inputMask = None, gaussFiltSize = 5)` from the
/// `initial` warp.
///
/// Both images are single-channel float32 of any (possibly different) size.
/// Fails where OpenCV raises: when ρ is NaN (e.g. no overlap) or when the λ
/// denominator is ≤ 0 ("the correlation is going to be minimized").
pub fn find_transform_ecc(
    template: &FloatImage,
    input: &FloatImage,
    initial: Warp,
    iterations: usize,
) -> Result<EccOutcome> {
    let (ws, hs) = (template.width, template.height);
    let (wd, hd) = (input.width, input.height);
    let template = gaussian_blur_5x5(template);
    let image = gaussian_blur_5x5(input);
    let (grad_x, grad_y) = gradients(&image);

    let mut map = initial;
    let mut rho = -1.0;
    for iteration in 1..=iterations {
        // Warp the input, its gradients and the all-ones mask into template
        // coordinates.
        let positions = source_positions(&map, ws, hs, true);
        let mut warped = remap_linear_many(&[&image, &grad_x, &grad_y], &positions, ws, hs).into_iter();
        let mut next = || warped.next().map(|w| w.data).unwrap_or_default();
        let (mut image_zm, gx, gy) = (next(), next(), next());
        let mask = nearest_valid_mask(&map, wd, hd, ws, hs);

        // Zero-mean images. `subtract(..., mask)` converts the mean to float32
        // and leaves the warped image untouched outside the mask.
        let (img_mean, img_std, count) = masked_mean_std(&image_zm, &mask);
        let (tmp_mean, tmp_std, _) = masked_mean_std(&template.data, &mask);
        let (img_mean, tmp_mean) = (img_mean as f32, tmp_mean as f32);
        let template_zm: Vec<f32> =
            template.data.iter().zip(&mask).map(|(&t, &m)| if m != 0 { t - tmp_mean } else { 0.0 }).collect();
        image_zm.iter_mut().zip(&mask).for_each(|(v, &m)| {
            if m != 0 {
                *v -= img_mean;
            }
        });
        let tmp_norm = (count as f64 * tmp_std * tmp_std).sqrt();
        let img_norm = (count as f64 * img_std * img_std).sqrt();

        let mut h = [0.0f32; 9];
        for (o, v) in h.iter_mut().zip(map.iter().flatten()) {
            *o = *v;
        }
        let state = Iterate { width: ws, h, image_zm, template_zm, gx: &gx, gy: &gy };

        // Hessian (float32) and its float32 LU inverse, projections, ρ.
        let moments = over_row_chunks(hs, |rows| state.moments(rows)).iter().fold(Moments::zero(), Moments::add);
        let hessian: Matrix =
            std::array::from_fn(|a| std::array::from_fn(|b| moments.hessian[a.min(b) * N + a.max(b)] as f32));
        let hessian_inv = lu::invert(&hessian);
        let image_proj = moments.image_proj.map(|v| v as f32);
        let template_proj = moments.template_proj.map(|v| v as f32);
        let correlation = moments.correlation;

        rho = correlation / (img_norm * tmp_norm);
        if rho.is_nan() {
            return Err(MetricsError::EccFailed { iteration, reason: "NaN encountered (the images may not overlap)" });
        }

        // λ accounts for the illumination difference.
        let image_proj_hessian = mat_vec(&hessian_inv, &image_proj);
        let lambda_n = img_norm * img_norm - dot(&image_proj, &image_proj_hessian);
        let lambda_d = correlation - dot(&template_proj, &image_proj_hessian);
        if lambda_d <= 0.0 {
            return Err(MetricsError::EccFailed {
                iteration,
                reason: "the correlation would be minimized (OpenCV: \"The algorithm stopped before \
                         its convergence\"); the images may be uncorrelated or non-overlapping",
            });
        }
        let lambda = (lambda_n / lambda_d) as f32;

        let error_proj = over_row_chunks(hs, |rows| state.error_projection(rows, lambda))
            .iter()
            .fold([0.0f64; N], |mut acc, p| {
                acc.iter_mut().zip(p).for_each(|(a, b)| *a += b);
                acc
            })
            .map(|v| v as f32);
        let delta = mat_vec(&hessian_inv, &error_proj);

        // update_warping_matrix_ECC, parameter order h00 h10 h20 h01 h11 h21 h02 h12.
        map[0][0] += delta[0];
        map[1][0] += delta[1];
        map[2][0] += delta[2];
        map[0][1] += delta[3];
        map[1][1] += delta[4];
        map[2][1] += delta[5];
        map[0][2] += delta[6];
        map[1][2] += delta[7];
    }
    Ok(EccOutcome { warp: map, rho })
}

/// Evaluates `f` on fixed chunks of `ROWS_PER_CHUNK` rows in parallel and
/// returns the results in row order.
fn over_row_chunks<T: Send>(height: usize, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    (0..height.div_ceil(ROWS_PER_CHUNK))
        .into_par_iter()
        .map(|c| f(c * ROWS_PER_CHUNK..((c + 1) * ROWS_PER_CHUNK).min(height)))
        .collect()
}

/// A float32 matrix–vector product accumulated in double (`gemm` for small
/// float32 matrices), rounded to float32.
fn mat_vec(m: &Matrix, v: &[f32; N]) -> [f32; N] {
    std::array::from_fn(|i| m[i].iter().zip(v).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum::<f64>() as f32)
}

/// `Mat::dot` of two float32 vectors, returned in double.
fn dot(a: &[f32; N], b: &[f32; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum()
}
