//! # hidiff-model
//!
//! The HI-Diff networks (Chen et al., *Hierarchical Integration Diffusion Model for
//! Realistic Image Deblurring*, NeurIPS 2023) in burn 0.21, numerically equal to the
//! official PyTorch code and able to load its checkpoints:
//!
//! * [`transformer::Transformer`] (`net_g`): the Restormer-style U-Net with a HIM
//!   ([`him`]) at every level and the multi-scale prior;
//! * [`latent_encoder::LatentEncoder`] (`net_le`, `net_le_dm`);
//! * [`denoiser::Denoiser`] (`net_d`) and the diffusion ([`schedule`], [`diffusion`]);
//! * [`hidiff::HiDiff`], the assembled model with the stage-1, stage-2 training and
//!   inference passes;
//! * [`checkpoint`]: official `.pth` import, safetensors import/export.
//!
//! The crate does no I/O except weight and configuration files; the backend is
//! chosen by the caller.

pub mod block;
pub mod checkpoint;
pub mod config;
pub mod denoiser;
pub mod diffusion;
pub mod error;
pub mod flops;
pub mod fused;
pub mod gdfn;
pub mod hidiff;
pub mod him;
pub mod keymap;
pub mod latent_encoder;
pub mod layer_norm;
pub mod level;
pub mod mdta;
pub mod mlp;
pub mod noise;
pub mod ops;
pub mod presets;
pub mod pth_archive;
pub mod schedule;
pub mod transformer;

pub use checkpoint::{load_model, WeightsPath};
pub use config::{ModelConfig, PriorMode};
pub use error::{ModelError, Result};
pub use hidiff::{HiDiff, Networks};
pub use keymap::{KeyStyle, Network};
pub mod grads;
pub mod parity;
