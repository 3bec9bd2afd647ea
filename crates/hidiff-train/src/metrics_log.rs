//! `<out>/metrics.jsonl`: one JSON object per line, appended as training goes.
//!
//! Training lines carry `"kind": "train"`, `iter`, `loss`, `l_pix`,
//! `l_pix_diff` (stage 2), `lr`, `grad_norm` (before clipping), `patch`,
//! `batch`, `images_per_s`; validation lines carry `"kind": "val"`, `iter`,
//! `val_psnr`, `val_l1`, `images`. On resume, lines after the checkpoint's
//! iteration (written by the interrupted run after its last checkpoint) are
//! dropped first, so the file reads as one uninterrupted run.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// File name inside the run folder.
pub const METRICS_FILE: &str = "metrics.jsonl";

/// A training log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainRecord {
    /// `"train"`.
    pub kind: String,
    /// 1-based iteration.
    pub iter: u64,
    /// The optimised total loss of this iteration.
    pub loss: f64,
    /// Image L1.
    pub l_pix: f64,
    /// Prior L1 (stage 2).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub l_pix_diff: Option<f64>,
    /// Learning rate used by this iteration.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Patch side of this iteration.
    pub patch: usize,
    /// Mini-batch of this iteration (all devices).
    pub batch: usize,
    /// Training throughput since the previous line.
    pub images_per_s: f64,
}

/// A validation log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValRecord {
    /// `"val"`.
    pub kind: String,
    /// Iterations done when validating (0 = before training).
    pub iter: u64,
    /// Mean BasicSR PSNR (dB).
    pub val_psnr: f64,
    /// Mean L1 of the float outputs.
    pub val_l1: f64,
    /// Images validated.
    pub images: usize,
}

/// The append-only log.
#[derive(Debug)]
pub struct MetricsLog {
    path: PathBuf,
    file: File,
}

impl MetricsLog {
    /// Opens `<run>/metrics.jsonl` for appending; with `keep_until = Some(i)`,
    /// first drops every line whose `iter` exceeds `i` (rewritten atomically).
    ///
    /// # Errors
    /// An unreadable or unwritable file.
    pub fn open(run: &Path, keep_until: Option<u64>) -> Result<Self> {
        let path = run.join(METRICS_FILE);
        if let (Some(limit), true) = (keep_until, path.is_file()) {
            let text = fs::read_to_string(&path).map_err(|e| TrainError::io("cannot read", &path, e))?;
            let kept: String = text
                .lines()
                .filter(|line| {
                    serde_json::from_str::<serde_json::Value>(line)
                        .ok()
                        .and_then(|v| v.get("iter").and_then(|i| i.as_u64()))
                        .is_some_and(|i| i <= limit)
                })
                .map(|l| format!("{l}\n"))
                .collect();
            hidiff_model::checkpoint::write_atomically(&path, kept.as_bytes())?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| TrainError::io("cannot open", &path, e))?;
        Ok(Self { path, file })
    }

    /// Appends one object as a line and flushes.
    ///
    /// # Errors
    /// A failed write.
    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<()> {
        let mut line = serde_json::to_string(record).expect("records serialise");
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(|e| TrainError::io("cannot write", &self.path, e))?;
        self.file.flush().map_err(|e| TrainError::io("cannot write", &self.path, e))
    }

    /// Reads every training line of a log (for reports and tests).
    ///
    /// # Errors
    /// An unreadable file or a malformed line.
    pub fn read_train(run: &Path) -> Result<Vec<TrainRecord>> {
        Self::read_kind(run, "train")
    }

    /// Reads every validation line of a log.
    ///
    /// # Errors
    /// As [`Self::read_train`].
    pub fn read_val(run: &Path) -> Result<Vec<ValRecord>> {
        Self::read_kind(run, "val")
    }

    fn read_kind<T: for<'de> Deserialize<'de>>(run: &Path, kind: &str) -> Result<Vec<T>> {
        let path = run.join(METRICS_FILE);
        let text = fs::read_to_string(&path).map_err(|e| TrainError::io("cannot read", &path, e))?;
        let bad = |e: serde_json::Error| TrainError::Checkpoint {
            path: path.clone(),
            message: format!("malformed line: {e}"),
        };
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).map_err(bad)?;
            if v.get("kind").and_then(|k| k.as_str()) == Some(kind) {
                out.push(serde_json::from_value(v).map_err(bad)?);
            }
        }
        Ok(out)
    }
}
