//! `hidiff test --weights W --data DIR --set NAME|DIR`: the model over a paired
//! test set, outputs saved as the official test saves them
//! (`OUT/visualization/<set>/<stem>.png`), PSNR/SSIM under the paper's protocol
//! for the set and under BasicSR's, as a table and as JSON.

use std::path::PathBuf;

use anyhow::{Context, Result};
use burn::tensor::backend::AutodiffBackend;
use hidiff_infer::{
    embedded_config, load_with_stage1_encoder, resolve_test_set, run_test, run_test_oracle_prior, Deblurrer,
    TestReport, TestSet,
};

use crate::cmd::deblur::{Bars, ModelArgs};
use crate::device::WithBackend;

/// Arguments of `hidiff test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// The datasets folder (reference layout: GoPro/test/..., test/HIDE/..., test/RealBlur_J/...).
    #[arg(long, default_value = "datasets")]
    pub data: PathBuf,
    /// gopro, hide, realblur-j, realblur-r, synthetic, or a folder with input/ and target/ (absolute, or under --data).
    #[arg(long)]
    pub set: String,
    /// Results folder: outputs go to OUT/visualization/<set>/, the report to OUT/results.json.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Where to write the JSON report instead of OUT/results.json.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Restore with the oracle prior: the stage-1 latent encoder of a stage-1 (or
    /// stage-2) checkpoint sees the sharp target, as in stage-1 training. An upper
    /// bound of what a prior can carry, not a deblurring result.
    #[arg(long)]
    pub oracle_prior: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

struct Work<'a> {
    args: &'a TestArgs,
    set: TestSet,
}

impl WithBackend for Work<'_> {
    type Output = TestReport;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Result<TestReport> {
        let m = &self.args.model;
        if !self.args.oracle_prior {
            let deblurrer = m.deblurrer::<B::InnerBackend>(device)?;
            return Ok(run_test(&deblurrer, &self.set, &self.args.out, &Bars::new())?);
        }
        let (cfg, name) = m.config.resolve_or(embedded_config(&m.weights)?)?;
        let model = load_with_stage1_encoder::<B::InnerBackend>(&m.weights, &cfg, &name, &device)?;
        let deblurrer = Deblurrer::new(model, device, m.options())?;
        Ok(run_test_oracle_prior(&deblurrer, &self.set, &self.args.out, &Bars::new())?)
    }
}

/// Runs the test, prints the table and writes the JSON report.
pub fn run(args: &TestArgs) -> Result<()> {
    args.model.check()?;
    hidiff_infer::check_output_folder(&args.out)?;
    let set = resolve_test_set(&args.data, &args.set)?;
    // The report goes nowhere near an input: the set's images and folders, the
    // weights, the configuration. Checked before the model is loaded.
    let json = args.json.clone().unwrap_or_else(|| args.out.join("results.json"));
    let folders = [set.pairs.folders.lq.as_path(), set.pairs.folders.gt.as_path()];
    let files = set.pairs.pairs.iter().flat_map(|p| [p.lq.as_path(), p.gt.as_path()]);
    hidiff_io::check_output_file(&json, folders.into_iter().chain(files).chain(args.model.inputs()))?;
    eprintln!(
        "testing on {} ({} pairs from {}), paper protocol: {}",
        set.name,
        set.pairs.len(),
        set.pairs.folders.lq.display(),
        set.protocol
    );
    let report = args.model.dispatch(Work { args, set })?;
    print!("{}", report.table());
    let shared = shared_report(&report);
    let text = serde_json::to_string_pretty(&shared).context("serialising the test report")?;
    if let Some(parent) = json.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    hidiff_infer::image_io::write_atomically(&json, text.as_bytes())?;
    println!("outputs: {}", args.out.join("visualization").join(&report.set).display());
    println!("report: {}", json.display());
    Ok(())
}

/// The report in the shared JSON contract read by `xtask` (`hidiff_report::TestReport`).
fn shared_report(r: &TestReport) -> hidiff_report::TestReport {
    let scores = |s: &hidiff_metrics::Scores| hidiff_report::Scores { psnr: s.psnr, ssim: s.ssim };
    let mean = |m: &hidiff_metrics::MeanScores| hidiff_report::MeanScores { psnr: m.psnr, ssim: m.ssim };
    hidiff_report::TestReport {
        set: r.set.clone(),
        input_dir: r.input_dir.clone(),
        target_dir: r.target_dir.clone(),
        protocol: r.protocol.name().to_string(),
        oracle_prior: r.oracle_prior,
        paper: mean(&r.paper),
        basicsr: mean(&r.basicsr),
        failed: r.failed,
        seed: r.seed,
        self_ensemble: r.self_ensemble,
        pixels: r.pixels,
        model_seconds: r.model_seconds,
        images: r
            .images
            .iter()
            .map(|i| hidiff_report::TestImage {
                name: i.name.clone(),
                output: i.output.clone(),
                size: i.size,
                paper: i.paper.as_ref().map(scores),
                basicsr: scores(&i.basicsr),
                error: i.error.clone(),
                seconds: i.seconds,
            })
            .collect(),
    }
}
