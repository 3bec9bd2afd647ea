//! `hidiff metrics`: PSNR and SSIM of restored images with HI-Diff's
//! evaluation protocols (`hidiff_metrics`), for one pair or two folders.
//!
//! ```text
//! hidiff metrics --protocol gopro --gt gt.png --pred out.png [--json]
//! hidiff metrics --protocol realblur --gt-dir GT --pred-dir OUT [--pair-by name|sorted] [--csv scores.csv] [--json]
//! ```
//!
//! With `--json` stdout holds exactly one JSON object; progress (folders only,
//! and only when stderr is a terminal) goes to stderr. A PSNR of identical
//! images is `+∞`, printed `inf` and written `null` in JSON.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hidiff_metrics::{evaluate_files, evaluate_folders, FolderReport, PairBy, Protocol, Scores};

/// The evaluation protocol, as named on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolArg {
    /// BasicSR calculate_psnr/calculate_ssim on RGB (what test.py logs).
    #[value(name = "basicsr")]
    BasicSr,
    /// BasicSR with test_y_channel (BT.601 luma).
    #[value(name = "basicsr-y")]
    BasicSrY,
    /// evaluate_gopro_hide.m: MATLAB psnr and volumetric ssim (paper, GoPro/HIDE).
    #[value(name = "gopro")]
    GoPro,
    /// evaluate_realblur.py: ECC alignment, masked PSNR/SSIM (paper, RealBlur).
    #[value(name = "realblur")]
    RealBlur,
}

impl From<ProtocolArg> for Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::BasicSr => Protocol::BasicSr,
            ProtocolArg::BasicSrY => Protocol::BasicSrY,
            ProtocolArg::GoPro => Protocol::GoPro,
            ProtocolArg::RealBlur => Protocol::RealBlur,
        }
    }
}

/// How the files of the two folders are paired.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PairByArg {
    /// Identical file names (every file needs a namesake).
    #[default]
    Name,
    /// Position in the naturally sorted lists, as the official scripts.
    Sorted,
}

impl From<PairByArg> for PairBy {
    fn from(p: PairByArg) -> Self {
        match p {
            PairByArg::Name => PairBy::Name,
            PairByArg::Sorted => PairBy::Sorted,
        }
    }
}

/// Arguments of `hidiff metrics`.
#[derive(clap::Args, Debug)]
pub struct MetricsArgs {
    /// Evaluation protocol.
    #[arg(long, value_enum)]
    pub protocol: ProtocolArg,
    /// Ground-truth image (with --pred).
    #[arg(long, requires = "pred", conflicts_with_all = ["gt_dir", "pred_dir"])]
    pub gt: Option<PathBuf>,
    /// Restored image to score (with --gt).
    #[arg(long, requires = "gt")]
    pub pred: Option<PathBuf>,
    /// Folder of ground-truth images (with --pred-dir).
    #[arg(long, requires = "pred_dir")]
    pub gt_dir: Option<PathBuf>,
    /// Folder of restored images (with --gt-dir).
    #[arg(long, requires = "gt_dir")]
    pub pred_dir: Option<PathBuf>,
    /// How to pair the files of --gt-dir and --pred-dir.
    #[arg(long, value_enum, default_value_t = PairByArg::Name)]
    pub pair_by: PairByArg,
    /// Also write per-image scores and the mean to this CSV file (folders only).
    #[arg(long, requires = "gt_dir")]
    pub csv: Option<PathBuf>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Scores one pair or two folders and prints the result.
pub fn run(args: &MetricsArgs) -> Result<()> {
    let protocol = Protocol::from(args.protocol);
    match (&args.gt, &args.pred, &args.gt_dir, &args.pred_dir) {
        (Some(gt), Some(pred), None, None) => run_pair(args, protocol, gt, pred),
        (None, None, Some(gt_dir), Some(pred_dir)) => run_folders(args, protocol, gt_dir, pred_dir),
        _ => {
            bail!("give either --gt and --pred (one pair) or --gt-dir and --pred-dir (two folders)")
        }
    }
}

fn run_pair(args: &MetricsArgs, protocol: Protocol, gt: &Path, pred: &Path) -> Result<()> {
    if args.csv.is_some() {
        bail!("--csv needs --gt-dir and --pred-dir");
    }
    let scores = evaluate_files(protocol, gt, pred)
        .with_context(|| format!("scoring '{}' against '{}'", pred.display(), gt.display()))?;
    if args.json {
        let obj = serde_json::json!({
            "protocol": protocol.name(),
            "psnr": scores.psnr,
            "ssim": scores.ssim,
        });
        println!("{}", serde_json::to_string(&obj).context("serialising the scores")?);
        return Ok(());
    }
    println!("protocol  {protocol}");
    println!("PSNR      {} dB", format_psnr(scores.psnr));
    println!("SSIM      {:.6}", scores.ssim);
    print_realblur(&scores);
    Ok(())
}

/// RealBlur's alignment diagnostics, in text mode.
fn print_realblur(scores: &Scores) {
    if let Some(rb) = &scores.realblur {
        println!("alpha     {}", rb.alpha);
        println!("ECC rho   {:.6}", rb.rho);
        println!("valid     {} pixels", rb.valid_pixels);
        for (i, row) in rb.warp_matrix.iter().enumerate() {
            let label = if i == 0 { "warp" } else { "" };
            println!("{label:<9} [{:>12.6} {:>12.6} {:>12.6}]", row[0], row[1], row[2]);
        }
    }
}

/// A bar over the scored pairs, showing the last finished one.
struct PairBar(indicatif::ProgressBar);

impl hidiff_io::Progress for PairBar {
    fn start(&self, _label: &str, total: usize, _work: u64) {
        self.0.set_length(total as u64);
    }

