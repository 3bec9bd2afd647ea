//! Test and validation loading: whole images, the sharp image cropped to the
//! blurry one's size from the top-left corner (docs/reference.md §4.6, "test/val phase").

use std::sync::Arc;

use burn::data::dataset::Dataset;
use image::RgbImage;

use crate::dataset::{ErrorLog, PairItem};
use crate::error::{DataError, Result};
use crate::image_io::{crop, read_rgb8};
use crate::pairs::{ImagePair, PairSet};
use crate::source::{DecodedPair, ImageCache, PairSource};

/// A whole test pair, 8-bit RGB, both images of the blurry image's size.
#[derive(Clone, Debug)]
pub struct EvalPair {
    /// The common file name.
    pub name: String,
    /// The blurry image.
    pub lq: RgbImage,
    /// The sharp image, cropped to `lq`'s size.
    pub gt: RgbImage,
}

impl EvalPair {
    /// As floats for a model.
    pub fn to_item(&self) -> PairItem {
        PairItem::from_images(self.name.clone(), &self.lq, &self.gt)
    }
}

/// Crops `decoded.gt` to `decoded.lq`'s size.
fn to_eval_pair(meta: &ImagePair, decoded: &DecodedPair) -> Result<EvalPair> {
    let (lw, lh) = decoded.lq.dimensions();
    let (gw, gh) = decoded.gt.dimensions();
    if gw < lw || gh < lh {
        return Err(DataError::PairSizeMismatch {
            lq: meta.lq.clone(),
            lq_size: (lw, lh),
            gt: meta.gt.clone(),
            gt_size: (gw, gh),
        });
    }
    let gt = if (gw, gh) == (lw, lh) { decoded.gt.clone() } else { crop(&decoded.gt, 0, 0, lh, lw) };
    Ok(EvalPair { name: meta.name.clone(), lq: decoded.lq.clone(), gt })
}

/// Reads one test pair.
///
/// # Errors
/// An unreadable image, or a sharp image smaller than the blurry one.
pub fn load_eval_pair(pair: &ImagePair) -> Result<EvalPair> {
    let decoded = DecodedPair { lq: read_rgb8(&pair.lq)?, gt: read_rgb8(&pair.gt)? };
    to_eval_pair(pair, &decoded)
}

/// The pairs of a test or validation set as a burn `Dataset`, in file-name order.
#[derive(Debug)]
pub struct EvalDataset {
    source: Arc<PairSource>,
    errors: ErrorLog,
}

impl EvalDataset {
    /// Wraps `set` (see [`ImageCache`] for the memory cost of caching).
    ///
    /// # Errors
    /// With [`ImageCache::Preload`], the first unreadable image.
    pub fn new(set: PairSet, cache: ImageCache) -> Result<Self> {
        Ok(Self { source: Arc::new(PairSource::new(set, cache)?), errors: ErrorLog::default() })
    }

    /// The pair source.
    pub fn source(&self) -> &Arc<PairSource> {
        &self.source
    }

    /// Pair `index` as 8-bit images.
    ///
    /// # Errors
    /// An unreadable image, or a sharp image smaller than the blurry one.
    pub fn load(&self, index: usize) -> Result<EvalPair> {
        if index >= self.source.len() {
            return Err(DataError::InvalidConfig(format!("pair {index} of {}", self.source.len())));
        }
        to_eval_pair(self.source.pair(index), &*self.source.get(index)?)
    }

    /// Pair `index` as floats, or the error that prevented it.
    pub fn try_get(&self, index: usize) -> Result<PairItem> {
        self.load(index).map(|p| p.to_item())
    }

    /// The errors hidden behind `None`s of `get` since the last call.
    pub fn take_errors(&self) -> Vec<DataError> {
        self.errors.take()
    }
}

impl Dataset<PairItem> for EvalDataset {
    fn get(&self, index: usize) -> Option<PairItem> {
        if index >= self.source.len() {
            return None;
        }
        self.errors.keep(self.try_get(index))
    }

    fn len(&self) -> usize {
        self.source.len()
    }
}
