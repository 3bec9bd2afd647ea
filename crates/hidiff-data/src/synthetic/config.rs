//! Configuration of the synthetic data set; [`Default`] is the default set.

use serde::{Deserialize, Serialize};

use super::noise::NoiseConfig;
use crate::error::DataError;

/// How the blur of one split is drawn. Each pair draws its mode, path length,
/// anxiety and exposure uniformly from these ranges.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlurConfig {
    /// Probability of a uniform (single-PSF) blur; otherwise the non-uniform
    /// frame-averaging mode is used.
    pub uniform_probability: f64,
    /// Range of the trajectory length in pixels.
    pub length: [f64; 2],
    /// Range of the anxiety (DeblurGAN draws 0.003–0.01).
    pub anxiety: [f64; 2],
    /// Range of the exposure, the fraction of the trajectory recorded.
    pub exposure: [f64; 2],
    /// Largest in-plane rotation over the exposure (non-uniform mode), degrees.
    pub max_rotation_deg: f64,
    /// Largest relative zoom over the exposure (non-uniform mode).
    pub max_zoom: f64,
    /// Trajectory samples (DeblurGAN: 2000).
    pub trajectory_samples: usize,
}

impl BlurConfig {
    /// The blur of `train/` and `test/`: half uniform, half non-uniform, 6–24 px paths.
    pub fn standard() -> Self {
        Self {
            uniform_probability: 0.5,
            length: [6.0, 24.0],
            anxiety: [0.001, 0.01],
            exposure: [0.6, 1.0],
            max_rotation_deg: 1.0,
            max_zoom: 0.01,
            trajectory_samples: 2000,
        }
    }

    /// The blur of `test_shift/`: non-uniform only, longer and shakier paths,
    /// stronger rotation and zoom; the stand-in for "trained on GoPro, tested on RealBlur".
    pub fn shifted() -> Self {
        Self {
            uniform_probability: 0.0,
            length: [14.0, 32.0],
            anxiety: [0.005, 0.02],
            exposure: [0.75, 1.0],
            max_rotation_deg: 2.5,
            max_zoom: 0.03,
            trajectory_samples: 2000,
        }
    }

    fn validate(&self, name: &str) -> Result<(), DataError> {
        let bad = |what: &str| Err(DataError::InvalidConfig(format!("synthetic {name}: {what}")));
        let ordered = |r: [f64; 2]| r[0].is_finite() && r[1].is_finite() && r[0] <= r[1];
        if !(0.0..=1.0).contains(&self.uniform_probability) {
            return bad("uniform_probability must lie in [0, 1]");
        }
        if !ordered(self.length) || self.length[0] < 0.0 || self.length[1] > 256.0 {
            return bad("length must be an ordered range within [0, 256] pixels");
        }
        if !ordered(self.anxiety) || self.anxiety[0] < 0.0 {
            return bad("anxiety must be an ordered, non-negative range");
        }
        if !ordered(self.exposure) || self.exposure[0] <= 0.0 || self.exposure[1] > 1.0 {
            return bad("exposure must be an ordered range within (0, 1]");
        }
        if !(0.0..=45.0).contains(&self.max_rotation_deg) || !(0.0..=0.5).contains(&self.max_zoom) {
            return bad("max_rotation_deg must lie in [0, 45] and max_zoom in [0, 0.5]");
        }
        if !(2..=100_000).contains(&self.trajectory_samples) {
            return bad("trajectory_samples must lie in 2..=100000");
        }
        Ok(())
    }
}

/// The whole synthetic data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticConfig {
    /// Seed of every random draw (default 2023).
    pub seed: u64,
    /// Training pairs (default 256).
    pub train: usize,
    /// Test pairs with the training blur statistics (default 64).
    pub test: usize,
    /// Test pairs with shifted blur statistics (default 64).
    pub test_shift: usize,
    /// Smallest image `[height, width]` (default 128×128).
    pub min_size: [u32; 2],
    /// Largest image `[height, width]` (default 256×256). Sizes are drawn in steps of 8.
    pub max_size: [u32; 2],
    /// Probability that a sharp image is a photograph rather than procedural (default 0.5).
    pub photo_probability: f64,
    /// Blur of `train/` and `test/`.
    pub blur: BlurConfig,
    /// Blur of `test_shift/`.
    pub shift_blur: BlurConfig,
    /// Sensor noise added to the blurry images.
    pub noise: NoiseConfig,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            seed: 2023,
            train: 256,
            test: 64,
            test_shift: 64,
            min_size: [128, 128],
            max_size: [256, 256],
            photo_probability: 0.5,
            blur: BlurConfig::standard(),
            shift_blur: BlurConfig::shifted(),
            noise: NoiseConfig::default(),
        }
    }
}

impl SyntheticConfig {
    /// Checks every range.
    ///
    /// # Errors
    /// [`DataError::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |what: String| Err(DataError::InvalidConfig(format!("synthetic: {what}")));
        for k in 0..2 {
            if self.min_size[k] < 16 || self.min_size[k] > self.max_size[k] || self.max_size[k] > 4096 {
                return bad(format!(
                    "sizes must satisfy 16 <= min_size <= max_size <= 4096, got {:?}..{:?}",
                    self.min_size, self.max_size
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.photo_probability) {
            return bad("photo_probability must lie in [0, 1]".into());
        }
        let n = &self.noise;
        if n.read_sigma.iter().chain(&n.shot_gain).any(|v| !v.is_finite() || *v < 0.0) {
            return bad("noise levels must be finite and non-negative".into());
        }
        self.blur.validate("blur")?;
        self.shift_blur.validate("shift_blur")
    }

    /// The set with this seed and these counts, defaults elsewhere.
    pub fn with_counts(seed: u64, train: usize, test: usize, test_shift: usize) -> Self {
        Self { seed, train, test, test_shift, ..Self::default() }
    }
}