    fn item_done(&self, gt: &Path, _work: u64) {
        if let Some(name) = gt.file_name() {
            self.0.set_message(name.to_string_lossy().into_owned());
        }
        self.0.inc(1);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn run_folders(args: &MetricsArgs, protocol: Protocol, gt_dir: &Path, pred_dir: &Path) -> Result<()> {
    let progress = if std::io::stderr().is_terminal() {
        let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} ETA {eta} {msg}")
            .context("progress bar template")?;
        PairBar(indicatif::ProgressBar::new(0).with_style(style))
    } else {
        PairBar(indicatif::ProgressBar::hidden())
    };
    if let Some(csv) = &args.csv {
        // Never over an input: the scored images, their folders. Checked before scoring.
        let pairs = hidiff_metrics::pair_folders(gt_dir, pred_dir, args.pair_by.into())
            .with_context(|| format!("pairing '{}' with '{}'", pred_dir.display(), gt_dir.display()))?;
        let files = pairs.iter().flat_map(|p| [p.gt.as_path(), p.pred.as_path()]);
        hidiff_io::check_output_file(csv, [gt_dir, pred_dir].into_iter().chain(files))?;
    }
    let report = evaluate_folders(protocol, gt_dir, pred_dir, args.pair_by.into(), &progress)
        .with_context(|| format!("scoring '{}' against '{}'", pred_dir.display(), gt_dir.display()))?;
    if let Some(csv) = &args.csv {
        report.save_csv(csv).with_context(|| format!("writing '{}'", csv.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).context("serialising the report")?);
        return Ok(());
    }
    print_table(&report);
    if let Some(csv) = &args.csv {
        println!("CSV written to {}", csv.display());
    }
    Ok(())
}

fn print_table(report: &FolderReport) {
    let name = |p: &str| Path::new(p).file_name().map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned());
    let width = report.images.iter().map(|r| name(&r.gt).len()).max().unwrap_or(4).max(4);
    println!("protocol {} (pairs by {})", report.protocol, report.pair_by);
    println!("{:<width$}  {:>10}  {:>8}", "gt", "PSNR (dB)", "SSIM");
    for r in &report.images {
        println!("{:<width$}  {:>10}  {:>8.6}", name(&r.gt), format_psnr(r.scores.psnr), r.scores.ssim);
    }
    println!(
        "{:<width$}  {:>10}  {:>8.6}   ({} images)",
        "mean",
        format_psnr(report.mean.psnr),
        report.mean.ssim,
        report.images.len()
    );
}

fn format_psnr(psnr: f64) -> String {
    if psnr.is_finite() {
        format!("{psnr:.4}")
    } else {
        "inf".to_string()
    }
}
