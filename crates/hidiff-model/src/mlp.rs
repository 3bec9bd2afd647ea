//! The token-mixer block `MLP` shared by the latent encoders and the GoPro denoiser
//! (docs/reference.md §1.4, "Token-mixer MLP").

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::LayerNormKind;
use crate::layer_norm::NormBody;
use crate::ops::{gelu, linear, linear_channels};

/// `Linear -> GELU -> Linear` (`nn.Sequential` indices 0 and 2 in checkpoints).
#[derive(Module, Debug)]
pub struct TwoLayer<B: Backend> {
    pub fc1: Linear<B>,
    pub fc2: Linear<B>,
}

impl<B: Backend> TwoLayer<B> {
    pub fn new(d: usize, hidden: usize, device: &B::Device) -> Self {
        Self { fc1: LinearConfig::new(d, hidden).init(device), fc2: LinearConfig::new(hidden, d).init(device) }
    }
    /// Over the last axis: `[B, n, d] -> [B, n, d']`.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        linear(&self.fc2, gelu(linear(&self.fc1, x)))
    }

    /// Over axis 1, the same numbers as `forward` on `x` with axes 1 and 2 swapped
    /// (and swapped back): `[B, n, d] -> [B, n', d]`.
    pub fn forward_axis1(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        linear_channels(&self.fc2, gelu(linear_channels(&self.fc1, x)))
    }
}

/// `x + PM(LN1(x)^T)^T`, then `x + CM(LN2(x))`.
#[derive(Module, Debug)]
pub struct MlpMixer<B: Backend> {
    /// `nn.LayerNorm(d)` before the token mixer.
    pub norm1: NormBody<B>,
    /// `nn.LayerNorm(d)` before the channel mixer.
    pub norm2: NormBody<B>,
    /// Mixes the n tokens: `Linear(n -> int(pe n))`, GELU, back.
    pub patch_mixer: TwoLayer<B>,
    /// Mixes the d channels: `Linear(d -> int(ce d))`, GELU, back.
    pub channel_mixer: TwoLayer<B>,
}

impl<B: Backend> MlpMixer<B> {
    /// Mixer over `n` tokens of width `d` with the given expansion ratios.
    pub fn new(n: usize, d: usize, patch_expansion: f64, channel_expansion: f64, device: &B::Device) -> Self {
        Self {
            norm1: NormBody::new(d, LayerNormKind::WithBias, device),
            norm2: NormBody::new(d, LayerNormKind::WithBias, device),
            patch_mixer: TwoLayer::new(n, (n as f64 * patch_expansion) as usize, device),
            channel_mixer: TwoLayer::new(d, (d as f64 * channel_expansion) as usize, device),
        }
    }

    /// # Shapes
    /// `[B, n, d] -> [B, n, d]`.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        // The token mixer over axis 1 of [b, n, d]: no transposes.
        let x = x.clone() + self.patch_mixer.forward_axis1(self.norm1.forward(x, 2));
        x.clone() + self.channel_mixer.forward(self.norm2.forward(x, 2))
    }
}
