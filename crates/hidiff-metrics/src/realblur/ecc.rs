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
//! threads).

use rayon::prelude::*;

use super::float_image::FloatImage;
use super::lu::{self, Matrix, N};
use super::smooth::{gaussian_blur_5x5, gradients};
use super::warp::{nearest_valid_mask, remap_linear, source_positions, Warp};
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
    /// Upper triangle (with diagonal) of `JᵀJ`, indexed `i*N + j`, `j ≥ i`.
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
        Self {
            hessian: [0.0; N * N],
            image_proj: [0.0; N],
            template_proj: [0.0; N],
            correlation: 0.0,
        }
    }

    fn add(mut self, o: &Self) -> Self {
        self.hessian
            .iter_mut()
            .zip(&o.hessian)
            .for_each(|(a, b)| *a += b);
        self.image_proj
            .iter_mut()
            .zip(&o.image_proj)
            .for_each(|(a, b)| *a += b);
        self.template_proj
            .iter_mut()
            .zip(&o.template_proj)
            .for_each(|(a, b)| *a += b);
        self.correlation += o.correlation;
        self
    }
}

/// The per-pixel Jacobian of the warped image with respect to the 8
/// homography parameters, `image_jacobian_homo_ECC`.
///
/// Parameter order `[h00, h10, h20, h01, h11, h21, h02, h12]`; with
/// `d = h20·x + h21·y + 1`, `gx = Gx/d`, `gy = Gy/d`,
/// `t = −(x'·gx + y'·gy)` it is `[gx·x, gy·x, t·x, gx·y, gy·y, t·y, gx, gy]`.
/// OpenCV builds `d` and `−x'·d` with `addWeighted`, whose AVX2 kernel fuses
/// the multiply-adds; the rest are separate float32 operations.
#[derive(Clone, Copy)]
struct JacobianHomography {
    h: [f32; 9],
}

impl JacobianHomography {
    #[inline]
    fn at(&self, x: f32, y: f32, gx: f32, gy: f32) -> [f32; N] {
        let h = &self.h;
        let den = x.mul_add(h[6], y.mul_add(h[7], 1.0));
        let hat_x = x.mul_add(-h[0], y.mul_add(-h[1], -h[2])) / den;
        let hat_y = x.mul_add(-h[3], y.mul_add(-h[4], -h[5])) / den;
        let gxd = gx / den;
        let gyd = gy / den;
        let t = hat_x * gxd + hat_y * gyd;
        [gxd * x, gyd * x, t * x, gxd * y, gyd * y, t * y, gxd, gyd]
    }
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
        let mut warped = remap_linear(&image, &positions, ws, hs).data;
        let gx_warped = remap_linear(&grad_x, &positions, ws, hs).data;
        let gy_warped = remap_linear(&grad_y, &positions, ws, hs).data;
        let mask = nearest_valid_mask(&map, wd, hd, ws, hs);

