//! The eight flip/rotation augmentations of the reference (docs/reference.md §4.6, step 4,
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
        let map = self.index_map(height, width);
        let (r, c) = (r as isize, c as isize);
        (
            (map.origin.0 + r * map.down.0 + c * map.right.0) as usize,
            (map.origin.1 + r * map.down.1 + c * map.right.1) as usize,
        )
    }

    /// The mode as an affine map of indices: output `(r, c)` reads input
    /// `origin + r·down + c·right` (each a `(row, col)` pair).
    pub fn index_map(self, height: usize, width: usize) -> IndexMap {
        let (h1, w1) = (height as isize - 1, width as isize - 1);
        let (origin, down, right) = match self {
            Self::Identity => ((0, 0), (1, 0), (0, 1)),
            Self::FlipUd => ((h1, 0), (-1, 0), (0, 1)),
            Self::Rot90 => ((0, w1), (0, -1), (1, 0)),
            Self::Rot90FlipUd => ((0, 0), (0, 1), (1, 0)),
            Self::Rot180 => ((h1, w1), (-1, 0), (0, -1)),
            Self::Rot180FlipUd => ((0, w1), (1, 0), (0, -1)),
            Self::Rot270 => ((h1, 0), (0, 1), (-1, 0)),
            Self::Rot270FlipUd => ((h1, w1), (0, -1), (-1, 0)),
        };
        IndexMap { origin, down, right }
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
        let map = self.index_map(height, width);
        let (w, ch) = (width as isize, channels as isize);
        let step_r = (map.down.0 * w + map.down.1) * ch;
        let step_c = (map.right.0 * w + map.right.1) * ch;
        let mut out = Vec::with_capacity(data.len());
        let mut row_start = (map.origin.0 * w + map.origin.1) * ch;
        for _ in 0..oh {
            let mut at = row_start;
            for _ in 0..ow {
                let i = at as usize;
                out.extend_from_slice(&data[i..i + channels]);
                at += step_c;
            }
            row_start += step_r;
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

/// An augmentation as an affine map of `(row, col)` indices; see
/// [`Augmentation::index_map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexMap {
    /// Input position of output `(0, 0)`.
    pub origin: (isize, isize),
    /// Input step for one output row down.
    pub down: (isize, isize),
    /// Input step for one output column right.
    pub right: (isize, isize),
}
