//! Spatially uniform blur: convolution with one PSF, in linear light.

use super::canvas::Canvas;
use super::psf::Psf;

/// Convolves the padded `src` with `psf` and returns the centre
/// `(W - 2·margin) × (H - 2·margin)` part ("valid" convolution, so no border
/// effects): `out(y, x) = Σ k(dy, dx) · src(y + margin - dy, x + margin - dx)`.
///
/// Only the non-zero taps are visited (a camera-shake PSF is a thin curve).
///
/// # Panics
/// If `margin < psf.radius()` or `src` is not larger than `2·margin` on both
/// sides (programmer errors).
pub fn blur_uniform(src: &Canvas, psf: &Psf, margin: usize) -> Canvas {
    assert!(margin >= psf.radius(), "blur_uniform: margin {margin} < PSF radius {}", psf.radius());
    assert!(src.width > 2 * margin && src.height > 2 * margin, "blur_uniform: image smaller than its margins");
    let (width, height) = (src.width - 2 * margin, src.height - 2 * margin);
    let mut out = Canvas::new(width, height);
    let row_len = width * 3;
    for tap in psf.taps() {
        let sx = (margin as isize - tap.dx) as usize;
        for y in 0..height {
            let sy = (y as isize + margin as isize - tap.dy) as usize;
            let from = (sy * src.width + sx) * 3;
            let src_row = &src.data[from..from + row_len];
            let out_row = &mut out.data[y * row_len..(y + 1) * row_len];
            for (o, s) in out_row.iter_mut().zip(src_row) {
                *o += tap.weight * s;
            }
        }
    }
    out
}
