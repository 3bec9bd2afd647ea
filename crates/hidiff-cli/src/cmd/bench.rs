//! `hidiff bench`: latency of stage-2 inference, the Transformer alone, the
//! diffusion alone (LE_DM + T denoiser steps) and one stage-2 training step;
//! median of N device-synchronised runs after warm-up.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::module::{AutodiffModule, Module};

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};
use hidiff_model::{ModelConfig, Networks};
use serde::Serialize;

use crate::config_source::{parse_hw, ConfigSource};
use crate::device::{dispatch, DeviceArg, WithBackend};

/// Arguments of `hidiff bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    #[command(flatten)]
    pub config: ConfigSource,
    /// Device to run on.
    #[arg(long, default_value = "cpu")]
    pub device: DeviceArg,
    /// CPU backend(s): flex (default), ndarray, or both (measured side by side).
    #[arg(long, default_value = "flex")]
    pub cpu_backend: String,
    /// Image sizes, comma-separated HxW list.
    #[arg(long, default_value = "256x256")]
    pub size: String,
    /// Floating-point precision: f32, or f16/bf16 on CUDA.
    #[arg(long, default_value = "f32")]
    pub precision: String,
    /// Timed runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub iters: usize,
    /// Untimed warm-up runs.
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// Batch of the training step.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Patch size of the training step.
    #[arg(long, default_value_t = 128)]
    pub patch: usize,
    /// Skip the training step.
    #[arg(long)]
    pub no_train: bool,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One measured row.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub part: String,
    pub backend: String,
    pub precision: String,
    pub shape: String,
    pub median_ms: f64,
    pub min_ms: f64,
    pub per_second: Option<f64>,
    pub peak_rss_mib: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub config: String,
    pub parameters_inference: usize,
    pub gflops_256: f64,
    pub threads: usize,
    pub rows: Vec<BenchRow>,
}

fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn time<B: Backend>(device: &B::Device, warmup: usize, iters: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..warmup {
        f();
        let _ = B::sync(device);
    }
    let mut t: Vec<f64> = (0..iters.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            let _ = B::sync(device);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[0])
}

struct Work<'a> {
    args: &'a BenchArgs,
    cfg: &'a ModelConfig,
    sizes: &'a [(usize, usize)],
    backend: String,
}

impl WithBackend for Work<'_> {
    type Output = Vec<BenchRow>;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Result<Vec<BenchRow>> {
        let a = self.args;
        // No `to_device` here: on an autodiff backend it drops gradient tracking.
        let model = self.cfg.init::<B>(Networks::All, &device);
        let infer = model.valid();
        let mut rows = Vec::new();
        let row = |part: &str, shape: String, (median, min): (f64, f64), per: Option<f64>| BenchRow {
            part: part.into(),
            backend: self.backend.clone(),
            precision: a.precision.clone(),
            shape,
            median_ms: median,
            min_ms: min,
            per_second: per,
            peak_rss_mib: peak_rss_mib(),
        };
        for &(h, w) in self.sizes {
            let lq = Tensor::<B::InnerBackend, 4>::random([1, 3, h, w], Distribution::Uniform(0.0, 1.0), &device);
            let shape = format!("1x3x{h}x{w}");
            let t = time::<B::InnerBackend>(&device, a.warmup, a.iters, || {
                let _ = infer.infer(lq.clone(), None, 0).into_data();
            });
            eprintln!("stage-2 inference {shape}: {:.1} ms", t.0);
            rows.push(row("stage-2 inference", shape.clone(), t, None));
            let (n, c) = infer.net_g_tokens();
            let prior = Tensor::<B::InnerBackend, 3>::random([1, n.max(1), c.max(1)], Distribution::Normal(0.0, 0.3), &device);
            let has_prior = infer.net_le_dm.is_some();
            let t = time::<B::InnerBackend>(&device, a.warmup, a.iters, || {
                let _ = infer.net_g.forward(lq.clone(), has_prior.then(|| prior.clone())).into_data();
            });
            eprintln!("transformer {shape}: {:.1} ms", t.0);
            rows.push(row("transformer (net_g)", shape.clone(), t, None));
            if has_prior {
                let t = time::<B::InnerBackend>(&device, a.warmup, a.iters, || {
                    if let Some((_, p)) = infer.stage2_prior(lq.clone(), None) {
                        let _ = p.into_data();
                    }
                });
                eprintln!("diffusion {shape}: {:.1} ms", t.0);
                rows.push(row("diffusion (LE_DM + T steps)", shape, t, None));
            }
        }
        if !a.no_train && model.net_le.is_some() {
            let (b, p) = (a.batch, a.patch);
            let lq = Tensor::<B, 4>::random([b, 3, p, p], Distribution::Uniform(0.0, 1.0), &device);
            let gt = Tensor::<B, 4>::random([b, 3, p, p], Distribution::Uniform(0.0, 1.0), &device);
            let (n, c) = model.net_g_tokens();
            let noise = hidiff_model::noise::noise_tensor::<B>(1, [b, n, c], &device);
            let t = time::<B>(&device, a.warmup, a.iters, || {
                let fwd = model.stage2_train_forward(lq.clone(), gt.clone(), noise.clone());
                let (l1, l2) = fwd.losses(gt.clone());
                let grads = (l1 + l2).backward();
                drop(grads);
            });
            let per = b as f64 / (t.0 / 1e3);
            eprintln!("stage-2 training step {b}x3x{p}x{p}: {:.1} ms ({per:.1} images/s)", t.0);
            rows.push(row("stage-2 train step (fwd+bwd)", format!("{b}x3x{p}x{p}"), t, Some(per)));
        }
        Ok(rows)
    }
}

