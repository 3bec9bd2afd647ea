//! `cargo xtask`: see `xtask/src/lib.rs`.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use xtask::reproduce::{self, Ctx, Profile};
use xtask::runner::{build_release, workspace_root, Hidiff};
use xtask::table1;

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "Reproduce the paper's tables and figures, run sweeps and benchmarks")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Debug, Clone)]
struct Common {
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Results folder.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Use this hidiff binary instead of building one in release.
    #[arg(long)]
    hidiff: Option<PathBuf>,
    /// Training runs at once, each with cores/jobs threads [default: the number of
    /// cores on the CPU, 1 on a GPU]; 1 trains one run at a time with its output on the terminal.
    #[arg(long)]
    jobs: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Reproduce a table or figure: table1, table2, table3, fig3, all.
    Reproduce {
        what: String,
        /// quick (CPU, synthetic data, minutes; the default), long (the same, longer and more seeds),
        /// paper (given weights on the real data: table2, table3), smoke (CI).
        #[arg(long, default_value = "quick")]
        profile: String,
        /// Data root with the real sets (GoPro/, test/HIDE, ...); the synthetic set is used without it.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Weights to evaluate (table2/table3): an official folder or a hidiff checkpoint.
        #[arg(long)]
        weights: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Run a grid of configuration switches from a sweep file.
    Ablate {
        #[arg(long)]
        sweep: PathBuf,
        #[arg(long, default_value = "quick")]
        profile: String,
        #[command(flatten)]
        common: Common,
    },
    /// Latency of inference and training (writes results/bench-*.md/json).
    Bench {
        /// Comma-separated HxW sizes.
        #[arg(long, default_value = "256x256")]
        size: String,
        #[arg(long, default_value = "f32")]
        precision: String,
        #[arg(long, default_value_t = 5)]
        iters: usize,
        #[arg(long, default_value = "gopro")]
        preset: String,
        /// CPU backend(s): flex, ndarray or both.
        #[arg(long, default_value = "flex")]
        cpu_backend: String,
        #[arg(long, default_value_t = 8)]
        batch: usize,
        #[arg(long, default_value_t = 128)]
        patch: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Assemble the GPU kit (CUDA binary stripped + xz, run.sh, golden files, PyTorch reference)
    /// that the GPU machine runs in one go: see docs/performance.md.
    GpuCheck {
        /// Kit folder (git-ignored; replaced only if it is an earlier kit).
        #[arg(long, default_value = "gpu-kit")]
        out: PathBuf,
        /// Pack this hidiff binary instead of building `--release --features cuda`.
        #[arg(long)]
        hidiff: Option<PathBuf>,
        /// The PyTorch reference folder (`bench_torch.py` and the official networks) to time
        /// beside hidiff; without it the kit does not time PyTorch.
        #[arg(long)]
        torch_bench: Option<PathBuf>,
        /// xz preset (0-9).
        #[arg(long, default_value_t = 6)]
        xz_level: u32,
    },
}

fn hidiff(c: &Common) -> Result<Hidiff> {
    let exe = match &c.hidiff {
        Some(p) => p.clone(),
        None => build_release(&c.device)?,
    };
    Ok(Hidiff { exe, device: c.device.clone() })
}

/// A reproduction target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Table1,
    Table2,
    Table3,
    Fig3,
}

/// Parses `table1|table2|table3|fig3|all` (before anything is built).
fn targets(what: &str) -> Result<Vec<Target>> {
    Ok(match what {
        "table1" => vec![Target::Table1],
        "table2" => vec![Target::Table2],
        "table3" => vec![Target::Table3],
        "fig3" => vec![Target::Fig3],
        "all" => vec![Target::Table1, Target::Table2, Target::Table3, Target::Fig3],
        other => bail!("unknown target {other:?}: expected table1, table2, table3, fig3 or all"),
    })
}

/// Refuses a target the profile cannot run, before anything is built.
fn check_profile(profile: Profile, targets: &[Target], data: bool, weights: bool) -> Result<()> {
    if profile == Profile::Paper && !data {
        bail!("--profile paper needs --data DIR with the real data sets (see datasets/README.md)");
    }
    for t in targets {
        let trains = match t {
            Target::Table1 | Target::Fig3 => true,
            Target::Table2 | Target::Table3 => !weights,
        };
        if trains {
            profile.settings().map_err(|e| anyhow::anyhow!("{t:?} with --profile {}: {e}", profile.name()))?;
        }
    }
    Ok(())
}

/// `--jobs`, or its default: every core on the CPU (several single-threaded runs do
/// more per minute than one multi-threaded run of the quick model), one run on a GPU.
fn jobs(c: &Common) -> Result<usize> {
    match c.jobs {
        Some(0) => bail!("--jobs 0: at least one training run must run at a time"),
        Some(n) => Ok(n),
        None if c.device.starts_with("cuda") => Ok(1),
        None => Ok(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
    }
}

fn ctx(profile: Profile, data: Option<PathBuf>, weights: Option<PathBuf>, c: &Common) -> Result<Ctx> {
    let root = workspace_root();
    let real_data = data.is_some();
    Ok(Ctx {
        hidiff: hidiff(c)?,
        profile,
        // Each profile makes its own synthetic set (sized for it) under its runs folder,
        // so it never replaces or depends on the user's datasets/synthetic.
        data: data.unwrap_or_else(|| root.join("runs").join("xtask").join(profile.name()).join("datasets")),
        runs: root.join("runs").join("xtask").join(profile.name()),
        results: c.out.clone(),
        weights,
        real_data,
        jobs: jobs(c)?,
    })
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = (|| -> Result<()> {
        match cli.cmd {
            Cmd::Reproduce { what, profile, data, weights, common } => {
                let targets = targets(&what)?;
                let profile = Profile::parse(&profile)?;
                check_profile(profile, &targets, data.is_some(), weights.is_some())?;
                let ctx = ctx(profile, data, weights, &common)?;
                for t in targets {
                    match t {
                        Target::Table1 => table1::table1(&ctx)?,
                        Target::Table2 => reproduce::table2(&ctx)?,
                        Target::Table3 => reproduce::table3(&ctx)?,
                        Target::Fig3 => table1::fig3(&ctx)?,
                    }
                }
                Ok(())
            }
            Cmd::Ablate { sweep, profile, common } => {
                let profile = Profile::parse(&profile)?;
                profile.settings()?;
                if !sweep.is_file() {
                    bail!("sweep file {} does not exist", sweep.display());
                }
                reproduce::ablate(&ctx(profile, None, None, &common)?, &sweep)
            }
            Cmd::Bench { size, precision, iters, preset, cpu_backend, batch, patch, common } => {
                let h = hidiff(&common)?;
                xtask::bench::run(
                    &h,
                    &xtask::bench::BenchOptions { sizes: size, precision, iters, preset, cpu_backend, batch, patch },
                    &common.out,
                )
            }
            Cmd::GpuCheck { out, hidiff, torch_bench, xz_level } => {
                let root = workspace_root();
                let hidiff = match hidiff {
                    Some(p) => p,
                    None => build_release("cuda")?,
                };
                let kit = xtask::gpu_check::assemble(&xtask::gpu_check::KitOptions {
                    out: if out.is_absolute() { out } else { root.join(out) },
                    hidiff,
                    golden: root.join("crates/hidiff-model/tests/fixtures/golden"),
                    torch_bench,
                    xz_level: xz_level.min(9),
                })?;
                println!(
                    "GPU kit ready: {} ({:.1} MiB). Run it with the device tool:",
                    kit.dir.display(),
                    kit.total_bytes as f64 / 1048576.0
                );
                println!("  run(command: \"bash gpu-kit/run.sh\", carry: [\"gpu-kit\"], timeout_s: 600)");
                Ok(())
            }
        }
    })();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
