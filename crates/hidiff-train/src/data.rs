//! The thin adapter between an experiment and `hidiff-data`: the data root, the
//! default synthetic set, the training sampler (with a background prefetch of the
//! next batches) and the validation pairs.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use hidiff_data::synthetic::ensure_default_dataset;
use hidiff_data::{
    DataError, EvalDataset, EvalPair, FolderPair, PairBatch, PairSet, ProgressiveSchedule, SamplerConfig, ScheduleStage,
    SizeRule, TrainSampler,
};

use crate::error::{Result, TrainError};
use crate::experiment::ExperimentFile;

/// The data root used when `--data` is not given.
pub const DEFAULT_DATA_ROOT: &str = "datasets";

/// The data root of a run. With `generate_synthetic` and no explicit root, the
/// default synthetic set is generated under `<root>/synthetic` on first use.
///
/// # Errors
/// A failed generation, naming the file.
pub fn prepare_data_root(exp: &ExperimentFile, explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(root) => Ok(root.to_path_buf()),
        None => {
            let root = PathBuf::from(DEFAULT_DATA_ROOT);
            if exp.datasets.generate_synthetic {
                ensure_default_dataset(&root.join("synthetic"))?;
            }
            Ok(root)
        }
    }
}

/// The paired folders `root/dataroot_lq`, `root/dataroot_gt`, which must exist.
fn folders(root: &Path, lq: &Path, gt: &Path) -> Result<FolderPair> {
    let pair = FolderPair { lq: root.join(lq), gt: root.join(gt) };
    if !pair.exists() {
        let tried = [&pair.lq, &pair.gt].into_iter().filter(|p| !p.is_dir()).cloned().collect();
        return Err(DataError::MissingFolder { what: "paired image".into(), tried }.into());
    }
    Ok(pair)
}

/// The schedule with every batch multiplied by `devices` (each device gets the
/// configured per-device batch, as in the reference's DDP runs).
pub fn scaled_schedule(schedule: &ProgressiveSchedule, devices: usize) -> ProgressiveSchedule {
    let stages: Vec<ScheduleStage> =
        schedule.stages().iter().map(|s| ScheduleStage { batch: s.batch * devices, ..*s }).collect();
    ProgressiveSchedule::new(stages).expect("scaling a valid schedule keeps it valid")
}

/// The training sampler of `[datasets.train]` over `root`, for `devices` devices.
///
/// # Errors
/// A missing folder, unpaired files, an unreadable header, a pair of different
/// sizes or an image smaller than the largest patch, each naming the file.
pub fn open_train(exp: &ExperimentFile, schedule: &ProgressiveSchedule, root: &Path, devices: usize) -> Result<TrainSampler> {
    let d = &exp.datasets.train;
    let set = PairSet::discover(&folders(root, &d.dataroot_lq, &d.dataroot_gt)?, SizeRule::Equal)?;
    let config = SamplerConfig { seed: exp.manual_seed, schedule: scaled_schedule(schedule, devices), cache: d.cache };
    Ok(TrainSampler::from_set(set, config)?)
}

/// The validation pairs of `[datasets.val]` (the first `max_pairs`).
#[derive(Debug)]
pub struct ValSet {
    data: EvalDataset,
    len: usize,
}

impl ValSet {
    /// Opens `[datasets.val]` under `root`.
    ///
    /// # Errors
    /// As [`open_train`].
    pub fn open(exp: &ExperimentFile, root: &Path) -> Result<Self> {
        let d = &exp.datasets.val;
        let mut set = PairSet::discover(&folders(root, &d.dataroot_lq, &d.dataroot_gt)?, SizeRule::GtCoversLq)?;
        if let Some(max) = d.max_pairs {
            set.pairs.truncate(max);
        }
        let len = set.len();
        Ok(Self { data: EvalDataset::new(set, d.cache)?, len })
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none (never for an opened set).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pair `i` as 8-bit images.
    ///
    /// # Errors
    /// An unreadable image, naming it.
    pub fn get(&self, i: usize) -> Result<EvalPair> {
        Ok(self.data.load(i)?)
    }
}

/// Builds the batches of iterations `first..=last` on a background thread, a
/// few iterations ahead. [`TrainSampler::batch`] is a pure function of the seed
/// and the iteration, so prefetching changes nothing in the result.
#[derive(Debug)]
pub struct Prefetcher {
    rx: Receiver<(u64, hidiff_data::Result<PairBatch>)>,
}

impl Prefetcher {
    /// Starts the thread; `depth` batches may wait ready.
    pub fn start(sampler: Arc<TrainSampler>, first: u64, last: u64, depth: usize) -> Self {
        let (tx, rx) = sync_channel(depth.max(1));
        std::thread::Builder::new()
            .name("hidiff-prefetch".into())
            .spawn(move || {
                for i in first..=last {
                    let batch = sampler.batch(i);
                    let failed = batch.is_err();
                    // A closed channel means the loop stopped: end quietly.
                    if tx.send((i, batch)).is_err() || failed {
                        break;
                    }
                }
            })
            .expect("the prefetch thread starts");
        Self { rx }
    }

    /// The batch of iteration `i` (the next one in order).
    ///
    /// # Errors
    /// [`TrainError::TrainData`] naming the iteration and the file.
    pub fn next(&mut self, i: u64) -> Result<PairBatch> {
        match self.rx.recv() {
            Ok((j, batch)) => {
                assert_eq!(i, j, "batches are consumed in order");
                batch.map_err(|source| TrainError::TrainData { iteration: i, source: Box::new(source) })
            }
            Err(_) => Err(TrainError::Unsupported(format!("the data thread stopped before iteration {i}"))),
        }
    }
}
