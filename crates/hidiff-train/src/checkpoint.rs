//! Training checkpoints for exact resume, written by burn-train's `Learner`.
//!
//! ```text
//! <out>/checkpoints/checkpoint/model-E.mpk      the stage module (burn NamedMpk record, with ParamIds)
//! <out>/checkpoints/checkpoint/optim-E.mpk      the AdamW state, keyed by ParamId
//! <out>/checkpoints/checkpoint/scheduler-E.mpk  the learning-rate schedule's served steps
//! <out>/checkpoints/state-E.json                iteration, seed, stage, best PSNR of epoch E
//! ```
//!
//! `E` is the `Learner`'s epoch (one epoch = `val_freq` iterations, see
//! [`crate::plan`]); `state-E.json` maps it to the iteration. The three records
//! are written by burn's file checkpointer through [`AtomicRecorder`], so each
//! file appears under its final name only when complete; the state file is
//! written (atomically) first. A checkpoint is *complete* when all four files
//! exist, and resume takes the newest complete one.
//!
//! burn records, not safetensors, are needed: the optimiser state is keyed by
//! `ParamId`, and only a record restores the ids (loading weights through a
//! store keeps fresh ids and silently drops the Adam moments). The sampler and the
//! stage-2 noise are pure functions of `(seed, iteration)`, so the iteration is
//! their whole state.

use std::fs;
use std::path::{Path, PathBuf};

use burn::record::{FileRecorder, FullPrecisionSettings, NamedMpkFileRecorder, Recorder, RecorderError};
use burn::tensor::backend::Backend;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Version of the checkpoint layout (1 was the `iter_N/` folders of the old loop).
pub const FORMAT: u32 = 2;
/// The folder of the checkpoints inside a run folder (the `Learner`'s directory).
pub const CHECKPOINT_DIR: &str = "checkpoints";
/// The sub-folder where burn's file checkpointer writes the records.
pub const RECORD_DIR: &str = "checkpoint";
/// The records of one checkpoint, as burn's file checkpointer names them.
pub const RECORDS: [&str; 3] = ["model", "optim", "scheduler"];

/// Everything but the tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingState {
    /// Layout version ([`FORMAT`]).
    pub format: u32,
    /// 1 or 2.
    pub stage: u8,
    /// Completed iterations.
    pub iteration: u64,
    /// The `Learner` epoch whose end this is (the records' number).
    pub epoch: usize,
    /// Seed of the sampler and of the stage-2 noise (`manual_seed`).
    pub seed: u64,
    /// Best validation PSNR so far and its iteration.
    pub best: Option<Best>,
}

/// The best validation result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Best {
    /// PSNR in dB.
    pub psnr: f64,
    /// Its iteration.
    pub iteration: u64,
}

/// One complete checkpoint on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Completed iterations.
    pub iteration: u64,
    /// The `Learner` epoch.
    pub epoch: usize,
    /// `state-E.json`.
    pub state: PathBuf,
    /// `model-E.mpk`.
    pub model: PathBuf,
    /// `optim-E.mpk`.
    pub optim: PathBuf,
    /// `scheduler-E.mpk`.
    pub scheduler: PathBuf,
}

/// The `Learner` directory of a run.
pub fn learner_dir(run: &Path) -> PathBuf {
    run.join(CHECKPOINT_DIR)
}

/// `state-E.json` of epoch `epoch`.
pub fn state_path(run: &Path, epoch: usize) -> PathBuf {
    learner_dir(run).join(format!("state-{epoch}.json"))
}

/// The record `name` (`model`, `optim`, `scheduler`) of epoch `epoch`.
pub fn record_path(run: &Path, name: &str, epoch: usize) -> PathBuf {
    learner_dir(run).join(RECORD_DIR).join(format!("{name}-{epoch}.mpk"))
}

fn parse_epoch(name: &str) -> Option<usize> {
    name.strip_prefix("state-")?.strip_suffix(".json").filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
}

fn ckpt_err(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint { path: path.to_path_buf(), message: e.to_string() }
}

/// Complete checkpoints of a run, oldest first.
///
/// # Errors
/// An unreadable checkpoint folder or state file.
pub fn list(run: &Path) -> Result<Vec<Checkpoint>> {
    let dir = learner_dir(run);
    if !dir.is_dir() {
        return Ok(vec![]);
    }
    let mut found = Vec::new();
    for entry in fs::read_dir(&dir).map_err(|e| TrainError::io("cannot list", &dir, e))? {
        let entry = entry.map_err(|e| TrainError::io("cannot list", &dir, e))?;
        let Some(epoch) = parse_epoch(&entry.file_name().to_string_lossy()) else { continue };
        let [model, optim, scheduler] = RECORDS.map(|r| record_path(run, r, epoch));
        if !(model.is_file() && optim.is_file() && scheduler.is_file()) {
            continue;
        }
        let state = read_state(&entry.path())?;
        found.push(Checkpoint { iteration: state.iteration, epoch, state: entry.path(), model, optim, scheduler });
    }
    found.sort_by_key(|c| (c.iteration, c.epoch));
    Ok(found)
}

