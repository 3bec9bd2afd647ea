//! Splitting a large image into overlapping tiles and blending the restored tiles
//! back without seams.
//!
//! # Layout
//!
//! Along each axis, tiles start at multiples of the model's window (8), so every
//! tile sees the same pixel-(un)shuffle grid as the whole image would; every tile
//! but the last is exactly `size` long, and the last one runs to the image's end
//! (`size` to `size + 7` long) and is reflect-padded by the model exactly as the
//! whole image would be. Tiles are spread evenly, as few as possible such that
//! neighbours overlap by at least `overlap` pixels.
//!
//! # Blending
//!
//! In the overlap of two neighbours, the left (upper) tile's weight falls as
//! `cos²` and the right (lower) tile's rises as `sin²` over the whole overlap, so
//! the weights of the two sum to one and both tiles' borders, where their
//! convolutions saw zero padding instead of the neighbouring pixels, get almost
//! no weight. A 2-D tile's weight is the product of its row and column weights;
//! the blended value is the weighted sum divided by the summed weights.

use crate::error::{InferError, Result};

/// Tile size and overlap in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileSpec {
    /// Side of a tile (a multiple of the model's window).
    pub size: usize,
    /// Minimum overlap of neighbouring tiles.
    pub overlap: usize,
}

impl TileSpec {
    /// The default of `--tile` when tiling is automatic: 512 pixels, 64 overlap.
    pub const AUTO: TileSpec = TileSpec { size: 512, overlap: 64 };

    /// Checks the spec for a model padding to multiples of `window`.
    ///
    /// # Errors
    /// [`InferError::InvalidOption`] if `size` is not a multiple of `window`, is
    /// below `4 × window`, or if `overlap` exceeds half a tile.
    pub fn validate(&self, window: usize) -> Result<()> {
        let min = 4 * window;
        if !self.size.is_multiple_of(window) || self.size < min {
            return Err(InferError::InvalidOption(format!(
                "--tile {} must be a multiple of {window} (the model's window) and at least {min}",
                self.size
            )));
        }
        // `overlap > size / 2`, not `2 * overlap > size`: a huge overlap must not wrap.
        if self.overlap > self.size / 2 {
            return Err(InferError::InvalidOption(format!(
                "--tile-overlap {} must be at most half the tile size ({})",
                self.overlap,
                self.size / 2
            )));
        }
        Ok(())
    }
}

/// The spans `[start, end)` of the tiles along an axis of length `len` (see the
/// module documentation). `align` is the model's window.
pub fn layout_axis(len: usize, spec: TileSpec, align: usize) -> Vec<(usize, usize)> {
    if len <= spec.size {
        return vec![(0, len)];
    }
    // Starts are align·k_i with k_0 = 0 and k_last = K; neighbours overlap by at
    // least `overlap` iff consecutive k differ by at most M.
    let k_last = (len - spec.size) / align;
    let max_step = ((spec.size - spec.overlap) / align).max(1);
    if k_last == 0 {
        return vec![(0, len)];
    }
    let steps = k_last.div_ceil(max_step);
    let ks: Vec<usize> = (0..=steps).map(|i| (i * k_last + steps / 2) / steps).collect();
    ks.iter()
        .enumerate()
        .map(|(i, &k)| {
            let start = k * align;
            let end = if i == steps { len } else { start + spec.size };
            (start, end)
        })
        .collect()
}

/// The blending weight of every pixel of span `i` of `spans`.
pub fn axis_weights(spans: &[(usize, usize)], i: usize) -> Vec<f32> {
    let (start, end) = spans[i];
    let ramp = |p: usize, from: usize, width: usize| -> f64 {
        let t = (p - from) as f64 + 0.5;
        (std::f64::consts::FRAC_PI_2 * t / width as f64).sin().powi(2)
    };
    (start..end)
        .map(|p| {
            let mut w = 1.0f64;
            if i > 0 {
                let prev_end = spans[i - 1].1;
                if p < prev_end {
                    w *= ramp(p, start, prev_end - start);
                }
            }
            if let Some(&(next_start, _)) = spans.get(i + 1) {
                if p >= next_start {
                    w *= 1.0 - ramp(p, next_start, end - next_start);
                }
            }
            w as f32
        })
        .collect()
}

/// One tile: rows `y0..y1`, columns `x0..x1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    /// Row index in the grid.
    pub row: usize,
    /// Column index in the grid.
    pub col: usize,
    /// First row.
    pub y0: usize,
    /// One past the last row.
    pub y1: usize,
    /// First column.
    pub x0: usize,
    /// One past the last column.
    pub x1: usize,
}

impl Tile {
    /// `(height, width)`.
    pub fn size(&self) -> (usize, usize) {
        (self.y1 - self.y0, self.x1 - self.x0)
    }
}

/// The tiles of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileGrid {
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Row spans.
    pub rows: Vec<(usize, usize)>,
    /// Column spans.
    pub cols: Vec<(usize, usize)>,
}

impl TileGrid {
    /// Lays out an `height × width` image.
    pub fn new(height: usize, width: usize, spec: TileSpec, align: usize) -> Self {
        Self { height, width, rows: layout_axis(height, spec, align), cols: layout_axis(width, spec, align) }
    }

    /// Number of tiles.
    pub fn len(&self) -> usize {
        self.rows.len() * self.cols.len()
    }

    /// Whether the grid is a single tile (the image fits in one).
    pub fn is_single(&self) -> bool {
        self.len() == 1
    }

