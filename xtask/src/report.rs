//! Result files: `results/<name>.md` (a table with the run's provenance) and
//! `results/<name>.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Where and how a table was produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub profile: String,
    pub data: String,
    pub device: String,
    pub hardware: String,
    pub wall_time_s: f64,
    pub notes: Vec<String>,
}

/// The machine, in one line (CPU model and thread count).
pub fn hardware() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cpu}, {threads} threads")
}

/// A markdown table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|s| s.to_string()).collect(), rows: vec![] }
    }
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }
    pub fn markdown(&self) -> String {
        let mut s = format!("| {} |\n|{}\n", self.header.join(" | "), "---|".repeat(self.header.len()));
        for r in &self.rows {
            s.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        s
    }
}

/// Formats a (PSNR, SSIM) pair as the paper does.
pub fn score(p: Option<(f64, f64)>) -> String {
    match p {
        Some((psnr, ssim)) => format!("{psnr:.2} / {ssim:.4}"),
        None => "N/A".into(),
    }
}

/// Writes `results/<name>.md` and `.json`, prints the markdown, returns the paths.
pub fn write(
    out_dir: &Path,
    name: &str,
    title: &str,
    table: &Table,
    prov: &Provenance,
    json: &serde_json::Value,
) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mut md = format!("# {title}\n\n{}\n", table.markdown());
    md.push_str(&format!(
        "\n- profile: **{}**\n- data: {}\n- device: {}\n- hardware: {}\n- wall time: {:.0} s\n",
        prov.profile, prov.data, prov.device, prov.hardware, prov.wall_time_s
    ));
    for n in &prov.notes {
        md.push_str(&format!("- {n}\n"));
    }
    let md_path = out_dir.join(format!("{name}.md"));
    let json_path = out_dir.join(format!("{name}.json"));
    let full = serde_json::json!({ "title": title, "table": table, "provenance": prov, "data": json });
    write_atomic(&md_path, md.as_bytes())?;
    write_atomic(&json_path, serde_json::to_string_pretty(&full)?.as_bytes())?;
    println!("{md}");
    println!("wrote {} and {}", md_path.display(), json_path.display());
    Ok((md_path, json_path))
}

/// Writes atomically through the workspace's one implementation, [`hidiff_io::write_atomic`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    hidiff_io::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))
}
