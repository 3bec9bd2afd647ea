//! `hidiff parity --golden DIR`: the golden parity checks on any folder of the
//! golden format, one line per case.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use hidiff_model::parity;

use crate::device::{dispatch, DeviceArg, WithBackend};

/// Arguments of `hidiff parity`.
#[derive(clap::Args, Debug)]
pub struct ParityArgs {
    /// Folder with small_config.toml, net_g.pth, net_le.pth, net_le_dm.pth, net_d.pth and cases.safetensors.
    #[arg(long)]
    pub golden: PathBuf,
    /// Device to run on.
    #[arg(long, default_value = "cpu")]
    pub device: DeviceArg,
}

struct Work<'a>(&'a ParityArgs);

impl WithBackend for Work<'_> {
    type Output = Vec<parity::CaseReport>;
    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Result<Self::Output> {
        let dir = &self.0.golden;
        for f in ["small_config.toml", "cases.safetensors"] {
            if !dir.join(f).is_file() {
                bail!(
                    "{} is missing (a golden folder needs small_config.toml, net_*.pth and cases.safetensors)",
                    dir.join(f).display()
                );
            }
        }
        parity::run::<B>(dir, &device).with_context(|| format!("parity check of {} failed to run", dir.display()))
    }
}

/// Runs the checks and prints one line per case; fails if any case fails.
pub fn run(args: &ParityArgs) -> Result<()> {
    let reports = dispatch(args.device, Work(args))?;
    println!("{:<26} {:>12} {:>12}  {:<16} result", "case", "max abs err", "bound", "tolerance");
    let mut failed = 0;
    for r in &reports {
        match (&r.skipped, r.worst()) {
            (Some(why), _) => println!("{:<26} {:>12} {:>12}  {:<16} SKIP ({why})", r.case, "-", "-", "-"),
            (None, Some(w)) => {
                let ok = r.passed();
                failed += usize::from(!ok);
                let detail = if ok {
                    String::new()
                } else {
                    let bad: Vec<_> = r.checks.iter().filter(|c| !c.passed()).map(|c| c.key.as_str()).take(5).collect();
                    format!(" ({})", bad.join(", "))
                };
                println!(
                    "{:<26} {:>12.3e} {:>12.3e}  {:<16} {}{}",
                    r.case,
                    w.max_abs,
                    w.bound,
                    w.tolerance.to_string(),
                    if ok { "PASS" } else { "FAIL" },
                    detail
                );
            }
            (None, None) => println!("{:<26} {:>12} {:>12}  {:<16} SKIP (no tensor to compare)", r.case, "-", "-", "-"),
        }
    }
    if failed > 0 {
        bail!("{failed} case(s) failed");
    }
    Ok(())
}
