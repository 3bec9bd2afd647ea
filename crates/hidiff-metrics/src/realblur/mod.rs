//! Protocol 3: `evaluate_realblur.py` (RealBlur-J and RealBlur-R, reference
//! section 6.2), reproducing OpenCV 4.8.1, NumPy 1.26.4 and scikit-image 0.22.
//!
//! Per pair, with `x` the ground truth and `z` the prediction, both
//! `float32(u8)/255`:
//!
//! 1. [`intensity`]: `alpha = Σxz / Σzz` (NumPy 1.x float32 summation order),
//!    `zs = alpha·z`;
//! 2. [`ecc`]: `findTransformECC(gray(x), gray(zs), I, MOTION_HOMOGRAPHY,
//!    100 iterations, eps 0, gaussFiltSize 5)`;
//! 3. [`warp`]: `zr = warpPerspective(zs, H, INTER_CUBIC | WARP_INVERSE_MAP,
//!    BORDER_REFLECT)` on OpenCV's 1/32-pixel grid, and the nearest-neighbour
//!    validity mask `cr`; `zr ← zr·cr`, `xr = x·cr`;
//! 4. [`score`]: masked PSNR and masked scikit-image SSIM (crop 5).
//!
//! Every stage is public so that it can be checked against reference values
//! on its own. ECC is chaotic on real pairs (see [`ecc`]); the end-to-end
//! values agree with the reference to ~1e-3 dB, the stages much more closely.

pub mod ecc;
pub mod float_image;
pub mod fused;
pub mod intensity;
pub mod lu;
pub mod score;
pub mod smooth;
pub mod warp;

use serde::{Deserialize, Serialize};

pub use ecc::{find_transform_ecc, EccOutcome};
pub use float_image::FloatImage;
pub use warp::{Warp, IDENTITY};

use crate::error::Result;
use crate::image_u8::RgbImageU8;

/// Iterations of the official script (`number_of_iterations = 100`).
pub const ECC_ITERATIONS: usize = 100;

/// The full outcome of the RealBlur protocol on one pair, with the
/// intermediate quantities useful for diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealBlurResult {
    /// Masked PSNR in dB.
    pub psnr: f64,
    /// Masked SSIM (a float32 value in the reference, widened).
    pub ssim: f64,
    /// Per-channel masked SSIM, `[R, G, B]`.
    pub ssim_per_channel: Vec<f32>,
    /// The intensity-matching scale `alpha`.
    pub alpha: f32,
    /// ECC's correlation coefficient ρ (OpenCV's return value).
    pub rho: f64,
    /// The ECC homography (row-major, for `WARP_INVERSE_MAP`).
    pub warp_matrix: Warp,
    /// Number of valid pixels of the mask `cr` (per channel).
    pub valid_pixels: usize,
}

/// Runs the whole `proc((gt, pred))` of `evaluate_realblur.py`.
pub fn evaluate(gt: &RgbImageU8, pred: &RgbImageU8) -> Result<RealBlurResult> {
    evaluate_with_iterations(gt, pred, ECC_ITERATIONS)
}

/// [`evaluate`] with another ECC iteration count (the protocol uses 100).
pub fn evaluate_with_iterations(gt: &RgbImageU8, pred: &RgbImageU8, iterations: usize) -> Result<RealBlurResult> {
    RgbImageU8::check_same_size(gt, pred)?;
    gt.check_min_size(gt.width(), gt.height(), crate::gaussian::TAPS, "RealBlur (SSIM needs 11×11)")?;
    let x = FloatImage::from_u8(gt);
    let z = FloatImage::from_u8(pred);
    let alpha = intensity::intensity_scale(&x, &z);
    let zs = intensity::scale(&z, alpha);
    let ecc = find_transform_ecc(&intensity::rgb_to_gray(&x), &intensity::rgb_to_gray(&zs), IDENTITY, iterations)?;
    let (aligned, mask) = align(&zs, &ecc.warp, x.width, x.height);
    let psnr = score::masked_psnr(&x, &aligned, &mask)?;
    let (ssim, ssim_per_channel) = score::masked_ssim(&x, &aligned, &mask)?;
    Ok(RealBlurResult {
        psnr,
        ssim: f64::from(ssim),
        ssim_per_channel,
        alpha,
        rho: ecc.rho,
        warp_matrix: ecc.warp,
        valid_pixels: mask.iter().map(|&m| usize::from(m)).sum(),
    })
}

/// Step 4 (`image_align` after ECC): warps the intensity-matched prediction
/// onto the `width × height` ground-truth grid and masks it.
///
/// Returns `zr·cr` and the per-pixel mask `cr` (0/1, `height × width`).
pub fn align(zs: &FloatImage, warp: &Warp, width: usize, height: usize) -> (FloatImage, Vec<u8>) {
    let mut zr = warp::warp_cubic_reflect(zs, warp, width, height);
    let mask = warp::nearest_valid_mask(warp, zs.width, zs.height, width, height);
    let cn = zr.channels;
    for (px, &m) in zr.data.chunks_exact_mut(cn).zip(&mask) {
        let cr = f32::from(m);
        px.iter_mut().for_each(|v| *v *= cr);
    }
    (zr, mask)
}
