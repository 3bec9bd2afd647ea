//! `hidiff test`: the model over a paired test set, outputs saved as the official
//! test saves them, and PSNR/SSIM under the paper's protocol and BasicSR's.
//!
//! | `--set` | folders (docs/reference.md §7, [`hidiff_data::layout`]) | paper protocol |
//! | --- | --- | --- |
//! | `gopro` | `DATA/GoPro/test/{input,target}` (or `DATA/test/GoPro/...`) | MATLAB `evaluate_gopro_hide.m` |
//! | `hide` | `DATA/test/HIDE/{input,target}` | MATLAB |
//! | `realblur-j`, `realblur-r` | `DATA/test/RealBlur_{J,R}/{input,target}` (or `DATA/RealBlur/test/...`) | `evaluate_realblur.py` (ECC) |
//! | `synthetic` | `DATA/synthetic/test/{input,target}` | MATLAB |
//! | any folder | `SET/{input,target}` or `DATA/SET/{input,target}` | MATLAB |
//!
//! Inputs are read as 8-bit RGB and divided by 255 (docs/reference.md §4.6); outputs are
//! quantised as docs/reference.md §4.8 and written to `OUT/visualization/<set>/<stem>.png`
//! (the official `results/<name>/visualization/<dataset>/` layout), which this
//! command overwrites on a re-run as the official test does. Metrics are computed
//! on exactly these 8-bit images against the target cropped to the input's size.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::backend::Backend;
use hidiff_data::image_io::{to_chw_f32, write_png};
use hidiff_data::{load_eval_pair, resolve, resolve_plain, DatasetKind, PairSet, SizeRule, Split};
use hidiff_metrics::{evaluate_pair, MeanScores, Protocol, RgbImageU8, Scores};
use image::RgbImage;
use serde::Serialize;

use crate::deblur::Deblurrer;
use crate::error::{InferError, Result};
use crate::progress::Progress;
use crate::quantise::to_u8;

/// The smallest image side the metrics accept: BasicSR's SSIM needs one whole
/// 11×11 window (and RealBlur's SSIM crops 5 pixels on every side).
pub const MIN_SCORED_SIDE: u32 = 11;

/// A resolved test set.
#[derive(Clone, Debug)]
pub struct TestSet {
    /// The folder name under `visualization/` (`GoPro`, `HIDE`, `RealBlur_J`, or the folder's name).
    pub name: String,
    /// The known data set, if it is one.
    pub kind: Option<DatasetKind>,
    /// The pairs.
    pub pairs: PairSet,
    /// The protocol of the paper's numbers for it.
    pub protocol: Protocol,
}

/// The paper's protocol for a data set: ECC for RealBlur, MATLAB for everything else.
pub fn paper_protocol(kind: Option<DatasetKind>) -> Protocol {
    match kind {
        Some(DatasetKind::RealBlurJ | DatasetKind::RealBlurR) => Protocol::RealBlur,
        _ => Protocol::GoPro,
    }
}

/// A human name of a protocol's source.
pub fn protocol_source(p: Protocol) -> &'static str {
    match p {
        Protocol::GoPro => "evaluate_gopro_hide.m",
        Protocol::RealBlur => "evaluate_realblur.py",
        Protocol::BasicSr => "BasicSR calculate_psnr/ssim, RGB",
        Protocol::BasicSrY => "BasicSR calculate_psnr/ssim, Y",
    }
}

/// Finds the test set `set` (a name of [`DatasetKind`] or a folder with
/// `input/` and `target/`) under `data`.
///
/// # Errors
/// [`InferError::Data`] when the folders are missing, unpaired or empty.
pub fn resolve_test_set(data: &Path, set: &str) -> Result<TestSet> {
    if let Ok(kind) = set.parse::<DatasetKind>() {
        let pairs = resolve(data, kind, Split::Test)?;
        let name = match kind {
            DatasetKind::Synthetic => "synthetic".to_string(),
            other => other.folder_name().to_string(),
        };
        return Ok(TestSet { name, kind: Some(kind), pairs, protocol: paper_protocol(Some(kind)) });
    }
    let direct = PathBuf::from(set);
    let dir = if direct.join("input").is_dir() { direct } else { data.join(set) };
    let pairs = resolve_plain(&dir, SizeRule::GtCoversLq)?;
    let name = crate::plan::absolute(&dir)
        .file_name()
        .map_or_else(|| "test".to_string(), |n| n.to_string_lossy().into_owned());
    Ok(TestSet { name, kind: None, pairs, protocol: paper_protocol(None) })
}

