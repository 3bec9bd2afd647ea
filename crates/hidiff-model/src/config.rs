//! Model configuration: the official option names (`network_g`, `network_le`,
//! `network_le_dm`, `network_d`, `diffusion_schedule`) in a TOML file with the
//! sections `[transformer]`, `[latent_encoder]`, `[latent_encoder_dm]`,
//! `[denoiser]`, `[diffusion]` and `[test]`. Every struct rejects unknown keys,
//! so a misspelt option is an error instead of a silently ignored default.
//!
//! Golden-vector folders also carry `[generation]` (how the vectors were made)
//! and, beside it, the reference's `[train]` options as a record; a `[train]`
//! section anywhere else is an error: training options belong in an experiment
//! file (`experiments/*.toml`), whose `[model]` section names the model.
//!
//! Every number is checked where it enters ([`ModelConfig::validate`]): finite,
//! positive where a zero would build an empty layer or divide by zero, and below
//! upper bounds that keep memory and time sane.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// Largest channel width accepted anywhere (the paper's widest layer is 384).
pub const MAX_WIDTH: usize = 4096;
/// Largest block count or token-grid side accepted.
pub const MAX_COUNT: usize = 256;
/// Largest expansion ratio accepted (the paper uses 0.5 to 2.66).
pub const MAX_RATIO: f64 = 64.0;
/// Largest number of diffusion steps accepted (the paper uses 8).
pub const MAX_TIMESTEPS: usize = 10_000;

/// `LayerNorm_type` of the Restormer backbone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerNormKind {
    /// `(x - mu) / sqrt(var + 1e-5) * w + b` (the paper's choice).
    WithBias,
    /// `x / sqrt(var + 1e-5) * w` (var still around the mean).
    BiasFree,
}

/// How the prior reaches the Transformer. Only `Hierarchical` is the official
/// model; the other two are this project's definitions of the paper's ablation
/// variants (docs/reference.md §5: the official code has no switch for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriorMode {
    /// No prior: the Transformer without HIM, without `ln1/ln2` modulation, no LE/DM.
    None,
    /// `z1` fed to every HIM and its token mean to the latent level; no `down_1/down_2`.
    SingleScale,
    /// The official multi-scale prior: `z1`, `z2 = down_1(z1)`, `z3 = down_2(z2)`.
    #[default]
    Hierarchical,
}

/// `network_g: Transformer` (docs/reference.md §1.1–1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformerConfig {
    /// Input image channels (3).
    pub inp_channels: usize,
    /// Output image channels (3).
    pub out_channels: usize,
    /// Base width C (48 in the paper).
    pub dim: usize,
    /// Transformer blocks per level: encoder 1-3 (and decoder 3-1), latent.
    pub num_blocks: [usize; 4],
    /// Blocks of the refinement stage.
    pub num_refinement_blocks: usize,
    /// Attention heads per level.
    pub heads: [usize; 4],
    /// GDFN expansion; hidden width is `int(C * factor)` (Python truncation).
    pub ffn_expansion_factor: f64,
    /// Bias of the Transformer convolutions and of HIM's q/kv (false in the paper).
    pub bias: bool,
    /// The backbone LayerNorm.
    #[serde(rename = "LayerNorm_type")]
    pub layer_norm_type: LayerNormKind,
    /// Dual-pixel branch of Restormer; unused by HI-Diff and must be false.
    #[serde(default)]
    pub dual_pixel_task: bool,
    /// Latent width E; priors are `4E` wide.
    pub embed_dim: usize,
    /// Prior tokens per side: N = group² tokens.
    pub group: usize,
    /// Ablation switch (not an official option); defaults to the official model.
    #[serde(default)]
    pub prior_mode: PriorMode,
}

impl TransformerConfig {
    /// GDFN hidden width of a level of width `dim`: `int(dim * factor)`.
    pub fn ffn_hidden(&self, dim: usize) -> usize {
        (dim as f64 * self.ffn_expansion_factor) as usize
    }
    /// Prior width C' = 4E.
    pub fn prior_channels(&self) -> usize {
        4 * self.embed_dim
    }
}

/// The two latent-encoder classes of the official code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatentEncoderKind {
    /// `latent_encoder_gelu` (GoPro): GELU activations, one `conv2`, tokens E wide.
    #[default]
    Gelu,
    /// `latent_encoder_lrelu` (RealBlur): LeakyReLU, a three-conv `conv2`, tokens 4E wide.
    Lrelu,
}

