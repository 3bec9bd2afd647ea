//! `hidiff deblur INPUT... --weights W`: deblurs image files and folders.
//!
//! Every input is decoded and checked, and the output folder probed, before the
//! first output is written; see `hidiff_infer` for formats, tiling and the
//! self-ensemble, and `docs/deblur.md` for the measurements behind the defaults.

use std::path::{Path, PathBuf};

use anyhow::Result;
use burn::tensor::backend::{AutodiffBackend, Backend};
use hidiff_infer::{
    embedded_config, load_for_inference, plan, prepare_output_dir, run_jobs, validate_inputs, BatchSummary,
    DeblurOptions, Deblurrer, PixelBudget, PlanOptions, Progress, TileSpec, Tiling, AUTO_TILE_PIXELS, DEFAULT_SEED,
};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config_source::ConfigSource;
use crate::device::{check_precision, dispatch_with, DeviceArg, Precision, WithBackend};

/// The model and how to run it: shared by `hidiff deblur` and `hidiff test`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// Weights: an official HI-Diff folder (net_g.pth, net_le_dm.pth, net_d.pth) or a hidiff .safetensors checkpoint.
    #[arg(long)]
    pub weights: PathBuf,
    /// Model configuration: the checkpoint's own for hidiff checkpoints, otherwise --config/--preset (default gopro).
    #[command(flatten)]
    pub config: ConfigSource,
    /// Device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: DeviceArg,
    /// Seed of the diffusion's initial noise (fixed by default, so results are reproducible).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Tile side in pixels, a multiple of 8; 0 never tiles. Default: images above
    /// 1024×1024 pixels are tiled with 512-pixel tiles.
    #[arg(long)]
    pub tile: Option<usize>,
    /// Minimum overlap of neighbouring tiles, pixels.
    #[arg(long, default_value_t = TileSpec::AUTO.overlap)]
    pub tile_overlap: usize,
    /// Average the outputs of the 8 flips/rotations (8x slower).
    #[arg(long)]
    pub self_ensemble: bool,
    /// Floating-point precision of the model: f32, or f16/bf16 on CUDA.
    #[arg(long, value_enum, default_value = "f32")]
    pub precision: Precision,
    /// Largest image decoded, in megapixels (the header is read first; larger images are refused).
    #[arg(long, default_value_t = 100.0, value_parser = crate::validate::parse_positive)]
    pub max_megapixels: f64,
    /// Memory the work on one image may take, in GB (image buffers plus the model's
    /// activations in one pass) [default: the memory available now].
    #[arg(long, value_parser = crate::validate::parse_positive)]
    pub max_memory_gb: Option<f64>,
}

impl ModelArgs {
    /// The deblurring options these arguments ask for.
    pub fn options(&self) -> DeblurOptions {
        let tiling = match self.tile {
            None => Tiling::Auto {
                max_pixels: AUTO_TILE_PIXELS,
                spec: TileSpec { overlap: self.tile_overlap, ..TileSpec::AUTO },
            },
            Some(0) => Tiling::Off,
            Some(size) => Tiling::Always(TileSpec { size, overlap: self.tile_overlap }),
        };
        DeblurOptions {
            seed: self.seed,
            tiling,
            self_ensemble: self.self_ensemble,
            pixel_budget: PixelBudget::megapixels(self.max_megapixels),
            memory_budget: self.max_memory_gb.map(|gb| (gb * 1e9) as u64).or_else(hidiff_io::available_memory),
            ..Default::default()
        }
    }

    /// Refuses bad numbers and what this build cannot do, before anything is
    /// loaded: the tile options (with the model's usual window of 8; the loaded
    /// model checks its own again) and the precision.
    pub fn check(&self) -> Result<()> {
        match self.tile {
            Some(0) => {}
            Some(size) => TileSpec { size, overlap: self.tile_overlap }.validate(8)?,
            None => TileSpec { overlap: self.tile_overlap, ..TileSpec::AUTO }.validate(8)?,
        }
        self.check_precision()
    }

    /// The files the model is read from (weights, configuration), which no output may replace.
    pub fn inputs(&self) -> Vec<&Path> {
        let mut v = vec![self.weights.as_path()];
        v.extend(self.config.config.as_deref());
        v
    }

    /// Refuses what this build cannot do, before anything is loaded.
    pub fn check_precision(&self) -> Result<()> {
        check_precision(self.device, self.precision)
    }

    /// Runs `work` on the device and precision these arguments name.
    pub fn dispatch<W: WithBackend>(&self, work: W) -> Result<W::Output> {
        dispatch_with(self.device, self.precision, work)
    }

