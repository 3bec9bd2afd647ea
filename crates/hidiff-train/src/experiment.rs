//! Experiment files: one TOML file per run, mirroring the official
//! `options/train/*.yml` (BasicSR option names wherever they exist).
//!
//! Every table rejects unknown keys (`deny_unknown_fields`), so a misspelt
//! option is an error naming the key, its line and the file, never a silently
//! ignored default. Paths in `[datasets]` are relative to the data root
//! (`--data`, default `datasets`); a model configuration file in `[model]` is
//! relative to the experiment file; `[path]` weights are relative to the working
//! directory (the official files are too: they are run from the repository root).
//!
//! ```toml
//! name = "GoPro_S1"
//! stage = 1
//! manual_seed = 100
//! [model]
//! preset = "gopro"            # or: config = "model.toml"; plus [model.overrides.<section>]
//! [datasets.train]
//! dataroot_gt = "GoPro/crop/train/target_crops"
//! dataroot_lq = "GoPro/crop/train/input_crops"
//! mini_batch_sizes = [16, 10, 8, 4, 2, 2]
//! iters = [20000, 20000, 20000, 20000, 20000, 200000]
//! gt_sizes = [128, 160, 192, 256, 320, 384]
//! [datasets.val]
//! dataroot_gt = "GoPro/crop/val/target_crops"
//! dataroot_lq = "GoPro/crop/val/input_crops"
//! [train]
//! total_iter = 300000
//! [train.optim_total]
//! type = "AdamW"
//! lr = 2e-4
//! ...
//! ```

use std::path::{Path, PathBuf};

use hidiff_data::{ImageCache, ProgressiveSchedule, ScheduleStage};
use hidiff_model::ModelConfig;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// The two training stages of HI-Diff (docs/reference.md §4.4 and §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Stage {
    /// `HI_Diff_S1`: `net_g` and `net_le` on L1(out, gt), the prior from the sharp image.
    One,
    /// `HI_Diff_S2`: `net_le` frozen; `net_g`, `net_le_dm`, `net_d` on L1(out, gt) + L1(z, ẑ).
    Two,
}

impl TryFrom<u8> for Stage {
    type Error = String;
    fn try_from(v: u8) -> std::result::Result<Self, String> {
        match v {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            other => Err(format!("stage = {other}: expected 1 or 2")),
        }
    }
}

impl From<Stage> for u8 {
    fn from(s: Stage) -> u8 {
        match s {
            Stage::One => 1,
            Stage::Two => 2,
        }
    }
}

fn default_seed() -> u64 {
    100
}
fn default_true() -> bool {
    true
}
fn default_clip() -> f64 {
    0.01
}
fn default_one() -> f64 {
    1.0
}
fn default_eps() -> f64 {
    1e-8
}
fn default_keep() -> usize {
    2
}
fn default_warmup() -> i64 {
    -1
}

/// A whole experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFile {
    /// Run name; the default output folder is `runs/<name>`.
    pub name: String,
    /// 1 or 2.
    pub stage: Stage,
    /// Seed of the initialisation, the sampler and the stage-2 noise (official 100).
    #[serde(default = "default_seed")]
    pub manual_seed: u64,
    /// The networks.
    pub model: ModelSection,
    /// Training and validation data.
    pub datasets: DatasetsSection,
    /// Weights to start from (stage 2: the stage-1 `net_g` and `net_le`).
    #[serde(default)]
    pub path: PathSection,
    /// Losses, optimiser, schedule, iterations.
    pub train: TrainOptions,
    /// Validation.
    pub val: ValOptions,
    /// Logging and checkpoints.
    pub logger: LoggerOptions,
}

/// `[model]`: a preset name or a model configuration file, plus overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// `gopro`, `realblur-j`, `realblur-r`, `quick` (see `ModelConfig::preset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// A model configuration file (format of the golden `small_config.toml`),
    /// relative to the experiment file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    /// Values merged over the preset or file, by section:
    /// `[model.overrides.transformer] dim = 16`. Checked as strictly as the file.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub overrides: toml::Table,
}

/// `[datasets]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetsSection {
    /// The data are this project's default synthetic set (`<data>/synthetic`):
    /// generate it on first use when `--data` is not given.
    #[serde(default)]
    pub generate_synthetic: bool,
    /// `datasets.train` of the official options.
    pub train: TrainDataset,
    /// `datasets.val`.
    pub val: ValDataset,
}