/// Runs the benchmark and prints a markdown table.
pub fn run(args: &BenchArgs) -> Result<()> {
    crate::validate::bench_step(args.patch, args.batch, args.iters, args.json.as_deref(), args.config.config.as_deref())?;
    let (cfg, name) = args.config.resolve()?;
    let sizes: Vec<(usize, usize)> = args
        .size
        .split(',')
        .map(|s| parse_hw(s.trim()).map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    if sizes.iter().any(|(h, w)| h % 8 != 0 || w % 8 != 0) {
        bail!("bench sizes must be multiples of 8 (got {})", args.size);
    }
    let mut rows = Vec::new();
    match args.device {
        DeviceArg::Cpu => {
            if args.precision != "f32" {
                bail!("--precision {} needs --device cuda; the CPU backends run f32", args.precision);
            }
            let kinds: Vec<&str> = match args.cpu_backend.as_str() {
                "both" => vec!["flex", "ndarray"],
                "flex" => vec!["flex"],
                "ndarray" => vec!["ndarray"],
                other => bail!("unknown --cpu-backend {other:?}: expected flex, ndarray or both"),
            };
            for k in kinds {
                let work = Work { args, cfg: &cfg, sizes: &sizes, backend: k.into() };
                rows.extend(match k {
                    "flex" => work.run::<burn::backend::Autodiff<burn::backend::Flex>>(Default::default())?,
                    _ => work.run::<burn::backend::Autodiff<burn::backend::NdArray>>(Default::default())?,
                });
            }
        }
        DeviceArg::Cuda(_) => {
            rows.extend(cuda_rows(args, &cfg, &sizes)?);
        }
    }
    let params = cfg.init::<burn::backend::Flex>(Networks::Inference, &Default::default()).num_params();
    let report = BenchReport {
        config: name,
        parameters_inference: params,
        gflops_256: cfg.macs(256, 256).inference_flops() / 1e9,
        threads: rayon::current_num_threads(),
        rows,
    };
    println!("{}", markdown(&report));
    if let Some(p) = &args.json {
        std::fs::write(p, serde_json::to_string_pretty(&report)?).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

#[cfg(feature = "cuda")]
fn cuda_rows(args: &BenchArgs, cfg: &ModelConfig, sizes: &[(usize, usize)]) -> Result<Vec<BenchRow>> {
    use burn::backend::{Autodiff, Cuda};
    let work = Work { args, cfg, sizes, backend: format!("cuda ({})", args.device) };
    match args.precision.as_str() {
        "f32" => dispatch(args.device, work),
        "f16" => {
            let DeviceArg::Cuda(n) = args.device else { unreachable!() };
            work.run::<Autodiff<Cuda<burn::tensor::f16>>>(burn::backend::cuda::CudaDevice::new(n))
        }
        "bf16" => {
            let DeviceArg::Cuda(n) = args.device else { unreachable!() };
            work.run::<Autodiff<Cuda<burn::tensor::bf16>>>(burn::backend::cuda::CudaDevice::new(n))
        }
        other => bail!("unknown --precision {other:?}: expected f32, f16 or bf16"),
    }
}

#[cfg(not(feature = "cuda"))]
fn cuda_rows(args: &BenchArgs, cfg: &ModelConfig, sizes: &[(usize, usize)]) -> Result<Vec<BenchRow>> {
    dispatch(args.device, Work { args, cfg, sizes, backend: "cuda".into() })
}

/// The report as a markdown table.
pub fn markdown(r: &BenchReport) -> String {
    let mut s = format!(
        "configuration: {} ({} parameters at inference, {:.1} GFLOP per 256x256 image), {} CPU threads\n\n",
        r.config, r.parameters_inference, r.gflops_256, r.threads
    );
    s.push_str("| part | backend | precision | input | median ms | min ms | images/s | peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n");
    for row in &r.rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {} | {} |\n",
            row.part,
            row.backend,
            row.precision,
            row.shape,
            row.median_ms,
            row.min_ms,
            row.per_second.map_or("-".into(), |v| format!("{v:.2}")),
            row.peak_rss_mib.map_or("-".into(), |v| format!("{v:.0}"))
        ));
    }
    s
}
