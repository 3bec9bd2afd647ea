//! The result of a folder evaluation: per-image scores and their means,
//! serialisable as JSON (serde) and writable as CSV.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{MetricsError, Result};
use crate::folder::PairBy;
use crate::protocol::{Protocol, Scores};

/// Scores of one pair of a folder evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageResult {
    /// Ground-truth file.
    pub gt: String,
    /// Predicted file.
    pub pred: String,
    /// PSNR and SSIM (and RealBlur diagnostics).
    #[serde(flatten)]
    pub scores: Scores,
}

/// Arithmetic means over all pairs, as the official scripts report them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanScores {
    /// Mean PSNR in dB (`+∞`, written `null`, if any pair is identical).
    #[serde(with = "hidiff_report::psnr_json")]
    pub psnr: f64,
    /// Mean SSIM.
    pub ssim: f64,
}

/// The outcome of [`crate::evaluate_folders`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FolderReport {
    /// The protocol used.
    pub protocol: Protocol,
    /// How files were paired.
    pub pair_by: PairBy,
    /// Means over [`FolderReport::images`].
    pub mean: MeanScores,
    /// Per-pair scores, in the natural order of the ground-truth names.
    pub images: Vec<ImageResult>,
}

impl FolderReport {
    /// Builds the report and its means.
    pub fn new(protocol: Protocol, pair_by: PairBy, images: Vec<ImageResult>) -> Self {
        let n = images.len().max(1) as f64;
        let mean = MeanScores {
            psnr: images.iter().map(|r| r.scores.psnr).sum::<f64>() / n,
            ssim: images.iter().map(|r| r.scores.ssim).sum::<f64>() / n,
        };
        Self { protocol, pair_by, mean, images }
    }

    /// Writes `gt,pred,psnr,ssim` rows and a final `mean,,<psnr>,<ssim>` row.
    /// Numbers use the shortest representation that reads back exactly;
    /// infinite PSNR is written `inf`.
    pub fn write_csv(&self, mut out: impl Write) -> std::io::Result<()> {
        writeln!(out, "gt,pred,psnr,ssim")?;
        for r in &self.images {
            writeln!(out, "{},{},{},{}", csv_field(&r.gt), csv_field(&r.pred), r.scores.psnr, r.scores.ssim)?;
        }
        writeln!(out, "mean,,{},{}", self.mean.psnr, self.mean.ssim)
    }

    /// [`FolderReport::write_csv`] into a file.
    pub fn save_csv(&self, path: &Path) -> Result<()> {
        let io_err = |source| MetricsError::Io { path: path.to_path_buf(), source };
        let mut bytes = Vec::new();
        self.write_csv(&mut bytes).map_err(io_err)?;
        hidiff_io::write_atomic(path, &bytes).map_err(io_err)
    }
}

/// Quotes a CSV field when it contains a comma, quote or line break
/// (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_awkward_names_and_writes_the_mean() {
        let scores = |psnr, ssim| Scores { psnr, ssim, realblur: None };
        let report = FolderReport::new(
            Protocol::GoPro,
            PairBy::Name,
            vec![
                ImageResult { gt: "a,b.png".into(), pred: "x\"y.png".into(), scores: scores(30.0, 0.75) },
                ImageResult { gt: "c.png".into(), pred: "c.png".into(), scores: scores(20.0, 0.25) },
            ],
        );
        let mut buf = Vec::new();
        report.write_csv(&mut buf).expect("writing to memory");
        let text = String::from_utf8(buf).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "gt,pred,psnr,ssim");
        assert_eq!(lines[1], "\"a,b.png\",\"x\"\"y.png\",30,0.75");
        assert_eq!(lines[3], "mean,,25,0.5");
    }
}
