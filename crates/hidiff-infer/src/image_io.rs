//! Reading any image the `image` crate decodes into the model's input, and writing
//! the result back in the input's own layout.
//!
//! | input | into the model | written back as |
//! | --- | --- | --- |
//! | 8-bit RGB | `v / 255` | 8-bit RGB, quantised as the official test (docs/reference.md §4.8) |
//! | 8-bit RGBA | RGB as above | 8-bit RGBA, **alpha copied untouched** |
//! | 8-bit gray (± alpha) | replicated to R = G = B | gray = mean of the three output channels, then quantised; alpha copied |
//! | 16-bit gray/RGB(A) | `v / 65535` | 16-bit, same rule with peak 65535 |
//! | 32-bit float RGB(A) | clamped to `[0, 1]` | float, clamped to `[0, 1]` |
//!
//! The file format of the output comes from the output file's extension (the
//! input's name is kept, so it is the input's format); where the encoder cannot
//! store the input's layout (16-bit JPEG, say) the `image` crate converts to the
//! nearest layout it can store. JPEG is written at quality 95. EXIF orientation
//! is not applied: pixels are processed in stored order and written back the same way.
//!
//! Images are decoded from memory after one `read` of a regular file (a FIFO or
//! device is refused by type), with the format guessed from the content (then
//! the extension). The size is read from the header first and checked against a
//! [`PixelBudget`] (100 megapixels by default, `--max-megapixels`), and the
//! decoder runs under `image::Limits` of the same budget, so a small file that
//! declares a gigantic image is refused with the numbers instead of aborting on
//! an allocation.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use hidiff_io::ImageFile;
pub use hidiff_io::PixelBudget;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};

use crate::error::{InferError, Result};
use crate::quantise::{from_u16, from_u8, to_u16, to_u8};

/// Quality of JPEG outputs (the `image` crate's default, 75, visibly degrades a
/// restored image).
pub const JPEG_QUALITY: u8 = 95;

/// The colour channels of a decoded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channels {
    /// One luminance channel.
    Gray,
    /// Luminance and alpha.
    GrayAlpha,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue, alpha.
    Rgba,
}

impl Channels {
    /// Whether the layout carries an alpha channel.
    pub fn has_alpha(self) -> bool {
        matches!(self, Channels::GrayAlpha | Channels::Rgba)
    }
}

/// The sample type of a decoded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleDepth {
    /// 8-bit unsigned.
    U8,
    /// 16-bit unsigned.
    U16,
    /// 32-bit float.
    F32,
}

/// Channels and sample depth of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelFormat {
    /// The channels.
    pub channels: Channels,
    /// The sample type.
    pub depth: SampleDepth,
}

/// The alpha channel of an input, in its original samples, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Alpha {
    /// 8-bit alpha.
    U8(Vec<u8>),
    /// 16-bit alpha.
    U16(Vec<u16>),
    /// Float alpha.
    F32(Vec<f32>),
}

/// A decoded input image: its colour as planar `[0, 1]` floats for the model,
/// everything else kept to write the output in the same layout.
#[derive(Clone)]
pub struct InputImage {
    /// The file it came from.
    pub path: PathBuf,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The decoded layout.
    pub pixel_format: PixelFormat,
    /// The file format detected from the content (or the extension).
    pub file_format: Option<ImageFormat>,
    /// `[3, H, W]` planar RGB in `[0, 1]` (gray replicated into all three planes).
    pub rgb: Vec<f32>,
    /// The untouched alpha channel, if any.
    pub alpha: Option<Alpha>,
}

impl std::fmt::Debug for InputImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputImage")
            .field("path", &self.path)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("pixel_format", &self.pixel_format)
            .field("file_format", &self.file_format)
            .finish_non_exhaustive()
    }
}

/// Reads and decodes `path` within the default [`PixelBudget`].
///
/// # Errors
/// As [`read_image_within`].
pub fn read_image(path: &Path) -> Result<InputImage> {
    read_image_within(path, PixelBudget::DEFAULT)
}