/// The scores of one image.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestImage {
    /// The file name.
    pub name: String,
    /// The saved output.
    pub output: PathBuf,
    /// `(width, height)`.
    pub size: (u32, u32),
    /// Under the paper's protocol; `None` if it failed (see `error`).
    pub paper: Option<Scores>,
    /// Under BasicSR's (RGB, no crop).
    pub basicsr: Scores,
    /// Why the paper protocol failed (e.g. the ECC alignment diverged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Seconds in the model.
    pub seconds: f64,
}

/// The result of a test run, written as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestReport {
    /// The set's name.
    pub set: String,
    /// Its input folder.
    pub input_dir: PathBuf,
    /// Its target folder.
    pub target_dir: PathBuf,
    /// The paper's protocol for the set.
    pub protocol: Protocol,
    /// Means under it (over the images where it succeeded).
    pub paper: MeanScores,
    /// Means under BasicSR's.
    pub basicsr: MeanScores,
    /// Images whose paper protocol failed.
    pub failed: usize,
    /// Whether the prior came from the stage-1 encoder that sees the target.
    pub oracle_prior: bool,
    /// The diffusion seed.
    pub seed: u64,
    /// Whether the self-ensemble was used.
    pub self_ensemble: bool,
    /// Total pixels.
    pub pixels: u64,
    /// Seconds in the model.
    pub model_seconds: f64,
    /// Per image, in natural file-name order.
    pub images: Vec<TestImage>,
}

fn mean(scores: impl Iterator<Item = Scores>) -> MeanScores {
    let (mut n, mut psnr, mut ssim) = (0usize, 0.0, 0.0);
    for s in scores {
        n += 1;
        psnr += s.psnr;
        ssim += s.ssim;
    }
    let n = n.max(1) as f64;
    MeanScores { psnr: psnr / n, ssim: ssim / n }
}

/// Runs the model over `set`, saves the outputs under `out_dir/visualization/<set>/`
/// and scores them.
///
/// # Errors
/// Unreadable or too small images ([`InferError::Data`], [`InferError::TooSmall`]),
/// unwritable outputs, or a BasicSR metric error. A failing paper protocol (ECC) is
/// recorded per image instead.
pub fn run_test<B: Backend>(
    deblurrer: &Deblurrer<B>,
    set: &TestSet,
    out_dir: &Path,
    progress: &dyn Progress,
) -> Result<TestReport> {
    run_test_with(deblurrer, set, out_dir, progress, false)
}

/// [`run_test`] with the oracle prior of [`Deblurrer::restore_with_oracle_prior`]
/// (the stage-1 encoder sees the target): the upper bound of what a prior carries.
///
/// # Errors
/// As [`run_test`]; [`InferError::InvalidOption`] for a model without `net_le`.
pub fn run_test_oracle_prior<B: Backend>(
    deblurrer: &Deblurrer<B>,
    set: &TestSet,
    out_dir: &Path,
    progress: &dyn Progress,
) -> Result<TestReport> {
    run_test_with(deblurrer, set, out_dir, progress, true)
}

fn run_test_with<B: Backend>(
    deblurrer: &Deblurrer<B>,
    set: &TestSet,
    out_dir: &Path,
    progress: &dyn Progress,
    oracle_prior: bool,
) -> Result<TestReport> {
    let vis = out_dir.join("visualization").join(&set.name);
    for input_dir in [&set.pairs.folders.lq, &set.pairs.folders.gt] {
        if crate::plan::absolute(&vis) == crate::plan::absolute(input_dir) {
            return Err(InferError::WouldOverwriteInput { input: input_dir.clone(), output: vis });
        }
    }
    for pair in &set.pairs.pairs {
        let (w, h) = pair.lq_size;
        deblurrer.check_size(&pair.lq, w, h)?;
        if w < MIN_SCORED_SIDE || h < MIN_SCORED_SIDE {
            return Err(InferError::TooSmall {
                path: pair.lq.clone(),
                width: w,
                height: h,
                min: MIN_SCORED_SIDE,
                needed_by: "SSIM",
            });
        }
        deblurrer.options().pixel_budget.check(&pair.gt, pair.gt_size.0, pair.gt_size.1).map_err(InferError::File)?;
        deblurrer.options().pixel_budget.check(&pair.lq, w, h).map_err(InferError::File)?;
        deblurrer.check_memory(&pair.lq, w, h)?;
    }
    crate::plan::check_output_folder(out_dir)?;
    let created = crate::plan::prepare_output_dir_tracked(&vis)?;
    let mut written = Vec::new();
    let result = test_pairs(deblurrer, set, &vis, progress, oracle_prior, &mut written);
    if result.is_err() {
        // A failed run takes away what it created: its new images, then its empty folders.
        for file in &written {
            let _ = std::fs::remove_file(file);
        }
        created.remove_empty();
    }
    result
}

