//! An 8-bit RGB image, the input of every protocol, and its loading rules.
//!
//! All three reference protocols read 8-bit files: BasicSR through
//! `cv2.imread(path, IMREAD_COLOR)`, the GoPro/HIDE script through MATLAB
//! `imread`, the RealBlur script through `skimage.io.imread`. HI-Diff writes its
//! outputs as 8-bit RGB PNGs (`tensor2img`, docs/reference.md §4.8), so
//! `RgbImageU8` holds exactly that: row-major, `R, G, B` interleaved.
//!
//! # Conversion rules for other files
//!
//! | file | rule | why |
//! | --- | --- | --- |
//! | 8-bit RGB | used as is | the protocols' input |
//! | 8-bit RGBA | alpha dropped (not composited) | `cv2.imread(IMREAD_COLOR)` and MATLAB `imread` drop it too |
//! | 8-bit gray (± alpha) | replicated to R = G = B | what `IMREAD_COLOR` does; MATLAB's volumetric SSIM of three equal planes equals its 2-D SSIM of the gray image, so the GoPro value is unchanged |
//! | 16-bit or float | **error** | the three scripts disagree on them (OpenCV scales 16-bit by 1/256, MATLAB uses the peak 65535, the RealBlur script divides by 255), so no conversion would reproduce "the" protocol; convert the files to 8-bit explicitly |
//!
//! EXIF orientation is not applied. JPEG files decode with the `image` crate's
//! decoder, which may differ from libjpeg by ±1 in a few samples; PNG (what
//! HI-Diff writes and the benchmarks ship) is lossless and exact.

use std::path::{Path, PathBuf};

use image::DynamicImage;

use crate::error::{memory_label, MetricsError, Result};

/// An 8-bit RGB image, row-major with interleaved channels (`R, G, B`).
#[derive(Clone, PartialEq, Eq)]
pub struct RgbImageU8 {
    width: usize,
    height: usize,
    data: Vec<u8>,
    source: Option<PathBuf>,
}

impl std::fmt::Debug for RgbImageU8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RgbImageU8")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl RgbImageU8 {
    /// Wraps a raw `width × height × 3` buffer (row-major, RGB interleaved).
    pub fn from_raw(width: usize, height: usize, data: Vec<u8>) -> Result<Self> {
        let expected = width.saturating_mul(height).saturating_mul(3);
        if data.len() != expected {
            return Err(MetricsError::BufferSize { width, height, expected, got: data.len() });
        }
        Ok(Self { width, height, data, source: None })
    }

    /// Reads and decodes an image file, applying the conversion rules of the
    /// module documentation. The format is detected from the content (the
    /// extension is the fallback); only regular files within the default pixel
    /// budget are decoded ([`hidiff_io::read_image`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let decoded = hidiff_io::read_image(path, hidiff_io::PixelBudget::DEFAULT).map_err(|e| match e {
            hidiff_io::Error::NotFound { path } => {
                MetricsError::Io { path, source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file") }
            }
            hidiff_io::Error::Io { path, source, .. } => MetricsError::Io { path, source },
            hidiff_io::Error::Decode { path, reason } => MetricsError::Decode { path, source: *reason },
            other => MetricsError::File(other),
        })?;
        let mut image = Self::from_dynamic(decoded, path)?;
        image.source = Some(path.to_path_buf());
        Ok(image)
    }

    /// Converts a decoded image with the rules of the module documentation.
    /// `path` is only used to name the file in errors.
    pub fn from_dynamic(image: DynamicImage, path: &Path) -> Result<Self> {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let data = match image {
            DynamicImage::ImageRgb8(rgb) => rgb.into_raw(),
            DynamicImage::ImageRgba8(rgba) => {
                rgba.into_raw().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
            }
            DynamicImage::ImageLuma8(gray) => gray.into_raw().into_iter().flat_map(|v| [v, v, v]).collect(),
            DynamicImage::ImageLumaA8(gray) => {
                gray.into_raw().chunks_exact(2).flat_map(|p| [p[0], p[0], p[0]]).collect()
            }
            other => {
                return Err(MetricsError::UnsupportedPixelFormat {
                    path: path.to_path_buf(),
                    format: format!("{:?}", other.color()),
                    hint: "only 8-bit gray, RGB and RGBA images are accepted \
                           (the evaluation scripts read 8-bit files); convert it to 8 bits first",
                })
            }
        };
        let mut out = Self::from_raw(width, height, data)?;
        out.source = Some(path.to_path_buf());
        Ok(out)
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The raw buffer: `height × width × 3` bytes, row-major, RGB interleaved.
    pub fn as_raw(&self) -> &[u8] {
        &self.data
    }

    /// The RGB value at column `x`, row `y`, or `None` outside the image.
    pub fn pixel(&self, x: usize, y: usize) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y * self.width + x) * 3;
        Some([self.data[i], self.data[i + 1], self.data[i + 2]])
    }

    /// The file this image was read from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The label used for this image in error messages.
    pub(crate) fn label(&self) -> PathBuf {
        self.source.clone().unwrap_or_else(memory_label)
    }

    /// Checks that `gt` and `pred` have the same size.
    pub(crate) fn check_same_size(gt: &Self, pred: &Self) -> Result<()> {
        if gt.width != pred.width || gt.height != pred.height {
            return Err(MetricsError::SizeMismatch {
                gt: gt.label(),
                gt_size: (gt.width, gt.height),
                pred: pred.label(),
                pred_size: (pred.width, pred.height),
            });
        }
        Ok(())
    }

    /// Fails with [`MetricsError::TooSmall`] unless both sides are `≥ min`.
    pub(crate) fn check_min_size(&self, width: usize, height: usize, min: usize, what: &'static str) -> Result<()> {
        if width < min || height < min {
            return Err(MetricsError::TooSmall { path: self.label(), width, height, min, what });
        }
        Ok(())
    }
}
