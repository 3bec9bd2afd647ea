//! `hidiff info --json`: parameter counts and the analytic cost of one inference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Multiply-accumulates of one inference per network, in GMAC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gmac {
    /// The Transformer.
    pub net_g: f64,
    /// The blurry-image latent encoder.
    pub net_le_dm: f64,
    /// The denoiser over all T steps.
    pub net_d_all_steps: f64,
    /// The stage-1 latent encoder (not run at inference).
    pub net_le: f64,
}

/// The report of `hidiff info --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InfoReport {
    /// Where the configuration came from (file, preset or checkpoint).
    pub config: String,
    /// Parameters per network (`net_g`, `net_le`, `net_le_dm`, `net_d`).
    pub parameters: BTreeMap<String, usize>,
    /// `net_g + net_le_dm + net_d`.
    pub parameters_inference: usize,
    /// `net_g + net_le`.
    pub parameters_stage1: usize,
    /// `[H, W]` of the cost.
    pub size: [usize; 2],
    /// Cost per network.
    pub gmac: Gmac,
    /// GFLOPs (2 × MACs) of one inference at `size`.
    pub gflops_inference: f64,
    /// Diffusion steps T.
    pub timesteps: usize,
    /// The whole resolved model configuration as TOML (what `xtask` hashes to
    /// key its stage reuse, so an edited preset retrains).
    pub model_toml: String,
}
