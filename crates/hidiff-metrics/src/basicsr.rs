//! Protocol 1: BasicSR `calculate_psnr` / `calculate_ssim`.
//!
//! Source: BasicSR 1.4.2 `basicsr/metrics/psnr_ssim.py` with `metric_util.py`
//! (`reorder_image`, `to_y_channel`) and `utils/color_util.py` (`bgr2ycbcr`).
//! HI-Diff's validation and `test.py` log these values with `crop_border: 0`
//! and `test_y_channel: false`; they are *not* the paper's numbers (reference
//! section 6.3).
//!
//! BasicSR receives images in BGR order (`cv2.imread`, `tensor2img`); ours are
//! RGB in memory. The RGB-mode results do not depend on the order, but the Y
//! channel does, so [`luma`] maps the channels explicitly.

use crate::error::Result;
use crate::gaussian::{opencv_taps, RADIUS, TAPS};
use crate::image_u8::RgbImageU8;

/// SSIM constant `C1 = (0.01·255)²`.
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
/// SSIM constant `C2 = (0.03·255)²`.
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// A single channel of f64 samples on the `[0, 255]` scale.
struct PlaneF64 {
    width: usize,
    height: usize,
    data: Vec<f64>,
}

/// BT.601 studio luma of one pixel, exactly as BasicSR's `to_y_channel`
/// computes it for a BGR image:
///
/// 1. `v = float32(u8) / 255` in float32;
/// 2. `Y' = v_B·24.966 + v_G·128.553 + v_R·65.481 + 16` in float64
///    (`np.dot` with the BGR weight vector);
/// 3. `/ 255` in float64, rounded to float32 (`bgr2ycbcr`'s output range);
/// 4. `· 255` in float32, then widened to float64 by the metric.
pub fn luma([r, g, b]: [u8; 3]) -> f64 {
    let v = |c: u8| f64::from(f32::from(c) / 255.0f32);
    let y = v(b) * 24.966 + v(g) * 128.553 + v(r) * 65.481 + 16.0;
    let y32 = (y / 255.0) as f32;
    f64::from(y32 * 255.0f32)
}

/// The planes BasicSR works on after `crop_border` and the optional Y
/// conversion: `[B, G, R]` (BasicSR's channel order) or `[Y]`.
fn planes(
    img: &RgbImageU8,
    crop_border: usize,
    test_y_channel: bool,
    min_side: usize,
    what: &'static str,
) -> Result<Vec<PlaneF64>> {
    let width = img.width().saturating_sub(2 * crop_border);
    let height = img.height().saturating_sub(2 * crop_border);
    img.check_min_size(width, height, min_side, what)?;
    let pixels = (crop_border..crop_border + height).flat_map(|y| {
        (crop_border..crop_border + width).map(move |x| {
            let i = (y * img.width() + x) * 3;
            let raw = img.as_raw();
            [raw[i], raw[i + 1], raw[i + 2]]
        })
    });
    let make = |data: Vec<f64>| PlaneF64 { width, height, data };
    if test_y_channel {
        return Ok(vec![make(pixels.map(luma).collect())]);
    }
    let mut bgr =
        [Vec::with_capacity(width * height), Vec::with_capacity(width * height), Vec::with_capacity(width * height)];
    for [r, g, b] in pixels {
        bgr[0].push(f64::from(b));
        bgr[1].push(f64::from(g));
        bgr[2].push(f64::from(r));
    }
    Ok(bgr.into_iter().map(make).collect())
}

/// BasicSR `calculate_psnr(img, img2, crop_border, test_y_channel=...)`.
///
/// One joint MSE over all (cropped) samples, `10·log10(255²/MSE)`, or `+∞`
/// for identical images.
pub fn calculate_psnr(img: &RgbImageU8, img2: &RgbImageU8, crop_border: usize, test_y_channel: bool) -> Result<f64> {
    RgbImageU8::check_same_size(img2, img)?;
    let a = planes(img, crop_border, test_y_channel, 1, "PSNR")?;
    let b = planes(img2, crop_border, test_y_channel, 1, "PSNR")?;
    let mut sum = 0.0;
    let mut count = 0usize;
    for (pa, pb) in a.iter().zip(&b) {
        for (x, y) in pa.data.iter().zip(&pb.data) {
            sum += (x - y) * (x - y);
        }
        count += pa.data.len();
    }
    let mse = sum / count as f64;
    if mse == 0.0 {
        return Ok(f64::INFINITY);
    }
    Ok(10.0 * (255.0 * 255.0 / mse).log10())
}

/// BasicSR `calculate_ssim(img, img2, crop_border, test_y_channel=...)`: the
/// unweighted mean of [`calculate_ssim_channels`].
pub fn calculate_ssim(img: &RgbImageU8, img2: &RgbImageU8, crop_border: usize, test_y_channel: bool) -> Result<f64> {
    let per_channel = calculate_ssim_channels(img, img2, crop_border, test_y_channel)?;
    Ok(per_channel.iter().sum::<f64>() / per_channel.len() as f64)
}

