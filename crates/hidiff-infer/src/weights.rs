//! Loading a model for inference from an official weights folder or one of our
//! safetensors checkpoints, with errors that say what to do.
//!
//! * An official folder must hold every file the configuration needs at test
//!   time (`net_g.pth`, and `net_le_dm.pth`, `net_d.pth` for a model with a
//!   diffused prior); they are checked before anything is loaded.
//! * Our checkpoints carry their configuration ([`embedded_config`]); an
//!   explicit configuration overrides it, and weights that do not fit the
//!   configuration are reported with the keys and shapes that differ.

use std::path::Path;

use burn::tensor::backend::Backend;
use hidiff_model::{checkpoint, HiDiff, KeyStyle, ModelConfig, Network, Networks, PriorMode, WeightsPath};

use crate::error::{InferError, Result};

/// The `.pth` files an official folder needs for inference with `cfg`.
pub fn required_official_files(cfg: &ModelConfig) -> Vec<&'static str> {
    let has_prior = cfg.transformer.prior_mode != PriorMode::None;
    let mut files = vec!["net_g.pth"];
    if has_prior {
        files.push("net_le_dm.pth");
        if cfg.diffusion.enabled {
            files.push("net_d.pth");
        }
    }
    files
}

/// What `weights` is: a folder of official files or a safetensors file.
///
/// # Errors
/// [`InferError::MissingWeights`] if the path does not exist, [`InferError::File`]
/// if it is a FIFO, socket or device.
pub fn detect(weights: &Path) -> Result<WeightsPath> {
    WeightsPath::detect(weights).map_err(|e| match e {
        hidiff_model::ModelError::File(f) => InferError::File(f),
        _ => InferError::MissingWeights { path: weights.to_path_buf() },
    })
}

/// The configuration stored in one of our checkpoints (`None` for official
/// folders and checkpoints without one).
///
/// # Errors
/// [`InferError::MissingWeights`], or [`InferError::Weights`] if the file is not
/// a readable checkpoint.
pub fn embedded_config(weights: &Path) -> Result<Option<ModelConfig>> {
    let wp = detect(weights)?;
    checkpoint::embedded_config(&wp).map_err(|source| InferError::Weights {
        path: weights.to_path_buf(),
        config: "the checkpoint's own".into(),
        source: Box::new(source),
    })
}

/// Checks that an official folder holds every file `cfg` needs.
///
/// # Errors
/// [`InferError::MissingWeightFiles`] listing the missing files.
pub fn check_official_folder(dir: &Path, cfg: &ModelConfig) -> Result<()> {
    let missing: Vec<String> =
        required_official_files(cfg).into_iter().filter(|f| !dir.join(f).is_file()).map(str::to_string).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(InferError::MissingWeightFiles { dir: dir.to_path_buf(), missing })
    }
}

/// Builds the inference networks of `cfg` and loads them strictly from `weights`.
/// `config_name` says where `cfg` came from, for error messages.
///
/// # Errors
/// [`InferError::MissingWeights`], [`InferError::MissingWeightFiles`], or
/// [`InferError::Weights`] when a file is unreadable or does not fit `cfg`.
pub fn load_for_inference<B: Backend>(
    weights: &Path,
    cfg: &ModelConfig,
    config_name: &str,
    device: &B::Device,
) -> Result<HiDiff<B>> {
    let wp = detect(weights)?;
    if let WeightsPath::OfficialDir(dir) = &wp {
        check_official_folder(dir, cfg)?;
    }
    checkpoint::load_model::<B>(cfg, &wp, Networks::Inference, device).map_err(|source| InferError::Weights {
        path: weights.to_path_buf(),
        config: config_name.to_string(),
        source: Box::new(source),
    })
}

/// Builds the stage-1 networks of `cfg` (`net_g` and the latent encoder `net_le`,
/// which sees the sharp image) and loads them strictly from one of our
/// checkpoints, for the oracle prior of [`crate::Deblurrer::restore_with_oracle_prior`].
/// Stage-1 checkpoints hold only these two networks; stage-2 ones hold them too.
///
/// # Errors
/// [`InferError::MissingWeights`]; [`InferError::InvalidOption`] for an official
/// folder (its releases hold no `net_le`) or a model without prior;
/// [`InferError::Weights`] when a network is missing or does not fit `cfg`.
pub fn load_with_stage1_encoder<B: Backend>(
    weights: &Path,
    cfg: &ModelConfig,
    config_name: &str,
    device: &B::Device,
) -> Result<HiDiff<B>> {
    let file = match detect(weights)? {
        WeightsPath::Safetensors(file) => file,
        WeightsPath::OfficialDir(dir) => {
            return Err(InferError::InvalidOption(format!(
                "{}: the oracle prior needs the stage-1 encoder net_le, which official folders do not hold; pass one \
                 of our stage-1 or stage-2 checkpoints",
                dir.display()
            )))
        }
    };
    if cfg.transformer.prior_mode == PriorMode::None {
        return Err(InferError::InvalidOption(format!(
            "{}: a model without prior has no latent encoder for the oracle prior",
            weights.display()
        )));
    }
    let fail = |source| InferError::Weights {
        path: weights.to_path_buf(),
        config: config_name.to_string(),
        source: Box::new(source),
    };
    let w = checkpoint::read_safetensors(&file).map_err(fail)?;
    let mut model = cfg.init::<B>(Networks::All, device);
    // Only the stage-1 pass runs: the blurry-image encoder and the denoiser are not needed.
    model.net_le_dm = None;
    model.net_d = None;
    let style = KeyStyle::of(cfg);
    for net in [Network::G, Network::Le] {
        let sd = w.networks.get(&net).ok_or_else(|| {
            fail(hidiff_model::ModelError::CheckpointMismatch {
                path: file.clone(),
                network: net.name().to_string(),
                missing: vec![format!("every {}.* tensor", net.name())],
                unexpected: vec![],
                shape_errors: vec![],
            })
        })?;
        model.load_network(net, sd, &style, &file).map_err(fail)?;
    }
    Ok(model)
}
