//! Named configurations of the paper and of this project.

use crate::config::*;

impl ModelConfig {
    /// The GoPro model of the paper: `options/train/GoPro_S2.yml` (networks identical
    /// in `GoPro_S1.yml` and `options/test/GoPro.yml`); 28,486,900 parameters at inference.
    pub fn gopro() -> Self {
        Self::build(
            48,
            [3, 5, 6, 6],
            4,
            2.66,
            64,
            LatentEncoderKind::Gelu,
            6,
            DenoiserConfig::Mixer {
                in_channel: 256,
                out_channel: 256,
                inner_channel: 512,
                block_num: 4,
                group: 4,
                patch_expansion: 0.5,
                channel_expansion: 2.0,
                layerscale_value: 1e-3,
            },
            false,
            8,
        )
    }

    /// The RealBlur models: `options/train/RealBlur_J_S2.yml` (and `RealBlur_R_S2.yml`,
    /// `options/test/RealBlur_{J,R}.yml`: identical networks); 24,182,959 parameters.
    pub fn realblur() -> Self {
        Self::build(
            48,
            [3, 5, 6, 6],
            4,
            2.0,
            64,
            LatentEncoderKind::Lrelu,
            5,
            DenoiserConfig::Simple { n_feats: 64, n_denoise_res: 4, timesteps: 5, negative_slope: 0.1 },
            true,
            16,
        )
    }

    /// A small GoPro-style model that trains on a CPU in minutes (this project's
    /// quick profile; not a paper setting): width 16, blocks [1,1,1,2].
    pub fn quick() -> Self {
        Self::build(
            16,
            [1, 1, 1, 2],
            1,
            2.66,
            16,
            LatentEncoderKind::Gelu,
            2,
            DenoiserConfig::Mixer {
                in_channel: 64,
                out_channel: 64,
                inner_channel: 128,
                block_num: 3,
                group: 4,
                patch_expansion: 0.5,
                channel_expansion: 2.0,
                layerscale_value: 1e-3,
            },
            false,
            8,
        )
    }

    /// A preset by name: `gopro`, `realblur` (alias `realblur-j`, `realblur-r`), `quick`.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "gopro" => Some(Self::gopro()),
            "realblur" | "realblur-j" | "realblur-r" => Some(Self::realblur()),
            "quick" => Some(Self::quick()),
            _ => None,
        }
    }

    /// Names accepted by [`Self::preset`].
    pub const PRESETS: [&'static str; 5] = ["gopro", "realblur-j", "realblur-r", "realblur", "quick"];

    #[allow(clippy::too_many_arguments)]
    fn build(
        dim: usize,
        num_blocks: [usize; 4],
        refinement: usize,
        ffn: f64,
        embed_dim: usize,
        le_kind: LatentEncoderKind,
        le_blocks: usize,
        denoiser: DenoiserConfig,
        apply_ldm: bool,
        timesteps: usize,
    ) -> Self {
        let le = |in_chans: usize, stage: usize| LatentEncoderConfig {
            kind: le_kind,
            class: None,
            in_chans,
            embed_dim,
            block_num: le_blocks,
            group: 4,
            stage,
            patch_expansion: 0.5,
            channel_expansion: 4.0,
            negative_slope: 0.1,
        };
        ModelConfig {
            transformer: TransformerConfig {
                inp_channels: 3,
                out_channels: 3,
                dim,
                num_blocks,
                num_refinement_blocks: refinement,
                heads: [1, 2, 4, 8],
                ffn_expansion_factor: ffn,
                bias: false,
                layer_norm_type: LayerNormKind::WithBias,
                dual_pixel_task: false,
                embed_dim,
                group: 4,
                prior_mode: PriorMode::Hierarchical,
            },
            latent_encoder: le(6, 1),
            latent_encoder_dm: le(3, 2),
            denoiser,
            diffusion: DiffusionConfig {
                apply_ldm,
                schedule: "linear".into(),
                timesteps,
                linear_start: 0.1,
                linear_end: 0.99,
                beta_schedule: None,
                parameterization: None,
                clip_denoised: None,
                v_posterior: None,
                n_feats: None,
                group: None,
                train_t_index: None,
                enabled: true,
            },
            test: TestConfig::default(),
            train: None,
            generation: None,
        }
    }
}
