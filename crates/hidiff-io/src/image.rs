//! Reading images under a pixel budget: the file is checked to be a regular file,
//! its header is read for the declared size, the size is checked against the
//! [`PixelBudget`], and only then is it decoded, with `image::Limits` set from
//! the same budget (so a lying header cannot make the decoder allocate more).

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat, ImageReader};

use crate::error::{Error, Result};
use crate::regular::read_regular_file;

/// The largest image (in pixels) a command decodes, and hence the memory a
/// decode may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelBudget {
    /// Largest `width × height`.
    pub max_pixels: u64,
}

impl PixelBudget {
    /// 100 megapixels (e.g. 10000×10000): 1.2 GB as the model's f32 input, a few
    /// GB with the blend buffers of tiling. `--max-megapixels` raises it.
    pub const DEFAULT: PixelBudget = PixelBudget { max_pixels: 100_000_000 };

    /// A budget of `megapixels` million pixels (fractions allowed; at least one pixel).
    pub fn megapixels(megapixels: f64) -> Self {
        let px = (megapixels * 1e6).clamp(1.0, u64::MAX as f64);
        Self { max_pixels: px as u64 }
    }

    /// Checks a declared size against the budget.
    ///
    /// # Errors
    /// [`Error::TooLarge`] with the numbers.
    pub fn check(&self, path: &Path, width: u32, height: u32) -> Result<()> {
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(Error::TooLarge { path: path.to_path_buf(), width, height, max_pixels: self.max_pixels });
        }
        Ok(())
    }

    /// The decoder limits of this budget: no side above the pixel count, and no
    /// allocation above 16 bytes per pixel (RGBA, 32-bit float) plus 64 MiB, nor
    /// above the memory available now (so a raised budget still fails with an
    /// error, not an aborted allocation).
    pub fn limits(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        let side = u32::try_from(self.max_pixels).unwrap_or(u32::MAX);
        limits.max_image_width = Some(side);
        limits.max_image_height = Some(side);
        let by_pixels = self.max_pixels.saturating_mul(16).saturating_add(64 << 20);
        let available = crate::memory::available_memory().unwrap_or(u64::MAX);
        limits.max_alloc = Some(by_pixels.min(available));
        limits
    }
}

impl Default for PixelBudget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A file read into memory with its format and declared size, not yet decoded.
#[derive(Clone)]
pub struct ImageFile {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The format from the content (or, failing that, the extension).
    pub format: ImageFormat,
    /// `(width, height)` as the header declares it.
    pub size: (u32, u32),
}

impl std::fmt::Debug for ImageFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageFile")
            .field("bytes", &self.bytes.len())
            .field("format", &self.format)
            .field("size", &self.size)
            .finish()
    }
}

impl ImageFile {
    /// Reads `path` (a regular file), finds its format and reads the size from
    /// its header, then checks the size against `budget`. Nothing is decoded.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::NotARegularFile`], [`Error::Io`],
    /// [`Error::Empty`], [`Error::UnknownFormat`], [`Error::Decode`] (a header
    /// that cannot be parsed) or [`Error::TooLarge`].
    pub fn open(path: &Path, budget: PixelBudget) -> Result<Self> {
        let bytes = read_regular_file(path)?;
        if bytes.is_empty() {
            return Err(Error::Empty { path: path.to_path_buf() });
        }
        // The content decides (a JPEG named `.png` is read as JPEG); the extension
        // is the fallback for formats without magic bytes.
        let format = image::guess_format(&bytes)
            .ok()
            .or_else(|| ImageFormat::from_path(path).ok())
            .ok_or_else(|| Error::UnknownFormat { path: path.to_path_buf() })?;
        let decode_err = |reason| Error::Decode { path: path.to_path_buf(), reason: Box::new(reason) };
        let size = ImageReader::with_format(Cursor::new(&bytes), format).into_dimensions().map_err(decode_err)?;
        budget.check(path, size.0, size.1)?;
        Ok(Self { bytes, format, size })
    }

