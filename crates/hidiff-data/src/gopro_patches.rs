//! GoPro patch generation, as `generate_patches_gopro.py` does it (docs/reference.md §4.7).
//!
//! * Train: every pair of `GoPro/train/{input,target}` is cut into 512×512
//!   patches with stride 256; row offsets are `range(0, H-512, 256)` plus `H-512`,
//!   column offsets likewise; patches are numbered `1..k` row-major (row offset in
//!   the outer loop) and saved as `<stem>-<k>.png` into
//!   `GoPro/crop/train/{input_crops,target_crops}`. A 1280×720 frame gives rows
//!   {0, 208} × columns {0, 256, 512, 768}: 8 patches.
//! * Val: the centre 256×256 crop (offsets `((H-256)/2, (W-256)/2)`) of every pair
//!   of `GoPro/test/GoPro/{input,target}` is saved as `<stem>.png` into
//!   `GoPro/crop/val/{input_crops,target_crops}`. When that folder (with its extra
//!   `GoPro/` level) does not exist, `GoPro/test/{input,target}` is used.
//!
//! Existing files are kept unless [`PatchConfig::overwrite`] is set, so an
//! interrupted run can be resumed.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{DataError, Result};
use crate::image_io::{crop, read_rgb8, write_png};
use crate::layout::FolderPair;
use crate::pairs::{ImagePair, PairSet, SizeRule};
use crate::progress::{Progress, StageCounter};

/// Parameters of patch generation; [`Default`] is the reference's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchConfig {
    /// Side of the training patches (512).
    pub patch: u32,
    /// Step between patch offsets (256, i.e. patch − overlap).
    pub stride: u32,
    /// Side of the centre validation crops (256).
    pub val_crop: u32,
    /// Rewrite files that already exist (default false: they are skipped).
    pub overwrite: bool,
}

impl Default for PatchConfig {
    fn default() -> Self {
        Self { patch: 512, stride: 256, val_crop: 256, overwrite: false }
    }
}

/// One training patch: its number `k` (from 1) and its top-left corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchWindow {
    /// The 1-based number used in the file name `<stem>-<k>.png`.
    pub k: usize,
    /// Row offset.
    pub top: u32,
    /// Column offset.
    pub left: u32,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchReport {
    /// Source pairs cut into training patches.
    pub train_sources: usize,
    /// Training patch pairs written.
    pub train_written: usize,
    /// Validation crop pairs written.
    pub val_written: usize,
    /// Pairs skipped because both files existed already.
    pub skipped: usize,
}

/// Offsets along one axis of length `len`: `range(0, len-patch, stride)` then
/// `len-patch`. `None` if `len < patch` or `stride == 0`.
pub fn patch_offsets(len: u32, patch: u32, stride: u32) -> Option<Vec<u32>> {
    if len < patch || stride == 0 {
        return None;
    }
    let last = len - patch;
    let mut offsets: Vec<u32> = (0..last).step_by(stride as usize).collect();
    offsets.push(last);
    Some(offsets)
}

/// The numbered patch windows of a `width × height` image, row offset outer.
pub fn patch_windows(width: u32, height: u32, config: &PatchConfig) -> Option<Vec<PatchWindow>> {
    let rows = patch_offsets(height, config.patch, config.stride)?;
    let cols = patch_offsets(width, config.patch, config.stride)?;
    let windows = rows
        .iter()
        .flat_map(|&top| cols.iter().map(move |&left| (top, left)))
        .enumerate()
        .map(|(i, (top, left))| PatchWindow { k: i + 1, top, left })
        .collect();
    Some(windows)
}

/// The top-left corner `(top, left)` of the centre `crop × crop` window, or
/// `None` if the image is smaller.
pub fn centre_offset(width: u32, height: u32, crop: u32) -> Option<(u32, u32)> {
    (width >= crop && height >= crop).then(|| ((height - crop) / 2, (width - crop) / 2))
}

/// Source and destination folders of [`generate_gopro_patches`] under the `datasets/` root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchFolders {
    /// `GoPro/train/{input,target}`.
    pub train_src: FolderPair,
    /// `GoPro/crop/train/{input_crops,target_crops}`.
    pub train_dst: FolderPair,
    /// `GoPro/test/GoPro/{input,target}` (or `GoPro/test/{input,target}`).
    pub val_src: FolderPair,
    /// `GoPro/crop/val/{input_crops,target_crops}`.
    pub val_dst: FolderPair,
}

impl PatchFolders {
    /// The reference's folders under `root` (the `datasets/` folder).
    pub fn under(root: &Path) -> Self {
        let gopro = root.join("GoPro");
        let nested = FolderPair::plain(&gopro.join("test").join("GoPro"));
        let val_src = if nested.exists() { nested } else { FolderPair::plain(&gopro.join("test")) };
        Self {
            train_src: FolderPair::plain(&gopro.join("train")),
            train_dst: FolderPair::crops(&gopro.join("crop").join("train")),
            val_src,
            val_dst: FolderPair::crops(&gopro.join("crop").join("val")),
        }
    }
}

