//! `hidiff test --weights W --data DIR --set NAME|DIR`: the model over a paired
//! test set, outputs saved as the official test saves them
//! (`OUT/visualization/<set>/<stem>.png`), PSNR/SSIM under the paper's protocol
//! for the set and under BasicSR's, as a table and as JSON.

use std::path::PathBuf;

use anyhow::Result;
use burn::tensor::backend::AutodiffBackend;
use hidiff_infer::{resolve_test_set, run_test, TestReport, TestSet};

use crate::cmd::deblur::{Bars, ModelArgs};
use crate::device::{dispatch, WithBackend};

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
        let deblurrer = self.args.model.deblurrer::<B::InnerBackend>(device)?;
        Ok(run_test(&deblurrer, &self.set, &self.args.out, &Bars::new())?)
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
    let report = dispatch(args.model.device, Work { args, set })?;
    print!("{}", report.table());
    report.save_json(&json)?;
    println!("outputs: {}", args.out.join("visualization").join(&report.set).display());
    println!("report: {}", json.display());
    Ok(())
}
