//! Helpers shared by the integration tests: small images written into temporary trees.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use image::{Rgb, RgbImage};

/// An image whose every pixel encodes its own position:
/// `R = x mod 256`, `G = y mod 256`, `B = (x / 256) | (y / 256) << 4`.
pub fn position_pattern(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x / 256) | ((y / 256) << 4)) as u8])
    })
}

/// The `(x, y)` encoded by [`position_pattern`].
pub fn decode_position(px: &Rgb<u8>) -> (u32, u32) {
    let [r, g, b] = px.0;
    (u32::from(r) + 256 * u32::from(b & 15), u32::from(g) + 256 * u32::from(b >> 4))
}

/// The blurry partner used by the alignment tests: a fixed, invertible
/// function of the sharp pixel (`255 − v`), so a misaligned pair is visible.
pub fn lq_of(gt: &RgbImage) -> RgbImage {
    let mut lq = gt.clone();
    lq.pixels_mut().for_each(|p| p.0 = p.0.map(|v| 255 - v));
    lq
}

/// Writes `img` as PNG, creating the folder.
pub fn save(img: &RgbImage, path: &Path) {
    fs::create_dir_all(path.parent().expect("a file path has a parent")).expect("create folder");
    img.save(path).expect("write test image");
}

/// A flat image.
pub fn flat(width: u32, height: u32, value: u8) -> RgbImage {
    RgbImage::from_pixel(width, height, Rgb([value; 3]))
}

/// Writes pairs `names` (flat images of `width × height`) into `dir/{input,target}`.
pub fn write_pairs(dir: &Path, lq: &str, gt: &str, names: &[&str], width: u32, height: u32) {
    for (i, name) in names.iter().enumerate() {
        save(&flat(width, height, 10 + i as u8), &dir.join(lq).join(name));
        save(&flat(width, height, 100 + i as u8), &dir.join(gt).join(name));
    }
}

/// Writes position-pattern pairs (`lq = lq_of(gt)`) into `dir/{input,target}`;
/// pair `i` is shifted by `i` columns so the pairs differ.
pub fn write_pattern_pairs(dir: &Path, count: usize, width: u32, height: u32) {
    for i in 0..count {
        let base = position_pattern(width + count as u32, height);
        let gt = image::imageops::crop_imm(&base, i as u32, 0, width, height).to_image();
        let name = format!("p{i}.png");
        save(&lq_of(&gt), &dir.join("input").join(&name));
        save(&gt, &dir.join("target").join(&name));
    }
}

/// PSNR in dB between two 8-bit images of equal size.
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let mse = a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>()
        / a.as_raw().len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10()
}