/// The newest complete checkpoint, if any.
///
/// # Errors
/// As [`list`].
pub fn latest(run: &Path) -> Result<Option<Checkpoint>> {
    Ok(list(run)?.pop())
}

/// Writes `state-E.json` atomically.
///
/// # Errors
/// A failed write, naming the file.
pub fn write_state(run: &Path, state: &TrainingState) -> Result<PathBuf> {
    let path = state_path(run, state.epoch);
    let dir = learner_dir(run);
    fs::create_dir_all(&dir).map_err(|e| TrainError::io("cannot create", &dir, e))?;
    let json = serde_json::to_string_pretty(state).expect("the state serialises");
    hidiff_model::checkpoint::write_atomically(&path, json.as_bytes())?;
    Ok(path)
}

/// Reads a checkpoint's state file.
///
/// # Errors
/// A missing or malformed state file, or another layout version.
pub fn read_state(path: &Path) -> Result<TrainingState> {
    let text = fs::read_to_string(path).map_err(|e| TrainError::io("cannot read", path, e))?;
    let state: TrainingState = serde_json::from_str(&text).map_err(|e| ckpt_err(path, e))?;
    if state.format != FORMAT {
        return Err(ckpt_err(path, format!("layout version {} (this program reads {FORMAT})", state.format)));
    }
    Ok(state)
}

/// Removes the state file of a checkpoint that the `Learner` is about to delete,
/// so that it stops counting as complete first.
///
/// # Errors
/// A failed removal.
pub fn forget(run: &Path, epoch: usize) -> Result<()> {
    let path = state_path(run, epoch);
    if path.exists() {
        fs::remove_file(&path).map_err(|e| TrainError::io("cannot remove", &path, e))?;
    }
    Ok(())
}

/// burn's `NamedMpkFileRecorder` (full precision) writing each file under a
/// temporary name in the same folder and renaming it into place, so that a
/// crash never leaves a half-written record under a final name.
#[derive(Debug, Clone, Default)]
pub struct AtomicRecorder {
    inner: NamedMpkFileRecorder<FullPrecisionSettings>,
}

impl AtomicRecorder {
    /// The recorder.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<B: Backend> Recorder<B> for AtomicRecorder {
    type Settings = FullPrecisionSettings;
    type RecordArgs = PathBuf;
    type RecordOutput = ();
    type LoadArgs = PathBuf;

    fn save_item<I: Serialize>(&self, item: I, file: PathBuf) -> Result<(), RecorderError> {
        let mut target = file.clone();
        target.set_extension(<Self as FileRecorder<B>>::file_extension());
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // No dot after the first: the inner recorder replaces the extension.
        let tmp = target.with_file_name(format!(".tmp-{}-{}", std::process::id(), name.replace('.', "_")));
        Recorder::<B>::save_item(&self.inner, item, tmp.clone())?;
        let mut written = tmp;
        written.set_extension(<Self as FileRecorder<B>>::file_extension());
        fs::rename(&written, &target).map_err(|e| {
            let _ = fs::remove_file(&written);
            RecorderError::Unknown(format!("cannot rename {} into {}: {e}", written.display(), target.display()))
        })
    }

    fn load_item<I: DeserializeOwned>(&self, file: &mut PathBuf) -> Result<I, RecorderError> {
        Recorder::<B>::load_item(&self.inner, file)
    }
}

impl<B: Backend> FileRecorder<B> for AtomicRecorder {
    fn file_extension() -> &'static str {
        "mpk"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_appear_whole_and_incomplete_checkpoints_do_not_count() {
        type B = burn::backend::Flex;
        let tmp = tempfile::tempdir().expect("tempdir");
        let run = tmp.path();
        let state = TrainingState { format: FORMAT, stage: 1, iteration: 8, epoch: 2, seed: 5, best: None };
        write_state(run, &state).expect("state");
        assert!(list(run).expect("list").is_empty(), "a state without its records is not a checkpoint");
        let recorder = AtomicRecorder::new();
        for name in RECORDS {
            // burn's file checkpointer passes the path without extension.
            Recorder::<B>::record(&recorder, 42usize, record_path(run, name, 2).with_extension("")).expect("record");
        }
        let found = list(run).expect("list");
        assert_eq!(found.iter().map(|c| (c.iteration, c.epoch)).collect::<Vec<_>>(), vec![(8, 2)]);
        let back: usize =
            Recorder::<B>::load(&recorder, found[0].scheduler.clone(), &Default::default()).expect("load");
        assert_eq!(back, 42);
        let dir = learner_dir(run).join(RECORD_DIR);
        let names: Vec<String> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.iter().all(|n| !n.starts_with('.')), "no temporary file is left: {names:?}");
        forget(run, 2).expect("forget");
        assert!(list(run).expect("list").is_empty(), "without its state the checkpoint no longer counts");
    }

    #[test]
    fn state_names_parse_and_others_do_not() {
        assert_eq!(parse_epoch("state-12.json"), Some(12));
        assert_eq!(parse_epoch("state-.json"), None);
        assert_eq!(parse_epoch("state-1x.json"), None);
        assert_eq!(parse_epoch("model-3.mpk"), None);
    }
}
