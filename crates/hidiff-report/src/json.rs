//! Reading a report with an error that names its source.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A report that could not be read or does not match its struct.
#[derive(Debug)]
pub enum ReportError {
    /// The file could not be read.
    Io { path: PathBuf, source: std::io::Error },
    /// The text is not the expected JSON (a missing, renamed or mistyped field).
    Parse { what: String, source: serde_json::Error },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, .. } => write!(f, "cannot read the report {}", path.display()),
            Self::Parse { what, .. } => write!(f, "{what} does not match the expected report format"),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Parse { source, .. } => Some(source),
        }
    }
}

/// Parses `text` (described by `what`, e.g. "the output of `hidiff info --json`").
///
/// # Errors
/// [`ReportError::Parse`] naming `what` when a field is missing or mistyped.
pub fn from_str<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ReportError> {
    serde_json::from_str(text).map_err(|source| ReportError::Parse { what: what.to_string(), source })
}

/// Reads and parses a JSON report file.
///
/// # Errors
/// [`ReportError::Io`] or [`ReportError::Parse`], naming the file.
pub fn from_file<T: DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })?;
    from_str(&text, &path.display().to_string())
}

/// Deserialises a nullable field that must be present: `null` is `None`, a
/// missing key is an error (serde's default would silently read `None`).
///
/// # Errors
/// The deserializer's error.
pub fn required<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}
