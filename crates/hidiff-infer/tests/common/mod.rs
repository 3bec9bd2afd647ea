//! Helpers shared by the integration tests: the golden small model (official
//! `.pth` weights of `hidiff-model`'s fixtures) and deterministic test images.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::backend::Flex;
use burn::tensor::{Tensor, TensorData};
use hidiff_infer::{load_for_inference, DeblurOptions, Deblurrer};
use hidiff_model::{HiDiff, ModelConfig};
use image::{DynamicImage, RgbImage};

pub type B = Flex;

/// The golden fixture folder of the model crate.
pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden")
}

/// The golden small configuration.
pub fn golden_config() -> ModelConfig {
    ModelConfig::from_file(golden_dir().join("small_config.toml")).expect("golden config")
}

/// The golden small model, loaded from the official `.pth` files.
pub fn golden_model() -> HiDiff<B> {
    load_for_inference::<B>(&golden_dir(), &golden_config(), "golden small_config.toml", &Default::default())
        .expect("golden weights load")
}

/// A deblurrer of the golden model.
pub fn golden_deblurrer(options: DeblurOptions) -> Deblurrer<B> {
    Deblurrer::new(golden_model(), Default::default(), options).expect("valid options")
}

/// A deterministic, blurry-looking pattern: smooth waves, blocks with soft
/// edges, and a little texture, planar `[3, h, w]` in `[0, 1]`.
pub fn pattern(h: usize, w: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; 3 * h * w];
    for c in 0..3 {
        for y in 0..h {
            for x in 0..w {
                let (xf, yf) = (x as f32, y as f32);
                let wave = 0.25 * (xf * 0.11 + c as f32).sin() * (yf * 0.07).cos();
                let block = if ((x / 13) + (y / 11) + c) % 2 == 0 { 0.15 } else { -0.15 };
                let texture = 0.05 * ((xf * 1.7 + yf * 0.9 + c as f32 * 2.0).sin());
                out[(c * h + y) * w + x] = (0.5 + wave + block * 0.8 + texture).clamp(0.0, 1.0);
            }
        }
    }
    out
}

/// [`pattern`] as an 8-bit RGB image.
pub fn pattern_rgb8(h: usize, w: usize) -> RgbImage {
    let p = pattern(h, w);
    let n = h * w;
    let raw = (0..n).flat_map(|i| [p[i], p[n + i], p[2 * n + i]].map(|v| (v * 255.0).round() as u8)).collect();
    RgbImage::from_raw(w as u32, h as u32, raw).expect("size")
}

/// Saves an image, returning its path.
pub fn save(img: &DynamicImage, path: &Path) -> PathBuf {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    img.save(path).expect("save test image");
    path.to_path_buf()
}

/// Planar floats as a `[1, 3, h, w]` tensor.
pub fn tensor(planar: &[f32], h: usize, w: usize) -> Tensor<B, 4> {
    Tensor::from_data(TensorData::new(planar.to_vec(), [1, 3, h, w]), &Default::default())
}

/// PSNR in dB of two `[0, 1]` signals (each clamped to `[0, 1]` first).
pub fn psnr(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(x.clamp(0.0, 1.0)) - f64::from(y.clamp(0.0, 1.0))).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

/// Largest absolute difference.
pub fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The files under `dir` (recursively), or nothing if it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
