//! Stage one (`HI_Diff_S1`, docs/reference.md §5): `z = net_le(lq, gt)` (the
//! latent encoder sees the sharp image) is the Transformer's prior, and `net_g`
//! and `net_le` are trained jointly on `L1(net_g(lq, z), gt)`.

use std::sync::Arc;

use burn::module::{AutodiffModule, Module};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use hidiff_model::hidiff::l1_loss;
use hidiff_model::{HiDiff, ModelConfig, Networks};

use crate::experiment::Stage;
use crate::hooks::StageHooks;
use crate::stage::{clip_and_step, measured, scaled, HasHiDiff, StageModule};
use crate::step::{StepOutput, StepSettings, TrainBatch, ValBatch, ValOutput};

/// The stage-1 training module: `net_g` and `net_le` (no `net_le_dm`, no `net_d`).
#[derive(Module, Debug)]
pub struct Stage1Model<B: Backend> {
    /// The model, with `net_le_dm` and `net_d` absent.
    pub model: HiDiff<B>,
    /// Loss weights and clipping.
    #[module(skip)]
    pub settings: StepSettings,
    /// The run's hooks (`None` outside a run).
    #[module(skip)]
    pub hooks: Option<Arc<StageHooks>>,
}

impl<B: Backend> Stage1Model<B> {
    /// A freshly initialised stage-1 module (PyTorch default initialisation from
    /// burn's seeded generator; seed the backend first).
    pub fn init(cfg: &ModelConfig, settings: StepSettings, device: &B::Device) -> Self {
        Self::from_model(cfg.init::<B>(Networks::All, device), settings)
    }

    /// Wraps a model, dropping the stage-2 networks.
    pub fn from_model(mut model: HiDiff<B>, settings: StepSettings) -> Self {
        model.net_le_dm = None;
        model.net_d = None;
        Self { model, settings, hooks: None }
    }
}

impl<B: AutodiffBackend> TrainStep for Stage1Model<B> {
    type Input = TrainBatch<B>;
    type Output = StepOutput<B>;

    fn step(&self, batch: TrainBatch<B>) -> TrainOutput<StepOutput<B>> {
        let [images, _, patch, _] = batch.lq.dims();
        let (out, _) = self.model.stage1_forward(batch.lq, batch.gt.clone());
        let l_pix = l1_loss(out, batch.gt);
        let loss = l_pix.clone().mul_scalar(self.settings.pixel_weight);
        let grads = scaled(loss.clone(), self.settings.loss_scale).backward();
        let item = StepOutput { loss: loss.detach(), l_pix: l_pix.detach(), l_pix_diff: None, patch, batch: images };
        TrainOutput::new(self, grads, item)
    }

    /// The global-norm clip over all trained parameters, then the optimiser.
    fn optimize<BB, O>(self, optim: &mut O, lr: f64, grads: GradientsParams) -> Self
    where
        BB: AutodiffBackend,
        O: Optimizer<Self, BB>,
        Self: AutodiffModule<BB>,
    {
        let (settings, hooks) = (self.settings, self.hooks.clone());
        clip_and_step::<BB, Self, O>(self, optim, lr, grads, &settings, hooks.as_ref())
    }
}

impl<B: Backend> InferenceStep for Stage1Model<B> {
    type Input = ValBatch<B>;
    type Output = ValOutput<B>;

    /// `HI_Diff_S1.test`: lq and gt reflect-padded to the window, cropped back.
    fn step(&self, item: ValBatch<B>) -> ValOutput<B> {
        let output = self.model.stage1_test(item.lq.clone(), item.gt.clone());
        measured(self, self.hooks.as_ref(), &item, output)
    }
}

impl<B: Backend> HasHiDiff<B> for Stage1Model<B> {
    fn hidiff(&self) -> &HiDiff<B> {
        &self.model
    }
}

impl<B: AutodiffBackend> StageModule<B> for Stage1Model<B> {
    const STAGE: Stage = Stage::One;

    fn build(model: HiDiff<B>, settings: StepSettings) -> Self {
        Self::from_model(model, settings)
    }

    fn with_hooks(mut self, hooks: Arc<StageHooks>) -> Self {
        self.hooks = Some(hooks);
        self
    }
}
