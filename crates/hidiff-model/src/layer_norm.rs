//! The LayerNorms of HI-Diff: Restormer's per-pixel channel norm (`norm1.body`),
//! `LayerNorm_Without_Shape` of HIM, and `nn.LayerNorm` of the MLP mixers. All
//! normalise one axis with the biased variance and eps 1e-5 (reference 1.2, 2).

use burn::module::{Module, Param};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::LayerNormKind;

/// The eps of every LayerNorm of HI-Diff.
pub(crate) const EPS: f64 = 1e-5;

/// The affine normalisation over one axis; `weight` and `bias` keep PyTorch's names.
/// `BiasFree` has no bias and does not subtract the mean.
#[derive(Module, Debug)]
pub struct NormBody<B: Backend> {
    /// Scale `[C]`.
    pub weight: Param<Tensor<B, 1>>,
    /// Shift `[C]` (absent for `BiasFree`).
    pub bias: Option<Param<Tensor<B, 1>>>,
}

impl<B: Backend> NormBody<B> {
    /// A norm over `channels` values, weight 1 and bias 0 (PyTorch's initialisation).
    pub fn new(channels: usize, kind: LayerNormKind, device: &B::Device) -> Self {
        let weight = Param::from_tensor(Tensor::ones([channels], device));
        let bias = match kind {
            LayerNormKind::WithBias => Some(Param::from_tensor(Tensor::zeros([channels], device))),
            LayerNormKind::BiasFree => None,
        };
        Self { weight, bias }
    }

    /// Normalises axis `DIM_AXIS` of `x`; weight and bias broadcast along it.
    ///
    /// # Shapes
    /// `x: [.., C, ..]` with `C` at `axis` → same shape.
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>, axis: usize) -> Tensor<B, D> {
        normalize_axis(x, self.weight.val(), self.bias.as_ref().map(|b| b.val()), axis)
    }
}

/// The composed LayerNorm over axis `axis` of `x`: `(x - mean) / sqrt(var + eps) * w + b`
/// with `bias`, `x / sqrt(var + eps) * w` without (`BiasFree`); biased variance.
///
/// # Shapes
/// `x: [.., C, ..]` with `C` at `axis`, `weight, bias: [C]` → same shape as `x`.
pub(crate) fn normalize_axis<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    weight: Tensor<B, 1>,
    bias: Option<Tensor<B, 1>>,
    axis: usize,
) -> Tensor<B, D> {
    let c = x.dims()[axis];
    let mut shape = [1usize; D];
    shape[axis] = c;
    let (var, mean) = x.clone().var_mean_bias(axis);
    let denom = var.add_scalar(EPS).sqrt();
    let w = weight.reshape(shape);
    match bias {
        Some(b) => (x - mean) / denom * w + b.reshape(shape),
        None => x / denom * w,
    }
}

/// Restormer's `LayerNorm(dim, type)`: a [`NormBody`] named `body`, applied per pixel
/// over the channels of an NCHW tensor, or over the last axis of tokens `[B, n, C]`.
#[derive(Module, Debug)]
pub struct ChannelNorm<B: Backend> {
    /// The affine part (`norm1.body.weight` in checkpoints).
    pub body: NormBody<B>,
}

impl<B: Backend> ChannelNorm<B> {
    /// A norm over `channels`.
    pub fn new(channels: usize, kind: LayerNormKind, device: &B::Device) -> Self {
        Self { body: NormBody::new(channels, kind, device) }
    }

    /// # Shapes
    /// `[B, C, H, W] -> [B, C, H, W]`, normalised over C at every pixel.
    /// Runs the fused kernel where the backend has one ([`crate::fused::channel_norm`]).
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let body = &self.body;
        crate::fused::channel_norm(x, body.weight.val(), body.bias.as_ref().map(|b| b.val()))
    }

    /// # Shapes
    /// `[B, n, C] -> [B, n, C]`, normalised over C (HIM's `LayerNorm_Without_Shape`).
    pub fn forward_tokens(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.body.forward(x, 2)
    }
}
