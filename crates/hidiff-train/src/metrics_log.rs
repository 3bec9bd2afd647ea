//! `<out>/metrics.jsonl`: one JSON object per line, appended as training goes.
//!
//! The lines are [`hidiff_report::TrainLogLine`]s, the one definition that the
//! reader (`xtask`, [`hidiff_report::read_train_log`]) shares: training lines
//! carry `"kind": "train"`, `iter`, `loss`, `l_pix`, `l_pix_diff` (stage 2),
//! `lr`, `grad_norm` (before clipping), `patch`, `batch`, `images_per_s`;
//! validation lines carry `"kind": "val"`, `iter`, `val_psnr`, `val_l1`,
//! `images`. On resume, lines after the checkpoint's iteration (written by the
//! interrupted run after its last checkpoint) are dropped first, so the file
//! reads as one uninterrupted run.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use hidiff_report::{TrainLogLine, TrainRecord, ValRecord};

use crate::error::{Result, TrainError};

/// File name inside the run folder.
pub const METRICS_FILE: &str = "metrics.jsonl";

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
                        .and_then(|v| v.get("iter").and_then(serde_json::Value::as_u64))
                        .is_some_and(|i| i <= limit)
                })
                .map(|l| format!("{l}\n"))
                .collect();
            hidiff_io::write_atomic(&path, kept.as_bytes()).map_err(|e| TrainError::io("cannot rewrite", &path, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| TrainError::io("cannot open", &path, e))?;
        Ok(Self { path, file })
    }

    /// Appends one line and flushes.
    ///
    /// # Errors
    /// A failed write.
    pub fn append(&mut self, line: &TrainLogLine) -> Result<()> {
        let mut text = serde_json::to_string(line).map_err(|e| TrainError::Checkpoint {
            path: self.path.clone(),
            message: format!("cannot serialise a log line: {e}"),
        })?;
        text.push('\n');
        self.file.write_all(text.as_bytes()).map_err(|e| TrainError::io("cannot write", &self.path, e))?;
        self.file.flush().map_err(|e| TrainError::io("cannot write", &self.path, e))
    }

    /// Reads every training line of a log (for reports and tests).
    ///
    /// # Errors
    /// An unreadable file or a malformed line.
    pub fn read_train(run: &Path) -> Result<Vec<TrainRecord>> {
        Ok(hidiff_report::read_train_log(&run.join(METRICS_FILE)).map_err(Box::new)?.train)
    }

    /// Reads every validation line of a log.
    ///
    /// # Errors
    /// As [`Self::read_train`].
    pub fn read_val(run: &Path) -> Result<Vec<ValRecord>> {
        Ok(hidiff_report::read_train_log(&run.join(METRICS_FILE)).map_err(Box::new)?.val)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_format_and_resume_drops_later_lines() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let train = |iter| TrainRecord {
            iter,
            loss: 0.5,
            l_pix: 0.25,
            l_pix_diff: None,
            lr: 2e-4,
            grad_norm: 1.5,
            patch: 32,
            batch: 4,
            images_per_s: 8.0,
        };
        let mut log = MetricsLog::open(dir.path(), None).expect("open");
        for iter in 1..=3 {
            log.append(&TrainLogLine::Train(train(iter))).expect("append");
        }
        let val = ValRecord { iter: 2, val_psnr: 30.0, val_l1: 0.01, images: 3 };
        log.append(&TrainLogLine::Val(val.clone())).expect("append");
        drop(log);
        let text = fs::read_to_string(dir.path().join(METRICS_FILE)).expect("log");
        let first = text.lines().next().expect("a line");
        assert_eq!(
            first,
            r#"{"kind":"train","iter":1,"loss":0.5,"l_pix":0.25,"lr":0.0002,"grad_norm":1.5,"patch":32,"batch":4,"images_per_s":8.0}"#
        );
        assert!(text.lines().nth(3).expect("val line").starts_with(r#"{"kind":"val","iter":2,"#));

        MetricsLog::open(dir.path(), Some(2)).expect("reopen for resume");
        let kept = MetricsLog::read_train(dir.path()).expect("train lines");
        assert_eq!(kept, vec![train(1), train(2)]);
        assert_eq!(MetricsLog::read_val(dir.path()).expect("val lines"), vec![val]);
    }
}
