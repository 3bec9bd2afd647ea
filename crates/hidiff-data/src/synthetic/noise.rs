//! Mild sensor noise and 8-bit quantisation of the blurry image.

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::canvas::Canvas;

/// Heteroscedastic Gaussian noise `σ² = read² + shot·v` on the gamma-encoded
/// value `v ∈ [0, 1]`, the usual Poisson–Gaussian approximation of a sensor.
/// Each image draws its two levels uniformly from the ranges.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseConfig {
    /// Range of the read-noise standard deviation, in 8-bit levels (default 0.5–2).
    pub read_sigma: [f64; 2],
    /// Range of the shot-noise gain (variance per unit signal, default 0–2e-4,
    /// about 2.5 levels at mid grey at most).
    pub shot_gain: [f64; 2],
}

impl Default for NoiseConfig {
    fn default() -> Self {
        Self { read_sigma: [0.5, 2.0], shot_gain: [0.0, 2e-4] }
    }
}

/// Uniform in `[range[0], range[1]]` (the order of the bounds does not matter).
pub(crate) fn uniform_in<R: Rng + ?Sized>(rng: &mut R, range: [f64; 2]) -> f64 {
    range[0] + (range[1] - range[0]) * rng.gen::<f64>()
}

/// Adds noise to `img` (gamma-encoded) in place.
pub fn add_noise<R: Rng + ?Sized>(img: &mut Canvas, config: &NoiseConfig, rng: &mut R) {
    let read = uniform_in(rng, config.read_sigma) / 255.0;
    let shot = uniform_in(rng, config.shot_gain).max(0.0);
    for v in &mut img.data {
        let sigma = (read * read + shot * f64::from(v.clamp(0.0, 1.0))).sqrt();
        let n: f64 = rng.sample(StandardNormal);
        *v += (sigma * n) as f32;
    }
}