impl LatentEncoderKind {
    fn class_name(self) -> &'static str {
        match self {
            LatentEncoderKind::Gelu => "latent_encoder_gelu",
            LatentEncoderKind::Lrelu => "latent_encoder_lrelu",
        }
    }
}

/// `network_le` / `network_le_dm` (docs/reference.md §1.4, RealBlur README fact 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatentEncoderConfig {
    /// Which class (not an official option; the official YAML names the `type`).
    #[serde(default)]
    pub kind: LatentEncoderKind,
    /// The official class name; checked against `kind` when present.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// 6 for stage 1 (`cat(gt, lq)`), 3 for stage 2; must equal `6 / stage`.
    pub in_chans: usize,
    /// Width E of the convolutional trunk.
    pub embed_dim: usize,
    /// Residual blocks.
    pub block_num: usize,
    /// Pooled grid side (N = group² tokens).
    pub group: usize,
    /// 1 (LE, sees gt) or 2 (LE_DM, blurry image only).
    pub stage: usize,
    /// Token-mixer hidden ratio (0.5 → 8 of 16 tokens).
    pub patch_expansion: f64,
    /// Channel-mixer hidden ratio.
    pub channel_expansion: f64,
    /// LeakyReLU slope of the `lrelu` class (0.1); ignored by the GELU class.
    #[serde(default = "default_slope_01")]
    pub negative_slope: f64,
}

fn default_slope_01() -> f64 {
    0.1
}

/// `network_d`, the GoPro `denoising` class or the RealBlur `simple_denoise`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DenoiserConfig {
    /// `denoising` (docs/reference.md §1.5): MLP-mixer blocks, learned time scalar, noise prediction.
    Mixer {
        in_channel: usize,
        out_channel: usize,
        inner_channel: usize,
        block_num: usize,
        group: usize,
        patch_expansion: f64,
        channel_expansion: f64,
        layerscale_value: f64,
    },
    /// `simple_denoise` (RealBlur README fact 3): plain Linear + LeakyReLU stack, x0 prediction.
    Simple { n_feats: usize, n_denoise_res: usize, timesteps: usize, negative_slope: f64 },
}

/// The `[denoiser]` section as written; validated into [`DenoiserConfig`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DenoiserSection {
    kind: Option<String>,
    #[serde(rename = "type")]
    class: Option<String>,
    in_channel: Option<usize>,
    out_channel: Option<usize>,
    inner_channel: Option<usize>,
    block_num: Option<usize>,
    group: Option<usize>,
    patch_expansion: Option<f64>,
    channel_expansion: Option<f64>,
    layerscale_value: Option<f64>,
    n_feats: Option<usize>,
    n_denoise_res: Option<usize>,
    timesteps: Option<usize>,
    negative_slope: Option<f64>,
}

/// Which diffusion implementation `apply_ldm` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiffusionKind {
    /// `apply_ldm: False`, the repository's own code (GoPro): betas linear in beta,
    /// eps prediction, clamp, time value i+1, the `q_sample` quirk (docs/reference.md §4.1–4.4).
    Local,
    /// `apply_ldm: True`, the `ldm` DDPM (RealBlur): betas linear in sqrt(beta), x0
    /// prediction, no clamp, time value i, standard `q_sample`.
    Ldm,
}

/// `diffusion_schedule` plus the DDPM constants the YAML cannot change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffusionConfig {
    /// Selects [`DiffusionKind::Ldm`] when true.
    pub apply_ldm: bool,
    /// Beta schedule name; only "linear" exists (and is not read on the ldm path).
    #[serde(default = "default_linear")]
    pub schedule: String,
    /// Number of steps T.
    pub timesteps: usize,
    /// First beta (or first beta before the square root on the ldm path).
    pub linear_start: f64,
    /// Last beta.
    pub linear_end: f64,
    /// ldm: beta schedule name, always "linear" (meaning linear in sqrt(beta)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta_schedule: Option<String>,
    /// ldm: "x0" (default) or "eps".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameterization: Option<String>,
    /// ldm: clamp of the x0 estimate (false by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_denoised: Option<bool>,
    /// ldm: posterior variance mix (0; the variance is never used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v_posterior: Option<f64>,
    /// ldm: prior width divided by 4 (= network_g.embed_dim); informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_feats: Option<usize>,
    /// ldm: = network_g.group; informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
    /// ldm: the training diffusion step (always T-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_t_index: Option<usize>,
    /// Ablation switch (not an official option): when false, stage 2 feeds
    /// LE_DM's output to the Transformer directly, without the reverse loop.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_linear() -> String {
    "linear".to_string()
}
fn default_true() -> bool {
    true
}

