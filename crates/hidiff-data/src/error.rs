//! The crate's error type: every I/O failure names the file or folder involved.

use std::path::PathBuf;

/// Errors of data discovery, decoding, patch generation and synthesis.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// None of the folders where a data set may live exists.
    #[error("no {what} folder found; looked for: {}", list_paths(.tried))]
    MissingFolder {
        /// What was looked for, e.g. `GoPro test`.
        what: String,
        /// Every folder that was tried, in order.
        tried: Vec<PathBuf>,
    },
    /// Files present on one side of a pair only.
    #[error(
        "unpaired files between {lq_dir} and {gt_dir}: {} only in input ({}), {} only in target ({})",
        .only_lq.len(), list_names(.only_lq), .only_gt.len(), list_names(.only_gt)
    )]
    Unpaired {
        /// The blurry (input) folder.
        lq_dir: PathBuf,
        /// The sharp (target) folder.
        gt_dir: PathBuf,
        /// File names present in the input folder only.
        only_lq: Vec<String>,
        /// File names present in the target folder only.
        only_gt: Vec<String>,
    },
    /// The two images of a pair do not have the sizes the split requires.
    #[error("pair sizes differ: {} is {}x{} (WxH) but {} is {}x{}", .lq.display(), .lq_size.0, .lq_size.1, .gt.display(), .gt_size.0, .gt_size.1)]
    PairSizeMismatch {
        /// The blurry image.
        lq: PathBuf,
        /// Its size (width, height).
        lq_size: (u32, u32),
        /// The sharp image.
        gt: PathBuf,
        /// Its size (width, height).
        gt_size: (u32, u32),
    },
    /// An image could not be opened or decoded.
    #[error("cannot read image {}", .path.display())]
    UnreadableImage {
        /// The image file.
        path: PathBuf,
        /// What the decoder said.
        #[source]
        source: image::ImageError,
    },
    /// An image could not be encoded or written.
    #[error("cannot write image {}", .path.display())]
    WriteImage {
        /// The file being written.
        path: PathBuf,
        /// What the encoder said.
        #[source]
        source: image::ImageError,
    },
    /// A filesystem operation failed.
    #[error("{action} {}", .path.display())]
    Io {
        /// What was being done, e.g. `cannot list`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A folder pair holds no image pairs.
    #[error("no image pairs in {} / {}", .lq_dir.display(), .gt_dir.display())]
    EmptySet {
        /// The blurry (input) folder.
        lq_dir: PathBuf,
        /// The sharp (target) folder.
        gt_dir: PathBuf,
    },
    /// An image is smaller than the patch that must be cut from it.
    #[error("image {} is {}x{} (WxH), smaller than the {needed}x{needed} patch", .path.display(), .size.0, .size.1)]
    ImageTooSmall {
        /// The image file.
        path: PathBuf,
        /// Its size (width, height).
        size: (u32, u32),
        /// The side the patch needs.
        needed: u32,
    },
    /// A data set has no folder for the requested split.
    #[error("{kind} has no {split} split")]
    NoSuchSplit {
        /// The data set.
        kind: String,
        /// The split.
        split: String,
    },
    /// A file refused before reading (not a regular file, too many pixels, not
    /// an image format), or a folder this crate may not fill.
    #[error(transparent)]
    File(#[from] hidiff_io::Error),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The marker file of a generated data set could not be written or read.
    #[error("bad marker file {}", .path.display())]
    Marker {
        /// The marker file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    /// An [`DataError::Io`] error for `path`.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
}

/// At most this many names are spelled out in a message; the rest are counted.
const MAX_LISTED: usize = 10;

fn list_names(names: &[String]) -> String {
    let mut out = names.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > MAX_LISTED {
        out.push_str(&format!(", ... {} more", names.len() - MAX_LISTED));
    }
    out
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}
