//! The default synthetic data set: sharp images blurred by random camera shake.
//!
//! * Sharp sources: the embedded free photographs ([`photos`]) and procedural
//!   images with edges, textures, text-like strokes and gradients ([`procedural`]),
//!   so the set can be as large as needed.
//! * Blur: a random trajectory after Boracchi & Foi 2012 ([`trajectory`]), either
//!   rasterised sub-pixel into one PSF and convolved ([`psf`], [`uniform`]), or
//!   followed by a camera whose frames, warped sub-pixel with rotation and zoom,
//!   are averaged like GoPro's ([`shake`]). Both are done in linear light
//!   (gamma 2.2, [`canvas`]).
//! * Mild signal-dependent sensor noise and 8-bit quantisation ([`noise`]).
//! * [`generate()`] writes `train/`, `test/` and `test_shift/` (a test set with
//!   longer, non-uniform shake: the stand-in for the paper's "trained on GoPro,
//!   tested on RealBlur" columns), deterministically for a seed.

pub mod canvas;
pub mod config;
pub mod generate;
pub mod noise;
pub mod photos;
pub mod procedural;
pub mod psf;
pub mod shake;
pub mod trajectory;
pub mod uniform;

pub use config::{BlurConfig, SyntheticConfig};
pub use generate::{
    ensure_dataset, ensure_default_dataset, generate, read_marker, synthesize_pair, BlurMode, EnsureOutcome,
    GenerateReport, Marker, PairInfo, SyntheticPair, SyntheticSplit, MARKER_FILE,
};
pub use noise::NoiseConfig;
