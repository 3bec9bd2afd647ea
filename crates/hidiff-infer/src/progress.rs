//! Progress of a run, reported through a trait so that the library never draws on
//! a terminal (the CLI implements it with progress bars).

use std::path::Path;

/// Receives progress events. Every method has an empty default.
///
/// A *pass* is one run of the model: one tile, or the whole image when it is not
/// tiled, times eight with the self-ensemble.
pub trait Progress {
    /// Before the first image, with the number of images and their total pixels.
    fn start(&self, _images: usize, _pixels: u64) {}
    /// Before an image, with the number of passes it takes.
    fn image_start(&self, _path: &Path, _passes: usize) {}
    /// After each pass.
    fn pass_done(&self) {}
    /// After an image has been written (or scored), with its pixel count.
    fn image_done(&self, _path: &Path, _pixels: u64) {}
    /// After the last image.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