/// `[datasets.train]`: paired folders and the progressive patch/batch schedule
/// (docs/reference.md §4.5; batch sizes are per device, as in the official DDP runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainDataset {
    /// Sharp images, relative to the data root.
    pub dataroot_gt: PathBuf,
    /// Blurry images with the same file names.
    pub dataroot_lq: PathBuf,
    /// The loader's crop (official 384); must equal the largest of `gt_sizes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt_size: Option<usize>,
    /// Mini-batch of each schedule stage.
    pub mini_batch_sizes: Vec<usize>,
    /// Length in iterations of each stage (the last stage continues after its end).
    pub iters: Vec<u64>,
    /// Patch side of each stage.
    pub gt_sizes: Vec<usize>,
    /// Keep decoded images in memory: `off` (default), `lazy`, `preload`.
    #[serde(default)]
    pub cache: ImageCache,
}

/// `[datasets.val]`: whole images, gt cropped to lq.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValDataset {
    /// Sharp images, relative to the data root.
    pub dataroot_gt: PathBuf,
    /// Blurry images.
    pub dataroot_lq: PathBuf,
    /// Validate on the first `max_pairs` pairs (in file-name order) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pairs: Option<usize>,
    /// Image cache (see `[datasets.train]`); `lazy` keeps a small set in memory.
    #[serde(default)]
    pub cache: ImageCache,
}

/// `[path]`: initial weights, each an official `.pth` file, a folder of official
/// files, or one of our safetensors files (which may hold both networks).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSection {
    /// `net_g` to start from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrain_network_g: Option<PathBuf>,
    /// `net_le` to start from (stage 2: the frozen target encoder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrain_network_le: Option<PathBuf>,
}

/// `[train]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainOptions {
    /// Iterations of the stage (official 300,000).
    pub total_iter: u64,
    /// Warm-up iterations; only -1 (none, as in every official file) is supported.
    #[serde(default = "default_warmup")]
    pub warmup_iter: i64,
    /// The optimiser of all trained networks.
    pub optim_total: OptimOptions,
    /// The learning-rate schedule.
    pub scheduler: SchedulerOptions,
    /// Global-norm gradient clipping (the official code always clips).
    #[serde(default = "default_true")]
    pub use_grad_clip: bool,
    /// Its max norm (hard-coded 0.01 in the official code).
    #[serde(default = "default_clip")]
    pub grad_clip_max_norm: f64,
    /// `pixel_opt`: the image loss.
    #[serde(default)]
    pub pixel_opt: LossOptions,
    /// `pixel_diff_opt`: the prior loss of stage 2.
    #[serde(default)]
    pub pixel_diff_opt: LossOptions,
}

/// The optimiser kinds (only the one the paper uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// Decoupled weight decay Adam (`torch.optim.AdamW`).
    AdamW,
}

/// `[train.optim_total]`. burn's AdamW defaults differ from torch's; every value is explicit here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimOptions {
    /// `AdamW`.
    #[serde(rename = "type")]
    pub kind: OptimizerKind,
    /// Base learning rate (2e-4).
    pub lr: f64,
    /// Decoupled weight decay (1e-4).
    pub weight_decay: f64,
    /// `(beta1, beta2)` (0.9, 0.999).
    pub betas: [f64; 2],
    /// Denominator epsilon (torch default 1e-8).
    #[serde(default = "default_eps")]
    pub eps: f64,
}

/// The scheduler kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SchedulerKind {
    /// BasicSR's `CosineAnnealingRestartCyclicLR`.
    CosineAnnealingRestartCyclicLR,
}

/// `[train.scheduler]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerOptions {
    /// `CosineAnnealingRestartCyclicLR`.
    #[serde(rename = "type")]
    pub kind: SchedulerKind,
    /// Cycle lengths ([100000, 200000]).
    pub periods: Vec<u64>,
    /// Peak weight of each cycle ([1, 1]).
    pub restart_weights: Vec<f64>,
    /// Floor of each cycle ([2e-4, 1e-6]).
    pub eta_mins: Vec<f64>,
}

/// The loss kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LossKind {
    /// BasicSR `L1Loss`.
    #[default]
    L1Loss,
}

/// Loss reductions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Mean over all elements.
    #[default]
    Mean,
}

/// `[train.pixel_opt]` / `[train.pixel_diff_opt]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossOptions {
    /// `L1Loss`.
    #[serde(rename = "type", default)]
    pub kind: LossKind,
    /// Weight (1).
    #[serde(default = "default_one")]
    pub loss_weight: f64,
    /// `mean`.
    #[serde(default)]
    pub reduction: Reduction,
}