/// The loop of [`run_test`]; `written` collects the outputs that did not exist before.
fn test_pairs<B: Backend>(
    deblurrer: &Deblurrer<B>,
    set: &TestSet,
    vis: &Path,
    progress: &dyn Progress,
    oracle_prior: bool,
    written: &mut Vec<PathBuf>,
) -> Result<TestReport> {
    let pixels: u64 = set.pairs.pairs.iter().map(|p| u64::from(p.lq_size.0) * u64::from(p.lq_size.1)).sum();
    progress.start("images", set.pairs.len(), pixels);
    let mut images = Vec::with_capacity(set.pairs.len());
    for pair in &set.pairs.pairs {
        let eval = load_eval_pair(pair)?;
        let (w, h) = eval.lq.dimensions();
        progress.item_start(&pair.lq, deblurrer.passes(h as usize, w as usize));
        let t = Instant::now();
        let out = if oracle_prior {
            let gt = to_chw_f32(&eval.gt);
            let out = deblurrer.restore_with_oracle_prior(&to_chw_f32(&eval.lq), &gt, h as usize, w as usize)?;
            progress.step_done();
            out
        } else {
            deblurrer.deblur_planar(&to_chw_f32(&eval.lq), h as usize, w as usize, &mut || progress.step_done())
        };
        let seconds = t.elapsed().as_secs_f64();
        let n = (w * h) as usize;
        let raw: Vec<u8> = (0..n).flat_map(|i| [out[i], out[n + i], out[2 * n + i]].map(to_u8)).collect();
        let output = vis.join(format!("{}.png", pair.stem()));
        let rgb = RgbImage::from_raw(w, h, raw.clone()).expect("w * h * 3 bytes by construction");
        let existed = output.exists();
        write_png(&rgb, &output)?;
        if !existed {
            written.push(output.clone());
        }
        let score = |source| InferError::Score { path: pair.lq.clone(), source: Box::new(source) };
        let pred = RgbImageU8::from_raw(w as usize, h as usize, raw).map_err(score)?;
        let gt = RgbImageU8::from_raw(w as usize, h as usize, eval.gt.into_raw()).map_err(score)?;
        let basicsr = evaluate_pair(Protocol::BasicSr, &gt, &pred).map_err(score)?;
        let (paper, error) = match evaluate_pair(set.protocol, &gt, &pred) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        };
        images.push(TestImage { name: pair.name.clone(), output, size: (w, h), paper, basicsr, error, seconds });
        progress.item_done(&pair.lq, u64::from(w) * u64::from(h));
    }
    progress.finish();
    Ok(TestReport {
        set: set.name.clone(),
        input_dir: set.pairs.folders.lq.clone(),
        target_dir: set.pairs.folders.gt.clone(),
        protocol: set.protocol,
        paper: mean(images.iter().filter_map(|i| i.paper.clone())),
        basicsr: mean(images.iter().map(|i| i.basicsr.clone())),
        failed: images.iter().filter(|i| i.paper.is_none()).count(),
        oracle_prior,
        seed: deblurrer.options().seed,
        self_ensemble: deblurrer.options().self_ensemble,
        pixels,
        model_seconds: images.iter().map(|i| i.seconds).sum(),
        images,
    })
}

impl TestReport {
    /// A plain-text table of the means.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let mp = self.pixels as f64 / 1e6;
        s.push_str(&format!("test set {} ({} images, {:.2} MP)\n", self.set, self.images.len(), mp));
        s.push_str(&format!("{:<40} {:>10} {:>8}\n", "protocol", "PSNR (dB)", "SSIM"));
        let paper = format!("paper: {} ({})", self.protocol, protocol_source(self.protocol));
        s.push_str(&format!("{:<40} {:>10.4} {:>8.4}\n", paper, self.paper.psnr, self.paper.ssim));
        let basic = format!("basicsr ({})", protocol_source(Protocol::BasicSr));
        s.push_str(&format!("{:<40} {:>10.4} {:>8.4}\n", basic, self.basicsr.psnr, self.basicsr.ssim));
        if self.failed > 0 {
            s.push_str(&format!(
                "warning: the paper protocol failed on {} image(s); see the JSON report\n",
                self.failed
            ));
        }
        if mp > 0.0 {
            s.push_str(&format!(
                "model time {:.2} s, {:.3} s per megapixel\n",
                self.model_seconds,
                self.model_seconds / mp
            ));
        }
        s
    }

    /// Writes the report as pretty JSON.
    ///
    /// # Errors
    /// [`InferError::Io`] or [`InferError::Report`].
    pub fn save_json(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|source| InferError::Report { path: path.to_path_buf(), source })?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| InferError::io("cannot create", parent, e))?;
        }
        crate::image_io::write_atomically(path, text.as_bytes())
    }
}
