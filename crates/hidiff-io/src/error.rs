//! The crate's error: every variant names the file it concerns.

use std::path::PathBuf;

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong with a file. A variant with an operating-system cause does
/// not repeat it in its message: it is the `source()`, printed once by the caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path does not exist.
    #[error("'{}' does not exist", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },

    /// The path exists but is not a regular file (a folder, FIFO, socket or device).
    #[error("'{}' is {kind}, not a regular file", path.display())]
    NotARegularFile {
        /// The path.
        path: PathBuf,
        /// What it is, e.g. `a FIFO (named pipe)`.
        kind: &'static str,
    },

    /// A file or folder could not be read, listed or written.
    #[error("{action} '{}'", path.display())]
    Io {
        /// What was being done, e.g. `cannot read`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// A file is empty (zero bytes).
    #[error("'{}' is empty (0 bytes)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },

    /// Neither the content nor the extension of a file names an image format.
    #[error("'{}' is not in an image format this program reads (PNG, JPEG, TIFF, BMP, WebP)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },

    /// An image declares more pixels than the budget allows.
    #[error(
        "'{}' declares {width}×{height} (W×H) = {:.1} megapixels, above the budget of {:.1} megapixels; \
         raise it with --max-megapixels if the machine has the memory",
        path.display(), *width as f64 * *height as f64 / 1e6, *max_pixels as f64 / 1e6
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The budget, in pixels.
        max_pixels: u64,
    },

    /// A file is not a decodable image (corrupt, truncated, text).
    #[error("cannot decode '{}' as an image: {reason}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said (in the message, not as a cause: the `image`
        /// crate's messages already include their own causes).
        reason: Box<::image::ImageError>,
    },

    /// An output path is one of the inputs.
    #[error("the output '{}' is the input '{}'; choose another path (inputs are never overwritten)", output.display(), input.display())]
    OutputIsInput {
        /// The output path as given.
        output: PathBuf,
        /// The input it resolves to.
        input: PathBuf,
    },

    /// An output file path names something that is not a file (a folder, a FIFO).
    #[error("the output '{}' is {kind}; give a file path", path.display())]
    OutputNotAFile {
        /// The output path.
        path: PathBuf,
        /// What is there.
        kind: &'static str,
    },

    /// A folder to fill holds files that the command did not write.
    #[error(
        "the output folder '{}' is not empty and was not written by {owner} (no {marker} in it; e.g. '{}'); \
         give an empty or new folder",
        path.display(), example.display()
    )]
    ForeignFolder {
        /// The folder.
        path: PathBuf,
        /// The program part that fills it, e.g. `hidiff prepare synthetic`.
        owner: &'static str,
        /// The marker file it would carry.
        marker: &'static str,
        /// One entry found in it.
        example: PathBuf,
    },
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }

    /// The path the error concerns.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::NotFound { path }
            | Error::NotARegularFile { path, .. }
            | Error::Io { path, .. }
            | Error::Empty { path }
            | Error::UnknownFormat { path }
            | Error::TooLarge { path, .. }
            | Error::Decode { path, .. }
            | Error::OutputNotAFile { path, .. }
            | Error::ForeignFolder { path, .. } => path,
            Error::OutputIsInput { output, .. } => output,
        }
    }
}