impl Default for LossOptions {
    fn default() -> Self {
        Self { kind: LossKind::L1Loss, loss_weight: 1.0, reduction: Reduction::Mean }
    }
}

/// `[val]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValOptions {
    /// Validate every this many iterations (and after the last one).
    pub val_freq: u64,
    /// Seed of the stage-2 validation noise (fixed, so validations compare).
    #[serde(default)]
    pub noise_seed: u64,
    /// Also validate before the first iteration of a fresh run (not in BasicSR).
    #[serde(default)]
    pub val_at_start: bool,
}

/// `[logger]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggerOptions {
    /// Log (progress line and `metrics.jsonl`) every this many iterations.
    pub print_freq: u64,
    /// Checkpoint every this many iterations (and after the last one).
    pub save_checkpoint_freq: u64,
    /// Checkpoints kept on disk (the newest ones).
    #[serde(default = "default_keep")]
    pub keep_checkpoints: usize,
}

/// A loaded, checked experiment with its model configuration resolved.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The file as written, with command-line overrides applied.
    pub file: ExperimentFile,
    /// Where it came from.
    pub source: PathBuf,
    /// The resolved model configuration.
    pub model: ModelConfig,
}

impl Experiment {
    /// Reads and checks an experiment file.
    ///
    /// # Errors
    /// [`TrainError::Experiment`] naming the file and the offending key,
    /// [`TrainError::ModelConfig`] for the model part.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io("cannot read experiment", path, e))?;
        Self::from_toml_str(&text, path)
    }

    /// Parses experiment text; `source` names the file in errors and anchors the
    /// relative model configuration path.
    pub fn from_toml_str(text: &str, source: &Path) -> Result<Self> {
        let file: ExperimentFile = toml::from_str(text)
            .map_err(|e| TrainError::Experiment { path: source.to_path_buf(), message: e.to_string() })?;
        Self::from_file(file, source)
    }

    /// Checks a parsed file and resolves its model.
    pub fn from_file(file: ExperimentFile, source: &Path) -> Result<Self> {
        let bad = |message: String| TrainError::Experiment { path: source.to_path_buf(), message };
        file.check().map_err(bad)?;
        // A model configuration always has a stage-2 `latent_encoder_dm` (the model
        // crate's validation requires it), so both stages can be built from it.
        let model = resolve_model(&file.model, source)?;
        Ok(Self { file, source: source.to_path_buf(), model })
    }

    /// The progressive patch/batch schedule of `[datasets.train]`.
    pub fn schedule(&self) -> ProgressiveSchedule {
        self.file.datasets.train.schedule().expect("checked when the experiment was loaded")
    }

    /// The file as TOML (saved into the run folder as `experiment.toml`).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(&self.file).expect("an experiment always serialises")
    }
}

impl TrainDataset {
    /// The schedule: stage k uses `gt_sizes[k]` and `mini_batch_sizes[k]` up to
    /// iteration `iters[0] + … + iters[k]`.
    pub fn schedule(&self) -> std::result::Result<ProgressiveSchedule, String> {
        let n = self.iters.len();
        if n == 0 || self.mini_batch_sizes.len() != n || self.gt_sizes.len() != n {
            return Err(format!(
                "datasets.train: iters, mini_batch_sizes and gt_sizes must have the same non-zero length, got {}, {}, {}",
                n,
                self.mini_batch_sizes.len(),
                self.gt_sizes.len()
            ));
        }
        let mut until = 0u64;
        let mut stages = Vec::with_capacity(n);
        for k in 0..n {
            until = until.saturating_add(self.iters[k]);
            stages.push(ScheduleStage { until_iter: until, patch: self.gt_sizes[k], batch: self.mini_batch_sizes[k] });
        }
        let schedule = ProgressiveSchedule::new(stages).map_err(|e| format!("datasets.train: {e}"))?;
        if let Some(g) = self.gt_size {
            if g != schedule.max_patch() {
                return Err(format!(
                    "datasets.train.gt_size = {g} must equal the largest of gt_sizes ({})",
                    schedule.max_patch()
                ));
            }
        }
        if let Some(p) = self.gt_sizes.iter().find(|p| **p % 8 != 0) {
            return Err(format!(
                "datasets.train.gt_sizes: {p} is not a multiple of 8 (the network's down-sampling needs it)"
            ));
        }
        Ok(schedule)
    }
}

