//! burn-dataset `Dataset`s, `Batcher`s and the data loader that feed the
//! `Learner` with the reference's per-iteration batches.
//!
//! * Training: item `j` of an epoch is **one whole mini-batch** — part
//!   `j / L` of the batch of iteration `first + j % L`, where `L` is the
//!   longest epoch and the epoch starts at iteration `first` (see
//!   [`crate::plan`]). The batch comes from [`TrainSampler::batch`], a pure
//!   function of `(seed, iteration)`, so the progressive schedule may change
//!   patch and batch size at any iteration. With `D` devices the data set holds
//!   `D·L` items, and burn's `split_dataloader` hands device `d` exactly part `d`
//!   of every iteration, in order. burn's `DataLoaderBuilder` builds the loader
//!   (batch size 1 = one iteration, one worker thread reading ahead).
//! * [`EpochLoader`] wraps that loader to tell the data set which epoch the
//!   `Learner` is in: it counts its own `iter()` calls, one per epoch.
//! * Errors: a batch that cannot be built is recorded in the run's
//!   [`RunSignals`] (naming the iteration and the file), which stops the
//!   `Learner` before its next validation or checkpoint; the data set then
//!   returns `None`, which ends the epoch.
//! * Validation: item `i` is validation pair `i` at full size.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder, DataLoaderIterator};
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use hidiff_data::{EvalPair, PairBatch, TrainSampler};
use hidiff_model::noise::standard_normal;

use crate::data::ValSet;
use crate::error::TrainError;
use crate::experiment::Stage;
use crate::hooks::RunSignals;
use crate::plan::EpochPlan;
use crate::step::{TrainBatch, ValBatch};

/// The seed of the `q_sample` noise of iteration `i` (a pure function, so that
/// a resumed run draws the same noise).
pub fn noise_seed(seed: u64, iteration: u64) -> u64 {
    (seed ^ 0x005E_ED0F_D1FF_u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ iteration.wrapping_mul(0xD1B5_4A32_D192_ED03)
}

/// Part `part` of `parts` of an iteration's mini-batch, on the host.
#[derive(Debug, Clone)]
pub struct IterationItem {
    /// The 1-based iteration.
    pub iteration: u64,
    /// Which part (device) of the batch.
    pub part: usize,
    /// Number of parts (devices).
    pub parts: usize,
    /// The images of this part, `[B/parts, 3, p, p]`.
    pub batch: PairBatch,
}

/// Rows `part·B/parts ..` of a batch of `B` images.
fn part_of(batch: PairBatch, part: usize, parts: usize) -> PairBatch {
    if parts == 1 {
        return batch;
    }
    let [b, c, h, w] = batch.shape;
    let rows = b / parts;
    let (from, len) = (part * rows * c * h * w, rows * c * h * w);
    PairBatch {
        lq: batch.lq[from..from + len].to_vec(),
        gt: batch.gt[from..from + len].to_vec(),
        shape: [rows, c, h, w],
        names: batch.names[part * rows..(part + 1) * rows].to_vec(),
    }
}

/// The training data set of the current epoch (see the module docs).
#[derive(Debug)]
pub struct IterationDataset {
    sampler: Arc<TrainSampler>,
    plan: EpochPlan,
    epoch: Arc<AtomicUsize>,
    parts: usize,
    signals: Arc<RunSignals>,
}

impl IterationDataset {
    /// `parts` parts per iteration; `epoch` is set by the [`EpochLoader`].
    pub fn new(
        sampler: Arc<TrainSampler>,
        plan: EpochPlan,
        parts: usize,
        epoch: Arc<AtomicUsize>,
        signals: Arc<RunSignals>,
    ) -> Self {
        Self { sampler, plan, epoch, parts: parts.max(1), signals }
    }

    fn epoch_len(&self) -> usize {
        self.plan.max_epoch_len() as usize
    }
}

impl Dataset<IterationItem> for IterationDataset {
    fn get(&self, index: usize) -> Option<IterationItem> {
        let (part, k) = (index / self.epoch_len(), (index % self.epoch_len()) as u64);
        let (first, count) = self.plan.iterations(self.epoch.load(Ordering::SeqCst));
        if part >= self.parts || k >= count || self.signals.failed() {
            return None;
        }
        let iteration = first + k;
        match self.sampler.batch(iteration) {
            Ok(batch) => {
                Some(IterationItem { iteration, part, parts: self.parts, batch: part_of(batch, part, self.parts) })
            }
            Err(source) => {
                self.signals.fail(TrainError::TrainData { iteration, source: Box::new(source) });
                None
            }
        }
    }

    fn len(&self) -> usize {
        self.epoch_len() * self.parts
    }
}

/// Turns an [`IterationItem`] into a [`TrainBatch`] on a device, drawing the
/// stage-2 `q_sample` noise of the iteration (the whole batch's, then this part's rows).
#[derive(Debug, Clone, Copy)]
pub struct TrainBatcher {
    /// The stage (stage 2 draws noise).
    pub stage: Stage,
    /// `manual_seed`.
    pub seed: u64,
    /// `(tokens, channels)` of the prior, `[N, C']`.
    pub tokens: (usize, usize),
}

impl<B: Backend> Batcher<B, IterationItem, TrainBatch<B>> for TrainBatcher {
    /// # Shapes
    /// one item of `[b, 3, p, p]` → `lq`, `gt`: `[b, 3, p, p]`, `noise`: `[b, N, C']`.
    fn batch(&self, items: Vec<IterationItem>, device: &B::Device) -> TrainBatch<B> {
        assert_eq!(items.len(), 1, "one data set item is one iteration's batch (batch_size 1)");
        let item = items.into_iter().next().expect("one item");
        let [b, ..] = item.batch.shape;
        let noise = (self.stage == Stage::Two).then(|| {
            let (n, c) = self.tokens;
            let per = b * n * c;
            let all = standard_normal(noise_seed(self.seed, item.iteration), per * item.parts);
            let mine = all[item.part * per..(item.part + 1) * per].to_vec();
            Tensor::<B, 3>::from_data(TensorData::new(mine, [b, n, c]), device)
        });
        let (lq, gt) = item.batch.into_tensors::<B>(device);
        TrainBatch { lq, gt, noise }
    }
}

/// A burn data loader over [`IterationDataset`] that sets the data set's epoch
/// at every `iter()` (the `Learner` calls it once per epoch, on every device's slice).
pub struct EpochLoader<B: Backend> {
    inner: Arc<dyn DataLoader<B, TrainBatch<B>>>,
    epoch: Arc<AtomicUsize>,
    next: AtomicUsize,
}

impl<B: Backend> std::fmt::Debug for EpochLoader<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochLoader").field("epoch", &self.epoch).field("next", &self.next).finish_non_exhaustive()
    }
}

