//! The whole HI-Diff model: `net_g`, `net_le`, `net_le_dm`, `net_d` and the
//! diffusion, with the stage-1 forward, the stage-2 training forward and the
//! padded inference of the official `HI_Diff_S1` / `HI_Diff_S2` (docs/reference.md §4.3–4.4, §5).

use burn::module::Module;
use burn::tensor::{backend::Backend, Tensor};

use crate::config::{ModelConfig, PriorMode};
use crate::denoiser::Denoiser;
use crate::diffusion::{Diffusion, StepTrace};
use crate::latent_encoder::LatentEncoder;
use crate::noise::noise_tensor;
use crate::ops::pad_to_multiple;
use crate::transformer::Transformer;

/// The four networks. `net_le` is needed for stage 1 and stage-2 training only;
/// `net_le_dm` and `net_d` are absent when the configuration has no prior (and
/// `net_d` when the diffusion is switched off).
#[derive(Module, Debug)]
pub struct HiDiff<B: Backend> {
    pub net_g: Transformer<B>,
    pub net_le: Option<LatentEncoder<B>>,
    pub net_le_dm: Option<LatentEncoder<B>>,
    pub net_d: Option<Denoiser<B>>,
    #[module(skip)]
    pub diffusion: Diffusion,
    /// Test-time padding multiple (8).
    pub window: usize,
}

/// Everything the stage-2 training forward produces.
#[derive(Debug, Clone)]
pub struct Stage2Forward<B: Backend> {
    /// `net_le(lq, gt)`, the target prior (no gradient).
    pub prior_z: Tensor<B, 3>,
    /// `net_le_dm(lq)`, the condition.
    pub prior_d: Tensor<B, 3>,
    /// The diffused target, the start of the reverse loop.
    pub prior_noisy: Tensor<B, 3>,
    /// The estimated prior after the reverse loop.
    pub prior: Tensor<B, 3>,
    /// `net_g(lq, prior)`.
    pub output: Tensor<B, 4>,
}

/// Which networks to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Networks {
    /// Inference: `net_g`, `net_le_dm`, `net_d`.
    Inference,
    /// Training / stage 1: all four.
    All,
}

impl ModelConfig {
    /// Builds the model with PyTorch's default initialisation.
    pub fn init<B: Backend>(&self, networks: Networks, device: &B::Device) -> HiDiff<B> {
        let has_prior = self.transformer.prior_mode != PriorMode::None;
        HiDiff {
            net_g: self.transformer.init(device),
            net_le: (has_prior && networks == Networks::All).then(|| self.latent_encoder.init(device)),
            net_le_dm: has_prior.then(|| self.latent_encoder_dm.init(device)),
            net_d: (has_prior && self.diffusion.enabled).then(|| self.denoiser.init(device)),
            diffusion: Diffusion::from_config(self),
            window: self.test.window_size,
        }
    }
}

/// L1 loss, mean over all elements (BasicSR `L1Loss`, weight 1, reduction mean).
pub fn l1_loss<B: Backend, const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>) -> Tensor<B, 1> {
    (a - b).abs().mean()
}

impl<B: Backend> HiDiff<B> {
    fn le(&self) -> &LatentEncoder<B> {
        self.net_le.as_ref().expect("this model was built without net_le (Networks::Inference)")
    }

    /// Stage 1: `z = net_le(lq, gt)`, `out = net_g(lq, z)`.
    ///
    /// # Shapes
    /// `lq, gt: [B, 3, H, W]`, H and W multiples of 8 → (`[B, 3, H, W]`, `[B, N, C']`).
    pub fn stage1_forward(&self, lq: Tensor<B, 4>, gt: Tensor<B, 4>) -> (Tensor<B, 4>, Option<Tensor<B, 3>>) {
        let z = self.net_le.as_ref().map(|le| le.forward_pair(lq.clone(), gt));
        (self.net_g.forward(lq, z.clone()), z)
    }

    /// `HI_Diff_S1.test`: lq and gt reflect-padded bottom/right to the window, then cropped.
    pub fn stage1_test(&self, lq: Tensor<B, 4>, gt: Tensor<B, 4>) -> Tensor<B, 4> {
        let [b, c, h, w] = lq.dims();
        let (out, _) = self.stage1_forward(pad_to_multiple(lq, self.window), pad_to_multiple(gt, self.window));
        out.slice([0..b, 0..c, 0..h, 0..w])
    }

