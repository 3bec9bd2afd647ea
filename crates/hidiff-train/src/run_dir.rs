//! The run folder: refusing to overwrite a run, the resolved configuration saved
//! beside the checkpoints, and the check that `--resume` continues the same experiment.
//!
//! ```text
//! <out>/experiment.toml          the experiment as run (command-line overrides applied)
//! <out>/model.toml               the resolved model configuration
//! <out>/metrics.jsonl            the log
//! <out>/checkpoints/iter_N/      exact-resume checkpoints
//! <out>/model_latest.safetensors the model at the last checkpoint (our weights format)
//! <out>/model_best.safetensors   the model of the best validation PSNR
//! ```

use std::fs;
use std::path::Path;

use hidiff_model::checkpoint::write_atomically;

use crate::error::{Result, TrainError};
use crate::experiment::{Experiment, ExperimentFile};

/// The saved experiment.
pub const EXPERIMENT_FILE: &str = "experiment.toml";
/// The saved model configuration.
pub const MODEL_FILE: &str = "model.toml";
/// The exported model of the last checkpoint.
pub const LATEST_WEIGHTS: &str = "model_latest.safetensors";
/// The exported model of the best validation.
pub const BEST_WEIGHTS: &str = "model_best.safetensors";

/// Whether `out` exists and holds anything.
///
/// # Errors
/// An unreadable folder.
pub fn is_used(out: &Path) -> Result<bool> {
    if !out.exists() {
        return Ok(false);
    }
    let mut entries = fs::read_dir(out).map_err(|e| TrainError::io("cannot list", out, e))?;
    Ok(entries.next().is_some())
}

/// Prepares `out` for a fresh run: it must not exist or be empty.
///
/// # Errors
/// [`TrainError::OutputNotEmpty`], or a failed write.
pub fn create(out: &Path, exp: &Experiment) -> Result<()> {
    if is_used(out)? {
        return Err(TrainError::OutputNotEmpty(out.to_path_buf()));
    }
    fs::create_dir_all(out).map_err(|e| TrainError::io("cannot create", out, e))?;
    write_atomically(&out.join(EXPERIMENT_FILE), exp.to_toml_string().as_bytes())?;
    write_atomically(&out.join(MODEL_FILE), exp.model.to_toml_string().as_bytes())?;
    Ok(())
}

/// The fields a resumed run may change: its length, logging, validation and
/// checkpoint cadence. Everything else shapes the trajectory and must be equal.
fn normalised(f: &ExperimentFile) -> ExperimentFile {
    let mut f = f.clone();
    f.train.total_iter = 0;
    f.logger.print_freq = 1;
    f.logger.save_checkpoint_freq = 1;
    f.logger.keep_checkpoints = 1;
    f.val.val_freq = 1;
    f.val.val_at_start = false;
    f.datasets.val.max_pairs = None;
    f
}

/// Checks that `exp` is the experiment the run in `out` was started with, up to
/// the fields of `normalised`.
///
/// # Errors
/// [`TrainError::Resume`] naming the sections that differ.
pub fn check_resume(out: &Path, exp: &Experiment) -> Result<()> {
    let path = out.join(EXPERIMENT_FILE);
    if !path.is_file() {
        return Err(TrainError::Resume {
            path: out.to_path_buf(),
            message: format!("there is no run here ({} is missing)", path.display()),
        });
    }
    let text = fs::read_to_string(&path).map_err(|e| TrainError::io("cannot read", &path, e))?;
    let saved: ExperimentFile =
        toml::from_str(&text).map_err(|e| TrainError::Experiment { path: path.clone(), message: e.to_string() })?;
    let (a, b) = (normalised(&saved), normalised(&exp.file));
    if a == b {
        return Ok(());
    }
    let ta: toml::Table = toml::from_str(&toml::to_string(&a).expect("serialises")).expect("parses");
    let tb: toml::Table = toml::from_str(&toml::to_string(&b).expect("serialises")).expect("parses");
    let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    let differing: Vec<String> = keys.into_iter().filter(|k| ta.get(*k) != tb.get(*k)).map(|k| k.to_string()).collect();
    Err(TrainError::Resume {
        path: out.to_path_buf(),
        message: format!(
            "the experiment differs from the saved {} in [{}] (only total_iter, logging, validation and checkpoint \
             frequencies may change on resume)",
            path.display(),
            differing.join("], [")
        ),
    })
}
