//! Stage two (`HI_Diff_S2.optimize_parameters`, docs/reference.md §4.4): the target prior
//! `z = net_le(lq, gt)` comes from the frozen stage-1 encoder; `net_le_dm(lq)`
//! conditions the reverse diffusion started from `q_sample(z, noise)`; `net_g`,
//! `net_le_dm` and `net_d` are trained on `L1(out, gt) + L1(z, ẑ)` with gradients
//! through all reverse steps.

use std::sync::Arc;

use burn::module::{AutodiffModule, Module};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use hidiff_model::HiDiff;

use crate::experiment::Stage;
use crate::hooks::StageHooks;
use crate::stage::{clip_and_step, measured, scaled, HasHiDiff, StageModule};
use crate::step::{StepOutput, StepSettings, TrainBatch, ValBatch, ValOutput};

/// The stage-2 training module. `net_le` is present (it makes the target prior)
/// but frozen: its parameters do not require gradients, so it receives none and
/// the optimiser never touches it.
#[derive(Module, Debug)]
pub struct Stage2Model<B: Backend> {
    /// All four networks.
    pub model: HiDiff<B>,
    /// Loss weights, clipping, validation noise seed.
    #[module(skip)]
    pub settings: StepSettings,
    /// The run's hooks (`None` outside a run).
    #[module(skip)]
    pub hooks: Option<Arc<StageHooks>>,
}

impl<B: Backend> Stage2Model<B> {
    /// Wraps a model with all four networks and freezes `net_le`.
    ///
    /// # Panics
    /// If the model lacks `net_le` or `net_le_dm` (a configuration without prior
    /// has no stage 2).
    pub fn from_model(mut model: HiDiff<B>, settings: StepSettings) -> Self {
        assert!(model.net_le.is_some() && model.net_le_dm.is_some(), "stage 2 needs net_le and net_le_dm");
        model.net_le = model.net_le.map(|le| le.no_grad());
        Self { model, settings, hooks: None }
    }
}

impl<B: AutodiffBackend> TrainStep for Stage2Model<B> {
    type Input = TrainBatch<B>;
    type Output = StepOutput<B>;

    fn step(&self, batch: TrainBatch<B>) -> TrainOutput<StepOutput<B>> {
        let [images, _, patch, _] = batch.lq.dims();
        let noise = batch.noise.expect("stage 2 batches carry the q_sample noise");
        let fwd = self.model.stage2_train_forward(batch.lq, batch.gt.clone(), noise);
        let (l_pix, l_pix_diff) = fwd.losses(batch.gt);
        let s = &self.settings;
        let loss = l_pix.clone().mul_scalar(s.pixel_weight) + l_pix_diff.clone().mul_scalar(s.diff_weight);
        let grads = scaled(loss.clone(), s.loss_scale).backward();
        let item = StepOutput {
            loss: loss.detach(),
            l_pix: l_pix.detach(),
            l_pix_diff: Some(l_pix_diff.detach()),
            patch,
            batch: images,
        };
        TrainOutput::new(self, grads, item)
    }

    /// The global-norm clip over `net_g`, `net_le_dm` and `net_d` (the only
    /// parameters with gradients), then the optimiser.
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

impl<B: Backend> InferenceStep for Stage2Model<B> {
    type Input = ValBatch<B>;
    type Output = ValOutput<B>;

    /// `HI_Diff_S2.test` with the fixed validation noise seed.
    fn step(&self, item: ValBatch<B>) -> ValOutput<B> {
        let output = self.model.infer(item.lq.clone(), None, self.settings.val_noise_seed);
        measured(self, self.hooks.as_ref(), &item, output)
    }
}

impl<B: Backend> HasHiDiff<B> for Stage2Model<B> {
    fn hidiff(&self) -> &HiDiff<B> {
        &self.model
    }
}

impl<B: AutodiffBackend> StageModule<B> for Stage2Model<B> {
    const STAGE: Stage = Stage::Two;

    fn build(model: HiDiff<B>, settings: StepSettings) -> Self {
        Self::from_model(model, settings)
    }

    fn with_hooks(mut self, hooks: Arc<StageHooks>) -> Self {
        self.hooks = Some(hooks);
        self
    }
}
