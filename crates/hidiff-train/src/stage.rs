//! What a run needs from a stage module, so that one `Learner` setup serves both
//! stages, and the parts of `TrainStep` / `InferenceStep` both stages share.

use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use burn::train::{InferenceStep, TrainStep};
use hidiff_model::HiDiff;

use crate::experiment::Stage;
use crate::hooks::StageHooks;
use crate::optim::{clip_global_norm, global_grad_norm, scalar};
use crate::step::{StepOutput, StepSettings, TrainBatch, ValBatch, ValOutput};
use crate::validation::measure;

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
                         + HasHiDiff<B::InnerBackend>
                         + Send
                         + 'static,
    > + TrainStep<Input = TrainBatch<B>, Output = StepOutput<B>>
    + HasHiDiff<B>
    + core::fmt::Display
    + Send
    + 'static
{
    /// Which stage.
    const STAGE: Stage;

    /// Wraps a model built (and possibly initialised from weights) by the caller.
    fn build(model: HiDiff<B>, settings: StepSettings) -> Self;

    /// Attaches a run's hooks.
    fn with_hooks(self, hooks: Arc<StageHooks>) -> Self;
}

/// `TrainStep::optimize` of both stages: the global-norm clip over all trained
/// parameters (the gradients are final here: summed over devices by burn), the
/// pre-clip norm handed to the hooks on logged iterations, then the optimiser.
pub(crate) fn clip_and_step<BB, M, O>(
    module: M,
    optim: &mut O,
    lr: f64,
    mut grads: GradientsParams,
    settings: &StepSettings,
    hooks: Option<&Arc<StageHooks>>,
) -> M
where
    BB: AutodiffBackend,
    M: AutodiffModule<BB>,
    O: Optimizer<M, BB>,
{
    let logged = hooks.and_then(|h| h.grad_norms.advance());
    let norm = match settings.clip_max_norm {
        Some(max_norm) => clip_global_norm::<BB, M>(&module, &mut grads, max_norm),
        None if logged.is_some() => global_grad_norm::<BB, M>(&module, &grads),
        None => None,
    };
    if let (Some(h), Some(i)) = (hooks, logged) {
        h.grad_norms.put(i, norm.map(scalar).unwrap_or(0.0));
    }
    optim.step(lr, module, grads)
}

/// `InferenceStep::step` of both stages after the forward pass: measures the
/// output against the batch's reference and reports it to the hooks (with a copy
/// of the module for exporting it), when both are present.
pub(crate) fn measured<B, M>(
    module: &M,
    hooks: Option<&Arc<StageHooks>>,
    item: &ValBatch<B>,
    output: Tensor<B, 4>,
) -> ValOutput<B>
where
    B: Backend,
    M: Clone + Send + 'static,
{
    let (Some(hooks), Some(pair)) = (hooks, item.reference.as_ref()) else {
        return ValOutput { output, psnr: None };
    };
    match measure(output.clone(), pair) {
        Ok((psnr, l1)) => {
            hooks.validation.record(psnr, l1, || Box::new(module.clone()));
            ValOutput { output, psnr: Some(psnr) }
        }
        Err(e) => {
            hooks.signals.fail(e);
            ValOutput { output, psnr: None }
        }
    }
}

/// The loss that is differentiated: `loss · scale` (the identity for one device).
pub(crate) fn scaled<B: Backend>(loss: Tensor<B, 1>, scale: f64) -> Tensor<B, 1> {
    if scale == 1.0 {
        loss
    } else {
        loss.mul_scalar(scale)
    }
}
