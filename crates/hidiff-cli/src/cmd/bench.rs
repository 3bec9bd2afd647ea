//! `hidiff bench`: latency of stage-2 inference, the Transformer alone, the
//! diffusion alone (LE_DM + T denoiser steps) and one stage-2 training step;
//! median of N device-synchronised runs after warm-up.
//!
//! Every row also has its first call timed on its own (`cold_start_ms`: on CUDA the
//! first row's includes compiling and autotuning the kernels, unless they come from
//! the persistent cache), and on CUDA the report counts the kernels compiled and the
//! peak GPU memory of cubecl's pools. A cold against warm comparison needs two
//! processes (empty caches, then filled ones): `cargo xtask gpu-check` runs both.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::module::{AutodiffModule, Module};

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};
use hidiff_model::{ModelConfig, Networks};

use crate::config_source::{parse_hw, ConfigSource};
use crate::device::{check_precision, dispatch_with, gpu_memory_mib, DeviceArg, Precision, WithBackend};

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
    #[arg(long, value_enum, default_value = "f32")]
    pub precision: Precision,
    /// Timed runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub iters: usize,
    /// Warm-up runs, at least 1: the first is timed on its own as the cold start, the others are untimed.
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
    /// Skip the inference rows (only the training step).
    #[arg(long)]
    pub no_infer: bool,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One measured row and the whole report: the shared JSON contract read by `xtask`.
pub use hidiff_report::{BenchReport, BenchRow};

fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Times of one part, ms, and its peak GPU memory.
#[derive(Debug, Clone, Copy)]
struct Timing {
    cold: f64,
    median: f64,
    min: f64,
    peak_gpu_mib: Option<f64>,
}

/// The first call timed alone, `warmup - 1` more untimed, then the median and
/// minimum of `iters` timed calls; every call ends with a device sync. `memory` is
/// sampled after each call, outside the timed span.
fn time<B: Backend>(
    device: &B::Device,
    warmup: usize,
    iters: usize,
    memory: &dyn Fn() -> Option<f64>,
    mut f: impl FnMut(),
) -> Timing {
    let mut peak: Option<f64> = None;
    let mut sample = || {
        if let Some(m) = memory() {
            peak = Some(peak.map_or(m, |p: f64| p.max(m)));
        }
    };
    let start = Instant::now();
    f();
    let _ = B::sync(device);
    let cold = start.elapsed().as_secs_f64() * 1e3;
    sample();
    for _ in 1..warmup {
        f();
        let _ = B::sync(device);
    }
    let mut t: Vec<f64> = (0..iters.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            let _ = B::sync(device);
            let ms = start.elapsed().as_secs_f64() * 1e3;
            sample();
            ms
        })
        .collect();
    t.sort_by(f64::total_cmp);
    Timing { cold, median: t[t.len() / 2], min: t[0], peak_gpu_mib: peak }
}

struct Work<'a> {
    args: &'a BenchArgs,
    cfg: &'a ModelConfig,
    sizes: &'a [(usize, usize)],
    backend: String,
    /// The device, for GPU memory samples (`None`: not sampled).
    gpu: Option<DeviceArg>,
}

