//! What the stage modules' `TrainStep` / `InferenceStep` consume and produce.

use std::sync::Arc;

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use burn::train::metric::{Adaptor, LossInput};
use burn::train::ItemLazy;
use hidiff_data::EvalPair;

/// One training mini-batch.
#[derive(Debug, Clone)]
pub struct TrainBatch<B: Backend> {
    /// Blurry patches `[B, 3, p, p]` in `[0, 1]`.
    pub lq: Tensor<B, 4>,
    /// Sharp patches, same shape.
    pub gt: Tensor<B, 4>,
    /// Stage 2: the `q_sample` noise `[B, N, C']` of this iteration (drawn by the
    /// loop from the seed and the iteration, so that the step itself is deterministic).
    pub noise: Option<Tensor<B, 3>>,
}

/// The losses of one training step, detached (`[1]` tensors, read lazily).
#[derive(Debug, Clone)]
pub struct StepOutput<B: Backend> {
    /// The optimised total `w_pix·l_pix + w_diff·l_pix_diff`.
    pub loss: Tensor<B, 1>,
    /// `mean|out − gt|`.
    pub l_pix: Tensor<B, 1>,
    /// Stage 2: `mean|z − ẑ|`.
    pub l_pix_diff: Option<Tensor<B, 1>>,
    /// Patch side of the mini-batch.
    pub patch: usize,
    /// Images in the mini-batch (of this device).
    pub batch: usize,
}

impl<B: Backend> Adaptor<LossInput<B>> for StepOutput<B> {
    fn adapt(&self) -> LossInput<B> {
        LossInput::new(self.loss.clone())
    }
}

impl<B: Backend> Adaptor<StepOutput<B>> for StepOutput<B> {
    fn adapt(&self) -> StepOutput<B> {
        self.clone()
    }
}

impl<B: Backend> ItemLazy for StepOutput<B> {
    type ItemSync = Self;
    fn sync(self) -> Self {
        self
    }
}

/// One validation image (batch 1, any size: the model pads to its window).
#[derive(Debug, Clone)]
pub struct ValBatch<B: Backend> {
    /// Blurry image `[1, 3, H, W]`.
    pub lq: Tensor<B, 4>,
    /// Sharp image (stage 1 feeds it to `net_le`, as the reference's validation does).
    pub gt: Tensor<B, 4>,
    /// The 8-bit pair, for measuring the output (training's validation epochs).
    pub reference: Option<Arc<EvalPair>>,
}

/// The restored image of a validation step.
#[derive(Debug, Clone)]
pub struct ValOutput<B: Backend> {
    /// `[1, 3, H, W]`, not clamped.
    pub output: Tensor<B, 4>,
    /// BasicSR PSNR against the batch's reference, when it had one.
    pub psnr: Option<f64>,
}

/// One validation image's PSNR, for burn-train's validation metric.
#[derive(Debug, Clone, Copy)]
pub struct PsnrInput(pub Option<f64>);

impl<B: Backend> Adaptor<PsnrInput> for ValOutput<B> {
    fn adapt(&self) -> PsnrInput {
        PsnrInput(self.psnr)
    }
}

impl<B: Backend> ItemLazy for ValOutput<B> {
    type ItemSync = Self;
    fn sync(self) -> Self {
        self
    }
}

/// Loss weights and clipping of a stage (from `[train]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepSettings {
    /// `pixel_opt.loss_weight`.
    pub pixel_weight: f64,
    /// `pixel_diff_opt.loss_weight` (stage 2).
    pub diff_weight: f64,
    /// Global-norm clip, `None` when `use_grad_clip` is false.
    pub clip_max_norm: Option<f64>,
    /// Stage 2 validation: seed of the initial noise of the reverse loop.
    pub val_noise_seed: u64,
    /// Factor on the loss before `backward` (not on the reported losses): 1 / devices,
    /// so that burn's multi-device strategy, which sums the devices' gradients,
    /// yields their mean as DDP does.
    pub loss_scale: f64,
}

impl Default for StepSettings {
    /// The paper's: weights 1, clip 0.01, validation seed 0; one device.
    fn default() -> Self {
        Self { pixel_weight: 1.0, diff_weight: 1.0, clip_max_norm: Some(0.01), val_noise_seed: 0, loss_scale: 1.0 }
    }
}

impl StepSettings {
    /// The settings of an experiment.
    pub fn from_experiment(e: &crate::experiment::ExperimentFile) -> Self {
        Self {
            pixel_weight: e.train.pixel_opt.loss_weight,
            diff_weight: e.train.pixel_diff_opt.loss_weight,
            clip_max_norm: e.train.use_grad_clip.then_some(e.train.grad_clip_max_norm),
            val_noise_seed: e.val.noise_seed,
            loss_scale: 1.0,
        }
    }
}
