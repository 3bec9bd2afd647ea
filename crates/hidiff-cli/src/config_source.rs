//! `--config FILE` or `--preset NAME`: where a command gets its model configuration.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hidiff_model::ModelConfig;

/// The model configuration of a command.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigSource {
    /// Model configuration file (TOML, official option names), or an experiment
    /// file (its `[model]` section).
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
            return Ok((config_from_file(path)?, path.display().to_string()));
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

pub use crate::validate::parse_hw;

/// Reads a model configuration file, or the `[model]` section of an experiment
/// file (`experiments/*.toml`: a preset or a configuration file plus overrides,
/// resolved as `hidiff train` resolves it).
pub fn config_from_file(path: &Path) -> Result<ModelConfig> {
    hidiff_io::check_regular_file(path).with_context(|| format!("reading --config {}", path.display()))?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading --config {}", path.display()))?;
    let table: Option<toml::Table> = toml::from_str(&text).ok();
    let is_experiment = table.as_ref().is_some_and(|t| t.contains_key("model") && !t.contains_key("transformer"));
    if is_experiment {
        let experiment = hidiff_train::experiment::Experiment::from_toml_str(&text, path)
            .with_context(|| format!("reading the [model] section of the experiment file {}", path.display()))?;
        return Ok(experiment.model);
    }
    ModelConfig::from_file(path).with_context(|| format!("reading --config {}", path.display()))
}
