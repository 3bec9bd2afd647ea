//! `hidiff train --config EXPERIMENT`: one training stage (see `docs/training.md`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use hidiff_train::{devices_like, Experiment, ProgressMode, RunOptions, TrainSummary};

use crate::device::{dispatch, DeviceArg, WithBackend};

/// Arguments of `hidiff train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Experiment file (TOML, e.g. experiments/gopro_s1.toml).
    #[arg(long)]
    pub config: PathBuf,
    /// Data root the experiment's dataset paths are relative to [default: datasets;
    /// the default synthetic set is generated there on first use when the experiment asks for it].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Run folder [default: runs/<experiment name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Total iterations (overrides train.total_iter).
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Log every K iterations (overrides logger.print_freq).
    #[arg(long, value_name = "K")]
    pub log_every: Option<u64>,
    /// Continue the run in --out from its newest checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Device: cpu, cuda, cuda:N, or several CUDA devices for data parallelism (cuda:0,cuda:1).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// The devices of `--device`.
fn parse_devices(s: &str) -> Result<Vec<DeviceArg>> {
    let devices: Vec<DeviceArg> =
        s.split(',').map(|d| d.trim().parse::<DeviceArg>().map_err(anyhow::Error::msg)).collect::<Result<_>>()?;
    if devices.len() > 1 {
        if devices.contains(&DeviceArg::Cpu) {
            bail!("--device {s}: several devices are supported for CUDA only (cuda:0,cuda:1,...)");
        }
        let mut seen = devices.clone();
        seen.sort_by_key(|d| d.to_string());
        seen.dedup();
        if seen.len() != devices.len() {
            bail!("--device {s}: a device is listed twice");
        }
    }
    Ok(devices)
}

struct Work<'a> {
    exp: &'a Experiment,
    opts: &'a RunOptions,
    extra: Vec<u16>,
}

impl WithBackend for Work<'_> {
    type Output = TrainSummary;
    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Result<TrainSummary> {
        let mut devices = vec![device.clone()];
        devices.extend(devices_like::<B>(&device, &self.extra));
        Ok(hidiff_train::train::<B>(self.exp, self.opts, &devices)?)
    }
}

/// Runs the stage and prints a summary.
pub fn run(args: &TrainArgs) -> Result<()> {
    let exp = Experiment::load(&args.config)?;
    let devices = parse_devices(&args.device)?;
    let extra = devices[1..]
        .iter()
        .map(|d| match d {
            DeviceArg::Cuda(n) => u16::try_from(*n).context("device index too large"),
            DeviceArg::Cpu => unreachable!("checked"),
        })
        .collect::<Result<Vec<u16>>>()?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(&exp.file.name));
    let opts = RunOptions {
        out: out.clone(),
        data_root: args.data.clone(),
        resume: args.resume,
        iterations: args.iterations,
        log_every: args.log_every,
        progress: ProgressMode::Auto,
    };
    let s = dispatch(devices[0], Work { exp: &exp, opts: &opts, extra })
        .with_context(|| format!("training {} into {}", args.config.display(), out.display()))?;
    println!(
        "trained {} iterations ({} -> {}) in {:.1} s",
        s.end_iteration - s.start_iteration,
        s.start_iteration,
        s.end_iteration,
        s.seconds
    );
    if let (Some(first), Some(last)) = (s.train_log.first(), s.train_log.last()) {
        println!(
            "loss: {:.4e} at iteration {} -> {:.4e} at iteration {}",
            first.loss, first.iter, last.loss, last.iter
        );
    }
    for v in &s.validations {
        println!("validation at iteration {:>7}: PSNR {:.3} dB, L1 {:.4e}", v.iter, v.val_psnr, v.val_l1);
    }
    if let Some(b) = s.best {
        println!("best PSNR {:.3} dB at iteration {}", b.psnr, b.iteration);
    }
    println!("weights: {}", out.join(hidiff_train::run_dir::LATEST_WEIGHTS).display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_lists() {
        assert_eq!(parse_devices("cpu").expect("cpu"), vec![DeviceArg::Cpu]);
        assert_eq!(parse_devices("cuda:0,cuda:1").expect("two"), vec![DeviceArg::Cuda(0), DeviceArg::Cuda(1)]);
        assert!(parse_devices("cpu,cpu").is_err());
        assert!(parse_devices("cuda:1,cuda:1").is_err());
    }
}
