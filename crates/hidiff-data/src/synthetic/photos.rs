//! The photographs embedded in the binary (`datasets/photos/`, terms in
//! `datasets/photos/NOTICE.md`): scikit-image's free sample images.
//!
//! Two are held out for the test sets so that test pairs never show a crop of a
//! training photograph.

use std::sync::OnceLock;

use image::imageops::{self, FilterType};
use image::RgbImage;
use rand::Rng;

use super::canvas::Canvas;
use crate::augment::Augmentation;

/// Which synthetic splits may use a photograph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoPool {
    /// Training pairs.
    Train,
    /// Test pairs (both test sets).
    Test,
}

/// One embedded photograph.
#[derive(Debug)]
pub struct EmbeddedPhoto {
    /// File name under `datasets/photos/`.
    pub name: &'static str,
    /// The encoded file.
    pub bytes: &'static [u8],
    /// Grey-level content (tinted at random when used).
    pub grey: bool,
    /// The split that may use it.
    pub pool: PhotoPool,
}

macro_rules! photo {
    ($name:literal, $grey:expr, $pool:expr) => {
        EmbeddedPhoto {
            name: $name,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/photos/", $name)),
            grey: $grey,
            pool: $pool,
        }
    };
}

/// The number of embedded sharp photographs.
pub const PHOTO_COUNT: usize = 9;

/// The sharp photographs: all but `clock_motion.png` (really blurred) and
/// `retina.jpg` (mostly smooth, so its crops barely show blur).
pub static PHOTOS: [EmbeddedPhoto; PHOTO_COUNT] = [
    photo!("astronaut.png", false, PhotoPool::Train),
    photo!("brick.png", true, PhotoPool::Train),
    photo!("camera.png", true, PhotoPool::Train),
    photo!("chelsea.png", false, PhotoPool::Train),
    photo!("coffee.png", false, PhotoPool::Test),
    photo!("grass.png", true, PhotoPool::Train),
    photo!("gravel.png", true, PhotoPool::Test),
    photo!("hubble_deep_field.jpg", false, PhotoPool::Train),
    photo!("rocket.jpg", false, PhotoPool::Train),
];

/// `clock_motion.png`: a photograph really blurred by camera motion, without a
/// sharp version; for demonstrations, not for metrics.
pub static CLOCK_MOTION_PNG: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets/photos/clock_motion.png"));

/// The sizes `(width, height)` of [`PHOTOS`], read from their headers once.
pub fn photo_sizes() -> &'static [(u32, u32)] {
    static SIZES: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    SIZES.get_or_init(|| {
        PHOTOS
            .iter()
            .map(|p| {
                image::ImageReader::new(std::io::Cursor::new(p.bytes))
                    .with_guessed_format()
                    .map_err(image::ImageError::from)
                    .and_then(|r| r.into_dimensions())
                    .unwrap_or_else(|e| panic!("embedded photograph {} has no readable header: {e}", p.name))
            })
            .collect()
    })
}

/// Photograph `index` of [`PHOTOS`], decoded on first use.
///
/// Each photograph has its own once-cell and is decoded on the calling thread
/// (no nested rayon jobs): a worker that waits for another thread's
/// initialisation must never be needed by that initialisation.
pub fn decoded_photo(index: usize) -> &'static RgbImage {
    static DECODED: [OnceLock<RgbImage>; PHOTO_COUNT] = [const { OnceLock::new() }; PHOTO_COUNT];
    DECODED[index].get_or_init(|| {
        let p = &PHOTOS[index];
        image::load_from_memory(p.bytes)
            .unwrap_or_else(|e| panic!("embedded photograph {} does not decode: {e}", p.name))
            .into_rgb8()
    })
}

/// A random sharp `width × height` view of a photograph of `pool`: a random
/// window downscaled by a factor of 1.25–3 (downscaling hides the photographs'
/// own softness and noise), one of the eight flips/rotations, and a random tint
/// for grey photographs; with the photograph's file name. `None` if no
/// photograph of the pool is large enough.
pub fn sample_photo<R: Rng + ?Sized>(
    rng: &mut R,
    pool: PhotoPool,
    width: usize,
    height: usize,
) -> Option<(Canvas, &'static str)> {
    let sizes = photo_sizes();
    let fits: Vec<usize> = (0..PHOTOS.len())
        .filter(|&i| {
            let (pw, ph) = sizes[i];
            PHOTOS[i].pool == pool && (pw as usize).min(ph as usize) >= width.max(height)
        })
        .collect();
    if fits.is_empty() {
        return None;
    }
    let index = fits[rng.gen_range(0..fits.len())];
    let photo = decoded_photo(index);
    let augmentation = Augmentation::ALL[rng.gen_range(0..8)];
    // Window size in the photograph's orientation.
    let (tw, th) = if augmentation.swaps_axes() { (height, width) } else { (width, height) };
    let (pw, ph) = (photo.width() as f64, photo.height() as f64);
    let max_factor = (pw / tw as f64).min(ph / th as f64).min(3.0);
    let min_factor = max_factor.min(1.25);
    let factor = min_factor + (max_factor - min_factor) * rng.gen::<f64>();
    let rw = ((tw as f64 * factor).floor() as u32).clamp(tw as u32, photo.width());
    let rh = ((th as f64 * factor).floor() as u32).clamp(th as u32, photo.height());
    let left = rng.gen_range(0..=photo.width() - rw);
    let top = rng.gen_range(0..=photo.height() - rh);
    let window = imageops::crop_imm(photo, left, top, rw, rh).to_image();
    let resized = if (rw, rh) == (tw as u32, th as u32) {
        window
    } else {
        imageops::resize(&window, tw as u32, th as u32, FilterType::Lanczos3)
    };
    let mut canvas = Canvas::from_rgb8(&augmentation.apply(&resized));
    if PHOTOS[index].grey {
        let tint: [f32; 3] = std::array::from_fn(|_| 0.75 + 0.25 * rng.gen::<f32>());
        for px in canvas.data.chunks_exact_mut(3) {
            for (v, t) in px.iter_mut().zip(tint) {
                *v *= t;
            }
        }
    }
    Some((canvas, PHOTOS[index].name))
}
