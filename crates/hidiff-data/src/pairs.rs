//! Pair discovery: blurry and sharp images paired by identical file name
//! (docs/reference.md §4.6, step 1), with their sizes checked up front.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{DataError, Result};
use crate::image_io::image_size;
use crate::layout::FolderPair;

/// How the sizes of the two images of a pair must relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeRule {
    /// Same width and height (training: random crops need aligned pairs).
    Equal,
    /// The sharp image is at least as large as the blurry one and is cropped to
    /// it from the top-left corner (docs/reference.md §4.6, "test/val phase").
    GtCoversLq,
}

/// One blurry/sharp pair with the sizes read from the file headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImagePair {
    /// The common file name, e.g. `GOPR0372_07_00_000047.png`.
    pub name: String,
    /// The blurry image.
    pub lq: PathBuf,
    /// The sharp image.
    pub gt: PathBuf,
    /// `(width, height)` of the blurry image.
    pub lq_size: (u32, u32),
    /// `(width, height)` of the sharp image.
    pub gt_size: (u32, u32),
}

impl ImagePair {
    /// The base name without extension (`<stem>` of docs/reference.md §4.7).
    pub fn stem(&self) -> &str {
        Path::new(&self.name).file_stem().and_then(|s| s.to_str()).unwrap_or(&self.name)
    }
}

/// The pairs of one folder pair, in natural file-name order.
#[derive(Clone, Debug)]
pub struct PairSet {
    /// Where the pairs were found.
    pub folders: FolderPair,
    /// The pairs; never empty.
    pub pairs: Vec<ImagePair>,
}

impl PairSet {
    /// Lists `folders`, pairs files by identical name and checks every pair's
    /// sizes against `rule`. Hidden files and files without an image extension
    /// are ignored.
    ///
    /// # Errors
    /// [`DataError::Io`] if a folder cannot be listed, [`DataError::Unpaired`]
    /// naming the files present on one side only, [`DataError::UnreadableImage`],
    /// [`DataError::PairSizeMismatch`], or [`DataError::EmptySet`].
    pub fn discover(folders: &FolderPair, rule: SizeRule) -> Result<Self> {
        let lq_names = list_images(&folders.lq)?;
        let gt_names = list_images(&folders.gt)?;
        let only_lq: Vec<String> = lq_names.difference(&gt_names).cloned().collect();
        let only_gt: Vec<String> = gt_names.difference(&lq_names).cloned().collect();
        if !only_lq.is_empty() || !only_gt.is_empty() {
            return Err(DataError::Unpaired {
                lq_dir: folders.lq.clone(),
                gt_dir: folders.gt.clone(),
                only_lq: natural_sorted(only_lq),
                only_gt: natural_sorted(only_gt),
            });
        }
        if gt_names.is_empty() {
            return Err(DataError::EmptySet { lq_dir: folders.lq.clone(), gt_dir: folders.gt.clone() });
        }
        let names = natural_sorted(gt_names.into_iter().collect());
        let pairs = names
            .into_par_iter()
            .map(|name| {
                let lq = folders.lq.join(&name);
                let gt = folders.gt.join(&name);
                let lq_size = image_size(&lq)?;
                let gt_size = image_size(&gt)?;
                let pair = ImagePair { name, lq, gt, lq_size, gt_size };
                check_sizes(&pair, rule)?;
                Ok(pair)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { folders: folders.clone(), pairs })
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Always false for a discovered set (an empty one is an error).
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The smallest width and height over all blurry images.
    pub fn min_lq_size(&self) -> (u32, u32) {
        self.pairs.iter().fold((u32::MAX, u32::MAX), |(w, h), p| (w.min(p.lq_size.0), h.min(p.lq_size.1)))
    }
}

/// Checks a pair's sizes against `rule`.
pub(crate) fn check_sizes(pair: &ImagePair, rule: SizeRule) -> Result<()> {
    let ((lw, lh), (gw, gh)) = (pair.lq_size, pair.gt_size);
    let ok = match rule {
        SizeRule::Equal => (lw, lh) == (gw, gh),
        SizeRule::GtCoversLq => gw >= lw && gh >= lh,
    };
    if ok {
        Ok(())
    } else {
        Err(DataError::PairSizeMismatch {
            lq: pair.lq.clone(),
            lq_size: pair.lq_size,
            gt: pair.gt.clone(),
            gt_size: pair.gt_size,
        })
    }
}

/// The names of the image files directly inside `dir`, by the workspace's one
/// listing rule ([`hidiff_io::list_images`]: hidden files skipped, image-named
/// FIFOs and devices refused).
fn list_images(dir: &Path) -> Result<BTreeSet<String>> {
    let files = hidiff_io::list_images(dir).map_err(|e| match e {
        hidiff_io::Error::Io { action, path, source } => DataError::Io { action, path, source },
        other => DataError::File(other),
    })?;
    Ok(files.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect())
}

/// `names` in natural order (`img2` before `img10`), like the reference's `natsorted`.
pub(crate) fn natural_sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort_by(|a, b| natord::compare(a, b));
    names
}
