//! Reading and writing 8-bit RGB images, and their conversion to `[0, 1]` floats.
//!
//! The reference reads every image as 8-bit (OpenCV) and divides by 255
//! (docs/reference.md §4.6, step 2); images are kept as 8-bit [`RgbImage`] until the
//! last moment, which is exact and four times smaller than floats.

use std::path::Path;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};

use crate::error::{DataError, Result};

pub use hidiff_io::{has_image_extension, PixelBudget, IMAGE_EXTENSIONS};

/// A `hidiff_io` error as this crate's: decoder failures keep their
/// [`DataError::UnreadableImage`] form, the rest (missing, not a regular file,
/// too many pixels) pass through.
fn from_io(e: hidiff_io::Error) -> DataError {
    match e {
        hidiff_io::Error::Decode { path, reason } => DataError::UnreadableImage { path, source: *reason },
        other => DataError::File(other),
    }
}

/// The size `(width, height)` of an image, read from its header only (a regular
/// file within the default [`PixelBudget`]).
pub fn image_size(path: &Path) -> Result<(u32, u32)> {
    hidiff_io::read_image_size(path, PixelBudget::DEFAULT).map_err(from_io)
}

/// Decodes an image file as 8-bit RGB (grey images are replicated, alpha is dropped,
/// 16-bit samples are rounded to 8 bits), under the default [`PixelBudget`].
pub fn read_rgb8(path: &Path) -> Result<RgbImage> {
    Ok(hidiff_io::read_image(path, PixelBudget::DEFAULT).map_err(from_io)?.into_rgb8())
}

/// Writes a lossless PNG, encoded in memory and written with
/// [`hidiff_io::write_atomic`], so an interrupted run never leaves a truncated
/// image under the final name.
pub fn write_png(img: &RgbImage, path: &Path) -> Result<()> {
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .map_err(|source| DataError::WriteImage { path: path.to_path_buf(), source })?;
    hidiff_io::write_atomic(path, &bytes).map_err(|e| DataError::io("cannot write", path, e))
}

/// Appends an 8-bit HWC RGB image to `out` as CHW floats in `[0, 1]`
/// (docs/reference.md §4.6, step 5: BGR→RGB, HWC→CHW, `/255`, no normalisation).
pub fn push_chw_f32(img: &RgbImage, out: &mut Vec<f32>) {
    let plane = img.width() as usize * img.height() as usize;
    let raw = img.as_raw();
    out.reserve(3 * plane);
    for c in 0..3 {
        out.extend(raw[c..].iter().step_by(3).map(|&v| f32::from(v) / 255.0));
    }
}

/// An 8-bit HWC RGB image as CHW floats in `[0, 1]`.
pub fn to_chw_f32(img: &RgbImage) -> Vec<f32> {
    let mut out = Vec::new();
    push_chw_f32(img, &mut out);
    out
}

/// Copies the window `height × width` at (`top`, `left`) out of `img`.
/// The caller guarantees that the window lies inside the image.
pub(crate) fn crop(img: &RgbImage, top: u32, left: u32, height: u32, width: u32) -> RgbImage {
    let stride = img.width() as usize * 3;
    let (top, left, height, width) = (top as usize, left as usize, height as usize, width as usize);
    let mut data = Vec::with_capacity(height * width * 3);
    for row in img.as_raw().chunks_exact(stride).skip(top).take(height) {
        data.extend_from_slice(&row[left * 3..(left + width) * 3]);
    }
    RgbImage::from_raw(width as u32, height as u32, data).expect("the window lies inside the image")
}