    /// Always false: a grid has at least one tile.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The tiles, row by row.
    pub fn tiles(&self) -> impl Iterator<Item = Tile> + '_ {
        self.rows.iter().enumerate().flat_map(move |(row, &(y0, y1))| {
            self.cols.iter().enumerate().map(move |(col, &(x0, x1))| Tile { row, col, y0, y1, x0, x1 })
        })
    }
}

/// Accumulates restored tiles into a planar `[channels, height, width]` image.
#[derive(Debug)]
pub struct Blender {
    grid: TileGrid,
    channels: usize,
    row_weights: Vec<Vec<f32>>,
    col_weights: Vec<Vec<f32>>,
    sum: Vec<f32>,
    weight: Vec<f32>,
}

impl Blender {
    /// An empty accumulator for `grid`.
    pub fn new(grid: TileGrid, channels: usize) -> Self {
        let row_weights = (0..grid.rows.len()).map(|i| axis_weights(&grid.rows, i)).collect();
        let col_weights = (0..grid.cols.len()).map(|i| axis_weights(&grid.cols, i)).collect();
        let n = grid.height * grid.width;
        Self { channels, row_weights, col_weights, sum: vec![0.0; channels * n], weight: vec![0.0; n], grid }
    }

    /// Adds the restored `tile`, planar `[channels, th, tw]`.
    ///
    /// # Panics
    /// If `data` does not hold `channels × th × tw` values (a programmer error).
    pub fn add(&mut self, tile: &Tile, data: &[f32]) {
        let (th, tw) = tile.size();
        assert_eq!(data.len(), self.channels * th * tw, "tile {tile:?}: {} values", data.len());
        let (wy, wx) = (&self.row_weights[tile.row], &self.col_weights[tile.col]);
        let (h, w) = (self.grid.height, self.grid.width);
        for y in 0..th {
            let row = (tile.y0 + y) * w + tile.x0;
            for x in 0..tw {
                let wt = wy[y] * wx[x];
                self.weight[row + x] += wt;
                for c in 0..self.channels {
                    self.sum[c * h * w + row + x] += wt * data[(c * th + y) * tw + x];
                }
            }
        }
    }

    /// The blended image.
    pub fn finish(self) -> Vec<f32> {
        let n = self.grid.height * self.grid.width;
        let mut out = self.sum;
        for (i, v) in out.iter_mut().enumerate() {
            *v /= self.weight[i % n];
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn spans_are_aligned_cover_the_axis_and_overlap_enough() {
        for len in [8, 63, 64, 65, 100, 129, 200, 517, 1000, 1283] {
            for spec in [
                TileSpec { size: 64, overlap: 16 },
                TileSpec { size: 128, overlap: 32 },
                TileSpec { size: 32, overlap: 0 },
            ] {
                let spans = layout_axis(len, spec, 8);
                assert_eq!(spans[0].0, 0);
                assert_eq!(spans.last().unwrap().1, len);
                for (i, &(s, e)) in spans.iter().enumerate() {
                    assert_eq!(s % 8, 0, "{len} {spec:?} {spans:?}");
                    if i + 1 < spans.len() {
                        assert_eq!(e - s, spec.size);
                        assert!(e >= spans[i + 1].0 + spec.overlap, "{len} {spec:?} {spans:?}");
                        assert!(spans[i + 1].0 > s);
                    } else {
                        assert!(e - s < spec.size + 8 || spans.len() == 1);
                    }
                }
                // As few tiles as possible: one fewer could not keep the overlap.
                if spans.len() > 1 {
                    let max_step = (spec.size - spec.overlap) / 8;
                    let k_last = (len - spec.size) / 8;
                    assert!((spans.len() - 2) * max_step < k_last);
                }
            }
        }
    }

    #[test]
    fn weights_of_neighbours_sum_to_one() {
        let spans = layout_axis(300, TileSpec { size: 128, overlap: 40 }, 8);
        let mut total = vec![0.0f32; 300];
        for i in 0..spans.len() {
            for (p, w) in (spans[i].0..spans[i].1).zip(axis_weights(&spans, i)) {
                assert!(w > 0.0);
                total[p] += w;
            }
        }
        for t in total {
            assert!((t - 1.0).abs() < 1e-6, "{t}");
        }
    }

    #[test]
    fn blending_a_constant_gives_the_constant() {
        let grid = TileGrid::new(70, 90, TileSpec { size: 32, overlap: 8 }, 8);
        assert!(grid.len() > 4);
        let mut blender = Blender::new(grid.clone(), 2);
        for tile in grid.tiles() {
            let (th, tw) = tile.size();
            let data: Vec<f32> = (0..2 * th * tw).map(|i| if i < th * tw { 0.25 } else { 0.75 }).collect();
            blender.add(&tile, &data);
        }
        let out = blender.finish();
        assert!(out[..70 * 90].iter().all(|v| (v - 0.25).abs() < 1e-6));
        assert!(out[70 * 90..].iter().all(|v| (v - 0.75).abs() < 1e-6));
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(TileSpec { size: 100, overlap: 8 }.validate(8).is_err());
        assert!(TileSpec { size: 16, overlap: 0 }.validate(8).is_err());
        assert!(TileSpec { size: 64, overlap: 40 }.validate(8).is_err());
        assert!(TileSpec { size: 64, overlap: 32 }.validate(8).is_ok());
        // 2 * overlap wraps to 0 in 64 bits: still refused.
        assert!(TileSpec { size: 64, overlap: 1 << 63 }.validate(8).is_err());
        assert!(TileSpec { size: 64, overlap: usize::MAX }.validate(8).is_err());
    }
}
