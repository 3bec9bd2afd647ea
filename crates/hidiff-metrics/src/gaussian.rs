//! The 11-tap Gaussian (σ = 1.5) shared by all SSIM variants.
//!
//! The three reference implementations build the same kernel with slightly
//! different floating-point recipes; each recipe is reproduced here so that the
//! taps agree with the reference to the last bit or two:
//!
//! * OpenCV `getGaussianKernel(11, 1.5)` (BasicSR): `exp(−k²/(2σ²))`,
//!   normalised by multiplying with `1/Σ`.
//! * MATLAB `ssim` (GoPro/HIDE): the same weights divided by their sum; the
//!   11×11×11 filter is the outer product of three such vectors.
//! * SciPy `_gaussian_kernel1d(1.5, 0, 5)` (scikit-image, RealBlur):
//!   `exp(−0.5/σ² · k²)` divided by NumPy's pairwise sum of the taps.
//!
//! The differences between the recipes are ~1e-17, far below every tolerance;
//! keeping them apart documents where each value comes from.

/// Half-width of every window: `ceil(3σ) = int(3.5σ + 0.5) = 5`.
pub const RADIUS: usize = 5;

/// Number of taps, `2·RADIUS + 1`.
pub const TAPS: usize = 2 * RADIUS + 1;

/// Standard deviation of every SSIM window.
pub const SIGMA: f64 = 1.5;

/// OpenCV `getGaussianKernel(11, 1.5, CV_64F)`, as BasicSR's `_ssim` builds it.
pub fn opencv_taps() -> [f64; TAPS] {
    let scale2 = -0.5 / (SIGMA * SIGMA);
    let mut taps = [0.0; TAPS];
    let mut sum = 0.0;
    for (i, t) in taps.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *t = (scale2 * x * x).exp();
        sum += *t;
    }
    let inv = 1.0 / sum;
    taps.iter_mut().for_each(|t| *t *= inv);
    taps
}

/// The 1-D factor of MATLAB `ssim`'s `11×11×11` Gaussian weighting filter
/// (`radius = 1.5`, `filtRadius = ceil(3·1.5)`), normalised to sum 1.
pub fn matlab_taps() -> [f64; TAPS] {
    let mut taps = [0.0; TAPS];
    for (i, t) in taps.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *t = (-(x * x) / (2.0 * SIGMA * SIGMA)).exp();
    }
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|t| *t /= sum);
    taps
}

/// SciPy `ndimage._gaussian_kernel1d(sigma=1.5, order=0, radius=5)`, the
/// weights of scikit-image's `gaussian_filter` (truncate 3.5).
pub fn scipy_taps() -> [f64; TAPS] {
    let sigma2 = SIGMA * SIGMA;
    let mut taps = [0.0; TAPS];
    for (i, t) in taps.iter_mut().enumerate() {
        let x = i as f64 - RADIUS as f64;
        *t = (-0.5 / sigma2 * (x * x)).exp();
    }
    // NumPy's pairwise sum of 11 values: eight partial sums combined as a tree,
    // then the remaining three added one by one.
    let p = &taps;
    let mut sum = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    sum += p[8];
    sum += p[9];
    sum += p[10];
    taps.iter_mut().for_each(|t| *t /= sum);
    taps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference section 6.1 lists the taps for offsets −5..0.
    #[test]
    fn taps_match_the_reference_table() {
        let expected = [0.0010283801, 0.0075987581, 0.0360007721, 0.1093606895, 0.2130055377, 0.2660117249];
        for taps in [opencv_taps(), matlab_taps(), scipy_taps()] {
            for (k, e) in expected.iter().enumerate() {
                assert!((taps[k] - e).abs() < 1e-10, "tap {k}: {} vs {e}", taps[k]);
                assert_eq!(taps[k], taps[TAPS - 1 - k], "kernel must be symmetric");
            }
            assert!((taps.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        }
    }
}
