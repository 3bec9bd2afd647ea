//! Protocol 2: `evaluate_gopro_hide.m`, i.e. MATLAB `psnr(input, gt)` and
//! `ssim(input, gt)` with default arguments on `imread` uint8 RGB arrays.
//!
//! The paper's GoPro and HIDE numbers come from this script (reference
//! section 6.1). Its SSIM is **not** a per-channel SSIM: MATLAB treats an
//! `H×W×3` array as a 3-D grayscale volume (`DataFormat` `'SSS'`), so the
//! Gaussian weighting filter is `11×11×11` and, with `'replicate'` padding,
//! also blurs across the three colour planes. Nothing is cropped: border
//! pixels use replicate-padded statistics.
//!
//! The 3-D filter is the product of three normalised 1-D Gaussians, so it is
//! applied separably: a fixed 3×3 mix of the colour planes (the 1-D Gaussian
//! folded onto three replicate-padded samples), then 11 taps along rows and
//! columns with edge replication. This differs from a direct 3-D convolution
//! by ≤ 2e-13. Everything is float64.

use crate::error::Result;
use crate::gaussian::{matlab_taps, RADIUS, TAPS};
use crate::image_u8::RgbImageU8;

/// SSIM constant `C1 = (0.01·L)²` with `L = 255` (uint8).
const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
/// SSIM constant `C2 = (0.03·L)²`.
const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);

/// MATLAB `psnr(input, gt)` for uint8 images: peak 255,
/// `immse` = mean squared difference over all `H·W·3` samples in double.
/// Identical images give `+∞`, as MATLAB does.
pub fn psnr(input: &RgbImageU8, gt: &RgbImageU8) -> Result<f64> {
    RgbImageU8::check_same_size(gt, input)?;
    input.check_min_size(input.width(), input.height(), 1, "PSNR")?;
    let sum: f64 = input
        .as_raw()
        .iter()
        .zip(gt.as_raw())
        .map(|(&a, &b)| {
            let d = f64::from(a) - f64::from(b);
            d * d
        })
        .sum();
    let err = sum / input.as_raw().len() as f64;
    if err == 0.0 {
        return Ok(f64::INFINITY);
    }
    Ok(10.0 * (255.0 * 255.0 / err).log10())
}

/// The weights with which the 1-D Gaussian, replicate-padded along the
/// 3-sample colour axis, mixes the planes: `MIX[c][k]` is the weight of plane
/// `k` in the filtered plane `c`.
///
/// For σ = 1.5 this is `R: 0.63301 R + 0.21301 G + 0.15399 B`,
/// `G: 0.36699 R + 0.26601 G + 0.36699 B`, `B` mirroring `R`.
pub fn channel_mix() -> [[f64; 3]; 3] {
    let taps = matlab_taps();
    let mut mix = [[0.0; 3]; 3];
    for (c, row) in mix.iter_mut().enumerate() {
        for (t, tap) in taps.iter().enumerate() {
            // Offset t − 5 from plane c, clamped to the volume (replicate).
            let k = (c as isize + t as isize - RADIUS as isize).clamp(0, 2) as usize;
            row[k] += tap;
        }
    }
    mix
}

/// MATLAB `ssim(input, gt)` on uint8 RGB arrays: the volumetric SSIM
/// described in the module documentation, the mean of the `H×W×3` map.
pub fn ssim(input: &RgbImageU8, gt: &RgbImageU8) -> Result<f64> {
    RgbImageU8::check_same_size(gt, input)?;
    input.check_min_size(input.width(), input.height(), 1, "SSIM")?;
    let (w, h) = (input.width(), input.height());
    let x: Vec<f64> = input.as_raw().iter().map(|&v| f64::from(v)).collect();
    let y: Vec<f64> = gt.as_raw().iter().map(|&v| f64::from(v)).collect();
    let xx: Vec<f64> = x.iter().map(|v| v * v).collect();
    let yy: Vec<f64> = y.iter().map(|v| v * v).collect();
    let xy: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();

    let filter = VolumeFilter::new(w, h);
    let mu_x = filter.apply(&x);
    let mu_y = filter.apply(&y);
    let f_xx = filter.apply(&xx);
    let f_yy = filter.apply(&yy);
    let f_xy = filter.apply(&xy);

    let mut sum = 0.0;
    for i in 0..x.len() {
        let (mx, my) = (mu_x[i], mu_y[i]);
        let sx2 = f_xx[i] - mx * mx;
        let sy2 = f_yy[i] - my * my;
        let sxy = f_xy[i] - mx * my;
        sum += ((2.0 * mx * my + C1) * (2.0 * sxy + C2)) / ((mx * mx + my * my + C1) * (sx2 + sy2 + C2));
    }
    Ok(sum / x.len() as f64)
}

