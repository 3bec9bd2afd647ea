//! Reading and writing 8-bit RGB images, and their conversion to `[0, 1]` floats.
//!
//! The reference reads every image as 8-bit (OpenCV) and divides by 255
//! (reference 4.6, step 2); images are kept as 8-bit [`RgbImage`] until the
//! last moment, which is exact and four times smaller than floats.

use std::fs;
use std::io::BufWriter;
use std::path::Path;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, ImageReader, RgbImage};

use crate::error::{DataError, Result};

/// File extensions (lower case) that are treated as images.
pub const IMAGE_EXTENSIONS: [&str; 7] = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"];

/// Whether `path` has one of the [`IMAGE_EXTENSIONS`] (case-insensitive).
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn unreadable(path: &Path, source: image::ImageError) -> DataError {
    DataError::UnreadableImage {
        path: path.to_path_buf(),
        source,
    }
}

/// The size `(width, height)` of an image, read from its header only.
pub fn image_size(path: &Path) -> Result<(u32, u32)> {
    ImageReader::open(path)
        .map_err(|e| unreadable(path, e.into()))?
        .with_guessed_format()
        .map_err(|e| unreadable(path, e.into()))?
        .into_dimensions()
        .map_err(|e| unreadable(path, e))
}

/// Decodes an image file as 8-bit RGB (grey images are replicated, alpha is dropped,
/// 16-bit samples are rounded to 8 bits).
pub fn read_rgb8(path: &Path) -> Result<RgbImage> {
    let img = ImageReader::open(path)
        .map_err(|e| unreadable(path, e.into()))?
        .with_guessed_format()
        .map_err(|e| unreadable(path, e.into()))?
        .decode()
        .map_err(|e| unreadable(path, e))?;
    Ok(img.into_rgb8())
}

/// Writes a lossless PNG. The data go to a hidden temporary file beside `path`
/// first and are renamed into place, so an interrupted run never leaves a
/// truncated image under the final name.
pub fn write_png(img: &RgbImage, path: &Path) -> Result<()> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("image.png");
    let tmp = path.with_file_name(format!(".{file_name}.tmp"));
    let file = fs::File::create(&tmp).map_err(|e| DataError::io("cannot create", &tmp, e))?;
    let encoder = PngEncoder::new_with_quality(
        BufWriter::new(file),
        CompressionType::Fast,
        FilterType::Adaptive,
    );
    encoder
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|source| DataError::WriteImage {
            path: path.to_path_buf(),
            source,
        })?;
    fs::rename(&tmp, path).map_err(|e| DataError::io("cannot rename into", path, e))
}

/// Appends an 8-bit HWC RGB image to `out` as CHW floats in `[0, 1]`
/// (reference 4.6, step 5: BGR→RGB, HWC→CHW, `/255`, no normalisation).
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
