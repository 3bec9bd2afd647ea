//! Steps 5–6 of `evaluate_realblur.py`: the masked PSNR (`compute_psnr`) and
//! the masked SSIM (`compute_ssim`, built on scikit-image 0.22
//! `structural_similarity`).
//!
//! Inputs are the ground truth `x` (float32, `/255`), the aligned prediction
//! `zr·cr` and the per-pixel validity mask `cr` (identical in all channels).
//! The statistics are computed on the *masked* images, so the zeros outside
//! the valid region leak into SSIM near the mask edge; that is the protocol.

use super::float_image::FloatImage;
use super::warp::reflect;
use crate::error::{MetricsError, Result};
use crate::gaussian::{scipy_taps, RADIUS, TAPS};

/// `(K1·data_range)²` with `data_range = 1`, as the float32 SSIM map sees it.
const C1: f32 = (0.01f64 * 0.01f64) as f32;
/// `(K2·data_range)²`.
const C2: f32 = (0.03f64 * 0.03f64) as f32;

/// `compute_psnr(xr, zr, cr, data_range=1)`:
/// `err = Σ(xr − zr)² / Σcr` (float32 differences and squares, float64 sum),
/// `PSNR = 10·log10(1/err)`; `+∞` if the valid region matches exactly.
pub fn masked_psnr(gt: &FloatImage, aligned: &FloatImage, mask: &[u8]) -> Result<f64> {
    let cn = gt.channels;
    let mut sum = 0.0f64;
    let mut valid = 0usize;
    for ((x, z), &m) in gt.data.chunks_exact(cn).zip(aligned.data.chunks_exact(cn)).zip(mask) {
        let cr = f32::from(m);
        for (&xv, &zv) in x.iter().zip(z) {
            let d = xv * cr - zv;
            sum += f64::from(d * d);
        }
        valid += usize::from(m);
    }
    if valid == 0 {
        return Err(MetricsError::EmptyValidRegion { what: "(whole image)" });
    }
    let err = sum / (valid * cn) as f64;
    if err == 0.0 {
        return Ok(f64::INFINITY);
    }
    Ok(10.0 * (1.0 / err).log10())
}

/// `compute_ssim(xr, zr, cr)`: the per-channel scikit-image SSIM maps of the
/// masked images, multiplied by `cr`, cropped by 5 pixels on every side,
/// `Σ map / Σ cr` per channel, then the mean of the three channel values.
///
/// Returns the float32 mean and the per-channel values. The sums follow
/// NumPy's `sum(axis=0).sum(axis=0)` order (sequential float32 over rows,
/// then over columns).
pub fn masked_ssim(gt: &FloatImage, aligned: &FloatImage, mask: &[u8]) -> Result<(f32, Vec<f32>)> {
    let (w, h, cn) = (gt.width, gt.height, gt.channels);
    if w < TAPS || h < TAPS {
        return Err(MetricsError::TooSmall {
            path: crate::error::memory_label(),
            width: w,
            height: h,
            min: TAPS,
            what: "RealBlur SSIM (scikit-image needs an 11×11 window)",
        });
    }
    let taps = scipy_taps();
    let mut per_channel = Vec::with_capacity(cn);
    for c in 0..cn {
        let xr: Vec<f32> = (0..w * h).map(|i| gt.data[i * cn + c] * f32::from(mask[i])).collect();
        let zr: Vec<f32> = (0..w * h).map(|i| aligned.data[i * cn + c]).collect();
        let map = ssim_map(&xr, &zr, w, h, &taps);
        // Masked, cropped sums in NumPy's order.
        let (mut map_sum, mut cr_sum) = (0.0f32, 0.0f32);
        let mut col_map = vec![0.0f32; w - 2 * RADIUS];
        let mut col_cr = vec![0.0f32; w - 2 * RADIUS];
        for y in RADIUS..h - RADIUS {
            for (k, x) in (RADIUS..w - RADIUS).enumerate() {
                let cr = f32::from(mask[y * w + x]);
                col_map[k] += map[y * w + x] * cr;
                col_cr[k] += cr;
            }
        }
        for (m, cr) in col_map.iter().zip(&col_cr) {
            map_sum += m;
            cr_sum += cr;
        }
        if cr_sum == 0.0 {
            return Err(MetricsError::EmptyValidRegion { what: "inside the 5-pixel SSIM crop" });
        }
        per_channel.push(map_sum / cr_sum);
    }
    let mut total = 0.0f32;
    for v in &per_channel {
        total += v;
    }
    Ok((total / cn as f32, per_channel))
}