/// `imfilter(v, gauss11x11x11, 'conv', 'replicate')` on an `H×W×3` volume
/// stored HWC-interleaved, applied separably.
struct VolumeFilter {
    width: usize,
    height: usize,
    taps: [f64; TAPS],
    mix: [[f64; 3]; 3],
}

impl VolumeFilter {
    fn new(width: usize, height: usize) -> Self {
        Self { width, height, taps: matlab_taps(), mix: channel_mix() }
    }

    /// Filters an HWC volume and returns the result in the same layout.
    fn apply(&self, v: &[f64]) -> Vec<f64> {
        let (w, h) = (self.width, self.height);
        let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
        // Channel axis.
        let mut mixed = vec![0.0; v.len()];
        for (o, p) in mixed.chunks_exact_mut(3).zip(v.chunks_exact(3)) {
            for (oc, m) in o.iter_mut().zip(&self.mix) {
                *oc = m[0] * p[0] + m[1] * p[1] + m[2] * p[2];
            }
        }
        // Along rows (x), edge replication.
        let mut rows = vec![0.0; v.len()];
        for y in 0..h {
            for x in 0..w {
                let mut acc = [0.0; 3];
                for (t, tap) in self.taps.iter().enumerate() {
                    let sx = clamp(x as isize + t as isize - RADIUS as isize, w);
                    let s = (y * w + sx) * 3;
                    for c in 0..3 {
                        acc[c] += tap * mixed[s + c];
                    }
                }
                rows[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&acc);
            }
        }
        // Along columns (y), edge replication.
        let mut out = vec![0.0; v.len()];
        for y in 0..h {
            for (t, tap) in self.taps.iter().enumerate() {
                let sy = clamp(y as isize + t as isize - RADIUS as isize, h);
                let src = &rows[sy * w * 3..(sy + 1) * w * 3];
                for (o, s) in out[y * w * 3..(y + 1) * w * 3].iter_mut().zip(src) {
                    *o += tap * s;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference section 6.1 gives the folded channel weights.
    #[test]
    fn channel_mix_matches_the_reference() {
        let m = channel_mix();
        let expected = [
            [0.6330058624, 0.2130055377, 0.1539885999],
            [0.3669941376, 0.2660117249, 0.3669941376],
            [0.1539885999, 0.2130055377, 0.6330058624],
        ];
        for c in 0..3 {
            for k in 0..3 {
                assert!((m[c][k] - expected[c][k]).abs() < 1e-9, "{c},{k}: {}", m[c][k]);
            }
        }
    }

    /// The separable filter equals a direct 11×11×11 convolution with
    /// replicate padding (the mirror's method) to rounding error.
    #[test]
    fn separable_filter_equals_direct_3d_convolution() {
        let (w, h) = (9, 7);
        let v: Vec<f64> = (0..w * h * 3).map(|i| ((i * 7919) % 256) as f64).collect();
        let fast = VolumeFilter::new(w, h).apply(&v);
        let g = matlab_taps();
        let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut acc = 0.0;
                    for (a, ga) in g.iter().enumerate() {
                        for (b, gb) in g.iter().enumerate() {
                            for (d, gd) in g.iter().enumerate() {
                                let sy = clamp(y as isize + a as isize - 5, h);
                                let sx = clamp(x as isize + b as isize - 5, w);
                                let sc = clamp(c as isize + d as isize - 5, 3);
                                acc += ga * gb * gd * v[(sy * w + sx) * 3 + sc];
                            }
                        }
                    }
                    let got = fast[(y * w + x) * 3 + c];
                    assert!((got - acc).abs() < 1e-10, "({x},{y},{c}): {got} vs {acc}");
                }
            }
        }
    }
}
