//! Training checkpoints for exact resume.
//!
//! ```text
//! <out>/checkpoints/iter_00004000/
//!   model.mpk    the stage module (burn NamedMpk record, full precision, with ParamIds)
//!   optim.mpk    the AdamW state, keyed by ParamId
//!   state.json   iteration, scheduler position, sampler and noise seeds, best PSNR
//! ```
//!
//! burn records, not safetensors, are needed here: the optimiser state is keyed by
//! `ParamId`, and only a record restores the ids (loading weights through a
//! store keeps fresh ids and silently drops the Adam moments). The sampler and the
//! stage-2 noise are pure functions of `(seed, iteration)`, so the iteration is
//! their whole state.
//!
//! A checkpoint is written into a hidden temporary folder and renamed into
//! place when complete, so a crash never leaves a half-written checkpoint under a
//! final name; resume takes the newest complete one.

use std::fs;
use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Version of the checkpoint layout.
pub const FORMAT: u32 = 1;
/// The folder of the checkpoints inside a run folder.
pub const CHECKPOINT_DIR: &str = "checkpoints";
const STATE_FILE: &str = "state.json";

/// The recorder of model and optimiser records.
pub type CheckpointRecorder = NamedMpkFileRecorder<FullPrecisionSettings>;

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
    /// The learning-rate scheduler's record (its served steps).
    pub scheduler: usize,
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

/// The folder of the checkpoint of iteration `i`.
pub fn checkpoint_path(run: &Path, i: u64) -> PathBuf {
    run.join(CHECKPOINT_DIR).join(format!("iter_{i:08}"))
}

fn parse_iteration(name: &str) -> Option<u64> {
    name.strip_prefix("iter_").filter(|s| s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse().ok())
}

/// Complete checkpoints of a run, oldest first.
///
/// # Errors
/// An unreadable checkpoint folder.
pub fn list(run: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let dir = run.join(CHECKPOINT_DIR);
    if !dir.is_dir() {
        return Ok(vec![]);
    }
    let mut found = Vec::new();
    for entry in fs::read_dir(&dir).map_err(|e| TrainError::io("cannot list", &dir, e))? {
        let entry = entry.map_err(|e| TrainError::io("cannot list", &dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(i) = parse_iteration(&name) {
            if entry.path().join(STATE_FILE).is_file() {
                found.push((i, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The newest complete checkpoint, if any.
///
/// # Errors
/// As [`list`].
pub fn latest(run: &Path) -> Result<Option<(u64, PathBuf)>> {
    Ok(list(run)?.pop())
}

fn ckpt_err(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint { path: path.to_path_buf(), message: e.to_string() }
}

/// Writes the checkpoint of `state.iteration` atomically and keeps the newest `keep`.
///
/// # Errors
/// A failed write, naming the folder.
pub fn save<B, M, O>(run: &Path, state: &TrainingState, model: &M, optim: &O, keep: usize) -> Result<PathBuf>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: Optimizer<M, B>,
{
    let final_dir = checkpoint_path(run, state.iteration);
    let parent = final_dir.parent().expect("has a parent").to_path_buf();
    fs::create_dir_all(&parent).map_err(|e| TrainError::io("cannot create", &parent, e))?;
    let tmp = parent.join(format!(".iter_{:08}.tmp-{}", state.iteration, std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| TrainError::io("cannot remove", &tmp, e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| TrainError::io("cannot create", &tmp, e))?;
    let recorder = CheckpointRecorder::new();
    model.clone().save_file(tmp.join("model"), &recorder).map_err(|e| ckpt_err(&tmp, format!("model: {e:?}")))?;
    Recorder::<B>::record(&recorder, optim.to_record(), tmp.join("optim")).map_err(|e| ckpt_err(&tmp, format!("optimizer: {e:?}")))?;
    let json = serde_json::to_string_pretty(state).expect("the state serialises");
    let state_path = tmp.join(STATE_FILE);
    fs::write(&state_path, json).map_err(|e| TrainError::io("cannot write", &state_path, e))?;
    if final_dir.exists() {
        fs::remove_dir_all(&final_dir).map_err(|e| TrainError::io("cannot replace", &final_dir, e))?;
    }
    fs::rename(&tmp, &final_dir).map_err(|e| TrainError::io("cannot rename into", &final_dir, e))?;
    prune(run, keep)?;
    Ok(final_dir)
}

/// Removes all but the newest `keep` checkpoints, and leftover temporary folders.
fn prune(run: &Path, keep: usize) -> Result<()> {
    let all = list(run)?;
    for (_, dir) in all.iter().take(all.len().saturating_sub(keep)) {
        fs::remove_dir_all(dir).map_err(|e| TrainError::io("cannot remove", dir, e))?;
    }
    let dir = run.join(CHECKPOINT_DIR);
    for entry in fs::read_dir(&dir).map_err(|e| TrainError::io("cannot list", &dir, e))? {
        let entry = entry.map_err(|e| TrainError::io("cannot list", &dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".iter_") && name.contains(".tmp-") {
            let p = entry.path();
            fs::remove_dir_all(&p).map_err(|e| TrainError::io("cannot remove", &p, e))?;
        }
    }
    Ok(())
}

/// Reads a checkpoint's state.
///
/// # Errors
/// A missing or malformed `state.json`.
pub fn read_state(dir: &Path) -> Result<TrainingState> {
    let path = dir.join(STATE_FILE);
    let text = fs::read_to_string(&path).map_err(|e| TrainError::io("cannot read", &path, e))?;
    let state: TrainingState = serde_json::from_str(&text).map_err(|e| ckpt_err(&path, e))?;
    if state.format != FORMAT {
        return Err(ckpt_err(&path, format!("layout version {} (this program reads {FORMAT})", state.format)));
    }
    Ok(state)
}

/// Loads the module and optimiser records of a checkpoint into freshly built ones.
///
/// # Errors
/// Missing or incompatible records.
pub fn load<B, M, O>(dir: &Path, model: M, optim: O, device: &B::Device) -> Result<(M, O)>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: Optimizer<M, B>,
{
    let recorder = CheckpointRecorder::new();
    let model = model.load_file(dir.join("model"), &recorder, device).map_err(|e| ckpt_err(dir, format!("model: {e:?}")))?;
    let record = Recorder::<B>::load(&recorder, dir.join("optim"), device).map_err(|e| ckpt_err(dir, format!("optimizer: {e:?}")))?;
    Ok((model, optim.load_record(record)))
}
