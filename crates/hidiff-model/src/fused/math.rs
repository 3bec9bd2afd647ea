//! Branch-free `f32` functions for the fused CPU kernels: `exp`, `erf` and the
//! normal CDF/PDF of the exact GELU. They use only `+ - * /`, `min`/`max` and bit
//! casts, so that LLVM vectorises the loops that call them (libm's `erff`/`expf`
//! are scalar calls and keep a loop scalar).

use std::f32::consts::{FRAC_1_SQRT_2, LOG2_E};

/// `1 / sqrt(2 pi)`.
const INV_SQRT_2PI: f32 = 0.398_942_3;

/// `e^x` to ~2 ulp for `x` in `[-87, 88]`; inputs outside are clamped (so `e^x`
/// underflows to ~1.6e-38 instead of 0 below -87).
///
/// `x = n ln 2 + r` with `n` rounded to nearest (`|r| <= ln 2 / 2`), `e^r` by its
/// Taylor polynomial of degree 7 (remainder below 6e-9), and `2^n` built in the
/// exponent bits.
#[inline(always)]
// max/min rather than clamp: two branch-free instructions that vectorise.
#[allow(clippy::manual_clamp)]
pub fn exp(x: f32) -> f32 {
    // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    // ln 2 split in a part with few bits (exact products n * LN2_HI) and the rest.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.max(-87.0).min(88.0);
    let shifted = x * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let n_int = shifted.to_bits().wrapping_sub(ROUND.to_bits()); // n as two's complement, |n| <= 127
    let scale = f32::from_bits(n_int.wrapping_add(127) << 23);
    p * scale
}

/// `erf(x)` to ~6 ulp (absolute error below 4e-7) for all `x`.
///
/// A rational approximation `x P(x²) / Q(x²)` (degrees 5 and 5) fitted for this
/// crate by iterated weighted least squares on the relative error over
/// `[0, 4]`; beyond 4, `erf` rounds to ±1 in `f32` and the input is clamped.
#[inline(always)]
// max/min rather than clamp (branch-free, vectorises); the coefficients are the
// fit's, digit for digit (the first is close to, but is not, 2/sqrt(pi)).
#[allow(clippy::manual_clamp, clippy::approx_constant, clippy::excessive_precision)]
pub fn erf(x: f32) -> f32 {
    let x = x.max(-4.0).min(4.0);
    let u = x * x;
    let p = 1.128_379_1
        + u * (0.193_458_86 + u * (0.053_091_023 + u * (0.003_879_863_8 + u * (2.845_244_9e-4 + u * 1.987_902_6e-6))));
    let q = 1.0 + u * (0.504_781 + u * (0.115_314_99 + u * (0.015_200_213 + u * (0.001_184_798_7 + u * 3.742_968e-5))));
    x * p / q
}

/// The standard normal CDF `Φ(x) = (1 + erf(x / √2)) / 2`.
#[inline(always)]
pub fn normal_cdf(x: f32) -> f32 {
    0.5 * (1.0 + erf(x * FRAC_1_SQRT_2))
}

/// The standard normal density `φ(x) = exp(-x²/2) / √(2π)`.
#[inline(always)]
pub fn normal_pdf(x: f32) -> f32 {
    exp(-0.5 * x * x) * INV_SQRT_2PI
}

/// The test reference: `erf` in f64 by its Taylor series (|x| < 3) or continued fraction, ~1e-14.
/// `Σ a b` in eight `f32` lanes (vectorisable), summed in `f64`.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0f32; 8];
    for (a8, b8) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for l in 0..8 {
            lanes[l] += a8[l] * b8[l];
        }
    }
    let tail = a.len() - a.len() % 8;
    let mut s: f64 = lanes.iter().map(|v| *v as f64).sum();
    for k in tail..a.len() {
        s += (a[k] * b[k]) as f64;
    }
    s
}

#[cfg(test)]
pub(crate) fn erf64(x: f64) -> f64 {
    if x.abs() < 3.0 {
        let (mut sum, mut term) = (x, x);
        for n in 1..120 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        let t = x.abs();
        let mut f = 0.0;
        for k in (1..80).rev() {
            f = k as f64 / 2.0 / (t + f);
        }
        (1.0 - (-t * t).exp() / std::f64::consts::PI.sqrt() / (t + f)).copysign(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_a_few_ulp() {
        let mut worst = 0f64;
        for i in -87_000..88_000 {
            let x = i as f32 * 1e-3 + 3.7e-4;
            let want = (x as f64).exp();
            let rel = ((exp(x) as f64 - want) / want).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 3e-7, "exp: worst relative error {worst}");
        assert!(exp(-200.0) < 1e-37 && exp(-200.0) >= 0.0);
    }

    #[test]
    fn erf_is_accurate_to_f32() {
        let mut worst = 0f64;
        for i in -600_000..600_000 {
            let x = i as f32 * 1e-5;
            let want = erf64(x as f64);
            worst = worst.max((erf(x) as f64 - want).abs());
            if x != 0.0 && x.abs() < 0.5 {
                let rel = ((erf(x) as f64 - want) / want).abs();
                assert!(rel < 5e-7, "erf({x}) relative error {rel}");
            }
        }
        assert!(worst < 4e-7, "erf: worst absolute error {worst}");
        assert_eq!(erf(10.0), 1.0);
        assert_eq!(erf(-10.0), -1.0);
    }

    #[test]
    fn normal_pdf_is_the_cdf_derivative() {
        for i in -40..40 {
            let x = i as f64 * 0.1 + 0.05;
            let h = 1e-3;
            let d = (erf64((x + h) / 2f64.sqrt()) - erf64((x - h) / 2f64.sqrt())) / (4.0 * h);
            assert!((normal_pdf(x as f32) as f64 - d).abs() < 1e-6, "pdf({x})");
            let cdf = 0.5 * (1.0 + erf64(x / 2f64.sqrt()));
            assert!((normal_cdf(x as f32) as f64 - cdf).abs() < 4e-7, "cdf({x})");
        }
    }
}
