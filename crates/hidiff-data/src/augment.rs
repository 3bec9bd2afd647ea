//! The eight flip/rotation augmentations of the reference (reference 4.6, step 4,
//! `random_augmentation` in `hi_diff/utils/transforms.py`).
//!
//! Semantics are those of NumPy on an `H×W×C` array: `np.rot90` turns
//! counter-clockwise in the H–W plane and `np.flipud` reverses the rows.
//! One mode is drawn per pair and applied to both images.

use image::RgbImage;

/// One of the eight augmentation modes, numbered as in the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Augmentation {
    /// 0: unchanged.
    Identity,
    /// 1: `np.flipud` (rows reversed).
    FlipUd,
    /// 2: `np.rot90` (counter-clockwise).
    Rot90,
    /// 3: `np.rot90` then `np.flipud` (the transpose).
    Rot90FlipUd,
    /// 4: `np.rot90(k=2)`.
    Rot180,
    /// 5: `np.rot90(k=2)` then `np.flipud` (columns reversed).
    Rot180FlipUd,
    /// 6: `np.rot90(k=3)` (clockwise).
    Rot270,
    /// 7: `np.rot90(k=3)` then `np.flipud` (the anti-transpose).
    Rot270FlipUd,
}

impl Augmentation {
    /// All modes, in the reference's numbering.
    pub const ALL: [Self; 8] = [
        Self::Identity,
        Self::FlipUd,
        Self::Rot90,
        Self::Rot90FlipUd,
        Self::Rot180,
        Self::Rot180FlipUd,
        Self::Rot270,
        Self::Rot270FlipUd,
    ];

    /// The mode with the reference's number `index` (0..=7).
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// Whether the mode swaps height and width.
    pub fn swaps_axes(self) -> bool {
        matches!(self, Self::Rot90 | Self::Rot90FlipUd | Self::Rot270 | Self::Rot270FlipUd)
    }

    /// The `(height, width)` of the output for an input of `(height, width)`.
    pub fn output_size(self, height: usize, width: usize) -> (usize, usize) {
        if self.swaps_axes() {
            (width, height)
        } else {
            (height, width)
        }
    }

    /// The input position `(row, col)` whose value lands at output `(r, c)`, for an
    /// input of `height × width`.
    pub fn source_of(self, r: usize, c: usize, height: usize, width: usize) -> (usize, usize) {
        let (h1, w1) = (height - 1, width - 1);
        match self {
            Self::Identity => (r, c),
            Self::FlipUd => (h1 - r, c),
            Self::Rot90 => (c, w1 - r),
            Self::Rot90FlipUd => (c, r),
            Self::Rot180 => (h1 - r, w1 - c),
            Self::Rot180FlipUd => (r, w1 - c),
            Self::Rot270 => (h1 - c, r),
            Self::Rot270FlipUd => (h1 - c, w1 - r),
        }
    }

    /// Applies the mode to an interleaved `height × width × channels` array.
    ///
    /// # Panics
    /// If `data.len() != height * width * channels` (a programmer error).
    pub fn apply_hwc<T: Copy>(self, data: &[T], height: usize, width: usize, channels: usize) -> Vec<T> {
        assert_eq!(data.len(), height * width * channels, "apply_hwc: data length does not match the shape");
        if self == Self::Identity {
            return data.to_vec();
        }
        let (oh, ow) = self.output_size(height, width);
        let mut out = Vec::with_capacity(data.len());
        for r in 0..oh {
            for c in 0..ow {
                let (sr, sc) = self.source_of(r, c, height, width);
                let at = (sr * width + sc) * channels;
                out.extend_from_slice(&data[at..at + channels]);
            }
        }
        out
    }

    /// Applies the mode to an 8-bit RGB image.
    pub fn apply(self, img: &RgbImage) -> RgbImage {
        let (h, w) = (img.height() as usize, img.width() as usize);
        let (oh, ow) = self.output_size(h, w);
        let data = self.apply_hwc(img.as_raw(), h, w, 3);
        RgbImage::from_raw(ow as u32, oh as u32, data).expect("the buffer holds oh*ow*3 samples by construction")
    }
}