impl WithBackend for Work<'_> {
    type Output = Vec<BenchRow>;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Result<Vec<BenchRow>> {
        let a = self.args;
        // No `to_device` here: on an autodiff backend it drops gradient tracking.
        let model = self.cfg.init::<B>(Networks::All, &device);
        let infer = model.valid();
        let mut rows = Vec::new();
        let row = |part: &str, shape: String, t: Timing, per: Option<f64>| BenchRow {
            part: part.into(),
            backend: self.backend.clone(),
            precision: a.precision.name().into(),
            shape,
            median_ms: t.median,
            min_ms: t.min,
            cold_start_ms: Some(t.cold),
            per_second: per,
            peak_rss_mib: peak_rss_mib(),
            peak_gpu_mib: t.peak_gpu_mib,
        };
        let gpu = self.gpu;
        let memory = move || gpu.and_then(gpu_memory_mib);
        let (warmup, iters) = (a.warmup.max(1), a.iters);
        let sizes = if a.no_infer { &[][..] } else { self.sizes };
        for &(h, w) in sizes {
            let lq = Tensor::<B::InnerBackend, 4>::random([1, 3, h, w], Distribution::Uniform(0.0, 1.0), &device);
            let shape = format!("1x3x{h}x{w}");
            eprintln!("[bench] stage-2 inference {shape}: first call ...");
            let t = time::<B::InnerBackend>(&device, warmup, iters, &memory, || {
                let _ = infer.infer(lq.clone(), None, 0).into_data();
            });
            eprintln!("stage-2 inference {shape}: {:.1} ms (first call {:.1} ms)", t.median, t.cold);
            rows.push(row("stage-2 inference", shape.clone(), t, None));
            let (n, c) = infer.net_g_tokens();
            let prior =
                Tensor::<B::InnerBackend, 3>::random([1, n.max(1), c.max(1)], Distribution::Normal(0.0, 0.3), &device);
            let has_prior = infer.net_le_dm.is_some();
            let t = time::<B::InnerBackend>(&device, warmup, iters, &memory, || {
                let _ = infer.net_g.forward(lq.clone(), has_prior.then(|| prior.clone())).into_data();
            });
            eprintln!("transformer {shape}: {:.1} ms", t.median);
            rows.push(row("transformer (net_g)", shape.clone(), t, None));
            if has_prior {
                let t = time::<B::InnerBackend>(&device, warmup, iters, &memory, || {
                    if let Some((_, p)) = infer.stage2_prior(lq.clone(), None) {
                        let _ = p.into_data();
                    }
                });
                eprintln!("diffusion {shape}: {:.1} ms", t.median);
                rows.push(row("diffusion (LE_DM + T steps)", shape, t, None));
            }
        }
        if !a.no_train && model.net_le.is_some() {
            let (b, p) = (a.batch, a.patch);
            let lq = Tensor::<B, 4>::random([b, 3, p, p], Distribution::Uniform(0.0, 1.0), &device);
            let gt = Tensor::<B, 4>::random([b, 3, p, p], Distribution::Uniform(0.0, 1.0), &device);
            let (n, c) = model.net_g_tokens();
            let noise = hidiff_model::noise::noise_tensor::<B>(1, [b, n, c], &device);
            eprintln!("[bench] stage-2 training step {b}x3x{p}x{p}: first call ...");
            let t = time::<B>(&device, warmup, iters, &memory, || {
                let fwd = model.stage2_train_forward(lq.clone(), gt.clone(), noise.clone());
                let (l1, l2) = fwd.losses(gt.clone());
                let grads = (l1 + l2).backward();
                drop(grads);
            });
            let per = b as f64 / (t.median / 1e3);
            eprintln!(
                "stage-2 training step {b}x3x{p}x{p}: {:.1} ms ({per:.1} images/s, first call {:.1} ms)",
                t.median, t.cold
            );
            rows.push(row("stage-2 train step (fwd+bwd)", format!("{b}x3x{p}x{p}"), t, Some(per)));
        }
        Ok(rows)
    }
}

