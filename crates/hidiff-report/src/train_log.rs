//! `<run>/metrics.jsonl`, the training log of `hidiff train`: one JSON object a
//! line, `"kind": "train"` or `"kind": "val"`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::json::ReportError;

/// A training line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainRecord {
    /// 1-based iteration.
    pub iter: u64,
    /// The optimised total loss.
    pub loss: f64,
    /// Image L1.
    pub l_pix: f64,
    /// Prior L1 (stage 2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l_pix_diff: Option<f64>,
    /// Learning rate of this iteration.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Patch side.
    pub patch: usize,
    /// Mini-batch (all devices).
    pub batch: usize,
    /// Training throughput since the previous line.
    pub images_per_s: f64,
}

/// A validation line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValRecord {
    /// Iterations done when validating (0 = before training).
    pub iter: u64,
    /// Mean BasicSR PSNR (dB).
    pub val_psnr: f64,
    /// Mean L1 of the float outputs.
    pub val_l1: f64,
    /// Images validated.
    pub images: usize,
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TrainLogLine {
    /// `"kind": "train"`.
    Train(TrainRecord),
    /// `"kind": "val"`.
    Val(ValRecord),
}

/// A whole log, split by kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainLog {
    /// Training lines in order.
    pub train: Vec<TrainRecord>,
    /// Validation lines in order.
    pub val: Vec<ValRecord>,
}

impl TrainLog {
    /// The last validation line.
    pub fn last_val(&self) -> Option<&ValRecord> {
        self.val.last()
    }

    /// Mean throughput over the training lines (images per second).
    pub fn mean_images_per_s(&self) -> Option<f64> {
        (!self.train.is_empty())
            .then(|| self.train.iter().map(|r| r.images_per_s).sum::<f64>() / self.train.len() as f64)
    }
}

/// Reads `path` (a `metrics.jsonl`); blank lines are skipped.
///
/// # Errors
/// [`ReportError`] naming the file and the line that does not parse.
pub fn read_train_log(path: &Path) -> Result<TrainLog, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })?;
    let mut log = TrainLog::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let what = format!("{} line {}", path.display(), i + 1);
        match crate::json::from_str::<TrainLogLine>(line, &what)? {
            TrainLogLine::Train(r) => log.train.push(r),
            TrainLogLine::Val(r) => log.val.push(r),
        }
    }
    Ok(log)
}
