//! Paired random crop plus augmentation (docs/reference.md §4.6, steps 3–4).

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

    /// In one pass, the `size × size` window at (`sub_top`, `sub_left`) of
    /// [`PatchDraw::apply`]'s result, written to `out` as CHW floats in `[0, 1]`.
    /// The caller guarantees that the windows fit.
    ///
    /// # Panics
    /// If `out.len() != 3 · size²` (a programmer error).
    pub fn write_chw(&self, img: &RgbImage, sub_top: u32, sub_left: u32, size: u32, out: &mut [f32]) {
        let map = self.augmentation.index_map(self.patch as usize, self.patch as usize);
        let width = img.width() as isize;
        let raw = img.as_raw();
        let (top, left) = (self.top as isize, self.left as isize);
        let (sub_top, sub_left, size) = (sub_top as isize, sub_left as isize, size as usize);
        // Image position of augmented-patch position (r, c): the crop's origin plus the index map.
        let row0 = top + map.origin.0 + sub_top * map.down.0 + sub_left * map.right.0;
        let col0 = left + map.origin.1 + sub_top * map.down.1 + sub_left * map.right.1;
        let step_r = (map.down.0 * width + map.down.1) * 3;
        let step_c = (map.right.0 * width + map.right.1) * 3;
        let plane = size * size;
        assert_eq!(out.len(), 3 * plane, "write_chw: the output holds 3 planes of size²");
        let (first, rest) = out.split_at_mut(plane);
        let (second, third) = rest.split_at_mut(plane);
        let mut row_start = (row0 * width + col0) * 3;
        let mut k = 0;
        for _ in 0..size {
            let mut at = row_start;
            for _ in 0..size {
                let i = at as usize;
                first[k] = UNIT[raw[i] as usize];
                second[k] = UNIT[raw[i + 1] as usize];
                third[k] = UNIT[raw[i + 2] as usize];
                k += 1;
                at += step_c;
            }
            row_start += step_r;
        }
    }
}

/// `v / 255` for every 8-bit value.
static UNIT: [f32; 256] = {
    let mut table = [0.0; 256];
    let mut v = 0;
    while v < 256 {
        table[v] = v as f32 / 255.0;
        v += 1;
    }
    table
};

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
    let draw = PatchDraw::random(rng, width, height, patch).ok_or_else(|| DataError::ImageTooSmall {
        path: meta.lq.clone(),
        size: (width, height),
        needed: patch,
    })?;
    Ok((draw.apply(&pair.lq), draw.apply(&pair.gt), draw))
}