    /// Decodes the image under the decoder limits of `budget`.
    ///
    /// # Errors
    /// [`Error::Decode`] (corrupt data, or a decode that would exceed the limits).
    pub fn decode(self, path: &Path, budget: PixelBudget) -> Result<DynamicImage> {
        let mut reader = ImageReader::with_format(Cursor::new(self.bytes), self.format);
        reader.limits(budget.limits());
        reader.decode().map_err(|reason| Error::Decode { path: path.to_path_buf(), reason: Box::new(reason) })
    }
}

/// Reads and decodes `path` under `budget` (see the module documentation).
///
/// # Errors
/// Those of [`ImageFile::open`] and [`ImageFile::decode`].
pub fn read_image(path: &Path, budget: PixelBudget) -> Result<DynamicImage> {
    ImageFile::open(path, budget)?.decode(path, budget)
}

/// The declared `(width, height)` of an image, from its header only (the file is
/// still checked to be a regular file, and the size against `budget`).
///
/// # Errors
/// Those of [`ImageFile::open`], except that only the header is read from disk.
pub fn read_image_size(path: &Path, budget: PixelBudget) -> Result<(u32, u32)> {
    crate::regular::check_regular_file(path)?;
    let decode_err = |reason| Error::Decode { path: path.to_path_buf(), reason: Box::new(reason) };
    let reader = ImageReader::open(path)
        .map_err(|e| Error::io("cannot read", path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io("cannot read", path, e))?;
    if reader.format().is_none() {
        return Err(Error::UnknownFormat { path: path.to_path_buf() });
    }
    let (w, h) = reader.into_dimensions().map_err(decode_err)?;
    budget.check(path, w, h)?;
    Ok((w, h))
}

/// A PNG file of 8-bit RGB whose header declares `width × height` but which
/// carries no pixel data: what a hostile or broken file looks like. For tests.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, adaptive, no interlace
    let mut out = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    chunk(&mut out, b"IHDR", &ihdr);
    // An empty zlib stream (stored, final): the decoder runs out of data.
    chunk(&mut out, b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// CRC-32 (IEEE) of `data`, as PNG chunks need.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn a_huge_declared_size_is_refused_from_the_header_with_the_numbers() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("huge.png");
        std::fs::write(&p, png_header_only(100_000, 100_000)).unwrap();
        assert!(std::fs::metadata(&p).unwrap().len() < 400);
        let e = read_image(&p, PixelBudget::DEFAULT).unwrap_err();
        assert!(matches!(e, Error::TooLarge { width: 100_000, height: 100_000, .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("100000×100000") && text.contains("10000.0 megapixels") && text.contains("100.0"),
            "{text}"
        );
        assert_eq!(read_image_size(&p, PixelBudget::megapixels(1e5)).unwrap(), (100_000, 100_000));
        // Within a raised budget the header passes and the decoder fails cleanly
        // on the missing data (a 4000×4000 declaration: 48 MB, always allocatable).
        std::fs::write(&p, png_header_only(4000, 4000)).unwrap();
        let e = read_image(&p, PixelBudget::megapixels(20.0)).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
    }

    #[test]
    fn small_images_decode_and_text_is_not_an_image() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("ok.png");
        image::RgbImage::from_pixel(5, 3, image::Rgb([1, 2, 3])).save(&p).unwrap();
        let img = read_image(&p, PixelBudget::megapixels(1.0)).unwrap();
        assert_eq!((img.width(), img.height()), (5, 3));
        let e = read_image(&p, PixelBudget { max_pixels: 14 }).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
        let txt = t.path().join("notes.png");
        std::fs::write(&txt, "hello").unwrap();
        assert!(matches!(read_image(&txt, PixelBudget::DEFAULT).unwrap_err(), Error::Decode { .. }));
        std::fs::write(&txt, "").unwrap();
        assert!(matches!(read_image(&txt, PixelBudget::DEFAULT).unwrap_err(), Error::Empty { .. }));
    }
}
