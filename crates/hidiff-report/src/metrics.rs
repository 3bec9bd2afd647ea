//! `hidiff metrics --gt-dir --pred-dir --json`: scores of two folders.

use serde::{Deserialize, Serialize};

use crate::test::MeanScores;

/// One pair of a folder evaluation (RealBlur diagnostics, when present, are not part of the contract).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FolderImage {
    /// Ground-truth file.
    pub gt: String,
    /// Scored file.
    pub pred: String,
    /// PSNR in dB.
    #[serde(with = "crate::psnr_json")]
    pub psnr: f64,
    /// SSIM.
    pub ssim: f64,
}

/// What `xtask` reads of `hidiff metrics --json` over two folders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FolderScores {
    /// The protocol used.
    pub protocol: String,
    /// Means over `images`.
    pub mean: MeanScores,
    /// Per pair, in the natural order of the ground-truth names.
    pub images: Vec<FolderImage>,
}
