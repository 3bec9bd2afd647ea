//! The JSON contract between the `hidiff` program and `cargo xtask`.
//!
//! `hidiff info --json`, `hidiff test --json`, `hidiff metrics --json`,
//! `hidiff bench --json` and the training log `metrics.jsonl` are written from
//! these structs and read back into them, so a missing or renamed field is a
//! parse error on the reading side (naming the file and the field), never a
//! silent 0 or NaN. Serde only: no burn, no image code.

mod bench;
mod info;
mod json;
mod metrics;
mod test;
mod train_log;

pub use bench::{BenchReport, BenchRow};
pub use info::{Gmac, InfoReport};
pub use json::{from_file, from_str, required, ReportError};
pub use metrics::{FolderImage, FolderScores};
pub use test::{MeanScores, Scores, TestImage, TestReport};
pub use train_log::{read_train_log, TrainLog, TrainLogLine, TrainRecord, ValRecord};

/// Serde of a PSNR in dB: identical images have `+∞`, which JSON cannot hold;
/// it is written `null` and read back as `+∞`. A missing field stays an error.
pub mod psnr_json {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes a finite PSNR as a number, `+∞` as `null`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// Reads a number, or `null` as `+∞`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}