impl DiffusionConfig {
    /// Which implementation this configuration selects.
    pub fn kind(&self) -> DiffusionKind {
        if self.apply_ldm {
            DiffusionKind::Ldm
        } else {
            DiffusionKind::Local
        }
    }
}

/// `[test]`: test-time padding (`HI_Diff_S2.test`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestConfig {
    /// Pad to a multiple of this (8).
    #[serde(default = "default_window")]
    pub window_size: usize,
    /// Super-resolution scale, always 1 for deblurring.
    #[serde(default = "default_scale")]
    pub scale: usize,
    /// Always "reflect".
    #[serde(default = "default_reflect")]
    pub pad_mode: String,
}

fn default_window() -> usize {
    8
}
fn default_scale() -> usize {
    1
}
fn default_reflect() -> String {
    "reflect".to_string()
}

impl Default for TestConfig {
    fn default() -> Self {
        Self { window_size: 8, scale: 1, pad_mode: default_reflect() }
    }
}

/// `[train]` of a golden folder: the loss and optimiser settings of the reference's
/// `optimize_parameters` the golden vectors were made with (a record, not read by
/// training; allowed only next to `[generation]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSection {
    pub pixel_loss: Option<String>,
    pub pixel_loss_weight: Option<f64>,
    pub pixel_loss_reduction: Option<String>,
    pub pixel_diff_loss: Option<String>,
    pub pixel_diff_loss_weight: Option<f64>,
    pub pixel_diff_loss_reduction: Option<String>,
    pub use_grad_clip: Option<bool>,
    pub grad_clip_max_norm: Option<f64>,
    pub frozen: Option<Vec<String>>,
    pub optimizer: Option<String>,
    pub lr: Option<f64>,
    pub weight_decay: Option<f64>,
    pub betas: Option<[f64; 2]>,
}

/// `[generation]`: how golden vectors were made (informational, accepted as written).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationSection {
    pub seed: Option<u64>,
    pub denoiser_weight_gain: Option<f64>,
    pub image_hw: Option<[usize; 2]>,
    pub padded_case_hw: Option<[usize; 2]>,
    pub batch2_hw: Option<[usize; 2]>,
    pub denoiser_step_t_index: Option<usize>,
}

/// The file as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    transformer: TransformerConfig,
    latent_encoder: LatentEncoderConfig,
    latent_encoder_dm: LatentEncoderConfig,
    denoiser: DenoiserSection,
    diffusion: DiffusionConfig,
    #[serde(default)]
    test: TestConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    train: Option<TrainSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generation: Option<GenerationSection>,
}

/// The whole HI-Diff model configuration, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// `network_g`.
    pub transformer: TransformerConfig,
    /// `network_le` (stage 1, sees gt).
    pub latent_encoder: LatentEncoderConfig,
    /// `network_le_dm` (stage 2, blurry image only).
    pub latent_encoder_dm: LatentEncoderConfig,
    /// `network_d`.
    pub denoiser: DenoiserConfig,
    /// `diffusion_schedule`.
    pub diffusion: DiffusionConfig,
    /// Test-time padding.
    pub test: TestConfig,
    /// The reference's loss/optimiser record of a golden folder, if any.
    pub train: Option<TrainSection>,
    /// Provenance of golden files, if any.
    pub generation: Option<GenerationSection>,
}

