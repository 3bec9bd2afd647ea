//! Whole-folder evaluation: pairing ground-truth and predicted files, scoring
//! every pair in parallel, and reporting progress through a callback.
//!
//! The library never draws on a terminal: callers pass a
//! [`hidiff_io::Progress`] (the CLI draws a bar; [`NoProgress`] ignores it).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use hidiff_io::{NoProgress, Progress, ProgressFn};

use crate::error::{MetricsError, Result};
use crate::image_u8::RgbImageU8;
use crate::protocol::{evaluate_pair, Protocol, Scores};
use crate::report::{FolderReport, ImageResult};

/// File extensions (case-insensitive) treated as images; other files are
/// ignored, as the official scripts only glob `*.png` and `*.jpg`.
pub use hidiff_io::IMAGE_EXTENSIONS;

/// How files of the two folders are matched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairBy {
    /// Identical file names (the safe default): every file must have a
    /// namesake in the other folder.
    #[default]
    Name,
    /// Position in the naturally sorted lists (`natsort`, as
    /// `evaluate_realblur.py`; `evaluate_gopro_hide.m` zips `dir` listings
    /// the same way). Both folders must hold the same number of images.
    Sorted,
}

impl PairBy {
    /// The option's name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            PairBy::Name => "name",
            PairBy::Sorted => "sorted",
        }
    }
}

impl fmt::Display for PairBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`PairBy::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pairing '{0}' (expected 'name' or 'sorted')")]
pub struct ParsePairByError(pub String);

impl FromStr for PairBy {
    type Err = ParsePairByError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "name" => Ok(PairBy::Name),
            "sorted" => Ok(PairBy::Sorted),
            other => Err(ParsePairByError(other.to_string())),
        }
    }
}

/// One ground-truth file and the prediction it is compared with (the data
/// sets' blurry/sharp pairs are `hidiff_data::ImagePair`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredictionPair {
    /// Ground-truth file.
    pub gt: PathBuf,
    /// Predicted (restored) file.
    pub pred: PathBuf,
}

/// The image files directly inside `dir` (not recursive), naturally sorted
/// by file name; hidden files are skipped ([`hidiff_io::list_images`]).
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let io_err = |source| MetricsError::Io { path: dir.to_path_buf(), source };
    let meta = std::fs::metadata(dir).map_err(io_err)?;
    if !meta.is_dir() {
        return Err(MetricsError::NotAFolder { path: dir.to_path_buf() });
    }
    // The workspace's one listing rule: hidden files (`._0001.png`) skipped,
    // image-named FIFOs and devices refused, natural order.
    let files = hidiff_io::list_images(dir).map_err(|e| match e {
        hidiff_io::Error::Io { path, source, .. } => MetricsError::Io { path, source },
        other => MetricsError::File(other),
    })?;
    if files.is_empty() {
        return Err(MetricsError::EmptyFolder { path: dir.to_path_buf() });
    }
    Ok(files)
}

/// Pairs the images of `gt_dir` and `pred_dir`, in the natural order of the
/// ground-truth names.
pub fn pair_folders(gt_dir: &Path, pred_dir: &Path, by: PairBy) -> Result<Vec<PredictionPair>> {
    let gt = list_images(gt_dir)?;
    let pred = list_images(pred_dir)?;
    match by {
        PairBy::Sorted => {
            if gt.len() != pred.len() {
                return Err(MetricsError::CountMismatch {
                    gt_folder: gt_dir.to_path_buf(),
                    gt_count: gt.len(),
                    pred_folder: pred_dir.to_path_buf(),
                    pred_count: pred.len(),
                });
            }
            Ok(gt.into_iter().zip(pred).map(|(gt, pred)| PredictionPair { gt, pred }).collect())
        }
        PairBy::Name => {
            let by_name: std::collections::HashMap<_, _> =
                pred.iter().filter_map(|p| Some((p.file_name()?.to_os_string(), p))).collect();
            let mut pairs = Vec::with_capacity(gt.len());
            for g in &gt {
                let partner = g.file_name().and_then(|n| by_name.get(n));
                let Some(p) = partner else {
                    return Err(MetricsError::MissingPair { file: g.clone(), other_folder: pred_dir.to_path_buf() });
                };
                pairs.push(PredictionPair { gt: g.clone(), pred: (*p).clone() });
            }
            let gt_names: std::collections::HashSet<_> = gt.iter().filter_map(|g| g.file_name()).collect();
            if let Some(extra) = pred.iter().find(|p| p.file_name().is_none_or(|n| !gt_names.contains(n))) {
                return Err(MetricsError::MissingPair { file: extra.clone(), other_folder: gt_dir.to_path_buf() });
            }
            Ok(pairs)
        }
    }
}

/// Reads two files and evaluates them; errors name the files.
pub fn evaluate_files(protocol: Protocol, gt: &Path, pred: &Path) -> Result<Scores> {
    let gt_img = RgbImageU8::open(gt)?;
    let pred_img = RgbImageU8::open(pred)?;
    evaluate_pair(protocol, &gt_img, &pred_img).map_err(|e| e.in_pair(gt, pred))
}

/// Scores every pair in parallel (rayon) and reports the per-image values and
/// their means. Stops at the first failing pair and returns its error.
pub fn evaluate_pairs(
    protocol: Protocol,
    pairs: &[PredictionPair],
    progress: &dyn Progress,
) -> Result<Vec<ImageResult>> {
    progress.start("pairs", pairs.len(), 0);
    let results = pairs
        .par_iter()
        .map(|pair| {
            let scores = evaluate_files(protocol, &pair.gt, &pair.pred)?;
            progress.item_done(&pair.gt, 0);
            Ok(ImageResult {
                gt: pair.gt.to_string_lossy().into_owned(),
                pred: pair.pred.to_string_lossy().into_owned(),
                scores,
            })
        })
        .collect::<Result<Vec<_>>>();
    progress.finish();
    results
}

/// Pairs two folders and evaluates every pair: the whole-dataset score of
/// the official scripts (arithmetic means of per-image PSNR and SSIM).
pub fn evaluate_folders(
    protocol: Protocol,
    gt_dir: &Path,
    pred_dir: &Path,
    pair_by: PairBy,
    progress: &dyn Progress,
) -> Result<FolderReport> {
    let pairs = pair_folders(gt_dir, pred_dir, pair_by)?;
    let images = evaluate_pairs(protocol, &pairs, progress)?;
    Ok(FolderReport::new(protocol, pair_by, images))
}
