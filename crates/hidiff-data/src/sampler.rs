//! The iteration-indexed training sampler (docs/reference.md §4.5 "Mechanics" and §4.6).
//!
//! For 1-based iteration `i` with stage `(patch p, batch k)` of the schedule and
//! the loader sizes `L = max batch`, `P = max patch` (16 and 384 in the paper):
//!
//! 1. The loader's `L` samples of iteration `i` are the global samples
//!    `(i-1)·L .. i·L`. Global sample `s` is pair `perm_e[s mod N]` of epoch
//!    `e = s div N`, where `perm_e` is a fresh shuffle of the `N` pairs, so every
//!    pair is seen once per epoch (the reference's shuffling sampler; unlike it, no
//!    incomplete last batch is dropped).
//! 2. Each sample gets a random `P×P` window (`top`, then `left`, inclusive
//!    bounds) and one of the eight augmentations, the same for lq and gt.
//! 3. If `k < L`, `k` of the `L` samples are picked (`random.sample(range(L), k)`).
//! 4. If `p < P`, one offset for the whole batch, `x0 = ⌊(P-p)·U⌋` on the height
//!    axis and then `y0` on the width axis, cuts the `p×p` window out of every
//!    augmented `P×P` patch, same for lq and gt.
//!
//! Every draw comes from a stream keyed by the seed and the iteration or sample
//! number (a ChaCha8 key of seed, purpose and number), so [`TrainSampler::batch`] is a pure function of
//! `(seed, iteration)`: training resumes exactly, and only the `k` chosen samples
//! are decoded.

use std::sync::{Arc, Mutex};

use burn::tensor::{backend::Backend, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::crop::{check_training_pair, PatchDraw};
use crate::error::{DataError, Result};
use crate::schedule::ProgressiveSchedule;
use crate::seeding::{stream, Domain};
use crate::source::{DecodedPair, ImageCache, PairSource};

/// Configuration of a [`TrainSampler`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerConfig {
    /// Seed of every random draw (the reference's `manual_seed`, 100).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Patch and batch per iteration (default: the paper's, docs/reference.md §4.5).
    #[serde(default)]
    pub schedule: ProgressiveSchedule,
    /// Keep decoded images in memory (default off).
    #[serde(default)]
    pub cache: ImageCache,
}

fn default_seed() -> u64 {
    100
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self { seed: default_seed(), schedule: ProgressiveSchedule::paper(), cache: ImageCache::Off }
    }
}

/// One training mini-batch as flat `[B, 3, H, W]` floats in `[0, 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PairBatch {
    /// Blurry patches, `B·3·H·W` values, NCHW.
    pub lq: Vec<f32>,
    /// Sharp patches, same layout.
    pub gt: Vec<f32>,
    /// `[B, 3, H, W]`.
    pub shape: [usize; 4],
    /// The source file name of each patch.
    pub names: Vec<String>,
}

impl PairBatch {
    /// The batch as two tensors `[B, 3, H, W]` on `device`, `(lq, gt)`.
    pub fn into_tensors<B: Backend>(self, device: &B::Device) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let lq = Tensor::from_data(TensorData::new(self.lq, self.shape), device);
        let gt = Tensor::from_data(TensorData::new(self.gt, self.shape), device);
        (lq, gt)
    }
}

/// The shuffle of `n` pairs in epoch `epoch`.
pub(crate) fn epoch_permutation(seed: u64, epoch: u64, n: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(&mut stream(seed, Domain::Epoch, epoch, 0));
    order
}

/// Recently used epoch shuffles, so that consecutive batches do not reshuffle.
#[derive(Debug, Default)]
pub(crate) struct PermutationCache {
    recent: Mutex<Vec<(u64, Arc<Vec<u32>>)>>,
}

impl PermutationCache {
    const KEEP: usize = 4;

    /// The pair index of global sample `s` among `n` pairs.
    pub(crate) fn pair_of(&self, seed: u64, s: u64, n: usize) -> usize {
        let (epoch, pos) = (s / n as u64, (s % n as u64) as usize);
        self.permutation(seed, epoch, n)[pos] as usize
    }

    fn permutation(&self, seed: u64, epoch: u64, n: usize) -> Arc<Vec<u32>> {
        // A poisoned lock only means another thread panicked; the entries are still valid.
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, p)) = recent.iter().find(|(e, _)| *e == epoch) {
            return Arc::clone(p);
        }
        let p = Arc::new(epoch_permutation(seed, epoch, n));
        if recent.len() == Self::KEEP {
            recent.remove(0);
        }
        recent.push((epoch, Arc::clone(&p)));
        p
    }
}

/// Draws training batches from a set of equal-sized pairs; see the module docs.
#[derive(Debug)]
pub struct TrainSampler {
    source: Arc<PairSource>,
    config: SamplerConfig,
    loader_batch: usize,
    loader_patch: u32,
    permutations: PermutationCache,
}

