//! The one error type of the model crate: configuration and checkpoint problems,
//! each naming the file it concerns.

use std::path::PathBuf;

/// Errors raised while reading a configuration or importing weights.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read at all (the operating-system error is the
    /// `source()`, not repeated in the message).
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A configuration file is not valid TOML or has unknown / missing keys.
    #[error("invalid configuration {}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    /// A file that is not a regular file, too large, or otherwise refused before reading.
    #[error(transparent)]
    File(#[from] hidiff_io::Error),
    /// A configuration is syntactically fine but describes an impossible model.
    #[error("invalid model configuration: {0}")]
    Invalid(String),
    /// A checkpoint file could not be parsed (truncated, not a `.pth`/safetensors file, ...).
    #[error("cannot load checkpoint {}: {message}", path.display())]
    CheckpointFormat { path: PathBuf, message: String },
    /// A checkpoint parsed but does not fit the configured network.
    #[error(
        "checkpoint {} does not match network `{network}` of this configuration:{}{}{}",
        path.display(),
        list("missing keys", missing),
        list("unexpected keys", unexpected),
        list("wrong shapes", shape_errors)
    )]
    CheckpointMismatch {
        path: PathBuf,
        network: String,
        missing: Vec<String>,
        unexpected: Vec<String>,
        shape_errors: Vec<String>,
    },
}

fn list(title: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    const SHOWN: usize = 12;
    let mut s = format!("\n  {title} ({}):", items.len());
    for item in items.iter().take(SHOWN) {
        s.push_str("\n    ");
        s.push_str(item);
    }
    if items.len() > SHOWN {
        s.push_str(&format!("\n    ... and {} more", items.len() - SHOWN));
    }
    s
}

/// Result alias of the model crate.
pub type Result<T> = std::result::Result<T, ModelError>;
