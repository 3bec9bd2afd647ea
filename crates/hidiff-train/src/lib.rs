//! # hidiff-train
//!
//! Two-stage training of HI-Diff (Chen et al., NeurIPS 2023) in burn 0.21, with
//! the reference's optimisation reproduced exactly (docs/reference.md §4.4–4.6, §5):
//!
//! * [`stage1`] / [`stage2`]: the stage modules, burn-train `TrainStep` and
//!   `InferenceStep` implementations over [`hidiff_model::HiDiff`]; stage 2
//!   freezes `net_le` and trains through the whole reverse diffusion.
//! * [`optim`]: AdamW with torch's hyper-parameters and the **global-norm**
//!   gradient clip of `clip_grad_norm_` (overriding `TrainStep::optimize`).
//! * [`lr_schedule`]: BasicSR's `CosineAnnealingRestartCyclicLR` as a burn
//!   `LrScheduler`, with the off-by-one of the official loop.
//! * [`trainer`]: both stages on burn-train's `Learner` (`SupervisedTraining`),
//!   one epoch = `val_freq` iterations ([`plan`]), one data set item = one
//!   iteration's batch of the progressive [`data`] sampler ([`loader`]); several
//!   devices through burn's multi-device strategy, gradients averaged.
//! * [`hooks`] and [`reporting`]: what the stage modules and data sets report
//!   back (first error, gradient norms, validation), `metrics.jsonl`, and the
//!   epoch-end work (validation line, best/latest weights, checkpoint cadence).
//! * [`checkpoint`]: exact-resume checkpoints (burn records with ParamIds),
//!   written atomically by the `Learner`; [`run_dir`]: the run folder and exported weights.
//! * [`validation`]: BasicSR PSNR on 8-bit-rounded outputs.
//! * [`experiment`]: strict TOML experiment files mirroring the official options.
//! * [`progress`], [`metrics_log`]: terminal/CI progress and `metrics.jsonl`.
//!
//! Nothing here reads arguments or the environment; the backend and devices are
//! chosen by the caller.

pub mod checkpoint;
pub mod data;
pub mod error;
pub mod experiment;
pub mod hooks;
pub mod init;
pub mod loader;
pub mod lr_schedule;
pub mod metrics_log;
pub mod optim;
pub mod plan;
pub mod progress;
pub mod reporting;
pub mod run_dir;
pub mod stage;
pub mod stage1;
pub mod stage2;
pub mod step;
pub mod trainer;
pub mod validation;

pub use error::{Result, TrainError};
pub use experiment::{Experiment, ExperimentFile, Stage};
pub use lr_schedule::CosineRestartCyclicLr;
pub use progress::ProgressMode;
pub use stage1::Stage1Model;
pub use stage2::Stage2Model;
pub use step::{StepOutput, StepSettings, TrainBatch, ValBatch, ValOutput};
pub use trainer::{devices_like, train, RunOptions, TrainSummary};
