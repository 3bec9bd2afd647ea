//! Progress of a run, reported through [`hidiff_io::Progress`] (the one
//! progress trait of the workspace) so that the library never draws on a
//! terminal; the CLI implements it with progress bars.
//!
//! Here an *item* is an image and a *step* one run of the model: one tile, or
//! the whole image when it is not tiled, times eight with the self-ensemble.
//! The work of an image is its pixel count.

pub use hidiff_io::{NoProgress, Progress};
