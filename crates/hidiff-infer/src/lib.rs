//! # hidiff-infer
//!
//! Deblurring anyone's images with HI-Diff (Chen et al., NeurIPS 2023), and
//! running the model over the benchmark test sets:
//!
//! * [`image_io`]: any PNG/JPEG/TIFF/BMP/WebP, 8- or 16-bit, gray, RGB or RGBA,
//!   into the model's `[0, 1]` input and back into the same layout (alpha
//!   untouched), quantised as the official test ([`quantise`], docs/reference.md §4.8);
//! * [`deblur`]: one image of any size, through the model's padded inference or
//!   in blended [`tiling`] tiles sharing one global prior, optionally under the
//!   eight-fold [`ensemble`];
//! * [`weights`]: official `.pth` folders and our safetensors checkpoints;
//! * [`plan`](mod@plan) and [`batch`]: files and folders on the command line to outputs,
//!   everything checked before anything is written;
//! * [`testset`]: `hidiff test`, outputs saved as the official test does and
//!   scored with the paper's protocols (`hidiff-metrics`).
//!
//! The backend is chosen by the caller; nothing here reads arguments or the
//! environment, or draws on a terminal ([`progress`]).

pub mod batch;
pub mod deblur;
pub mod ensemble;
pub mod error;
pub mod image_io;
pub mod plan;
pub mod progress;
pub mod quantise;
pub mod testset;
pub mod tiling;
pub mod weights;

pub use batch::{deblur_files, run_jobs, validate_inputs, BatchSummary};
pub use deblur::{DeblurOptions, Deblurrer, MemoryEstimate, TilePrior, Tiling, AUTO_TILE_PIXELS, DEFAULT_SEED};
pub use ensemble::{self_ensemble, Dihedral};
pub use error::{InferError, Result};
pub use image_io::{read_image, read_image_within, InputImage, PixelBudget};
pub use plan::{check_output_folder, plan, prepare_output_dir, Job, PlanOptions};
pub use progress::{NoProgress, Progress};
pub use testset::{resolve_test_set, run_test, run_test_oracle_prior, TestReport, TestSet};
pub use tiling::{TileGrid, TileSpec};
pub use weights::{embedded_config, load_for_inference, load_with_stage1_encoder};