/// Per-channel SSIM in **BasicSR's channel order**: `[B, G, R]`, or `[Y]`
/// with `test_y_channel`.
///
/// Each value is BasicSR `_ssim`: 11×11 Gaussian (σ 1.5) local statistics on
/// the `[0, 255]` scale in float64, only the valid `(H−10)×(W−10)` region,
/// `C1 = (0.01·255)²`, `C2 = (0.03·255)²`, the plain mean of the map.
pub fn calculate_ssim_channels(
    img: &RgbImageU8,
    img2: &RgbImageU8,
    crop_border: usize,
    test_y_channel: bool,
) -> Result<Vec<f64>> {
    RgbImageU8::check_same_size(img2, img)?;
    let what = "SSIM (11×11 window after crop_border)";
    let a = planes(img, crop_border, test_y_channel, TAPS, what)?;
    let b = planes(img2, crop_border, test_y_channel, TAPS, what)?;
    Ok(a.iter().zip(&b).map(|(x, y)| ssim_plane(x, y)).collect())
}

/// BasicSR `_ssim` on one plane.
fn ssim_plane(x: &PlaneF64, y: &PlaneF64) -> f64 {
    let taps = opencv_taps();
    let xx: Vec<f64> = x.data.iter().map(|v| v * v).collect();
    let yy: Vec<f64> = y.data.iter().map(|v| v * v).collect();
    let xy: Vec<f64> = x.data.iter().zip(&y.data).map(|(a, b)| a * b).collect();
    let (w, h) = (x.width, x.height);
    let mu1 = filter_valid(&x.data, w, h, &taps);
    let mu2 = filter_valid(&y.data, w, h, &taps);
    let s11 = filter_valid(&xx, w, h, &taps);
    let s22 = filter_valid(&yy, w, h, &taps);
    let s12 = filter_valid(&xy, w, h, &taps);
    let mut sum = 0.0;
    for i in 0..mu1.len() {
        let (m1, m2) = (mu1[i], mu2[i]);
        let (m1_sq, m2_sq, m12) = (m1 * m1, m2 * m2, m1 * m2);
        let sigma1_sq = s11[i] - m1_sq;
        let sigma2_sq = s22[i] - m2_sq;
        let sigma12 = s12[i] - m12;
        sum += ((2.0 * m12 + C1) * (2.0 * sigma12 + C2)) / ((m1_sq + m2_sq + C1) * (sigma1_sq + sigma2_sq + C2));
    }
    sum / mu1.len() as f64
}

/// 11×11 separable correlation keeping only the valid region
/// (`cv2.filter2D(...)[5:-5, 5:-5]`): output `(h−10)×(w−10)`, row-major.
/// A separable float64 filter agrees with OpenCV's 2-D one to ~1e-14.
fn filter_valid(src: &[f64], w: usize, h: usize, taps: &[f64; TAPS]) -> Vec<f64> {
    let ow = w - 2 * RADIUS;
    let oh = h - 2 * RADIUS;
    // Horizontal pass on every row, valid columns only.
    let mut rows = vec![0.0; h * ow];
    for y in 0..h {
        let line = &src[y * w..(y + 1) * w];
        for x in 0..ow {
            rows[y * ow + x] = taps.iter().zip(&line[x..x + TAPS]).map(|(t, v)| t * v).sum();
        }
    }
    // Vertical pass, valid rows only.
    let mut out = vec![0.0; oh * ow];
    for y in 0..oh {
        for (k, t) in taps.iter().enumerate() {
            let line = &rows[(y + k) * ow..(y + k + 1) * ow];
            for (o, v) in out[y * ow..(y + 1) * ow].iter_mut().zip(line) {
                *o += t * v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_uses_bgr_weights_on_rgb_memory() {
        // Pure red (RGB order in memory) gets the R weight 65.481.
        let y = luma([255, 0, 0]);
        assert!((y - (65.481 + 16.0)).abs() < 1e-4, "{y}");
        let y = luma([0, 0, 255]);
        assert!((y - (24.966 + 16.0)).abs() < 1e-4, "{y}");
    }

    #[test]
    fn identical_images_give_infinite_psnr_and_unit_ssim() {
        let data: Vec<u8> = (0..16 * 16 * 3).map(|i| (i * 37 % 251) as u8).collect();
        let img = RgbImageU8::from_raw(16, 16, data).expect("valid buffer");
        assert_eq!(calculate_psnr(&img, &img, 0, false).ok(), Some(f64::INFINITY));
        let ssim = calculate_ssim(&img, &img, 0, true).expect("16×16 is large enough");
        assert!((ssim - 1.0).abs() < 1e-12);
    }

    #[test]
    fn crop_border_too_large_is_an_error() {
        let img = RgbImageU8::from_raw(16, 16, vec![0; 16 * 16 * 3]).expect("valid buffer");
        assert!(calculate_ssim(&img, &img, 3, false).is_err());
        assert!(calculate_psnr(&img, &img, 8, false).is_err());
    }
}
