//! The diffusion process of the prior: the reverse loop shared by inference and
//! stage-2 training, and the forward "q_sample" of training (docs/reference.md §4.2–4.4;
//! golden RealBlur README, "Diffusion schedule and parameterisation").

use burn::tensor::{backend::Backend, Tensor};

use crate::config::{DiffusionKind, ModelConfig};
use crate::denoiser::Denoiser;
use crate::schedule::Schedule;

/// What one reverse step computed (for parity checks and debugging).
#[derive(Debug, Clone)]
pub struct StepTrace<B: Backend> {
    /// Step index i (T-1 down to 0).
    pub index: usize,
    /// The raw denoiser output (noise for eps prediction, x0 for x0 prediction).
    pub model_out: Tensor<B, 3>,
    /// The x0 estimate before clamping.
    pub x0_raw: Tensor<B, 3>,
    /// The x0 estimate after clamping (equal to `x0_raw` without clamp).
    pub x0: Tensor<B, 3>,
    /// The posterior mean, the next state.
    pub x_out: Tensor<B, 3>,
}

/// A configured diffusion: schedule plus the rules of its implementation.
#[derive(Debug, Clone)]
pub struct Diffusion {
    /// The float32 buffers.
    pub schedule: Schedule,
    /// Which implementation (GoPro local or `ldm`).
    pub kind: DiffusionKind,
    /// The denoiser predicts x0 (true) or the noise (false).
    pub predicts_x0: bool,
    /// Clamp the x0 estimate to [-1, 1].
    pub clip_denoised: bool,
}

impl Diffusion {
    /// The diffusion of a model configuration.
    pub fn from_config(cfg: &ModelConfig) -> Self {
        Self {
            schedule: Schedule::from_config(&cfg.diffusion),
            kind: cfg.diffusion.kind(),
            predicts_x0: cfg.predicts_x0(),
            clip_denoised: cfg.clip_denoised(),
        }
    }

    /// Number of reverse steps T.
    pub fn timesteps(&self) -> usize {
        self.schedule.len()
    }

    /// The time value the denoiser sees at step index `i`: `i + 1` in the local
    /// implementation, `i` in the `ldm` DDPM.
    pub fn time_value(&self, i: usize) -> usize {
        match self.kind {
            DiffusionKind::Local => i + 1,
            DiffusionKind::Ldm => i,
        }
    }

    /// One reverse step from state `x` with condition `c`: no noise is ever added.
    ///
    /// # Shapes
    /// `x, c: [B, N, C']` → trace with tensors of the same shape.
    pub fn step<B: Backend>(&self, net_d: &Denoiser<B>, x: Tensor<B, 3>, c: Tensor<B, 3>, i: usize) -> StepTrace<B> {
        let s = &self.schedule;
        let model_out = net_d.forward(x.clone(), c, self.time_value(i));
        let x0_raw = if self.predicts_x0 {
            model_out.clone()
        } else {
            x.clone().mul_scalar(s.sqrt_recip_alphas_cumprod[i])
                - model_out.clone().mul_scalar(s.sqrt_recipm1_alphas_cumprod[i])
        };
        let x0 = if self.clip_denoised { x0_raw.clone().clamp(-1.0, 1.0) } else { x0_raw.clone() };
        let x_out = x0.clone().mul_scalar(s.posterior_mean_coef1[i]) + x.mul_scalar(s.posterior_mean_coef2[i]);
        StepTrace { index: i, model_out, x0_raw, x0, x_out }
    }

    /// The reverse loop from `x_t` (T-1 down to 0); returns the final prior.
    ///
    /// # Shapes
    /// `c, x_t: [B, N, C']` → `[B, N, C']`.
    pub fn sample<B: Backend>(&self, net_d: &Denoiser<B>, c: Tensor<B, 3>, x_t: Tensor<B, 3>) -> Tensor<B, 3> {
        self.sample_traced(net_d, c, x_t, |_| {})
    }

    /// [`Self::sample`] that hands every step to `on_step`.
    pub fn sample_traced<B: Backend>(
        &self,
        net_d: &Denoiser<B>,
        c: Tensor<B, 3>,
        x_t: Tensor<B, 3>,
        mut on_step: impl FnMut(&StepTrace<B>),
    ) -> Tensor<B, 3> {
        let mut x = x_t;
        for i in (0..self.timesteps()).rev() {
            let trace = self.step(net_d, x, c.clone(), i);
            on_step(&trace);
            x = trace.x_out;
        }
        x
    }

    /// Stage-2 training's forward diffusion of the target prior `z` to t = T-1.
    ///
    /// The local implementation passes `alphas_cumprod[T-1]` where its square root
    /// was intended (docs/reference.md §4.4, step 2): `a z + sqrt(1 - a²) noise`. The `ldm`
    /// DDPM uses the standard `sqrt(ac) z + sqrt(1 - ac) noise`.
    ///
    /// # Shapes
    /// `z, noise: [B, N, C']` → `[B, N, C']`.
    pub fn q_sample_train<B: Backend>(&self, z: Tensor<B, 3>, noise: Tensor<B, 3>) -> Tensor<B, 3> {
        let s = &self.schedule;
        let last = self.timesteps() - 1;
        let (signal, noise_coef) = match self.kind {
            DiffusionKind::Local => {
                let a = s.alphas_cumprod[last];
                (a, (1.0f32 - a * a).sqrt())
            }
            DiffusionKind::Ldm => (s.sqrt_alphas_cumprod[last], s.sqrt_one_minus_alphas_cumprod[last]),
        };
        z.mul_scalar(signal) + noise.mul_scalar(noise_coef)
    }
}
