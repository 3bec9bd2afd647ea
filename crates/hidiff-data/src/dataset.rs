//! burn `Dataset`s of pair items, for burn's data loader and `Learner`.
//!
//! burn's loader stops an epoch at the first `None` from `Dataset::get`, so a pair
//! that cannot be read ends the epoch early; its error is kept and can be taken
//! with `take_errors` (check it after each epoch). Use `try_get` to see errors
//! directly.

use std::sync::{Arc, Mutex};

use burn::data::dataset::Dataset;
use image::RgbImage;

use crate::crop::{check_training_pair, PatchDraw};
use crate::error::{DataError, Result};
use crate::image_io::to_chw_f32;
use crate::sampler::PermutationCache;
use crate::seeding::{stream, Domain};
use crate::source::PairSource;

/// One blurry/sharp pair as CHW floats in `[0, 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PairItem {
    /// The source file name.
    pub name: String,
    /// Blurry image, `3·height·width` values, CHW.
    pub lq: Vec<f32>,
    /// Sharp image, same layout.
    pub gt: Vec<f32>,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl PairItem {
    /// Converts two 8-bit images of equal size.
    pub fn from_images(name: String, lq: &RgbImage, gt: &RgbImage) -> Self {
        Self { name, lq: to_chw_f32(lq), gt: to_chw_f32(gt), height: lq.height() as usize, width: lq.width() as usize }
    }
}

/// Errors kept from `Dataset::get`.
#[derive(Debug, Default)]
pub(crate) struct ErrorLog(Mutex<Vec<DataError>>);

impl ErrorLog {
    pub(crate) fn keep<T>(&self, result: Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                None
            }
        }
    }

    pub(crate) fn take(&self) -> Vec<DataError> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Random `patch × patch` crops with the eight augmentations (docs/reference.md §4.6), one
/// per index: item `i` is global sample `i` of the sampler's epoch-wise shuffle,
/// so the items are a pure function of `(seed, i)`. The length is chosen freely
/// (e.g. iterations per "epoch" × batch, to run burn's `Learner` by iterations).
#[derive(Debug)]
pub struct RandomPatchDataset {
    source: Arc<PairSource>,
    patch: u32,
    seed: u64,
    len: usize,
    permutations: PermutationCache,
    errors: ErrorLog,
}

impl RandomPatchDataset {
    /// `len` random crops of side `patch` from `source`.
    ///
    /// # Errors
    /// A pair whose sizes differ or are smaller than `patch`.
    pub fn new(source: Arc<PairSource>, patch: u32, seed: u64, len: usize) -> Result<Self> {
        for pair in &source.set().pairs {
            crate::pairs::check_sizes(pair, crate::pairs::SizeRule::Equal)?;
            let (w, h) = pair.lq_size;
            if w < patch || h < patch {
                return Err(DataError::ImageTooSmall { path: pair.lq.clone(), size: (w, h), needed: patch });
            }
        }
        Ok(Self { source, patch, seed, len, permutations: PermutationCache::default(), errors: ErrorLog::default() })
    }

    /// Item `index`, or the error that prevented it.
    pub fn try_get(&self, index: usize) -> Result<PairItem> {
        let s = index as u64;
        let pair_index = self.permutations.pair_of(self.seed, s, self.source.len());
        let pair = self.source.get(pair_index)?;
        let meta = self.source.pair(pair_index);
        check_training_pair(meta, &pair, self.patch)?;
        let (w, h) = pair.lq.dimensions();
        let mut rng = stream(self.seed, Domain::Sample, s, 0);
        let draw = PatchDraw::random(&mut rng, w, h, self.patch).ok_or_else(|| DataError::ImageTooSmall {
            path: meta.lq.clone(),
            size: (w, h),
            needed: self.patch,
        })?;
        let p = self.patch as usize;
        let (mut lq, mut gt) = (vec![0.0; 3 * p * p], vec![0.0; 3 * p * p]);
        draw.write_chw(&pair.lq, 0, 0, self.patch, &mut lq);
        draw.write_chw(&pair.gt, 0, 0, self.patch, &mut gt);
        Ok(PairItem { name: meta.name.clone(), lq, gt, height: p, width: p })
    }

    /// The errors hidden behind `None`s of `get` since the last call.
    pub fn take_errors(&self) -> Vec<DataError> {
        self.errors.take()
    }
}

impl Dataset<PairItem> for RandomPatchDataset {
    fn get(&self, index: usize) -> Option<PairItem> {
        if index >= self.len {
            return None;
        }
        self.errors.keep(self.try_get(index))
    }

    fn len(&self) -> usize {
        self.len
    }
}