impl ExperimentFile {
    /// Cross-field checks that serde cannot express.
    fn check(&self) -> std::result::Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name must not be empty".into());
        }
        self.datasets.train.schedule()?;
        let t = &self.train;
        if t.total_iter == 0 {
            return Err("train.total_iter must be positive".into());
        }
        if t.warmup_iter >= 0 {
            return Err(format!(
                "train.warmup_iter = {}: only -1 (no warm-up, as in the paper) is supported",
                t.warmup_iter
            ));
        }
        let o = &t.optim_total;
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let valid = positive(o.lr)
            && (o.weight_decay == 0.0 || positive(o.weight_decay))
            && positive(o.eps)
            && o.betas.iter().all(|b| (0.0..1.0).contains(b));
        if !valid {
            return Err("train.optim_total: lr and eps must be positive, weight_decay >= 0, betas in [0, 1)".into());
        }
        let s = &t.scheduler;
        if s.periods.is_empty() || s.periods.len() != s.restart_weights.len() || s.periods.len() != s.eta_mins.len() {
            return Err(
                "train.scheduler: periods, restart_weights and eta_mins must have the same non-zero length".into()
            );
        }
        if s.periods.contains(&0) {
            return Err("train.scheduler.periods must be positive".into());
        }
        if t.use_grad_clip && !(t.grad_clip_max_norm.is_finite() && t.grad_clip_max_norm > 0.0) {
            return Err("train.grad_clip_max_norm must be positive".into());
        }
        if self.val.val_freq == 0 || self.logger.print_freq == 0 || self.logger.save_checkpoint_freq == 0 {
            return Err("val.val_freq, logger.print_freq and logger.save_checkpoint_freq must be positive".into());
        }
        if self.logger.keep_checkpoints == 0 {
            return Err("logger.keep_checkpoints must be at least 1".into());
        }
        if self.datasets.val.max_pairs == Some(0) {
            return Err("datasets.val.max_pairs must be positive".into());
        }
        if self.stage == Stage::One
            && (self.path.pretrain_network_le.is_some() && self.path.pretrain_network_g.is_none())
        {
            return Err("path.pretrain_network_le without pretrain_network_g in stage 1".into());
        }
        match (&self.model.preset, &self.model.config) {
            (Some(_), Some(_)) => Err("model: give either preset or config, not both".into()),
            (None, None) => Err("model: give a preset or a config file".into()),
            _ => Ok(()),
        }
    }

    /// The last iteration the scheduler can serve: iteration k uses lr(k − 1),
    /// defined up to the sum of the periods.
    pub fn max_iterations(&self) -> u64 {
        self.train.scheduler.periods.iter().sum::<u64>() + 1
    }
}

/// The model configuration: a preset or file, with `[model.overrides]` merged over
/// it section by section, then validated by the model crate.
fn resolve_model(section: &ModelSection, source: &Path) -> Result<ModelConfig> {
    let err = |e| TrainError::ModelConfig { path: source.to_path_buf(), source: Box::new(e) };
    let base = match (&section.preset, &section.config) {
        (Some(name), _) => ModelConfig::preset(name).ok_or_else(|| TrainError::Experiment {
            path: source.to_path_buf(),
            message: format!("model.preset = {name:?} is unknown; known presets: {}", ModelConfig::PRESETS.join(", ")),
        })?,
        (None, Some(file)) => {
            let anchored = source.parent().map(|d| d.join(file)).unwrap_or_else(|| file.clone());
            ModelConfig::from_file(&anchored).map_err(err)?
        }
        (None, None) => unreachable!("checked"),
    };
    if section.overrides.is_empty() {
        return Ok(base);
    }
    let mut value: toml::Table = toml::from_str(&base.to_toml_string()).expect("a model configuration round-trips");
    merge(&mut value, &section.overrides);
    let text = toml::to_string(&value).expect("a merged table serialises");
    ModelConfig::from_toml_str(&text).map_err(|e| match e {
        hidiff_model::ModelError::Config { message, .. } | hidiff_model::ModelError::Invalid(message) => {
            TrainError::Experiment { path: source.to_path_buf(), message: format!("model.overrides: {message}") }
        }
        other => err(other),
    })
}

/// Deep merge of `over` into `base`: tables merge, other values replace.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_iters_become_cumulative_stages() {
        let d = TrainDataset {
            dataroot_gt: "gt".into(),
            dataroot_lq: "lq".into(),
            gt_size: Some(384),
            mini_batch_sizes: vec![16, 10, 8, 4, 2, 2],
            iters: vec![20000, 20000, 20000, 20000, 20000, 200000],
            gt_sizes: vec![128, 160, 192, 256, 320, 384],
            cache: ImageCache::Off,
        };
        assert_eq!(d.schedule().expect("valid"), ProgressiveSchedule::paper());
    }
}
