//! The run folder: refusing to overwrite a run, the resolved configuration saved
//! beside the checkpoints, and the check that `--resume` continues the same experiment.
//!
//! ```text
//! <out>/experiment.toml          the experiment as run (command-line overrides applied)
//! <out>/model.toml               the resolved model configuration
//! <out>/metrics.jsonl            the log
//! <out>/checkpoints/             exact-resume checkpoints (the `Learner`'s folder, see `checkpoint`)
//! <out>/logs/                    burn-train's per-epoch metric logs (train/, valid/)
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
/// burn-train's metric logs.
pub const BURN_LOGS: &str = "logs";

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
    let ta = toml::Value::try_from(&a).expect("serialises");
    let tb = toml::Value::try_from(&b).expect("serialises");
    let field = first_difference(&ta, &tb, "").unwrap_or_default();
    let section = field.split(['.', ':']).next().unwrap_or_default();
    Err(TrainError::Resume {
        path: out.to_path_buf(),
        message: format!(
            "the experiment differs from the saved {} in [{section}], first at {field} (only total_iter, logging, \
             validation and checkpoint frequencies may change on resume)",
            path.display(),
        ),
    })
}

/// The dotted name and both values of the first field where `a` and `b` differ
/// (`train.optim_total.lr: 0.001 (saved) vs 0.0005`).
fn first_difference(a: &toml::Value, b: &toml::Value, at: &str) -> Option<String> {
    let name = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match (a, b) {
        (toml::Value::Table(ta), toml::Value::Table(tb)) => {
            let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
            keys.into_iter().find_map(|k| match (ta.get(k), tb.get(k)) {
                (Some(x), Some(y)) => first_difference(x, y, &name(k)),
                (x, y) => Some(format!("{}: {} (saved) vs {}", name(k), shown(x), shown(y))),
            })
        }
        _ if a == b => None,
        _ => Some(format!("{at}: {a} (saved) vs {b}")),
    }
}

fn shown(v: Option<&toml::Value>) -> String {
    v.map_or_else(|| "absent".to_string(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_field_is_named_with_both_values() {
        let a: toml::Value = toml::from_str("[train]\nlr = 1.0\n[train.s]\np = [1, 2]\n").expect("toml");
        let b: toml::Value = toml::from_str("[train]\nlr = 1.0\n[train.s]\np = [1, 3]\n").expect("toml");
        assert_eq!(first_difference(&a, &b, "").as_deref(), Some("train.s.p: [1, 2] (saved) vs [1, 3]"));
        assert_eq!(first_difference(&a, &a, ""), None);
    }
}