    /// The stage-2 prior of an (already padded) blurry image: `c = net_le_dm(lq)`,
    /// then the reverse loop from `x_t`. Returns `(c, prior)`; without diffusion the
    /// prior is `c` itself, without prior both are `None`.
    pub fn stage2_prior(&self, lq: Tensor<B, 4>, x_t: Option<Tensor<B, 3>>) -> Option<(Tensor<B, 3>, Tensor<B, 3>)> {
        self.stage2_prior_traced(lq, x_t, |_| {})
    }

    /// [`Self::stage2_prior`] handing every reverse step to `on_step`.
    pub fn stage2_prior_traced(
        &self,
        lq: Tensor<B, 4>,
        x_t: Option<Tensor<B, 3>>,
        on_step: impl FnMut(&StepTrace<B>),
    ) -> Option<(Tensor<B, 3>, Tensor<B, 3>)> {
        let le_dm = self.net_le_dm.as_ref()?;
        let c = le_dm.forward(lq);
        let prior = match &self.net_d {
            Some(net_d) => {
                let x_t = x_t.unwrap_or_else(|| noise_tensor(0, c.dims(), &c.device()));
                self.diffusion.sample_traced(net_d, c.clone(), x_t, on_step)
            }
            None => c.clone(),
        };
        Some((c, prior))
    }

    /// Stage-2 inference of `HI_Diff_S2.test`: reflect padding, prior from LE_DM and
    /// the diffusion started at `noise` (seeded noise from `seed` when `None`),
    /// `net_g`, crop back.
    ///
    /// # Shapes
    /// `lq: [B, 3, H, W]` (any H, W ≥ the padding) → `[B, 3, H, W]`.
    pub fn infer(&self, lq: Tensor<B, 4>, noise: Option<Tensor<B, 3>>, seed: u64) -> Tensor<B, 4> {
        let [b, c, h, w] = lq.dims();
        let padded = pad_to_multiple(lq, self.window);
        let noise = noise.or_else(|| {
            let n = self.net_g_tokens();
            self.net_d.as_ref().map(|_| noise_tensor(seed, [b, n.0, n.1], &padded.device()))
        });
        let prior = self.stage2_prior(padded.clone(), noise).map(|(_, p)| p);
        self.net_g.forward(padded, prior).slice([0..b, 0..c, 0..h, 0..w])
    }

    /// `(N, C')` of the prior tokens.
    pub fn net_g_tokens(&self) -> (usize, usize) {
        let le = self.net_le_dm.as_ref().or(self.net_le.as_ref());
        match le {
            Some(le) => (le.group * le.group, le.end.weight.dims()[1]),
            None => (0, 0),
        }
    }

    /// The stage-2 training forward of `HI_Diff_S2.optimize_parameters` with its
    /// noise given (docs/reference.md §4.4): the target prior from the frozen `net_le`, the
    /// diffusion of it, the reverse loop with gradients, `net_g`.
    pub fn stage2_train_forward(&self, lq: Tensor<B, 4>, gt: Tensor<B, 4>, noise: Tensor<B, 3>) -> Stage2Forward<B> {
        self.stage2_train_forward_traced(lq, gt, noise, |_| {})
    }

    /// [`Self::stage2_train_forward`] handing every reverse step to `on_step`.
    pub fn stage2_train_forward_traced(
        &self,
        lq: Tensor<B, 4>,
        gt: Tensor<B, 4>,
        noise: Tensor<B, 3>,
        on_step: impl FnMut(&StepTrace<B>),
    ) -> Stage2Forward<B> {
        let prior_z = self.le().forward_pair(lq.clone(), gt).detach();
        let prior_noisy = self.diffusion.q_sample_train(prior_z.clone(), noise);
        let le_dm = self.net_le_dm.as_ref().expect("stage 2 needs net_le_dm");
        let prior_d = le_dm.forward(lq.clone());
        let prior = match &self.net_d {
            Some(net_d) => self.diffusion.sample_traced(net_d, prior_d.clone(), prior_noisy.clone(), on_step),
            None => prior_d.clone(),
        };
        let output = self.net_g.forward(lq, Some(prior.clone()));
        Stage2Forward { prior_z, prior_d, prior_noisy, prior, output }
    }
}

impl<B: Backend> Stage2Forward<B> {
    /// `(l_pix, l_pix_diff)`: L1 of the image and of the prior.
    pub fn losses(&self, gt: Tensor<B, 4>) -> (Tensor<B, 1>, Tensor<B, 1>) {
        (l1_loss(self.output.clone(), gt), l1_loss(self.prior_z.clone(), self.prior.clone()))
    }
}
