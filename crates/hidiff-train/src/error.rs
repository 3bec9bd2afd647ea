//! The one error type of the training crate. Every variant that concerns a file
//! names it.

use std::path::PathBuf;

use hidiff_data::DataError;
use hidiff_model::ModelError;

/// Errors of experiment loading, data access, checkpoints and the training loop.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// An experiment file is not valid TOML, has an unknown key, or describes an
    /// impossible run.
    #[error("invalid experiment {}: {message}", .path.display())]
    Experiment {
        /// The experiment file.
        path: PathBuf,
        /// What is wrong (serde names the unknown key and its line).
        message: String,
    },
    /// The model part of an experiment (preset, configuration file, overrides).
    #[error("model configuration of experiment {}: {source}", .path.display())]
    ModelConfig {
        /// The experiment file.
        path: PathBuf,
        /// What the model crate said.
        #[source]
        source: Box<ModelError>,
    },
    /// Weights, the stage-1 initialisation or an exported model.
    #[error(transparent)]
    Model(Box<ModelError>),
    /// Training or validation data that cannot be found or read (the error names the file).
    #[error("data: {0}")]
    Data(Box<DataError>),
    /// Training data that failed while training: the iteration and the file.
    #[error("training data at iteration {iteration}: {source}")]
    TrainData {
        /// The 1-based iteration whose batch could not be built.
        iteration: u64,
        /// The data error, naming the file.
        #[source]
        source: Box<DataError>,
    },
    /// A filesystem operation on the run folder.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint that cannot be written or read back.
    #[error("checkpoint {}: {message}", .path.display())]
    Checkpoint {
        /// The checkpoint folder or file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `--out` already holds a run and `--resume` was not given.
    #[error(
        "output folder {} is not empty; pass --resume to continue the run in it, or choose another --out",
        .0.display()
    )]
    OutputNotEmpty(PathBuf),
    /// The run ended before its last iteration without an error: stopped from the
    /// dashboard (its `q`, then `s`). The checkpoints written so far are kept.
    #[error("training stopped at the user's request before its end, in {}: {what}", .out.display())]
    Stopped {
        /// The run folder.
        out: PathBuf,
        /// Where it stopped and how to go on.
        what: String,
    },
    /// `--resume` on a folder without a complete checkpoint, or with another experiment.
    #[error("cannot resume the run in {}: {message}", .path.display())]
    Resume {
        /// The run folder.
        path: PathBuf,
        /// Why not.
        message: String,
    },
    /// A metric could not be computed (e.g. output and target of different sizes).
    #[error("validation metric: {0}")]
    Metric(Box<hidiff_metrics::MetricsError>),
    /// The loss became NaN or infinite.
    #[error("training diverged at iteration {iteration}: loss = {loss}")]
    NonFinite {
        /// The iteration.
        iteration: u64,
        /// The loss value.
        loss: f64,
    },
    /// The training log `metrics.jsonl` cannot be read back (the error names the
    /// file and the line).
    #[error(transparent)]
    Log(#[from] Box<hidiff_report::ReportError>),
    /// A request the training loop cannot serve (e.g. an unsupported device list).
    #[error("{0}")]
    Unsupported(String),
}

impl From<ModelError> for TrainError {
    fn from(e: ModelError) -> Self {
        Self::Model(Box::new(e))
    }
}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> Self {
        Self::Data(Box::new(e))
    }
}

impl From<hidiff_metrics::MetricsError> for TrainError {
    fn from(e: hidiff_metrics::MetricsError) -> Self {
        Self::Metric(Box::new(e))
    }
}

impl TrainError {
    /// An [`TrainError::Io`] for `path`.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
}

/// Result alias of the training crate.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