/// Reads and decodes `path`: only a regular file, its size read from the header
/// and checked against `budget` before anything is decoded, and the decoder held
/// to the same budget (`image::Limits`).
///
/// # Errors
/// [`InferError::MissingInput`], [`InferError::Io`], [`InferError::EmptyFile`],
/// [`InferError::UnknownFormat`], [`InferError::Decode`] (corrupt data, a text
/// file named `.png`), [`InferError::UnsupportedPixelFormat`], or
/// [`InferError::File`] for a FIFO/device or a size above the budget.
pub fn read_image_within(path: &Path, budget: PixelBudget) -> Result<InputImage> {
    let file = ImageFile::open(path, budget).map_err(from_io)?;
    let format = file.format;
    let decoded = file.decode(path, budget).map_err(from_io)?;
    InputImage::from_dynamic(decoded, path, Some(format))
}

/// The declared `(width, height)` of `path` from its header, after the same
/// checks as [`read_image_within`] but without decoding.
///
/// # Errors
/// As [`read_image_within`], except decoding errors of the pixel data.
pub fn probe_image(path: &Path, budget: PixelBudget) -> Result<(u32, u32)> {
    Ok(ImageFile::open(path, budget).map_err(from_io)?.size)
}

/// A `hidiff_io` error in this crate's terms (the variants callers already match).
pub(crate) fn from_io(e: hidiff_io::Error) -> InferError {
    match e {
        hidiff_io::Error::NotFound { path } => InferError::MissingInput { path },
        hidiff_io::Error::Empty { path } => InferError::EmptyFile { path },
        hidiff_io::Error::UnknownFormat { path } => InferError::UnknownFormat { path },
        hidiff_io::Error::Decode { path, reason } => InferError::Decode { path, reason },
        hidiff_io::Error::Io { action, path, source } => InferError::Io { action, path, source },
        other => InferError::File(other),
    }
}

/// Planar `[c, h*w]` floats of the colour channels and the interleaved alpha of
/// an `n`-channel interleaved buffer (`gray`: 1 colour channel replicated to 3).
fn split_channels<T: Copy>(raw: &[T], n: usize, gray: bool, to_f32: impl Fn(T) -> f32) -> (Vec<f32>, Option<Vec<T>>) {
    let pixels = raw.len() / n;
    let colour = if gray { 1 } else { 3 };
    let mut rgb = vec![0.0f32; 3 * pixels];
    for (i, px) in raw.chunks_exact(n).enumerate() {
        for c in 0..3 {
            rgb[c * pixels + i] = to_f32(px[if gray { 0 } else { c }]);
        }
    }
    let alpha = (n > colour).then(|| raw.chunks_exact(n).map(|px| px[colour]).collect());
    (rgb, alpha)
}

