//! `hidiff test --json`: a model over a paired test set.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// PSNR (dB) and SSIM of one image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// PSNR in dB (`+∞`, written `null`, for identical images).
    #[serde(with = "crate::psnr_json")]
    pub psnr: f64,
    /// SSIM.
    pub ssim: f64,
}

/// Means over a set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanScores {
    /// Mean PSNR in dB.
    #[serde(with = "crate::psnr_json")]
    pub psnr: f64,
    /// Mean SSIM.
    pub ssim: f64,
}

/// The scores of one test image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestImage {
    /// The file name.
    pub name: String,
    /// The saved output.
    pub output: PathBuf,
    /// `(width, height)`.
    pub size: (u32, u32),
    /// Under the paper's protocol; `null` if it failed (see `error`).
    #[serde(deserialize_with = "crate::json::required")]
    pub paper: Option<Scores>,
    /// Under BasicSR's (RGB, no crop).
    pub basicsr: Scores,
    /// Why the paper protocol failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Seconds in the model.
    pub seconds: f64,
}

/// The report of `hidiff test`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    /// The set's name.
    pub set: String,
    /// Its input folder.
    pub input_dir: PathBuf,
    /// Its target folder.
    pub target_dir: PathBuf,
    /// The paper's protocol for the set (`gopro`, `realblur`, ...).
    pub protocol: String,
    /// Whether the prior came from the stage-1 encoder that sees the sharp target
    /// (`hidiff test --oracle-prior`: an upper bound, not a deblurring result).
    pub oracle_prior: bool,
    /// Means under the paper's protocol (over the images where it succeeded).
    pub paper: MeanScores,
    /// Means under BasicSR's.
    pub basicsr: MeanScores,
    /// Images whose paper protocol failed.
    pub failed: usize,
    /// The diffusion seed.
    pub seed: u64,
    /// Whether the self-ensemble was used.
    pub self_ensemble: bool,
    /// Total pixels.
    pub pixels: u64,
    /// Seconds in the model.
    pub model_seconds: f64,
    /// Per image, in natural file-name order.
    pub images: Vec<TestImage>,
}
