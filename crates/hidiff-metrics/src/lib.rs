//! PSNR and SSIM exactly as HI-Diff's evaluation protocols compute them.
//!
//! HI-Diff (Chen et al., NeurIPS 2023) reports numbers from three different
//! pieces of code, which give different values for the same image pair
//! (docs/reference.md §6):
//!
//! | [`Protocol`] | source | used for |
//! | --- | --- | --- |
//! | `basicsr`, `basicsr-y` | BasicSR 1.4.2 `calculate_psnr` / `calculate_ssim` ([`basicsr`]) | `test.py` logs and validation |
//! | `gopro` | `evaluate_gopro_hide.m`, MATLAB `psnr` / volumetric `ssim` ([`matlab`]) | paper numbers on GoPro and HIDE |
//! | `realblur` | `evaluate_realblur.py`: OpenCV ECC alignment, masked PSNR / scikit-image SSIM ([`realblur`]) | paper numbers on RealBlur-J/-R |
//!
//! Each module reproduces its reference down to the floating-point quirks
//! that change results (BGR luma roundings, MATLAB's colour-axis filtering,
//! NumPy's float32 summation order, OpenCV's 1/32-pixel warp grid, ...), and
//! is checked against golden values in `tests/`.
//!
//! # Use
//!
//! Every caller goes through [`evaluate_pair`] (one pair in memory),
//! [`evaluate_files`] (two files) or [`evaluate_folders`] (two folders,
//! paired by name or sorted position, scored in parallel):
//!
//! ```no_run
//! use hidiff_metrics::{evaluate_pair, Protocol, RgbImageU8};
//! # fn main() -> Result<(), hidiff_metrics::MetricsError> {
//! let gt = RgbImageU8::open("gt/0001.png")?;
//! let pred = RgbImageU8::open("pred/0001.png")?;
//! let scores = evaluate_pair(Protocol::GoPro, &gt, &pred)?;
//! println!("PSNR {:.2} dB, SSIM {:.4}", scores.psnr, scores.ssim);
//! # Ok(()) }
//! ```
//!
//! The crate knows nothing about burn or the model: it reads 8-bit image
//! files (see [`image_u8`] for how other files are handled), and it never
//! panics on user input.

pub mod basicsr;
pub mod error;
pub mod folder;
pub mod gaussian;
pub mod image_u8;
pub mod matlab;
pub mod protocol;
pub mod realblur;
pub mod report;

pub use error::{MetricsError, Result};
pub use folder::{
    evaluate_files, evaluate_folders, evaluate_pairs, list_images, pair_folders, NoProgress, PairBy, PredictionPair,
    Progress, ProgressFn,
};
pub use image_u8::RgbImageU8;
pub use protocol::{evaluate_pair, ParseProtocolError, Protocol, RealBlurDiagnostics, Scores};
pub use report::{FolderReport, ImageResult, MeanScores};