impl InputImage {
    /// Splits a decoded image into the model input and the rest (see the module
    /// documentation). `path` names the file in errors.
    pub fn from_dynamic(img: DynamicImage, path: &Path, file_format: Option<ImageFormat>) -> Result<Self> {
        use Channels as C;
        use SampleDepth as D;
        let (width, height) = (img.width(), img.height());
        let unit = |v: f32| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
        let (channels, depth, (rgb, alpha)) = match img {
            DynamicImage::ImageLuma8(b) => (C::Gray, D::U8, wrap8(split_channels(b.as_raw(), 1, true, from_u8))),
            DynamicImage::ImageLumaA8(b) => (C::GrayAlpha, D::U8, wrap8(split_channels(b.as_raw(), 2, true, from_u8))),
            DynamicImage::ImageRgb8(b) => (C::Rgb, D::U8, wrap8(split_channels(b.as_raw(), 3, false, from_u8))),
            DynamicImage::ImageRgba8(b) => (C::Rgba, D::U8, wrap8(split_channels(b.as_raw(), 4, false, from_u8))),
            DynamicImage::ImageLuma16(b) => (C::Gray, D::U16, wrap16(split_channels(b.as_raw(), 1, true, from_u16))),
            DynamicImage::ImageLumaA16(b) => {
                (C::GrayAlpha, D::U16, wrap16(split_channels(b.as_raw(), 2, true, from_u16)))
            }
            DynamicImage::ImageRgb16(b) => (C::Rgb, D::U16, wrap16(split_channels(b.as_raw(), 3, false, from_u16))),
            DynamicImage::ImageRgba16(b) => (C::Rgba, D::U16, wrap16(split_channels(b.as_raw(), 4, false, from_u16))),
            DynamicImage::ImageRgb32F(b) => (C::Rgb, D::F32, wrap32(split_channels(b.as_raw(), 3, false, unit))),
            DynamicImage::ImageRgba32F(b) => (C::Rgba, D::F32, wrap32(split_channels(b.as_raw(), 4, false, unit))),
            other => {
                return Err(InferError::UnsupportedPixelFormat {
                    path: path.to_path_buf(),
                    format: format!("{:?}", other.color()),
                })
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            width,
            height,
            pixel_format: PixelFormat { channels, depth },
            file_format,
            rgb,
            alpha,
        })
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Rebuilds an image of this input's layout from the model's output
    /// (`[3, H, W]` planar floats): quantised as docs/reference.md §4.8, gray as the mean
    /// of the three channels, alpha copied.
    ///
    /// # Panics
    /// If `rgb` does not hold `3 × H × W` values (a programmer error).
    pub fn compose(&self, rgb: &[f32]) -> DynamicImage {
        let n = self.pixels();
        assert_eq!(rgb.len(), 3 * n, "compose: output has {} values, expected 3 x {n}", rgb.len());
        let (w, h) = (self.width, self.height);
        let gray = |i: usize| (rgb[i] + rgb[n + i] + rgb[2 * n + i]) / 3.0;
        let colour = |i: usize| [rgb[i], rgb[n + i], rgb[2 * n + i]];
        let unit = |v: f32| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
        let PixelFormat { channels, depth } = self.pixel_format;
        let alpha = self.alpha.as_ref();
        match (channels, depth, alpha) {
            (Channels::Gray, SampleDepth::U8, _) => {
                DynamicImage::ImageLuma8(image_of::<Luma<u8>>(w, h, (0..n).map(|i| to_u8(gray(i))).collect()))
            }
            (Channels::GrayAlpha, SampleDepth::U8, Some(Alpha::U8(a))) => {
                DynamicImage::ImageLumaA8(image_of::<LumaA<u8>>(
                    w,
                    h,
                    (0..n).flat_map(|i| [to_u8(gray(i)), a[i]]).collect(),
                ))
            }
            (Channels::Rgb, SampleDepth::U8, _) => {
                DynamicImage::ImageRgb8(image_of::<Rgb<u8>>(w, h, (0..n).flat_map(|i| colour(i).map(to_u8)).collect()))
            }
            (Channels::Rgba, SampleDepth::U8, Some(Alpha::U8(a))) => DynamicImage::ImageRgba8(image_of::<Rgba<u8>>(
                w,
                h,
                (0..n).flat_map(|i| with_alpha(colour(i).map(to_u8), a[i])).collect(),
            )),
            (Channels::Gray, SampleDepth::U16, _) => {
                DynamicImage::ImageLuma16(image_of::<Luma<u16>>(w, h, (0..n).map(|i| to_u16(gray(i))).collect()))
            }
            (Channels::GrayAlpha, SampleDepth::U16, Some(Alpha::U16(a))) => {
                DynamicImage::ImageLumaA16(image_of::<LumaA<u16>>(
                    w,
                    h,
                    (0..n).flat_map(|i| [to_u16(gray(i)), a[i]]).collect(),
                ))
            }
            (Channels::Rgb, SampleDepth::U16, _) => DynamicImage::ImageRgb16(image_of::<Rgb<u16>>(
                w,
                h,
                (0..n).flat_map(|i| colour(i).map(to_u16)).collect(),
            )),
            (Channels::Rgba, SampleDepth::U16, Some(Alpha::U16(a))) => DynamicImage::ImageRgba16(
                image_of::<Rgba<u16>>(w, h, (0..n).flat_map(|i| with_alpha(colour(i).map(to_u16), a[i])).collect()),
            ),
            (Channels::Rgba, SampleDepth::F32, Some(Alpha::F32(a))) => DynamicImage::ImageRgba32F(
                image_of::<Rgba<f32>>(w, h, (0..n).flat_map(|i| with_alpha(colour(i).map(unit), a[i])).collect()),
            ),
            // Float RGB, and float gray (which `image` never decodes to) as RGB.
            _ => DynamicImage::ImageRgb32F(image_of::<Rgb<f32>>(
                w,
                h,
                (0..n).flat_map(|i| colour(i).map(unit)).collect(),
            )),
        }
    }
}

fn wrap8((rgb, a): (Vec<f32>, Option<Vec<u8>>)) -> (Vec<f32>, Option<Alpha>) {
    (rgb, a.map(Alpha::U8))
}
fn wrap16((rgb, a): (Vec<f32>, Option<Vec<u16>>)) -> (Vec<f32>, Option<Alpha>) {
    (rgb, a.map(Alpha::U16))
}
fn wrap32((rgb, a): (Vec<f32>, Option<Vec<f32>>)) -> (Vec<f32>, Option<Alpha>) {
    (rgb, a.map(Alpha::F32))
}

fn with_alpha<T: Copy>(c: [T; 3], a: T) -> [T; 4] {
    [c[0], c[1], c[2], a]
}

/// An `ImageBuffer` of `w × h` pixels from interleaved samples.
fn image_of<P: image::Pixel>(w: u32, h: u32, data: Vec<P::Subpixel>) -> ImageBuffer<P, Vec<P::Subpixel>> {
    ImageBuffer::from_raw(w, h, data).expect("buffer length is w * h * channels by construction")
}

/// The format an output file is written in: from its extension, else the
/// input's detected format, else PNG.
pub fn output_format(output: &Path, input_format: Option<ImageFormat>) -> ImageFormat {
    ImageFormat::from_path(output)
        .ok()
        .filter(|f| f.writing_enabled())
        .or(input_format.filter(|f| f.writing_enabled()))
        .unwrap_or(ImageFormat::Png)
}

/// Encodes `img` as `format` in memory (JPEG at [`JPEG_QUALITY`]); `path` names
/// the output in errors. Encoding in memory first means a failing encoder never
/// leaves a partial file behind.
pub fn encode(img: &DynamicImage, format: ImageFormat, path: &Path) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let result = match format {
        ImageFormat::Jpeg => img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)),
        other => img.write_to(&mut out, other),
    };
    result.map_err(|reason| InferError::Encode { path: path.to_path_buf(), reason: Box::new(reason) })?;
    Ok(out.into_inner())
}