/// Runs the benchmark and prints a markdown table.
pub fn run(args: &BenchArgs) -> Result<()> {
    crate::validate::bench_step(
        args.patch,
        args.batch,
        args.iters,
        args.json.as_deref(),
        args.config.config.as_deref(),
    )?;
    let (cfg, name) = args.config.resolve()?;
    let sizes: Vec<(usize, usize)> =
        args.size.split(',').map(|s| parse_hw(s.trim()).map_err(anyhow::Error::msg)).collect::<Result<_>>()?;
    if sizes.iter().any(|(h, w)| h % 8 != 0 || w % 8 != 0) {
        bail!("bench sizes must be multiples of 8 (got {})", args.size);
    }
    check_precision(args.device, args.precision)?;
    if args.no_infer && (args.no_train || cfg_has_no_training(&cfg)) {
        bail!("nothing to measure: --no-infer skips inference and there is no training step to time");
    }
    if args.device == DeviceArg::Cpu && !args.no_train && !cfg_has_no_training(&cfg) {
        check_train_step_memory(&cfg, args.batch, args.patch, hidiff_io::available_memory())?;
    }
    let mut rows = Vec::new();
    match args.device {
        DeviceArg::Cpu => {
            let kinds: Vec<&str> = match args.cpu_backend.as_str() {
                "both" => vec!["flex", "ndarray"],
                "flex" => vec!["flex"],
                "ndarray" => vec!["ndarray"],
                other => bail!("unknown --cpu-backend {other:?}: expected flex, ndarray or both"),
            };
            for k in kinds {
                let work = Work { args, cfg: &cfg, sizes: &sizes, backend: k.into(), gpu: None };
                rows.extend(match k {
                    "flex" => dispatch_with(DeviceArg::Cpu, args.precision, work)?,
                    _ if args.precision != Precision::F32 => bail!("--cpu-backend ndarray runs f32 only"),
                    _ => work.run::<burn::backend::Autodiff<burn::backend::NdArray>>(Default::default())?,
                });
            }
        }
        DeviceArg::Cuda(_) => {
            let backend = format!("cuda ({})", args.device);
            let work = Work { args, cfg: &cfg, sizes: &sizes, backend, gpu: Some(args.device) };
            rows.extend(dispatch_with(args.device, args.precision, work)?);
        }
    }
    crate::kernel_progress::clear();
    let params = cfg.init::<burn::backend::Flex>(Networks::Inference, &Default::default()).num_params();
    let kernels = crate::kernel_progress::counts();
    let report = BenchReport {
        config: name,
        parameters_inference: params,
        gflops_256: cfg.macs(256, 256).inference_flops() / 1e9,
        threads: rayon::current_num_threads(),
        kernels_compiled: kernels.map(|k| k.compiled),
        kernels_from_cache: kernels.map(|k| k.from_cache),
        autotune_keys: kernels.map(|k| k.autotuned),
        cubecl: match args.device {
            DeviceArg::Cpu => None,
            DeviceArg::Cuda(_) => crate::cubecl_config::installed().map(|p| p.settings.describe()),
        },
        rows,
    };
    println!("{}", markdown(&report));
    if let Some(p) = &args.json {
        std::fs::write(p, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

/// Fixed memory of a bench process with a model loaded (bytes), measured on Flex.
const TRAIN_BASE_BYTES: u64 = 200 << 20;
/// Peak memory of a stage-2 training step per image pixel and per unit of the base
/// width C, in bytes: measured on Flex with the `gopro` preset (C = 48) at 1×64²,
/// 2×64² and 1×128² (711, 1255 and 2301 MiB peak RSS: 0.13 MiB per pixel, about
/// 2860 bytes per pixel and channel), rounded up.
const TRAIN_BYTES_PER_PIXEL_CHANNEL: u64 = 3000;

/// The estimated peak memory of one stage-2 training step of `batch` patches of
/// `patch`² pixels on the CPU, in bytes.
pub fn train_step_memory(cfg: &ModelConfig, batch: usize, patch: usize) -> u64 {
    let pixels = (batch as u64).saturating_mul(patch as u64).saturating_mul(patch as u64);
    let per_pixel = (cfg.transformer.dim as u64).saturating_mul(TRAIN_BYTES_PER_PIXEL_CHANNEL);
    TRAIN_BASE_BYTES.saturating_add(pixels.saturating_mul(per_pixel))
}

/// Refuses a training step whose estimated memory exceeds what the machine has
/// available now (the kernel would kill the process part-way), with the numbers.
fn check_train_step_memory(cfg: &ModelConfig, batch: usize, patch: usize, available: Option<u64>) -> Result<()> {
    let need = train_step_memory(cfg, batch, patch);
    match available {
        Some(avail) if need > avail => bail!(
            "the training step {batch}x3x{patch}x{patch} needs about {:.1} GB, but only {:.1} GB of memory is \
             available: use a smaller --batch or --patch, or --no-train",
            need as f64 / 1e9,
            avail as f64 / 1e9
        ),
        _ => Ok(()),
    }
}

/// Whether the configuration lacks the stage-1 encoder that the training step needs.
fn cfg_has_no_training(cfg: &ModelConfig) -> bool {
    cfg.transformer.prior_mode == hidiff_model::config::PriorMode::None
}

/// The report as a markdown table.
pub fn markdown(r: &BenchReport) -> String {
    let mut s = format!(
        "configuration: {} ({} parameters at inference, {:.1} GFLOP per 256x256 image), {} CPU threads\n\n",
        r.config, r.parameters_inference, r.gflops_256, r.threads
    );
    s.push_str(
        "| part | backend | precision | input | median ms | min ms | first call ms | images/s | peak RSS MiB | peak GPU MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in &r.rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {} | {} | {} | {} |\n",
            row.part,
            row.backend,
            row.precision,
            row.shape,
            row.median_ms,
            row.min_ms,
            row.cold_start_ms.map_or("-".into(), |v| format!("{v:.1}")),
            row.per_second.map_or("-".into(), |v| format!("{v:.2}")),
            row.peak_rss_mib.map_or("-".into(), |v| format!("{v:.0}")),
            row.peak_gpu_mib.map_or("-".into(), |v| format!("{v:.0}"))
        ));
    }
    if let (Some(c), Some(h), Some(t)) = (r.kernels_compiled, r.kernels_from_cache, r.autotune_keys) {
        s.push_str(&format!("\nGPU kernels: {c} compiled, {h} loaded from the cache, {t} autotune keys tuned\n"));
    }
    if let Some(c) = &r.cubecl {
        s.push_str(&format!("cubecl: {c}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_step_memory_is_estimated_and_refused_over_the_available_memory() {
        let gopro = ModelConfig::gopro();
        // Measured peak RSS: 711 MiB at 1×64², 2301 MiB at 1×128²; the estimate covers both.
        let (small, large) = (train_step_memory(&gopro, 1, 64), train_step_memory(&gopro, 1, 128));
        assert!((711 << 20..1200 << 20).contains(&small), "{small}");
        assert!((2301 << 20..3200 << 20).contains(&large), "{large}");
        // The documented default, batch 8 of 128², needs far more than a small machine has.
        let default = train_step_memory(&gopro, 8, 128);
        assert!(default > 18_000_000_000, "{default}");
        let err = check_train_step_memory(&gopro, 8, 128, Some(8_000_000_000)).expect_err("refused").to_string();
        assert!(err.contains("8x3x128x128") && err.contains("--batch"), "{err}");
        assert!(check_train_step_memory(&ModelConfig::quick(), 4, 48, Some(8_000_000_000)).is_ok());
        assert!(check_train_step_memory(&gopro, 8, 128, None).is_ok(), "unknown memory: no refusal");
    }
}