/// scikit-image `structural_similarity(..., gaussian_weights=True,
/// use_sample_covariance=False, data_range=1.0, full=True)` map of one float32
/// channel, in float32 arithmetic.
fn ssim_map(x: &[f32], y: &[f32], w: usize, h: usize, taps: &[f64; TAPS]) -> Vec<f32> {
    let filter = |v: &[f32]| gaussian_filter_f32(v, w, h, taps);
    let ux = filter(x);
    let uy = filter(y);
    let xx: Vec<f32> = x.iter().map(|a| a * a).collect();
    let yy: Vec<f32> = y.iter().map(|a| a * a).collect();
    let xy: Vec<f32> = x.iter().zip(y).map(|(a, b)| a * b).collect();
    let uxx = filter(&xx);
    let uyy = filter(&yy);
    let uxy = filter(&xy);
    (0..w * h)
        .map(|i| {
            let (ux, uy) = (ux[i], uy[i]);
            let vx = uxx[i] - ux * ux;
            let vy = uyy[i] - uy * uy;
            let vxy = uxy[i] - ux * uy;
            let a1 = 2.0 * ux * uy + C1;
            let a2 = 2.0 * vxy + C2;
            let b1 = ux * ux + uy * uy + C1;
            let b2 = vx + vy + C2;
            (a1 * a2) / (b1 * b2)
        })
        .collect()
}

/// `scipy.ndimage.gaussian_filter(img, 1.5, mode='reflect', truncate=3.5)`
/// on a float32 image: `correlate1d` along axis 0, then axis 1, each pass
/// accumulating in double in SciPy's symmetric-kernel order
/// (`centre·w0 + Σ_{k=5..1} (left_k + right_k)·w_k`) and storing float32.
fn gaussian_filter_f32(src: &[f32], w: usize, h: usize, taps: &[f64; TAPS]) -> Vec<f32> {
    // `padded(len)[i + RADIUS + d]` is the reflected index of `i + d`.
    let padded =
        |len: usize| -> Vec<usize> { (0..len + 2 * RADIUS).map(|k| reflect(k as i32 - RADIUS as i32, len)).collect() };
    let pass = |line: &[f64], pad: &[usize], i: usize| -> f32 {
        let v = |k: usize| line[pad[i + k]];
        let mut acc = v(RADIUS) * taps[RADIUS];
        for k in (1..=RADIUS).rev() {
            acc += (v(RADIUS - k) + v(RADIUS + k)) * taps[RADIUS - k];
        }
        acc as f32
    };
    // Axis 0 (down the columns).
    let (pad_h, pad_w) = (padded(h), padded(w));
    let mut cols = vec![0.0f32; w * h];
    let mut line = vec![0.0f64; h];
    for x in 0..w {
        for (y, l) in line.iter_mut().enumerate() {
            *l = f64::from(src[y * w + x]);
        }
        for y in 0..h {
            cols[y * w + x] = pass(&line, &pad_h, y);
        }
    }
    // Axis 1 (along the rows).
    let mut out = vec![0.0f32; w * h];
    let mut line = vec![0.0f64; w];
    for y in 0..h {
        for (l, &v) in line.iter_mut().zip(&cols[y * w..(y + 1) * w]) {
            *l = f64::from(v);
        }
        for x in 0..w {
            out[y * w + x] = pass(&line, &pad_w, x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: usize, h: usize, f: impl Fn(usize) -> f32) -> FloatImage {
        FloatImage { width: w, height: h, channels: 3, data: (0..w * h * 3).map(f).collect() }
    }

    #[test]
    fn identical_images_score_perfectly() {
        let x = image(16, 12, |i| ((i * 31) % 256) as f32 / 255.0);
        let mask = vec![1u8; 16 * 12];
        assert_eq!(masked_psnr(&x, &x, &mask).ok(), Some(f64::INFINITY));
        let (ssim, per) = masked_ssim(&x, &x, &mask).expect("large enough");
        assert!((ssim - 1.0).abs() < 1e-6, "{ssim}");
        assert_eq!(per.len(), 3);
    }

    #[test]
    fn empty_mask_is_an_error() {
        let x = image(16, 12, |i| (i % 7) as f32 / 7.0);
        let mask = vec![0u8; 16 * 12];
        assert!(matches!(masked_psnr(&x, &x, &mask), Err(MetricsError::EmptyValidRegion { .. })));
        assert!(matches!(masked_ssim(&x, &x, &mask), Err(MetricsError::EmptyValidRegion { .. })));
    }
}
