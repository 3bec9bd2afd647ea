//! `network_d`: the GoPro `denoising` MLP-mixer network (docs/reference.md §1.5) and the
//! RealBlur `simple_denoise` stack (golden RealBlur README fact 3). The denoiser
//! only maps tensors; the diffusion process owns the schedule and the loop.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::DenoiserConfig;
use crate::mlp::MlpMixer;
use crate::ops::{gelu, leaky_relu, linear};

/// `denoising`: `cat(x, t * time_mlp, c)` → Linear + LeakyReLU(0.2) → mixer blocks
/// each followed by GELU → Linear + GELU. Predicts the noise.
#[derive(Module, Debug)]
pub struct MixerDenoiser<B: Backend> {
    /// The learned time scale `[1]` (init `layerscale_value`).
    pub time_mlp: Param<Tensor<B, 1>>,
    /// `Linear(3C' -> inner)` (`first_layer.0`).
    pub first_layer: Linear<B>,
    /// `block_num - 2` mixers (`blocks.k.0`).
    pub blocks: Vec<MlpMixer<B>>,
    /// `Linear(inner -> C')` (`final_layer.0`).
    pub final_layer: Linear<B>,
}

/// `simple_denoise`: `cat(c, t / (10 timesteps), x)` → Linear + LeakyReLU, then
/// `n_denoise_res` plain Linear + LeakyReLU layers (no residual). Predicts x0.
#[derive(Module, Debug)]
pub struct SimpleDenoiser<B: Backend> {
    /// `Linear(2C' + 1 -> C')` (`resmlp.0`).
    pub first: Linear<B>,
    /// `Linear(C' -> C')` layers (`resmlp.<k>.resmlp.0`, k = 2, 3, ...).
    pub layers: Vec<Linear<B>>,
    /// The time divisor `10 * timesteps` (50 with the class default).
    pub time_divisor: usize,
    /// LeakyReLU slope (0.1).
    pub negative_slope: f64,
}

/// `network_d`: exactly one of the two classes is present.
#[derive(Module, Debug)]
pub struct Denoiser<B: Backend> {
    pub mixer: Option<MixerDenoiser<B>>,
    pub simple: Option<SimpleDenoiser<B>>,
}

impl DenoiserConfig {
    /// Builds `network_d` with PyTorch's default initialisation.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Denoiser<B> {
        match *self {
            DenoiserConfig::Mixer {
                in_channel,
                out_channel,
                inner_channel,
                block_num,
                group,
                patch_expansion,
                channel_expansion,
                layerscale_value,
            } => {
                let n = group * group;
                Denoiser {
                    mixer: Some(MixerDenoiser {
                        time_mlp: Param::from_tensor(Tensor::full([1], layerscale_value, device)),
                        first_layer: LinearConfig::new(3 * in_channel, inner_channel).init(device),
                        blocks: (0..block_num.saturating_sub(2))
                            .map(|_| MlpMixer::new(n, inner_channel, patch_expansion, channel_expansion, device))
                            .collect(),
                        final_layer: LinearConfig::new(inner_channel, out_channel).init(device),
                    }),
                    simple: None,
                }
            }
            DenoiserConfig::Simple { n_feats, n_denoise_res, timesteps, negative_slope } => {
                let c = 4 * n_feats;
                Denoiser {
                    mixer: None,
                    simple: Some(SimpleDenoiser {
                        first: LinearConfig::new(2 * c + 1, c).init(device),
                        layers: (0..n_denoise_res).map(|_| LinearConfig::new(c, c).init(device)).collect(),
                        time_divisor: 10 * timesteps,
                        negative_slope,
                    }),
                }
            }
        }
    }
}

impl<B: Backend> Denoiser<B> {
    /// One denoiser call with the integer time value `time` (the diffusion decides
    /// whether that is `i + 1` or `i`).
    ///
    /// # Shapes
    /// `x, c: [B, N, C']` → `[B, N, C']` (noise or x0 estimate).
    pub fn forward(&self, x: Tensor<B, 3>, c: Tensor<B, 3>, time: usize) -> Tensor<B, 3> {
        match (&self.mixer, &self.simple) {
            (Some(m), _) => m.forward(x, c, time),
            (None, Some(s)) => s.forward(x, c, time),
            (None, None) => unreachable!("a denoiser always has one of its two classes"),
        }
    }
}

impl<B: Backend> MixerDenoiser<B> {
    /// # Shapes
    /// `x, c: [B, N, C']` → predicted noise `[B, N, C']`.
    pub fn forward(&self, x: Tensor<B, 3>, c: Tensor<B, 3>, time: usize) -> Tensor<B, 3> {
        let [b, n, ch] = x.dims();
        // The integer time tensor times the float32 scalar, broadcast to x's shape.
        let te = self.time_mlp.val().mul_scalar(time as f32).reshape([1, 1, 1]).expand([b, n, ch]);
        let h = Tensor::cat(vec![x, te, c], 2); // [b, n, 3c']
        let mut h = leaky_relu(linear(&self.first_layer, h), 0.2);
        for blk in &self.blocks {
            h = gelu(blk.forward(h));
        }
        gelu(linear(&self.final_layer, h))
    }
}

impl<B: Backend> SimpleDenoiser<B> {
    /// # Shapes
    /// `x, c: [B, N, C']` → x0 estimate `[B, N, C']`.
    pub fn forward(&self, x: Tensor<B, 3>, c: Tensor<B, 3>, time: usize) -> Tensor<B, 3> {
        let [b, n, _] = x.dims();
        let t = time as f32 / self.time_divisor as f32;
        let te = Tensor::<B, 3>::full([b, n, 1], t, &x.device());
        let h = Tensor::cat(vec![c, te, x], 2); // [b, n, 2c' + 1]
        let mut h = leaky_relu(linear(&self.first, h), self.negative_slope);
        for layer in &self.layers {
            h = leaky_relu(linear(layer, h), self.negative_slope);
        }
        h
    }
}