    /// Resolves the configuration, loads the weights and wraps them, on `B`; the
    /// weights are cast to the device's float dtype (`--precision`).
    pub fn deblurrer<B: Backend>(&self, device: B::Device) -> Result<Deblurrer<B>> {
        let (cfg, name) = self.config.resolve_or(embedded_config(&self.weights)?)?;
        let model = load_for_inference::<B>(&self.weights, &cfg, &name, &device)?;
        let model = crate::precision::to_device_float(model, &device);
        Ok(Deblurrer::new(model, device, self.options())?)
    }
}

/// Arguments of `hidiff deblur`.
#[derive(clap::Args, Debug)]
pub struct DeblurArgs {
    /// Image files or folders of images.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output folder (file names are kept; subfolders too with --recursive).
    #[arg(long, default_value = "deblurred")]
    pub out: PathBuf,
    /// Include the subfolders of folder inputs.
    #[arg(long)]
    pub recursive: bool,
    /// Replace existing output files.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

struct Work<'a> {
    args: &'a DeblurArgs,
    jobs: Vec<hidiff_infer::Job>,
}

impl WithBackend for Work<'_> {
    type Output = BatchSummary;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Result<BatchSummary> {
        let deblurrer = self.args.model.deblurrer::<B::InnerBackend>(device)?;
        let sizes = validate_inputs(&self.jobs, &deblurrer)?;
        prepare_output_dir(&self.args.out)?;
        let bars = Bars::new();
        bars.start("images", self.jobs.len(), sizes.iter().map(|&(w, h)| u64::from(w) * u64::from(h)).sum());
        Ok(run_jobs(&self.jobs, &deblurrer, &bars)?)
    }
}

/// Deblurs the inputs and prints the time per megapixel.
pub fn run(args: &DeblurArgs) -> Result<()> {
    args.model.check()?;
    let opts = PlanOptions { out_dir: args.out.clone(), recursive: args.recursive, overwrite: args.overwrite };
    let jobs = plan(&args.inputs, &opts)?;
    // Cheap checks before the model loads: no output over the weights or the
    // configuration, and every header within the pixel budget.
    let budget = PixelBudget::megapixels(args.model.max_megapixels);
    for job in &jobs {
        hidiff_io::check_not_an_input(&job.output, args.model.inputs())?;
        hidiff_infer::image_io::probe_image(&job.input, budget)?;
    }
    let summary = args.model.dispatch(Work { args, jobs })?;
    eprintln!(
        "deblurred {} image(s), {:.2} megapixels, into {} in {:.1} s: {:.2} s per megapixel ({:.2} s/MP in the model)",
        summary.images,
        summary.megapixels(),
        args.out.display(),
        summary.seconds,
        summary.seconds_per_megapixel(),
        if summary.pixels == 0 { 0.0 } else { summary.model_seconds / summary.megapixels() },
    );
    Ok(())
}

/// Progress bars on stderr: one over images and, while an image takes several
/// passes (tiles, ensemble members), one over its passes. Hidden when stderr is
/// not a terminal.
pub struct Bars {
    multi: MultiProgress,
    images: ProgressBar,
    passes: std::sync::Mutex<Option<ProgressBar>>,
}

impl std::fmt::Debug for Bars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bars")
    }
}

impl Bars {
    /// The image bar; pass bars come and go with the images that need them.
    pub fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let images = multi.add(ProgressBar::new(0));
        images.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} images [{elapsed_precise}, eta {eta}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self { multi, images, passes: std::sync::Mutex::new(None) }
    }

    fn take_passes(&self) -> Option<ProgressBar> {
        self.passes.lock().map(|mut p| p.take()).unwrap_or(None)
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Bars {
    fn start(&self, _label: &str, images: usize, _pixels: u64) {
        self.images.set_length(images as u64);
    }

    fn item_start(&self, path: &Path, passes: usize) {
        self.images.set_message(path.display().to_string());
        if passes > 1 {
            let bar = self.multi.add(ProgressBar::new(passes as u64));
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} tiles/passes")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            if let Ok(mut slot) = self.passes.lock() {
                *slot = Some(bar);
            }
        }
    }

    fn step_done(&self) {
        if let Ok(slot) = self.passes.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(1);
            }
        }
    }

    fn item_done(&self, _path: &Path, _pixels: u64) {
        if let Some(bar) = self.take_passes() {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.images.inc(1);
    }

    fn finish(&self) {
        if let Some(bar) = self.take_passes() {
            bar.finish_and_clear();
        }
        self.images.finish_and_clear();
        let _ = self.multi.clear();
    }
}