/// Cuts the GoPro training patches and validation crops under `root` (the
/// `datasets/` folder), in parallel, reporting each finished source pair.
///
/// # Errors
/// A missing or badly paired source folder, an unreadable image, a frame smaller
/// than a patch, or a failed write; each names its file.
pub fn generate_gopro_patches(root: &Path, config: &PatchConfig, progress: &dyn Progress) -> Result<PatchReport> {
    if config.patch == 0 || config.stride == 0 || config.val_crop == 0 {
        return Err(DataError::InvalidConfig(format!("patch sizes and stride must be positive: {config:?}")));
    }
    let folders = PatchFolders::under(root);
    let train = discover_source(&folders.train_src, "GoPro train (patch source)")?;
    let val = discover_source(&folders.val_src, "GoPro test (validation-crop source)")?;
    for dst in [&folders.train_dst, &folders.val_dst] {
        for dir in [&dst.lq, &dst.gt] {
            fs::create_dir_all(dir).map_err(|e| DataError::io("cannot create", dir, e))?;
        }
    }

    let mut report = PatchReport { train_sources: train.len(), ..PatchReport::default() };
    let counter = StageCounter::start("train patches", train.len(), progress);
    let outcomes = train
        .pairs
        .par_iter()
        .map(|pair| {
            let out = cut_patches(pair, &folders.train_dst, config);
            counter.tick(&pair.gt);
            out
        })
        .collect::<Result<Vec<_>>>()?;
    for (written, skipped) in outcomes {
        report.train_written += written;
        report.skipped += skipped;
    }

    let counter = StageCounter::start("val crops", val.len(), progress);
    let outcomes = val
        .pairs
        .par_iter()
        .map(|pair| {
            let out = cut_centre(pair, &folders.val_dst, config);
            counter.tick(&pair.gt);
            out
        })
        .collect::<Result<Vec<_>>>()?;
    for written in outcomes {
        if written {
            report.val_written += 1;
        } else {
            report.skipped += 1;
        }
    }
    progress.finish();
    Ok(report)
}

fn discover_source(folders: &FolderPair, what: &str) -> Result<PairSet> {
    if !folders.exists() {
        return Err(DataError::MissingFolder {
            what: what.into(),
            tried: vec![folders.lq.clone(), folders.gt.clone()],
        });
    }
    PairSet::discover(folders, SizeRule::Equal)
}

/// Destination files of one output name, or `None` if both exist and must be kept.
fn destinations(dst: &FolderPair, name: &str, overwrite: bool) -> Option<(PathBuf, PathBuf)> {
    let (lq, gt) = (dst.lq.join(name), dst.gt.join(name));
    (overwrite || !(lq.is_file() && gt.is_file())).then_some((lq, gt))
}

/// Writes the training patches of one pair; returns (written, skipped).
fn cut_patches(pair: &ImagePair, dst: &FolderPair, config: &PatchConfig) -> Result<(usize, usize)> {
    let (width, height) = pair.lq_size;
    let windows = patch_windows(width, height, config).ok_or_else(|| DataError::ImageTooSmall {
        path: pair.lq.clone(),
        size: pair.lq_size,
        needed: config.patch,
    })?;
    let todo: Vec<_> = windows
        .iter()
        .filter_map(|w| destinations(dst, &format!("{}-{}.png", pair.stem(), w.k), config.overwrite).map(|d| (w, d)))
        .collect();
    if todo.is_empty() {
        return Ok((0, windows.len()));
    }
    let lq = read_rgb8(&pair.lq)?;
    let gt = read_rgb8(&pair.gt)?;
    for (w, (lq_path, gt_path)) in &todo {
        write_png(&crop(&lq, w.top, w.left, config.patch, config.patch), lq_path)?;
        write_png(&crop(&gt, w.top, w.left, config.patch, config.patch), gt_path)?;
    }
    Ok((todo.len(), windows.len() - todo.len()))
}

/// Writes the centre validation crop of one pair; returns whether it was written.
fn cut_centre(pair: &ImagePair, dst: &FolderPair, config: &PatchConfig) -> Result<bool> {
    let (width, height) = pair.lq_size;
    let (top, left) = centre_offset(width, height, config.val_crop).ok_or_else(|| DataError::ImageTooSmall {
        path: pair.lq.clone(),
        size: pair.lq_size,
        needed: config.val_crop,
    })?;
    let Some((lq_path, gt_path)) = destinations(dst, &format!("{}.png", pair.stem()), config.overwrite) else {
        return Ok(false);
    };
    let lq = read_rgb8(&pair.lq)?;
    let gt = read_rgb8(&pair.gt)?;
    write_png(&crop(&lq, top, left, config.val_crop, config.val_crop), &lq_path)?;
    write_png(&crop(&gt, top, left, config.val_crop, config.val_crop), &gt_path)?;
    Ok(true)
}
