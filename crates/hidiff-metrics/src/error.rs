//! The crate's single error type.
//!
//! Every variant that concerns a file names it, so that a failed evaluation of
//! a folder of thousands of images says which file was wrong and how.

use std::path::{Path, PathBuf};

/// Result alias used throughout the crate.
pub type Result<T, E = MetricsError> = std::result::Result<T, E>;

/// Everything that can go wrong while loading images or computing a metric.
///
/// Nothing in this crate panics on user input: unreadable files, corrupt
/// images, mismatched sizes, missing pairs and ECC failures all end up here.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A file or folder could not be read (missing, permissions, ...).
    #[error("cannot read '{}'", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// The file exists but is not a decodable image (corrupt, truncated or
    /// of an unknown format).
    #[error("cannot decode image '{}'", path.display())]
    Decode {
        /// The image file.
        path: PathBuf,
        /// What the decoder reported.
        source: image::ImageError,
    },

    /// The image decodes, but its pixel format has no defined meaning in the
    /// evaluation protocols (16-bit or floating-point samples).
    #[error("unsupported pixel format in '{}': {format}; {hint}", path.display())]
    UnsupportedPixelFormat {
        /// The image file.
        path: PathBuf,
        /// The decoded pixel format, e.g. `Rgb16`.
        format: String,
        /// What the user can do about it.
        hint: &'static str,
    },

    /// A raw pixel buffer does not have `width × height × 3` bytes.
    #[error("pixel buffer of {got} bytes does not match {width}×{height}×3 = {expected}")]
    BufferSize {
        /// Declared width.
        width: usize,
        /// Declared height.
        height: usize,
        /// `width * height * 3`.
        expected: usize,
        /// Actual buffer length.
        got: usize,
    },

    /// The two images of a pair do not have the same size.
    #[error(
        "images differ in size: gt '{}' is {}×{} (W×H), pred '{}' is {}×{}",
        gt.display(), gt_size.0, gt_size.1, pred.display(), pred_size.0, pred_size.1
    )]
    SizeMismatch {
        /// Ground-truth image (or `<memory>`).
        gt: PathBuf,
        /// Width and height of the ground truth.
        gt_size: (usize, usize),
        /// Predicted image (or `<memory>`).
        pred: PathBuf,
        /// Width and height of the prediction.
        pred_size: (usize, usize),
    },

    /// The image is too small for the metric (e.g. SSIM needs an 11×11 window
    /// after cropping).
    #[error("image '{}' is too small for {what}: {width}×{height} (W×H), at least {min}×{min} needed", path.display())]
    TooSmall {
        /// The image (or `<memory>`).
        path: PathBuf,
        /// Width after any border crop.
        width: usize,
        /// Height after any border crop.
        height: usize,
        /// Minimum side length.
        min: usize,
        /// Which computation needed the size.
        what: &'static str,
    },

    /// A path that should be a folder is not one.
    #[error("'{}' is not a folder", path.display())]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },

    /// A folder holds no image files.
    #[error("folder '{}' contains no image files (png, jpg, jpeg, bmp, tif, tiff, webp)", path.display())]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },

    /// When pairing by file name, a file has no namesake in the other folder.
    #[error("'{}' has no file of the same name in '{}'", file.display(), other_folder.display())]
    MissingPair {
        /// The file without a partner.
        file: PathBuf,
        /// The folder where the partner was expected.
        other_folder: PathBuf,
    },

    /// When pairing by sorted position, the folders hold different numbers of
    /// images.
    #[error(
        "cannot pair by position: '{}' has {gt_count} images but '{}' has {pred_count}",
        gt_folder.display(), pred_folder.display()
    )]
    CountMismatch {
        /// Ground-truth folder.
        gt_folder: PathBuf,
        /// Number of images in it.
        gt_count: usize,
        /// Prediction folder.
        pred_folder: PathBuf,
        /// Number of images in it.
        pred_count: usize,
    },

    /// OpenCV's `findTransformECC` would have raised an error (the λ
    /// denominator is ≤ 0, or ρ is NaN); the official script crashes there.
    #[error("ECC alignment failed at iteration {iteration}: {reason}")]
    EccFailed {
        /// 1-based iteration at which the failure occurred.
        iteration: usize,
        /// OpenCV's reason.
        reason: &'static str,
    },

    /// After RealBlur alignment no pixel of the prediction overlaps the
    /// ground truth, so PSNR/SSIM are undefined.
    #[error("after ECC alignment the valid region {what} is empty; PSNR/SSIM are undefined")]
    EmptyValidRegion {
        /// Which region (whole image or SSIM crop).
        what: &'static str,
    },

    /// A file refused before decoding (not a regular file, too many pixels, empty).
    #[error(transparent)]
    File(#[from] hidiff_io::Error),

    /// An error while evaluating one pair of a folder evaluation.
    #[error("pair gt '{}' / pred '{}'", gt.display(), pred.display())]
    Pair {
        /// Ground-truth file.
        gt: PathBuf,
        /// Prediction file.
        pred: PathBuf,
        /// What went wrong.
        source: Box<MetricsError>,
    },
}

impl MetricsError {
    /// Wraps `self` with the names of the pair it occurred in, unless it
    /// already names a file of that pair.
    pub(crate) fn in_pair(self, gt: &Path, pred: &Path) -> Self {
        match self {
            e @ (MetricsError::Io { .. }
            | MetricsError::Decode { .. }
            | MetricsError::UnsupportedPixelFormat { .. }
            | MetricsError::SizeMismatch { .. }) => e,
            other => MetricsError::Pair { gt: gt.to_path_buf(), pred: pred.to_path_buf(), source: Box::new(other) },
        }
    }
}

/// The label used in errors for an image that did not come from a file.
pub(crate) fn memory_label() -> PathBuf {
    PathBuf::from("<memory>")
}