impl ModelConfig {
    /// Reads and validates a configuration file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        // A FIFO or device would block or stream forever: refused by type first.
        match hidiff_io::check_regular_file(path) {
            Ok(_) | Err(hidiff_io::Error::NotFound { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        let text =
            std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_toml_str(&text).map_err(|e| match e {
            ModelError::Config { message, .. } | ModelError::Invalid(message) => {
                ModelError::Config { path: path.to_path_buf(), message }
            }
            other => other,
        })
    }

    /// Parses and validates TOML text (errors carry an empty path).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let file: ConfigFile = toml::from_str(text)
            .map_err(|e| ModelError::Config { path: Default::default(), message: e.to_string() })?;
        if file.train.is_some() && file.generation.is_none() {
            return Err(ModelError::Invalid(
                "a [train] section does not belong in a model configuration: training options go in an \
                 experiment file (experiments/*.toml), whose [model] section names this file or a preset"
                    .into(),
            ));
        }
        let denoiser = file.denoiser.validate()?;
        let cfg = ModelConfig {
            transformer: file.transformer,
            latent_encoder: file.latent_encoder,
            latent_encoder_dm: file.latent_encoder_dm,
            denoiser,
            diffusion: file.diffusion,
            test: file.test,
            train: file.train,
            generation: file.generation,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Serialises back to the file format (the resolved configuration saved with runs
    /// and checkpoints).
    pub fn to_toml_string(&self) -> String {
        let file = ConfigFile {
            transformer: self.transformer.clone(),
            latent_encoder: self.latent_encoder.clone(),
            latent_encoder_dm: self.latent_encoder_dm.clone(),
            denoiser: DenoiserSection::from_config(&self.denoiser),
            diffusion: self.diffusion.clone(),
            test: self.test.clone(),
            train: self.train.clone(),
            generation: self.generation.clone(),
        };
        toml::to_string_pretty(&file).expect("a validated configuration always serialises")
    }

    /// Checks every number's range, then the cross-section invariants the official
    /// constructors assert or assume.
    pub fn validate(&self) -> Result<()> {
        self.validate_numbers()?;
        let t = &self.transformer;
        let bad = |m: String| Err(ModelError::Invalid(m));
        if t.dual_pixel_task {
            return bad("transformer.dual_pixel_task = true is not supported (HI-Diff never uses it)".into());
        }
        if t.dim == 0 || t.embed_dim == 0 || t.group == 0 {
            return bad("transformer.dim, embed_dim and group must be positive".into());
        }
        for (level, (&h, mult)) in t.heads.iter().zip([1usize, 2, 4, 8]).enumerate() {
            if h == 0 || !(t.dim * mult).is_multiple_of(h) {
                return bad(format!(
                    "transformer.heads[{level}] = {h} does not divide the level width {}",
                    t.dim * mult
                ));
            }
        }
        // Decoder level 1 and refinement run at width 2C with heads[0].
        if !(2 * t.dim).is_multiple_of(t.heads[0]) {
            return bad("transformer.heads[0] must divide 2 * dim".into());
        }
        if !t.dim.is_multiple_of(2) {
            return bad("transformer.dim must be even (Downsample halves it)".into());
        }
        if !t.group.is_multiple_of(2) && t.prior_mode == PriorMode::Hierarchical && t.group > 1 {
            return bad("transformer.group must be even (levels 2-3 use group / 2)".into());
        }
        for (name, le) in [("latent_encoder", &self.latent_encoder), ("latent_encoder_dm", &self.latent_encoder_dm)] {
            if let Some(class) = &le.class {
                if class != le.kind.class_name() {
                    return bad(format!("{name}.type = {class:?} but kind selects {:?}", le.kind.class_name()));
                }
            }
            if le.stage == 0 || le.stage > 2 || le.in_chans * le.stage != 6 {
                return bad(format!(
                    "{name}: in_chans must be 6 / stage (6 for stage 1, 3 for stage 2), got in_chans {} stage {}",
                    le.in_chans, le.stage
                ));
            }
            if le.group != t.group {
                return bad(format!("{name}.group = {} but transformer.group = {}", le.group, t.group));
            }
            // Both encoder classes end in `Linear(d -> 4E)`.
            let width = 4 * le.embed_dim;
            if width != t.prior_channels() {
                return bad(format!(
                    "{name}: prior width 4 x embed_dim = {width} differs from 4 x transformer.embed_dim = {}",
                    t.prior_channels()
                ));
            }
        }
        if self.latent_encoder.stage != 1 || self.latent_encoder_dm.stage != 2 {
            return bad("latent_encoder must be stage 1 and latent_encoder_dm stage 2".into());
        }
        match &self.denoiser {
            DenoiserConfig::Mixer { in_channel, out_channel, group, .. } => {
                if *in_channel != t.prior_channels() || *out_channel != t.prior_channels() {
                    return bad(format!(
                        "denoiser in/out_channel ({in_channel}/{out_channel}) must equal the prior width {}",
                        t.prior_channels()
                    ));
                }
                if *group != t.group {
                    return bad("denoiser.group must equal transformer.group".into());
                }
            }
            DenoiserConfig::Simple { n_feats, .. } => {
                if *n_feats != t.embed_dim {
                    return bad(format!(
                        "denoiser.n_feats = {n_feats} must equal transformer.embed_dim = {}",
                        t.embed_dim
                    ));
                }
            }
        }
        let d = &self.diffusion;
        if d.timesteps == 0 {
            return bad("diffusion.timesteps must be at least 1".into());
        }
        if d.schedule != "linear" {
            return bad(format!("diffusion.schedule = {:?}: only \"linear\" exists", d.schedule));
        }
        if let Some(p) = &d.parameterization {
            if p != "x0" && p != "eps" {
                return bad(format!("diffusion.parameterization = {p:?}: expected \"x0\" or \"eps\""));
            }
            if !d.apply_ldm && p != "eps" {
                return bad("diffusion.parameterization applies to apply_ldm = true only".into());
            }
        }
        if let Some(ti) = d.train_t_index {
            if ti != d.timesteps - 1 {
                return bad(format!("diffusion.train_t_index = {ti} must be timesteps - 1 = {}", d.timesteps - 1));
            }
        }
        if !(d.linear_start > 0.0 && d.linear_start <= d.linear_end && d.linear_end < 1.0) {
            return bad(format!(
                "diffusion.linear_start = {} and linear_end = {} must satisfy 0 < linear_start <= linear_end < 1 \
                 (a zero beta makes the posterior coefficients 0/0)",
                d.linear_start, d.linear_end
            ));
        }
        if self.test.pad_mode != "reflect" {
            return bad(format!("test.pad_mode = {:?}: only \"reflect\" is implemented", self.test.pad_mode));
        }
        if self.test.window_size == 0 || !self.test.window_size.is_multiple_of(8) {
            return bad("test.window_size must be a positive multiple of 8".into());
        }
        Ok(())
    }

    /// The range of every number of the configuration: counts within
    /// [`MAX_COUNT`], widths within [`MAX_WIDTH`], ratios finite and positive with
    /// at least one hidden unit, T within [`MAX_TIMESTEPS`].
    fn validate_numbers(&self) -> Result<()> {
        let t = &self.transformer;
        let mut errors = Vec::new();
        fn width(errors: &mut Vec<String>, name: &str, v: usize, min: usize) {
            if v < min || v > MAX_WIDTH {
                errors.push(format!("{name} = {v} must lie in [{min}, {MAX_WIDTH}]"));
            }
        }
        fn count(errors: &mut Vec<String>, name: &str, v: usize, min: usize) {
            if v < min || v > MAX_COUNT {
                errors.push(format!("{name} = {v} must lie in [{min}, {MAX_COUNT}]"));
            }
        }
        // Ratios: finite, positive, at most MAX_RATIO, and at least one hidden unit.
        fn ratio(errors: &mut Vec<String>, name: &str, v: f64, base: usize) {
            if !(v.is_finite() && v > 0.0 && v <= MAX_RATIO) {
                errors.push(format!("{name} = {v} must be a finite number in (0, {MAX_RATIO}]"));
            } else if ((base as f64) * v) < 1.0 {
                errors.push(format!("{name} = {v} gives int({base} x {v}) = 0 hidden units"));
            }
        }
        width(&mut errors, "transformer.inp_channels", t.inp_channels, 1);
        width(&mut errors, "transformer.out_channels", t.out_channels, 1);
        width(&mut errors, "transformer.dim", t.dim, 2);
        width(&mut errors, "transformer.embed_dim", t.embed_dim, 1);
        width(&mut errors, "latent_encoder.embed_dim", self.latent_encoder.embed_dim, 1);
        width(&mut errors, "latent_encoder_dm.embed_dim", self.latent_encoder_dm.embed_dim, 1);
        match &self.denoiser {
            DenoiserConfig::Mixer { inner_channel, .. } => {
                width(&mut errors, "denoiser.inner_channel", *inner_channel, 1)
            }
            DenoiserConfig::Simple { n_feats, .. } => width(&mut errors, "denoiser.n_feats", *n_feats, 1),
        }
        for (i, &n) in t.num_blocks.iter().enumerate() {
            count(&mut errors, &format!("transformer.num_blocks[{i}]"), n, 0);
        }
        count(&mut errors, "transformer.num_refinement_blocks", t.num_refinement_blocks, 0);
        count(&mut errors, "transformer.group", t.group, 1);
        count(&mut errors, "latent_encoder.block_num", self.latent_encoder.block_num, 0);
        count(&mut errors, "latent_encoder_dm.block_num", self.latent_encoder_dm.block_num, 0);
        match &self.denoiser {
            DenoiserConfig::Mixer { block_num, .. } => count(&mut errors, "denoiser.block_num", *block_num, 0),
            DenoiserConfig::Simple { n_denoise_res, timesteps, .. } => {
                count(&mut errors, "denoiser.n_denoise_res", *n_denoise_res, 0);
                if *timesteps == 0 || *timesteps > MAX_TIMESTEPS {
                    errors.push(format!("denoiser.timesteps = {timesteps} must lie in [1, {MAX_TIMESTEPS}]"));
                }
            }
        }
        ratio(&mut errors, "transformer.ffn_expansion_factor", t.ffn_expansion_factor, t.dim);
        let tokens = t.group * t.group;
        for (name, le) in [("latent_encoder", &self.latent_encoder), ("latent_encoder_dm", &self.latent_encoder_dm)] {
            let token_width = match le.kind {
                LatentEncoderKind::Gelu => le.embed_dim,
                LatentEncoderKind::Lrelu => 4 * le.embed_dim,
            };
            ratio(&mut errors, &format!("{name}.patch_expansion"), le.patch_expansion, tokens);
            ratio(&mut errors, &format!("{name}.channel_expansion"), le.channel_expansion, token_width);
            if !le.negative_slope.is_finite() {
                errors.push(format!("{name}.negative_slope = {} must be finite", le.negative_slope));
            }
        }
        match &self.denoiser {
            DenoiserConfig::Mixer { inner_channel, patch_expansion, channel_expansion, layerscale_value, .. } => {
                ratio(&mut errors, "denoiser.patch_expansion", *patch_expansion, tokens);
                ratio(&mut errors, "denoiser.channel_expansion", *channel_expansion, *inner_channel);
                if !layerscale_value.is_finite() {
                    errors.push(format!("denoiser.layerscale_value = {layerscale_value} must be finite"));
                }
            }
            DenoiserConfig::Simple { negative_slope, .. } => {
                if !negative_slope.is_finite() {
                    errors.push(format!("denoiser.negative_slope = {negative_slope} must be finite"));
                }
            }
        }
        let d = &self.diffusion;
        if d.timesteps > MAX_TIMESTEPS {
            errors.push(format!("diffusion.timesteps = {} must be at most {MAX_TIMESTEPS}", d.timesteps));
        }
        if !d.linear_start.is_finite() || !d.linear_end.is_finite() {
            errors.push(format!(
                "diffusion.linear_start/linear_end = {}/{} must be finite",
                d.linear_start, d.linear_end
            ));
        }
        if let Some(v) = d.v_posterior {
            if !(0.0..=1.0).contains(&v) {
                errors.push(format!("diffusion.v_posterior = {v} must lie in [0, 1]"));
            }
        }
        if self.test.scale != 1 {
            errors.push(format!("test.scale = {}: deblurring keeps the size, only 1 is valid", self.test.scale));
        }
        if self.test.window_size > 1024 {
            errors.push(format!("test.window_size = {} must be at most 1024", self.test.window_size));
        }
        match errors.first() {
            None => Ok(()),
            Some(_) => Err(ModelError::Invalid(errors.join("; "))),
        }
    }

    /// Is the diffusion's x0 estimate clamped to [-1, 1]?
    pub fn clip_denoised(&self) -> bool {
        match self.diffusion.kind() {
            DiffusionKind::Local => true,
            DiffusionKind::Ldm => self.diffusion.clip_denoised.unwrap_or(false),
        }
    }

    /// Does the denoiser predict x0 (true) or the noise (false)?
    pub fn predicts_x0(&self) -> bool {
        match self.diffusion.kind() {
            DiffusionKind::Local => false,
            DiffusionKind::Ldm => self.diffusion.parameterization.as_deref().unwrap_or("x0") == "x0",
        }
    }
}

impl DenoiserSection {
    fn validate(self) -> Result<DenoiserConfig> {
        let kind = self.kind.as_deref().or(self.class.as_deref()).unwrap_or("mixer");
        let need = |v: Option<usize>, k: &str| {
            v.ok_or_else(|| ModelError::Invalid(format!("denoiser.{k} is required for this denoiser kind")))
        };
        let needf = |v: Option<f64>, k: &str| {
            v.ok_or_else(|| ModelError::Invalid(format!("denoiser.{k} is required for this denoiser kind")))
        };
        match kind {
            "mixer" | "denoising" => {
                if let Some(c) = &self.class {
                    if c != "denoising" {
                        return Err(ModelError::Invalid(format!("denoiser.type = {c:?} does not match kind {kind:?}")));
                    }
                }
                for (k, set) in [
                    ("n_feats", self.n_feats.is_some()),
                    ("n_denoise_res", self.n_denoise_res.is_some()),
                    ("timesteps", self.timesteps.is_some()),
                ] {
                    if set {
                        return Err(ModelError::Invalid(format!(
                            "denoiser.{k} belongs to kind \"simple\", not to the mixer denoiser"
                        )));
                    }
                }
                Ok(DenoiserConfig::Mixer {
                    in_channel: need(self.in_channel, "in_channel")?,
                    out_channel: need(self.out_channel, "out_channel")?,
                    inner_channel: need(self.inner_channel, "inner_channel")?,
                    block_num: need(self.block_num, "block_num")?,
                    group: need(self.group, "group")?,
                    patch_expansion: needf(self.patch_expansion, "patch_expansion")?,
                    channel_expansion: needf(self.channel_expansion, "channel_expansion")?,
                    layerscale_value: self.layerscale_value.unwrap_or(1e-3),
                })
            }
            "simple" | "simple_denoise" => {
                if let Some(c) = &self.class {
                    if c != "simple_denoise" {
                        return Err(ModelError::Invalid(format!("denoiser.type = {c:?} does not match kind {kind:?}")));
                    }
                }
                for (k, set) in [
                    ("in_channel", self.in_channel.is_some()),
                    ("inner_channel", self.inner_channel.is_some()),
                    ("block_num", self.block_num.is_some()),
                ] {
                    if set {
                        return Err(ModelError::Invalid(format!(
                            "denoiser.{k} belongs to the mixer denoiser, not to kind \"simple\""
                        )));
                    }
                }
                Ok(DenoiserConfig::Simple {
                    n_feats: need(self.n_feats, "n_feats")?,
                    n_denoise_res: need(self.n_denoise_res, "n_denoise_res")?,
                    timesteps: self.timesteps.unwrap_or(5),
                    negative_slope: self.negative_slope.unwrap_or(0.1),
                })
            }
            other => Err(ModelError::Invalid(format!(
                "denoiser.kind = {other:?}: expected \"mixer\" (class denoising) or \"simple\" (class simple_denoise)"
            ))),
        }
    }

    fn from_config(c: &DenoiserConfig) -> Self {
        match *c {
            DenoiserConfig::Mixer {
                in_channel,
                out_channel,
                inner_channel,
                block_num,
                group,
                patch_expansion,
                channel_expansion,
                layerscale_value,
            } => Self {
                kind: Some("mixer".into()),
                in_channel: Some(in_channel),
                out_channel: Some(out_channel),
                inner_channel: Some(inner_channel),
                block_num: Some(block_num),
                group: Some(group),
                patch_expansion: Some(patch_expansion),
                channel_expansion: Some(channel_expansion),
                layerscale_value: Some(layerscale_value),
                ..Default::default()
            },
            DenoiserConfig::Simple { n_feats, n_denoise_res, timesteps, negative_slope } => Self {
                kind: Some("simple".into()),
                n_feats: Some(n_feats),
                n_denoise_res: Some(n_denoise_res),
                timesteps: Some(timesteps),
                negative_slope: Some(negative_slope),
                ..Default::default()
            },
        }
    }
}
