//! `--config FILE` or `--preset NAME`: where a command gets its model configuration.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use hidiff_model::ModelConfig;

/// The model configuration of a command.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigSource {
    /// Model configuration file (TOML, official option names).
    #[arg(long, conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// A named configuration: gopro, realblur-j, realblur-r, quick.
    #[arg(long)]
    pub preset: Option<String>,
}

impl ConfigSource {
    /// The configuration and a name for it; the GoPro paper preset when neither is given.
    pub fn resolve(&self) -> Result<(ModelConfig, String)> {
        self.resolve_or(None)
    }

    /// Like [`Self::resolve`], preferring `fallback` (e.g. the configuration stored in a
    /// checkpoint) when neither option is given.
    pub fn resolve_or(&self, fallback: Option<ModelConfig>) -> Result<(ModelConfig, String)> {
        if let Some(path) = &self.config {
            let cfg = ModelConfig::from_file(path).with_context(|| format!("reading --config {}", path.display()))?;
            return Ok((cfg, path.display().to_string()));
        }
        if let Some(name) = &self.preset {
            return match ModelConfig::preset(name) {
                Some(cfg) => Ok((cfg, format!("preset {name}"))),
                None => bail!("unknown preset {name:?}; known presets: {}", ModelConfig::PRESETS.join(", ")),
            };
        }
        match fallback {
            Some(cfg) => Ok((cfg, "configuration stored in the checkpoint".into())),
            None => Ok((ModelConfig::gopro(), "preset gopro".into())),
        }
    }
}

/// Parses `HxW` (also `H,W`).
pub fn parse_hw(s: &str) -> std::result::Result<(usize, usize), String> {
    let (h, w) = s.split_once(['x', 'X', ',']).ok_or_else(|| format!("expected HxW, got {s:?}"))?;
    let h: usize = h.trim().parse().map_err(|_| format!("bad height in {s:?}"))?;
    let w: usize = w.trim().parse().map_err(|_| format!("bad width in {s:?}"))?;
    if h == 0 || w == 0 {
        return Err(format!("size {s:?} must be positive"));
    }
    Ok((h, w))
}
