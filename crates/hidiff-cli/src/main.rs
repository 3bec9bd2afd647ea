//! `hidiff`: the command-line program of the hidiff workspace.

mod cmd;
mod config_source;
mod cubecl_config;
mod device;
mod kernel_progress;
mod malloc_tuning;
mod precision;
mod validate;

use clap::{Parser, Subcommand};

/// HI-Diff image deblurring (Chen et al., NeurIPS 2023) in Rust.
#[derive(Parser, Debug)]
#[command(name = "hidiff", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    cubecl: cubecl_config::CubeclArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the model against golden vectors of the official implementation.
    Parity(cmd::parity::ParityArgs),
    /// Parameter counts and FLOPs of a configuration.
    Info(cmd::info::InfoArgs),
    /// PSNR/SSIM with the paper's protocols (BasicSR, GoPro/HIDE MATLAB, RealBlur ECC).
    Metrics(cmd::metrics::MetricsArgs),
    /// Prepare data: GoPro patches, or the synthetic default data set.
    Prepare(cmd::prepare::PrepareArgs),
    /// Train stage 1 or stage 2 from an experiment file (resumable).
    Train(cmd::train::TrainArgs),
    /// Deblur images (files or folders) with official or hidiff weights.
    Deblur(cmd::deblur::DeblurArgs),
    /// Run a benchmark test set and score it with the paper's protocol.
    Test(cmd::test::TestArgs),
    /// Latency of inference, its parts and a training step.
    Bench(cmd::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    malloc_tuning::apply();
    let cli = Cli::parse();
    cubecl_config::set_args(cli.cubecl.clone());
    // HIDIFF_FUSED=0 runs the composed tensor operations instead of the fused CPU kernels.
    if std::env::var("HIDIFF_FUSED").is_ok_and(|v| v == "0") {
        hidiff_model::fused::set_enabled(false);
    }
    let result = match &cli.command {
        Command::Parity(a) => cmd::parity::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Metrics(a) => cmd::metrics::run(a),
        Command::Prepare(a) => cmd::prepare::run(a),
        Command::Train(a) => cmd::train::run(a),
        Command::Deblur(a) => cmd::deblur::run(a),
        Command::Test(a) => cmd::test::run(a),
        Command::Bench(a) => cmd::bench::run(a),
    };
    kernel_progress::clear();
    if let Some(line) = kernel_progress::summary() {
        eprintln!("{line}");
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", chain_once(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `": "`-separated, each text once.
///
/// The workspace's rule is that an error's message does not repeat the message
/// of its `source()`; for errors of other crates that still do, a cause whose
/// text is already part of what was printed is left out.
fn chain_once(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
