//! Paired random crop plus augmentation (reference 4.6, steps 3–4).

use image::RgbImage;
use rand::Rng;

use crate::augment::Augmentation;
use crate::error::{DataError, Result};
use crate::image_io::crop;
use crate::pairs::ImagePair;
use crate::source::DecodedPair;

/// A square window and the augmentation applied after cutting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchDraw {
    /// Row offset, uniform in `0..=H-patch` (`randint(0, h-patch)`).
    pub top: u32,
    /// Column offset, uniform in `0..=W-patch`.
    pub left: u32,
    /// Side of the window.
    pub patch: u32,
    /// One of the eight modes (`randint(0, 7)`).
    pub augmentation: Augmentation,
}

impl PatchDraw {
    /// Draws, in the reference's order, the row offset, the column offset and the
    /// augmentation for an image of `width × height`; `None` if it is smaller
    /// than `patch`.
    pub fn random<R: Rng + ?Sized>(rng: &mut R, width: u32, height: u32, patch: u32) -> Option<Self> {
        if width < patch || height < patch {
            return None;
        }
        let top = rng.gen_range(0..=height - patch);
        let left = rng.gen_range(0..=width - patch);
        let augmentation = Augmentation::ALL[rng.gen_range(0..Augmentation::ALL.len())];
        Some(Self { top, left, patch, augmentation })
    }

    /// Cuts the window out of `img` and applies the augmentation. The caller
    /// guarantees that the window fits (as [`PatchDraw::random`] does).
    pub fn apply(&self, img: &RgbImage) -> RgbImage {
        self.augmentation.apply(&crop(img, self.top, self.left, self.patch, self.patch))
    }
}

/// Checks that a decoded training pair has equal sizes of at least `patch`.
pub(crate) fn check_training_pair(meta: &ImagePair, pair: &DecodedPair, patch: u32) -> Result<()> {
    let lq_size = pair.lq.dimensions();
    let gt_size = pair.gt.dimensions();
    if lq_size != gt_size {
        return Err(DataError::PairSizeMismatch { lq: meta.lq.clone(), lq_size, gt: meta.gt.clone(), gt_size });
    }
    if lq_size.0 < patch || lq_size.1 < patch {
        return Err(DataError::ImageTooSmall { path: meta.lq.clone(), size: lq_size, needed: patch });
    }
    Ok(())
}

/// Cuts the same random window out of both images and applies the same random
/// augmentation to both: `(lq, gt)` patches of `patch × patch`.
///
/// # Errors
/// [`DataError::PairSizeMismatch`] or [`DataError::ImageTooSmall`], naming `meta`'s files.
pub fn paired_random_crop<R: Rng + ?Sized>(
    rng: &mut R,
    meta: &ImagePair,
    pair: &DecodedPair,
    patch: u32,
) -> Result<(RgbImage, RgbImage, PatchDraw)> {
    check_training_pair(meta, pair, patch)?;
    let (width, height) = pair.lq.dimensions();
    let draw = PatchDraw::random(rng, width, height, patch)
        .ok_or_else(|| DataError::ImageTooSmall { path: meta.lq.clone(), size: (width, height), needed: patch })?;
    Ok((draw.apply(&pair.lq), draw.apply(&pair.gt), draw))
}