        // Zero-mean images. `subtract(..., mask)` converts the mean to float32
        // and leaves the warped image untouched outside the mask.
        let (img_mean, img_std, count) = masked_mean_std(&warped, &mask);
        let (tmp_mean, tmp_std, _) = masked_mean_std(&template.data, &mask);
        let (img_mean, tmp_mean) = (img_mean as f32, tmp_mean as f32);
        let template_zm: Vec<f32> = template
            .data
            .iter()
            .zip(&mask)
            .map(|(&t, &m)| if m != 0 { t - tmp_mean } else { 0.0 })
            .collect();
        warped.iter_mut().zip(&mask).for_each(|(v, &m)| {
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
        let jac = JacobianHomography { h };
        let jacobian_at = |idx: usize| {
            let (x, y) = ((idx % ws) as f32, (idx / ws) as f32);
            jac.at(x, y, gx_warped[idx], gy_warped[idx])
        };

        let mode = std::env::var("HIDIFF_ECC_MODE").unwrap_or_default();
        let mut hessian: Matrix = [[0.0; N]; N];
        let image_proj: [f32; N];
        let template_proj: [f32; N];
        let correlation: f64;
        let mut jplanes: Vec<Vec<f32>> = Vec::new();
        if mode.is_empty() {
        let moments = reduce_rows(ws, hs, Moments::zero, Moments::add, |idx, acc: &mut Moments| {
            let j = jacobian_at(idx);
            let (iz, tz) = (f64::from(warped[idx]), f64::from(template_zm[idx]));
            for a in 0..N {
                let ja = f64::from(j[a]);
                for b in a..N {
                    acc.hessian[a * N + b] += ja * f64::from(j[b]);
                }
                acc.image_proj[a] += ja * iz;
                acc.template_proj[a] += ja * tz;
            }
            acc.correlation += tz * iz;
        });
        for a in 0..N {
            for b in a..N {
                hessian[a][b] = moments.hessian[a * N + b] as f32;
                hessian[b][a] = hessian[a][b];
            }
        }
        image_proj = moments.image_proj.map(|v| v as f32);
        template_proj = moments.template_proj.map(|v| v as f32);
        correlation = moments.correlation;
        } else {
            let lanes: usize = mode[1..].parse().unwrap_or(8);
            let fma = mode.starts_with('f');
            jplanes = vec![vec![0f32; ws * hs]; N];
            for idx in 0..ws * hs {
                let j = jacobian_at(idx);
                for k in 0..N { jplanes[k][idx] = j[k]; }
            }
            for a in 0..N {
                let na: f64 = jplanes[a].iter().map(|v| f64::from(*v) * f64::from(*v)).sum();
                hessian[a][a] = na.sqrt().powi(2) as f32;
                for b in a + 1..N {
                    hessian[a][b] = dot_rows(&jplanes[a], &jplanes[b], ws, lanes, fma) as f32;
                    hessian[b][a] = hessian[a][b];
                }
            }
            image_proj = std::array::from_fn(|k| dot_rows(&warped, &jplanes[k], ws, lanes, fma) as f32);
            template_proj = std::array::from_fn(|k| dot_rows(&template_zm, &jplanes[k], ws, lanes, fma) as f32);
            correlation = dot_prod_32f(&template_zm, &warped, lanes, fma);
        }
        let hessian_inv = lu::invert(&hessian);

        rho = correlation / (img_norm * tmp_norm);
        if rho.is_nan() {
            return Err(MetricsError::EccFailed {
                iteration,
                reason: "NaN encountered (the images may not overlap)",
            });
        }

        let image_proj_hessian = mat_vec(&hessian_inv, &image_proj);
        let (dn, dd) = if mode.is_empty() { (dot(&image_proj, &image_proj_hessian), dot(&template_proj, &image_proj_hessian)) } else {
            let lanes: usize = mode[1..].parse().unwrap_or(8);
            let fma = mode.starts_with('f');
            (dot_prod_32f(&image_proj, &image_proj_hessian, lanes, fma), dot_prod_32f(&template_proj, &image_proj_hessian, lanes, fma))
        };
        let lambda_n = img_norm * img_norm - dn;
        let lambda_d = correlation - dd;
        if lambda_d <= 0.0 {
            return Err(MetricsError::EccFailed {
                iteration,
                reason:
                    "the correlation would be minimized (OpenCV: \"The algorithm stopped before \
                         its convergence\"); the images may be uncorrelated or non-overlapping",
            });
        }
        let lambda = (lambda_n / lambda_d) as f32;

        // error = λ·Tz − Iz (addWeighted, fused on AVX2), projected on J.
        let error_proj: [f32; N] = if mode.is_empty() { reduce_rows(
            ws,
            hs,
            || [0.0f64; N],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
            |idx, acc: &mut [f64; N]| {
                let e = f64::from(template_zm[idx].mul_add(lambda, -warped[idx]));
                let j = jacobian_at(idx);
                for (a, ja) in acc.iter_mut().zip(j) {
                    *a += f64::from(ja) * e;
                }
            },
        )
        .map(|v| v as f32) } else {
            let lanes: usize = mode[1..].parse().unwrap_or(8);
            let fma = mode.starts_with('f');
            let err: Vec<f32> = template_zm.iter().zip(&warped).map(|(t, w)| if fma { t.mul_add(lambda, -w) } else { t * lambda - w }).collect();
            std::array::from_fn(|k| dot_rows(&err, &jplanes[k], ws, lanes, fma) as f32)
        };
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

/// Folds `per_pixel` over all `width × height` pixels in fixed row chunks (in
/// parallel), then combines the chunk results in order.
fn reduce_rows<T: Send + Copy>(
    width: usize,
    height: usize,
    zero: impl Fn() -> T + Sync,
    combine: impl Fn(T, &T) -> T,
    per_pixel: impl Fn(usize, &mut T) + Sync,
) -> T {
    let chunks = height.div_ceil(ROWS_PER_CHUNK);
    let partial: Vec<T> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut acc = zero();
            let rows = c * ROWS_PER_CHUNK..((c + 1) * ROWS_PER_CHUNK).min(height);
            for idx in rows.start * width..rows.end * width {
                per_pixel(idx, &mut acc);
            }
            acc
        })
        .collect();
    partial.iter().fold(zero(), combine)
}

/// A float32 matrix–vector product accumulated in double (`gemm` for small
/// float32 matrices), rounded to float32.
fn mat_vec(m: &Matrix, v: &[f32; N]) -> [f32; N] {
    std::array::from_fn(|i| {
        m[i].iter()
            .zip(v)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum::<f64>() as f32
    })
}

/// `Mat::dot` of two float32 vectors, returned in double.
fn dot(a: &[f32; N], b: &[f32; N]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

fn dot_rows(a: &[f32], b: &[f32], w: usize, lanes: usize, fma: bool) -> f64 {
    let mut r = 0.0;
    for (ra, rb) in a.chunks_exact(w).zip(b.chunks_exact(w)) {
        r += dot_prod_32f(ra, rb, lanes, fma);
    }
    r
}

fn reduce_sum(acc: &[f32]) -> f32 {
    match acc.len() {
        8 => {
            let s: Vec<f32> = (0..4).map(|i| acc[i] + acc[i + 4]).collect();
            (s[0] + s[2]) + (s[1] + s[3])
        }
        4 => (acc[0] + acc[2]) + (acc[1] + acc[3]),
        16 => {
            let s: Vec<f32> = (0..8).map(|i| acc[i] + acc[i + 8]).collect();
            reduce_sum(&s)
        }
        _ => acc.iter().sum(),
    }
}

fn dot_prod_32f(a: &[f32], b: &[f32], lanes: usize, fma: bool) -> f64 {
    let len = a.len();
    let len0 = len - len % lanes;
    let mut r = 0.0f64;
    let mut i = 0;
    while i < len0 {
        let bs = (len0 - i).min(8192);
        let mut acc = vec![0f32; lanes];
        let mut j = 0;
        while j + lanes <= bs {
            for k in 0..lanes {
                let (x, y) = (a[i + j + k], b[i + j + k]);
                acc[k] = if fma { x.mul_add(y, acc[k]) } else { acc[k] + x * y };
            }
            j += lanes;
        }
        r += f64::from(reduce_sum(&acc));
        i += bs;
    }
    let (t, tb) = (&a[i..], &b[i..]);
    let mut res = 0f64;
    let mut k = 0;
    while k + 4 <= t.len() {
        res += f64::from(t[k]) * f64::from(tb[k]) + f64::from(t[k + 1]) * f64::from(tb[k + 1]) + f64::from(t[k + 2]) * f64::from(tb[k + 2]) + f64::from(t[k + 3]) * f64::from(tb[k + 3]);
        k += 4;
    }
    while k < t.len() {
        res += f64::from(t[k]) * f64::from(tb[k]);
        k += 1;
    }
    r + res
}
