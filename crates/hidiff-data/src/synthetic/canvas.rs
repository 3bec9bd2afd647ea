//! A floating-point RGB image (HWC), in gamma-encoded or linear light.

use image::RgbImage;

/// The display gamma of the synthetic pipeline: blur is simulated on `v^2.2`
/// (linear light) and encoded back with `v^(1/2.2)`, as GoPro's frame averaging
/// is described (Nah et al. 2017).
pub const GAMMA: f32 = 2.2;

/// An RGB image of `f32` samples, rows top to bottom, pixels interleaved.
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `height · width · 3` samples.
    pub data: Vec<f32>,
}

impl Canvas {
    /// A black image.
    pub fn new(width: usize, height: usize) -> Self {
        Self { width, height, data: vec![0.0; width * height * 3] }
    }

    /// An 8-bit image scaled to `[0, 1]`.
    pub fn from_rgb8(img: &RgbImage) -> Self {
        Self {
            width: img.width() as usize,
            height: img.height() as usize,
            data: img.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect(),
        }
    }

    /// Rounds to 8 bits after clamping to `[0, 1]`.
    pub fn to_rgb8(&self) -> RgbImage {
        let raw = self.data.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
        RgbImage::from_raw(self.width as u32, self.height as u32, raw)
            .expect("the buffer holds width*height*3 samples by construction")
    }

    /// The pixel at `(x, y)`.
    pub fn pixel(&self, x: usize, y: usize) -> [f32; 3] {
        let at = (y * self.width + x) * 3;
        [self.data[at], self.data[at + 1], self.data[at + 2]]
    }

    /// Blends `color` over the pixel at `(x, y)` with opacity `alpha`.
    pub fn blend(&mut self, x: usize, y: usize, color: [f32; 3], alpha: f32) {
        let at = (y * self.width + x) * 3;
        for (c, v) in color.iter().enumerate() {
            let old = self.data[at + c];
            self.data[at + c] = old + (v - old) * alpha;
        }
    }

    /// The `width × height` window at (`top`, `left`); the caller keeps it inside.
    pub fn crop(&self, top: usize, left: usize, width: usize, height: usize) -> Self {
        let mut data = Vec::with_capacity(width * height * 3);
        for y in top..top + height {
            let at = (y * self.width + left) * 3;
            data.extend_from_slice(&self.data[at..at + width * 3]);
        }
        Self { width, height, data }
    }

    /// Gamma-encoded `[0, 1]` → linear light (`v^2.2`).
    pub fn to_linear(&self) -> Self {
        let data = self.data.iter().map(|&v| v.clamp(0.0, 1.0).powf(GAMMA)).collect();
        Self { data, ..*self }
    }

    /// Linear light → gamma-encoded (`v^(1/2.2)`).
    pub fn to_gamma(&self) -> Self {
        let data = self.data.iter().map(|&v| v.max(0.0).powf(1.0 / GAMMA)).collect();
        Self { data, ..*self }
    }

    /// Bilinear sample at real position `(x, y)` (pixel centres at integers),
    /// clamped to the border.
    pub fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let max_x = (self.width - 1) as f32;
        let max_y = (self.height - 1) as f32;
        let x = x.clamp(0.0, max_x);
        let y = y.clamp(0.0, max_y);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let (a, b, c, d) = (self.pixel(x0, y0), self.pixel(x1, y0), self.pixel(x0, y1), self.pixel(x1, y1));
        let mut out = [0.0; 3];
        for k in 0..3 {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bottom = c[k] + (d[k] - c[k]) * fx;
            out[k] = top + (bottom - top) * fy;
        }
        out
    }
}
