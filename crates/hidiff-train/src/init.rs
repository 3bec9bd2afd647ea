//! Initial weights of a run: `[path] pretrain_network_g` / `pretrain_network_le`
//! (stage 2 starts from the stage-1 `net_g` and `net_le`, docs/reference.md §4.5).

use std::path::Path;

use burn::tensor::backend::Backend;
use hidiff_model::checkpoint::{read_pth, read_safetensors};
use hidiff_model::{HiDiff, KeyStyle, ModelConfig, ModelError, Network};

use crate::error::Result;
use crate::experiment::PathSection;

/// Loads network `net` from `file`: an official `.pth`, a folder holding the
/// official `<net>.pth`, or a safetensors file with `<net>.` keys (ours, or the
/// golden layout). Strict: every key and shape must match.
///
/// # Errors
/// A missing or mismatching file, naming it.
pub fn load_network<B: Backend>(model: &mut HiDiff<B>, cfg: &ModelConfig, net: Network, file: &Path) -> Result<()> {
    let style = KeyStyle::of(cfg);
    let (sd, source) = if file.is_dir() {
        let pth = file.join(format!("{}.pth", net.name()));
        (read_pth(&pth)?, pth)
    } else if file.extension().is_some_and(|e| e == "pth") {
        (read_pth(file)?, file.to_path_buf())
    } else {
        let mut w = read_safetensors(file)?;
        let sd = w.networks.remove(&net).ok_or_else(|| ModelError::CheckpointMismatch {
            path: file.to_path_buf(),
            network: net.name().to_string(),
            missing: vec![format!("every {}.* tensor", net.name())],
            unexpected: vec![],
            shape_errors: vec![],
        })?;
        (sd, file.to_path_buf())
    };
    model.load_network(net, &sd, &style, &source)?;
    Ok(())
}

/// Applies `[path]`: returns a description of what was loaded, one line per network.
///
/// # Errors
/// As [`load_network`].
pub fn load_pretrained<B: Backend>(
    model: &mut HiDiff<B>,
    cfg: &ModelConfig,
    path: &PathSection,
) -> Result<Vec<String>> {
    let mut loaded = Vec::new();
    for (net, file) in [(Network::G, &path.pretrain_network_g), (Network::Le, &path.pretrain_network_le)] {
        if let Some(file) = file {
            load_network(model, cfg, net, file)?;
            loaded.push(format!("{} from {}", net.name(), file.display()));
        }
    }
    Ok(loaded)
}
