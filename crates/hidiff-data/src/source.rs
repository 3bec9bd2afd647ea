//! Decoding of image pairs, with an optional in-memory cache for small sets.

use std::sync::{Arc, OnceLock};

use image::RgbImage;
use rayon::prelude::*;

use crate::error::Result;
use crate::image_io::read_rgb8;
use crate::pairs::{ImagePair, PairSet};

/// Whether decoded pairs are kept in memory.
///
/// A cached pair costs `2 × 3 × W × H` bytes (8-bit): the 3,000 pairs of a
/// 256×256 synthetic set take 1.2 GB, the 16,824 GoPro training patches 26 GB,
/// so keep the cache for small sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageCache {
    /// Decode every time a pair is used.
    #[default]
    Off,
    /// Keep each pair after its first use.
    Lazy,
    /// Decode every pair up front, in parallel (read errors surface at once).
    Preload,
}

/// A decoded blurry/sharp pair, 8-bit RGB.
#[derive(Clone, Debug)]
pub struct DecodedPair {
    /// The blurry image.
    pub lq: RgbImage,
    /// The sharp image.
    pub gt: RgbImage,
}

/// The images of a [`PairSet`], decoded on demand and optionally cached.
#[derive(Debug)]
pub struct PairSource {
    set: PairSet,
    cache: ImageCache,
    slots: Vec<OnceLock<Arc<DecodedPair>>>,
}

impl PairSource {
    /// Wraps `set`; with [`ImageCache::Preload`] every pair is decoded now.
    ///
    /// # Errors
    /// With `Preload`, the first unreadable image.
    pub fn new(set: PairSet, cache: ImageCache) -> Result<Self> {
        let slots = (0..set.len()).map(|_| OnceLock::new()).collect();
        let source = Self { set, cache, slots };
        if cache == ImageCache::Preload {
            (0..source.len()).into_par_iter().try_for_each(|i| source.get(i).map(drop))?;
        }
        Ok(source)
    }

    /// The pairs.
    pub fn set(&self) -> &PairSet {
        &self.set
    }

    /// The `index`-th pair's paths and sizes.
    pub fn pair(&self, index: usize) -> &ImagePair {
        &self.set.pairs[index]
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether there are no pairs (never, for a discovered set).
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The `index`-th pair, decoded (from the cache if it is on and filled).
    ///
    /// # Panics
    /// If `index >= self.len()` (a programmer error).
    pub fn get(&self, index: usize) -> Result<Arc<DecodedPair>> {
        if let Some(hit) = self.slots[index].get() {
            return Ok(Arc::clone(hit));
        }
        let pair = &self.set.pairs[index];
        let decoded = Arc::new(DecodedPair { lq: read_rgb8(&pair.lq)?, gt: read_rgb8(&pair.gt)? });
        if self.cache != ImageCache::Off {
            // Two threads may decode the same pair at once; either result is kept.
            let _ = self.slots[index].set(Arc::clone(&decoded));
        }
        Ok(decoded)
    }
}
