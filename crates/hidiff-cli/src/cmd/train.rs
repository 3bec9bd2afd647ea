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
    /// Device: cpu, cuda, cuda:N, or a list for data parallelism: distinct CUDA
    /// devices (cuda:0,cuda:1), or the CPU several times (cpu,cpu: one worker per entry).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// The devices of `--device`: one kind only; the CPU may be listed several
/// times (burn-train then runs one worker per entry on it, as the library's
/// multi-device test does), a CUDA device only once.
fn parse_devices(s: &str) -> Result<Vec<DeviceArg>> {
    let devices: Vec<DeviceArg> =
        s.split(',').map(|d| d.trim().parse::<DeviceArg>().map_err(anyhow::Error::msg)).collect::<Result<_>>()?;
    let cpus = devices.iter().filter(|d| **d == DeviceArg::Cpu).count();
    if cpus > 0 && cpus != devices.len() {
        bail!("--device {s}: CPU and CUDA devices cannot be mixed (cpu,cpu or cuda:0,cuda:1,...)");
    }
    if devices.len() > 1 && cpus == 0 {
        let mut seen = devices.clone();
        seen.sort_by_key(|d| d.to_string());
        seen.dedup();
        if seen.len() != devices.len() {
            bail!("--device {s}: a device is listed twice");
        }
    }
    Ok(devices)
}

/// The devices after the first one.
enum Extra {
    /// The first device again, this many times (`cpu,cpu,...`).
    Copies(usize),
    /// Devices of the first one's kind with these indices (`cuda:0,cuda:1,...`).
    Indices(Vec<u16>),
}

struct Work<'a> {
    exp: &'a Experiment,
    opts: &'a RunOptions,
    extra: Extra,
}

impl WithBackend for Work<'_> {
    type Output = TrainSummary;
    fn run<B: burn::tensor::backend::AutodiffBackend>(self, device: B::Device) -> Result<TrainSummary> {
        let mut devices = vec![device.clone()];
        match &self.extra {
            Extra::Copies(n) => devices.extend(std::iter::repeat_n(device.clone(), *n)),
            Extra::Indices(indices) => devices.extend(devices_like::<B>(&device, indices)),
        }
        Ok(hidiff_train::train::<B>(self.exp, self.opts, &devices)?)
    }
}

/// Runs the stage and prints a summary.
pub fn run(args: &TrainArgs) -> Result<()> {
    let exp = Experiment::load(&args.config)?;
    let devices = parse_devices(&args.device)?;
    let extra = if devices[0] == DeviceArg::Cpu {
        Extra::Copies(devices.len() - 1)
    } else {
        Extra::Indices(
            devices[1..]
                .iter()
                .map(|d| match d {
                    DeviceArg::Cuda(n) => u16::try_from(*n).context("device index too large"),
                    DeviceArg::Cpu => bail!("--device {}: CPU and CUDA devices cannot be mixed", args.device),
                })
                .collect::<Result<Vec<u16>>>()?,
        )
    };
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
        assert_eq!(parse_devices("cpu,cpu").expect("two CPU workers"), vec![DeviceArg::Cpu, DeviceArg::Cpu]);
        assert!(parse_devices("cuda:1,cuda:1").is_err());
        let mixed = parse_devices("cpu,cuda:0").expect_err("mixed kinds");
        assert!(mixed.to_string().contains("cannot be mixed"), "{mixed}");
        assert!(parse_devices("cuda:0,cpu").is_err());
        assert!(parse_devices("cpu,gpu").is_err());
    }
}
