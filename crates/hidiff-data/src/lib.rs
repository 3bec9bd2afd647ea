//! Data sets of HI-Diff (Chen et al., NeurIPS 2023).
//!
//! * [`layout`] and [`pairs`]: where GoPro, HIDE, RealBlur and the synthetic set
//!   live (docs/reference.md §7) and their pairing by file name (docs/reference.md §4.6).
//! * [`gopro_patches`]: the 512×512 training patches and 256×256 validation crops
//!   of `generate_patches_gopro.py` (docs/reference.md §4.7).
//! * [`sampler`]: the training batches of the progressive patch/batch
//!   [`schedule`] (docs/reference.md §4.5) with paired random [`crop`]s and the eight
//!   [`augment`]ations (docs/reference.md §4.6), a pure function of `(seed, iteration)`.
//! * [`dataset`], [`eval`] and [`batcher`]: burn `Dataset`s and a `Batcher` for
//!   burn's data loader; whole-image test loading.
//! * [`synthetic`]: the default data set: sharp photographs and procedural images
//!   blurred by random camera shake (Boracchi & Foi 2012 trajectories).
//!
//! Images are read as 8-bit RGB and become `[0, 1]` floats, CHW, only when a
//! batch is built. Library functions take paths and return typed
//! [`DataError`]s; nothing here reads arguments or the environment.

pub mod augment;
pub mod batcher;
pub mod crop;
pub mod dataset;
pub mod error;
pub mod eval;
pub mod gopro_patches;
pub mod image_io;
pub mod layout;
pub mod pairs;
pub mod progress;
pub mod sampler;
pub mod schedule;
mod seeding;
pub mod source;
pub mod synthetic;

pub use augment::Augmentation;
pub use batcher::{PairBatcher, PairTensors};
pub use dataset::{PairItem, RandomPatchDataset};
pub use error::{DataError, Result};
pub use eval::{load_eval_pair, EvalDataset, EvalPair};
pub use gopro_patches::{generate_gopro_patches, PatchConfig, PatchReport};
pub use layout::{candidate_folders, locate, resolve, resolve_plain, DatasetKind, FolderPair, Split};
pub use pairs::{ImagePair, PairSet, SizeRule};
pub use progress::{NoProgress, Progress, ProgressFn};
pub use sampler::{PairBatch, SamplerConfig, TrainSampler};
pub use schedule::{ProgressiveSchedule, ScheduleStage};
pub use source::{DecodedPair, ImageCache, PairSource};
