//! The crate's error type: every variant that concerns a file names it, so that a
//! run over a thousand images says which one was wrong and why.

use std::path::PathBuf;

/// Result alias of the crate.
pub type Result<T, E = InferError> = std::result::Result<T, E>;

/// Everything that can go wrong while deblurring files or running a test set.
///
/// The messages follow the `std::error::Error` convention: a variant with a cause
/// does not repeat it in its own message but returns it from `source()`; use
/// [`InferError::chain`] (or anyhow's `{:#}`) for the full text.
///
/// Nothing in this crate panics on user input: bad files, bad weights, bad
/// options and unwritable outputs all end up here.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// An input path does not exist.
    #[error("input '{}' does not exist", path.display())]
    MissingInput {
        /// The path given.
        path: PathBuf,
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
    #[error("'{}' is empty (0 bytes), not an image", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },

    /// Neither the content nor the extension of a file names an image format.
    #[error("'{}' is not in an image format this program reads (PNG, JPEG, TIFF, BMP, WebP)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },

    /// A file is not a decodable image (corrupt, truncated, text, unknown format).
    #[error("cannot decode '{}' as an image: {reason}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said (shown in the message, not as a separate cause:
        /// the `image` crate's messages already include their own causes).
        reason: Box<image::ImageError>,
    },

    /// An image decodes to a pixel format this program does not handle.
    #[error("'{}' has an unsupported pixel format ({format}); use 8- or 16-bit gray, RGB or RGBA, or 32-bit float RGB(A)", path.display())]
    UnsupportedPixelFormat {
        /// The file.
        path: PathBuf,
        /// The decoded colour type.
        format: String,
    },

    /// An image is smaller than the model accepts.
    #[error("'{}' is {width}×{height} (W×H), too small: {needed_by} needs at least {min}×{min} pixels", path.display())]
    TooSmall {
        /// The file.
        path: PathBuf,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
        /// The smallest side accepted.
        min: u32,
        /// What needs the size (`the model`, `SSIM`).
        needed_by: &'static str,
    },

    /// A folder given as input holds no image file.
    #[error("folder '{}' contains no image files ({}){}", path.display(), crate::plan::IMAGE_EXTENSIONS.join(", "), if *recursive { "" } else { "; use --recursive to include subfolders" })]
    NoImages {
        /// The folder.
        path: PathBuf,
        /// Whether subfolders were searched.
        recursive: bool,
    },

    /// Two inputs would be written to the same output file.
    #[error("'{}' and '{}' would both be written to '{}'; deblur them into different --out folders", first.display(), second.display(), output.display())]
    OutputCollision {
        /// The first input.
        first: PathBuf,
        /// The second input.
        second: PathBuf,
        /// Their common output.
        output: PathBuf,
    },

    /// An output would replace one of the inputs.
    #[error("the output '{}' would overwrite the input '{}'; choose another --out folder", output.display(), input.display())]
    WouldOverwriteInput {
        /// The input file.
        input: PathBuf,
        /// The output path.
        output: PathBuf,
    },

    /// Outputs exist already and overwriting was not allowed.
    #[error("{} output file(s) exist already, e.g. '{}'; pass --overwrite to replace them", count, first.display())]
    OutputExists {
        /// The first existing output.
        first: PathBuf,
        /// How many exist.
        count: usize,
    },

    /// The output folder cannot be created or written to.
    #[error("cannot write to the output folder '{}'", path.display())]
    OutputNotWritable {
        /// The folder.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// An image could not be encoded for writing.
    #[error("cannot encode the output '{}': {reason}", path.display())]
    Encode {
        /// The output file.
        path: PathBuf,
        /// What the encoder said (in the message, as for [`InferError::Decode`]).
        reason: Box<image::ImageError>,
    },

    /// The weights path does not exist.
    #[error("weights '{}' do not exist: give an official folder (net_g.pth, net_le_dm.pth, net_d.pth) or a .safetensors checkpoint", path.display())]
    MissingWeights {
        /// The path given.
        path: PathBuf,
    },

    /// An official weights folder lacks some of the files the configuration needs.
    #[error("weights folder '{}' is missing {}: an official HI-Diff folder holds net_g.pth, net_le_dm.pth and net_d.pth", dir.display(), missing.join(", "))]
    MissingWeightFiles {
        /// The folder.
        dir: PathBuf,
        /// The missing file names.
        missing: Vec<String>,
    },

    /// Weights that cannot be loaded into the configured model.
    #[error("cannot load the weights '{}' with the model configuration '{config}' (pass the matching --config or --preset)", path.display())]
    Weights {
        /// The weights file or folder.
        path: PathBuf,
        /// Where the configuration came from (`preset gopro`, a file, ...).
        config: String,
        /// The model crate's error (it names the file and the mismatching keys).
        #[source]
        source: Box<hidiff_model::ModelError>,
    },

    /// A file refused before reading: a FIFO, socket or device, an image whose
    /// header declares more pixels than the budget, or an output that is an input.
    #[error(transparent)]
    File(hidiff_io::Error),

    /// The estimated memory of deblurring an image exceeds the budget.
    #[error(
        "deblurring '{}' ({width}×{height}) needs about {:.1} GB ({:.1} GB of image buffers, {:.1} GB of model \
         activations for one {pass_pixels}-pixel pass), above the memory budget of {:.1} GB; {hint}",
        path.display(), *total as f64 / 1e9, *buffers as f64 / 1e9, *activations as f64 / 1e9, *budget as f64 / 1e9
    )]
    OverMemoryBudget {
        /// The image.
        path: PathBuf,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
        /// Pixels of the largest model pass (a tile, or the whole image).
        pass_pixels: u64,
        /// Estimated bytes of the image buffers (decoded image, planes, blend buffers, output).
        buffers: u64,
        /// Estimated bytes of the model's activations in one pass.
        activations: u64,
        /// `buffers + activations`.
        total: u64,
        /// The budget in bytes.
        budget: u64,
        /// What to do about it.
        hint: &'static str,
    },

    /// An option value is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),

    /// Test-set discovery failed (missing folders, unpaired files, ...).
    #[error(transparent)]
    Data(Box<hidiff_data::DataError>),

    /// A metric failed on one image of a test set.
    #[error("cannot score '{}'", path.display())]
    Score {
        /// The blurry input of the pair.
        path: PathBuf,
        /// The metric's error.
        #[source]
        source: Box<hidiff_metrics::MetricsError>,
    },

    /// A report could not be serialised or written.
    #[error("cannot write the report '{}'", path.display())]
    Report {
        /// The JSON file.
        path: PathBuf,
        /// The serialisation error.
        #[source]
        source: serde_json::Error,
    },
}

impl From<hidiff_data::DataError> for InferError {
    fn from(e: hidiff_data::DataError) -> Self {
        Self::Data(Box::new(e))
    }
}

impl InferError {
    /// The message followed by its causes, `": "`-separated.
    pub fn chain(&self) -> String {
        let mut s = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            s.push_str(": ");
            s.push_str(&c.to_string());
            cause = c.source();
        }
        s
    }

    /// An [`InferError::Io`] for `path`.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
}
