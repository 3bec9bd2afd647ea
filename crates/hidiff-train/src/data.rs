//! The thin adapter between an experiment and `hidiff-data`: the data root, the
//! default synthetic set, the training sampler and the validation pairs.

use std::path::{Path, PathBuf};

use hidiff_data::synthetic::ensure_default_dataset;
use hidiff_data::{
    DataError, EvalDataset, EvalPair, FolderPair, PairSet, ProgressiveSchedule, SamplerConfig, ScheduleStage, SizeRule,
    TrainSampler,
};

use crate::error::Result;
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

/// `path` without its first component, when it has more than one.
fn without_first(path: &Path) -> Option<PathBuf> {
    let mut parts = path.components();
    parts.next()?;
    let rest = parts.as_path();
    (!rest.as_os_str().is_empty()).then(|| rest.to_path_buf())
}

/// The paired folders `root/dataroot_lq`, `root/dataroot_gt`, which must exist.
/// `root` may also be the folder that the first component of both paths names:
/// `--data X` with `X` written by `hidiff prepare synthetic --out X` serves
/// experiments that read `synthetic/train/input` under the default root.
fn folders(root: &Path, lq: &Path, gt: &Path) -> Result<FolderPair> {
    let pair = FolderPair { lq: root.join(lq), gt: root.join(gt) };
    if pair.exists() {
        return Ok(pair);
    }
    if let (Some(l), Some(g)) = (without_first(lq), without_first(gt)) {
        let inside = FolderPair { lq: root.join(l), gt: root.join(g) };
        if inside.exists() {
            return Ok(inside);
        }
    }
    let tried = [&pair.lq, &pair.gt].into_iter().filter(|p| !p.is_dir()).cloned().collect();
    Err(DataError::MissingFolder { what: "paired image".into(), tried }.into())
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
pub fn open_train(
    exp: &ExperimentFile,
    schedule: &ProgressiveSchedule,
    root: &Path,
    devices: usize,
) -> Result<TrainSampler> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prepared_folder_itself_is_a_data_root() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let set = tmp.path().join("mine");
        for d in ["train/input", "train/target"] {
            std::fs::create_dir_all(set.join(d)).expect("mkdir");
        }
        let (lq, gt) = (Path::new("synthetic/train/input"), Path::new("synthetic/train/target"));
        let found = folders(&set, lq, gt).expect("the prepared folder");
        assert_eq!(found.lq, set.join("train/input"));
        // The old form, the parent of a folder named like the first component, still works.
        std::fs::rename(&set, tmp.path().join("synthetic")).expect("rename");
        assert_eq!(folders(tmp.path(), lq, gt).expect("the parent").gt, tmp.path().join("synthetic/train/target"));
        let missing = folders(&tmp.path().join("nothing"), lq, gt).expect_err("no data").to_string();
        assert!(missing.contains("nothing/synthetic/train/input"), "{missing}");
    }
}
