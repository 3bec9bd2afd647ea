//! What the training loop needs from a stage module, so that one loop serves both stages.

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::train::{InferenceStep, TrainStep};
use hidiff_model::HiDiff;

use crate::experiment::Stage;
use crate::step::{StepOutput, StepSettings, TrainBatch, ValBatch, ValOutput};

/// Access to the wrapped [`HiDiff`] (export, token sizes).
pub trait HasHiDiff<B: Backend> {
    /// The model.
    fn hidiff(&self) -> &HiDiff<B>;
}

/// A stage module: trainable with [`TrainStep`], validated with [`InferenceStep`]
/// on its inner (non-autodiff) module.
pub trait StageModule<B: AutodiffBackend>:
    AutodiffModule<
        B,
        InnerModule: InferenceStep<Input = ValBatch<B::InnerBackend>, Output = ValOutput<B::InnerBackend>>
                         + HasHiDiff<B::InnerBackend>,
    > + TrainStep<Input = TrainBatch<B>, Output = StepOutput<B>>
    + HasHiDiff<B>
    + Send
    + 'static
{
    /// Which stage.
    const STAGE: Stage;

    /// Wraps a model built (and possibly initialised from weights) by the caller.
    fn build(model: HiDiff<B>, settings: StepSettings) -> Self;
}
