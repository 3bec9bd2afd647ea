//! The token-mixer block `MLP` shared by the latent encoders and the GoPro denoiser
//! (docs/reference.md §1.4, "Token-mixer MLP").

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::LayerNormKind;
use crate::layer_norm::NormBody;
use crate::ops::gelu;

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
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.fc2.forward(gelu(self.fc1.forward(x)))
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
        let t = self.norm1.forward(x.clone(), 2).swap_dims(1, 2); // [b, d, n]
        let x = x + self.patch_mixer.forward(t).swap_dims(1, 2);
        x.clone() + self.channel_mixer.forward(self.norm2.forward(x, 2))
    }
}
