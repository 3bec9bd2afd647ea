//! The optimiser of both stages (docs/reference.md §4.5): `torch.optim.AdamW` with every
//! hyper-parameter explicit (burn's defaults are eps 1e-5 and weight decay 1e-4,
//! torch's eps is 1e-8), and the **global-norm** gradient clip of
//! `torch.nn.utils.clip_grad_norm_(params, 0.01)`:
//!
//! `total = sqrt(Σ_p ‖g_p‖²)`, `coef = max_norm / (total + 1e-6)`, every gradient
//! scaled by `min(coef, 1)`.
//!
//! burn's own `GradientClipping::Norm` clips each tensor separately, which is a
//! different update. The clip here works on device tensors only (no host
//! synchronisation): multiplying by a clamped coefficient of exactly 1 is the
//! identity, as in PyTorch's implementation.

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

use crate::experiment::{OptimOptions, OptimizerKind};

/// The AdamW configuration of `[train.optim_total]` (learning rate excluded: it comes
/// from the schedule at every step).
pub fn adamw_config(o: &OptimOptions) -> AdamWConfig {
    match o.kind {
        OptimizerKind::AdamW => AdamWConfig::new()
            .with_beta_1(o.betas[0] as f32)
            .with_beta_2(o.betas[1] as f32)
            .with_epsilon(o.eps as f32)
            .with_weight_decay(o.weight_decay as f32),
    }
}

/// The paper's AdamW: betas (0.9, 0.999), eps 1e-8, weight decay 1e-4.
pub fn paper_adamw() -> AdamWConfig {
    AdamWConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-8).with_weight_decay(1e-4)
}

/// Sums `‖g‖²` over the gradients of a module's parameters.
struct SquaredNorm<'a, B: AutodiffBackend> {
    grads: &'a GradientsParams,
    total: Option<Tensor<B::InnerBackend, 1>>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for SquaredNorm<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
            let s = g.square().sum();
            self.total = Some(match self.total.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

/// Multiplies every gradient of a module's parameters by a `[1]` tensor.
struct Scale<'a, B: AutodiffBackend> {
    grads: &'a mut GradientsParams,
    coef: Tensor<B::InnerBackend, 1>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Scale<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            let coef: Tensor<B::InnerBackend, D> = self.coef.clone().unsqueeze();
            self.grads.register::<B::InnerBackend, D>(param.id, g * coef);
        }
    }
}

/// The global 2-norm of the gradients of `module`'s parameters, as a `[1]`
/// tensor (`None` when no parameter has a gradient).
pub fn global_grad_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &GradientsParams,
) -> Option<Tensor<B::InnerBackend, 1>> {
    let mut v = SquaredNorm::<B> { grads, total: None };
    module.visit(&mut v);
    v.total.map(|t| t.sqrt())
}

/// `clip_grad_norm_(module.parameters(), max_norm)`: scales all gradients by
/// `min(1, max_norm / (total + 1e-6))` and returns the pre-clip total norm.
pub fn clip_global_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &mut GradientsParams,
    max_norm: f64,
) -> Option<Tensor<B::InnerBackend, 1>> {
    let total = global_grad_norm::<B, M>(module, grads)?;
    let coef = total.clone().add_scalar(1e-6).recip().mul_scalar(max_norm).clamp_max(1.0);
    module.visit(&mut Scale::<B> { grads, coef });
    Some(total)
}

pub use hidiff_model::grads::{named_gradients, named_parameters};

/// A scalar `[1]` tensor as f64 (one host synchronisation).
pub fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_data().iter::<f64>().next().unwrap_or(f64::NAN)
}
