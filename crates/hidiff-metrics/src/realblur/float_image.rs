//! A float32 image with interleaved channels: the array type of the RealBlur
//! script (NumPy `float32` `H×W×C`, or `H×W` for gray).

use crate::image_u8::RgbImageU8;

/// A float32 image, row-major, channels interleaved (`H×W×C`).
#[derive(Clone, PartialEq)]
pub struct FloatImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Channels per pixel (1 for gray, 3 for RGB).
    pub channels: usize,
    /// `height × width × channels` samples.
    pub data: Vec<f32>,
}

impl std::fmt::Debug for FloatImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloatImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl FloatImage {
    /// A zero-filled image.
    pub fn zeros(width: usize, height: usize, channels: usize) -> Self {
        Self { width, height, channels, data: vec![0.0; width * height * channels] }
    }

    /// `float32(img) / 255` computed in float32, as the script converts the
    /// `skimage.io.imread` arrays.
    pub fn from_u8(img: &RgbImageU8) -> Self {
        Self {
            width: img.width(),
            height: img.height(),
            channels: 3,
            data: img.as_raw().iter().map(|&v| f32::from(v) / 255.0f32).collect(),
        }
    }

    /// The sample at column `x`, row `y`, channel `c` (no bounds checks
    /// beyond the slice's).
    #[inline]
    pub fn at(&self, x: usize, y: usize, c: usize) -> f32 {
        self.data[(y * self.width + x) * self.channels + c]
    }
}