/// Writes `bytes` to `path` atomically ([`hidiff_io::write_atomic`]), so an
/// interrupted run never leaves a truncated image under `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    hidiff_io::write_atomic(path, bytes).map_err(|e| InferError::io("cannot write", path, e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn round_trip(img: DynamicImage) -> (InputImage, DynamicImage) {
        let input = InputImage::from_dynamic(img, Path::new("mem.png"), Some(ImageFormat::Png)).expect("supported");
        let back = input.compose(&input.rgb);
        (input, back)
    }

    #[test]
    fn identity_output_reproduces_every_supported_layout() {
        let (w, h) = (5u32, 3u32);
        let n = (w * h) as usize;
        let v8: Vec<u8> = (0..n * 4).map(|i| (i * 37 % 256) as u8).collect();
        let v16: Vec<u16> = (0..n * 4).map(|i| (i * 7919 % 65536) as u16).collect();
        let cases = vec![
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, v8[..n].to_vec()).unwrap()),
            DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, v8[..2 * n].to_vec()).unwrap()),
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, v8[..3 * n].to_vec()).unwrap()),
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, v8.clone()).unwrap()),
            DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, v16[..n].to_vec()).unwrap()),
            DynamicImage::ImageLumaA16(ImageBuffer::from_raw(w, h, v16[..2 * n].to_vec()).unwrap()),
            DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, v16[..3 * n].to_vec()).unwrap()),
            DynamicImage::ImageRgba16(ImageBuffer::from_raw(w, h, v16.clone()).unwrap()),
        ];
        for img in cases {
            let (input, back) = round_trip(img.clone());
            assert_eq!(input.rgb.len(), 3 * n);
            assert_eq!(back, img, "layout {:?}", input.pixel_format);
        }
    }

    #[test]
    fn gray_becomes_three_equal_planes_and_alpha_is_kept_aside() {
        let img = DynamicImage::ImageLumaA8(ImageBuffer::from_raw(2, 1, vec![51, 7, 255, 200]).unwrap());
        let input = InputImage::from_dynamic(img, Path::new("g.png"), None).unwrap();
        assert_eq!(input.pixel_format, PixelFormat { channels: Channels::GrayAlpha, depth: SampleDepth::U8 });
        assert_eq!(input.rgb, vec![0.2, 1.0, 0.2, 1.0, 0.2, 1.0]);
        assert_eq!(input.alpha, Some(Alpha::U8(vec![7, 200])));
    }
}