impl<B: Backend> EpochLoader<B> {
    /// The training loader of a session: `parts` parts per iteration, batches on `device`.
    pub fn build(
        sampler: Arc<TrainSampler>,
        plan: EpochPlan,
        parts: usize,
        batcher: TrainBatcher,
        signals: Arc<RunSignals>,
        device: &B::Device,
    ) -> Arc<dyn DataLoader<B, TrainBatch<B>>> {
        let epoch = Arc::new(AtomicUsize::new(plan.first_epoch));
        let dataset = IterationDataset::new(sampler, plan, parts, Arc::clone(&epoch), signals);
        let inner =
            DataLoaderBuilder::new(batcher).batch_size(1).num_workers(1).set_device(device.clone()).build(dataset);
        Arc::new(Self { inner, epoch, next: AtomicUsize::new(plan.first_epoch) })
    }

    fn with_inner(&self, inner: Arc<dyn DataLoader<B, TrainBatch<B>>>) -> Arc<dyn DataLoader<B, TrainBatch<B>>> {
        Arc::new(Self {
            inner,
            epoch: Arc::clone(&self.epoch),
            next: AtomicUsize::new(self.next.load(Ordering::SeqCst)),
        })
    }
}

impl<B: Backend> DataLoader<B, TrainBatch<B>> for EpochLoader<B> {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<TrainBatch<B>> + 'a> {
        // Every device's slice calls this once per epoch and stores the same value.
        self.epoch.store(self.next.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
        self.inner.iter()
    }

    fn num_items(&self) -> usize {
        self.inner.num_items()
    }

    fn to_device(&self, device: &B::Device) -> Arc<dyn DataLoader<B, TrainBatch<B>>> {
        self.with_inner(self.inner.to_device(device))
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<B, TrainBatch<B>>> {
        self.with_inner(self.inner.slice(start, end))
    }
}

/// The validation pairs as a burn data set; an unreadable pair is recorded in
/// the run's signals and ends the validation.
#[derive(Debug)]
pub struct ValDataset {
    set: Arc<ValSet>,
    signals: Arc<RunSignals>,
}

impl ValDataset {
    /// The pairs of `set`.
    pub fn new(set: Arc<ValSet>, signals: Arc<RunSignals>) -> Self {
        Self { set, signals }
    }
}

impl Dataset<Arc<EvalPair>> for ValDataset {
    fn get(&self, index: usize) -> Option<Arc<EvalPair>> {
        if index >= self.set.len() || self.signals.failed() {
            return None;
        }
        match self.set.get(index) {
            Ok(pair) => Some(Arc::new(pair)),
            Err(e) => {
                self.signals.fail(e);
                None
            }
        }
    }

    fn len(&self) -> usize {
        self.set.len()
    }
}

/// One validation pair → a [`ValBatch`] of one image carrying its reference.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValBatcher;

impl<B: Backend> Batcher<B, Arc<EvalPair>, ValBatch<B>> for ValBatcher {
    /// # Shapes
    /// one pair of `H × W` → `lq`, `gt`: `[1, 3, H, W]`.
    fn batch(&self, items: Vec<Arc<EvalPair>>, device: &B::Device) -> ValBatch<B> {
        assert_eq!(items.len(), 1, "validation images are processed one at a time");
        let pair = items.into_iter().next().expect("one item");
        let item = pair.to_item();
        let shape = [1, 3, item.height, item.width];
        ValBatch {
            lq: Tensor::from_data(TensorData::new(item.lq, shape), device),
            gt: Tensor::from_data(TensorData::new(item.gt, shape), device),
            reference: Some(pair),
        }
    }
}

/// The validation loader (on the main device; the `Learner` moves it there).
pub fn val_loader<B: Backend>(
    set: Arc<ValSet>,
    signals: Arc<RunSignals>,
    device: &B::Device,
) -> Arc<dyn DataLoader<B, ValBatch<B>>> {
    DataLoaderBuilder::new(ValBatcher).batch_size(1).set_device(device.clone()).build(ValDataset::new(set, signals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_consecutive_rows() {
        let batch = PairBatch {
            lq: (0..4 * 3).map(|v| v as f32).collect(),
            gt: (0..4 * 3).map(|v| -(v as f32)).collect(),
            shape: [4, 3, 1, 1],
            names: ["a", "b", "c", "d"].map(String::from).to_vec(),
        };
        let second = part_of(batch.clone(), 1, 2);
        assert_eq!(second.shape, [2, 3, 1, 1]);
        assert_eq!(second.lq, vec![6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        assert_eq!(second.names, vec!["c".to_string(), "d".to_string()]);
        assert_eq!(part_of(batch.clone(), 0, 1), batch);
    }
}