impl TrainSampler {
    /// A sampler over `source`.
    ///
    /// # Errors
    /// [`DataError::PairSizeMismatch`] if a pair's headers give different sizes,
    /// [`DataError::ImageTooSmall`] if an image is smaller than the largest patch
    /// of the schedule.
    pub fn new(source: Arc<PairSource>, config: SamplerConfig) -> Result<Self> {
        let loader_patch = u32::try_from(config.schedule.max_patch())
            .map_err(|_| DataError::InvalidConfig(format!("patch {} is too large", config.schedule.max_patch())))?;
        for pair in &source.set().pairs {
            crate::pairs::check_sizes(pair, crate::pairs::SizeRule::Equal)?;
            let (w, h) = pair.lq_size;
            if w < loader_patch || h < loader_patch {
                return Err(DataError::ImageTooSmall { path: pair.lq.clone(), size: (w, h), needed: loader_patch });
            }
        }
        let loader_batch = config.schedule.max_batch();
        Ok(Self { source, config, loader_batch, loader_patch, permutations: PermutationCache::default() })
    }

    /// Discovers nothing itself: a convenience that wraps a [`crate::PairSet`] with
    /// the configured cache and builds the sampler.
    pub fn from_set(set: crate::PairSet, config: SamplerConfig) -> Result<Self> {
        let source = Arc::new(PairSource::new(set, config.cache)?);
        Self::new(source, config)
    }

    /// The configuration.
    pub fn config(&self) -> &SamplerConfig {
        &self.config
    }

    /// The pair source.
    pub fn source(&self) -> &Arc<PairSource> {
        &self.source
    }

    /// The batch of 1-based `iteration`: a pure function of `(seed, iteration)`.
    ///
    /// # Errors
    /// `iteration == 0`, or an image that cannot be decoded (or whose decoded size
    /// disagrees with its header).
    pub fn batch(&self, iteration: u64) -> Result<PairBatch> {
        if iteration == 0 {
            return Err(DataError::InvalidConfig("iterations are counted from 1".into()));
        }
        let stage = self.config.schedule.stage_at(iteration);
        let (big_batch, big_patch) = (self.loader_batch, self.loader_patch);
        let patch = stage.patch as u32;
        let mut rng = stream(self.config.seed, Domain::Iteration, iteration, 0);
        let chosen: Vec<usize> = if stage.batch < big_batch {
            rand::seq::index::sample(&mut rng, big_batch, stage.batch).into_vec()
        } else {
            (0..big_batch).collect()
        };
        let (x0, y0) = if patch < big_patch {
            let span = f64::from(big_patch - patch);
            ((span * rng.gen::<f64>()) as u32, (span * rng.gen::<f64>()) as u32)
        } else {
            (0, 0)
        };
        let base = (iteration - 1)
            .checked_mul(big_batch as u64)
            .ok_or_else(|| DataError::InvalidConfig(format!("iteration {iteration} is too large")))?;
        let samples: Vec<(u64, usize)> = chosen
            .iter()
            .map(|&j| {
                let s = base + j as u64;
                (s, self.permutations.pair_of(self.config.seed, s, self.source.len()))
            })
            .collect();
        let p = patch as usize;
        let plane = 3 * p * p;
        let mut batch = PairBatch {
            lq: vec![0.0; samples.len() * plane],
            gt: vec![0.0; samples.len() * plane],
            shape: [samples.len(), 3, p, p],
            names: samples.iter().map(|&(_, index)| self.source.pair(index).name.clone()).collect(),
        };
        batch.lq.par_chunks_mut(plane).zip(batch.gt.par_chunks_mut(plane)).zip(samples.par_iter()).try_for_each(
            |((lq, gt), &(s, index))| {
                let (pair, draw) = self.loader_sample(s, index)?;
                draw.write_chw(&pair.lq, x0, y0, patch, lq);
                draw.write_chw(&pair.gt, x0, y0, patch, gt);
                Ok::<(), DataError>(())
            },
        )?;
        Ok(batch)
    }

    /// The decoded pair and the loader's `P×P` window and augmentation of global
    /// sample `s` (pair `index`).
    fn loader_sample(&self, s: u64, index: usize) -> Result<(Arc<DecodedPair>, PatchDraw)> {
        let pair = self.source.get(index)?;
        let meta = self.source.pair(index);
        check_training_pair(meta, &pair, self.loader_patch)?;
        let mut rng = stream(self.config.seed, Domain::Sample, s, 0);
        let (w, h) = pair.lq.dimensions();
        let draw = PatchDraw::random(&mut rng, w, h, self.loader_patch).ok_or_else(|| DataError::ImageTooSmall {
            path: meta.lq.clone(),
            size: (w, h),
            needed: self.loader_patch,
        })?;
        Ok((pair, draw))
    }
}
