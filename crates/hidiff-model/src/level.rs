//! `BasicLayer`: one level of the Transformer, a HIM (at every level but the
//! latent one, when the model has a prior; `Transformer` decides) followed by
//! Transformer blocks; and the down/up-sampling between levels
//! (`docs/reference.md`, "The restoration network").

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{backend::Backend, Tensor};

use crate::block::{BlockSpec, TransformerBlock};
use crate::him::Him;
use crate::mdta::{conv3x3, dense_conv};
use crate::ops::{pixel_shuffle, pixel_unshuffle};

/// The prior a level receives.
#[derive(Debug, Clone)]
pub enum LevelPrior<B: Backend> {
    /// Prior tokens `[B, n, C']`, consumed by the level's HIM.
    Tokens(Tensor<B, 3>),
    /// The vector prior `[B, C']`, consumed by every block's `ln1/ln2` (latent level).
    Vector(Tensor<B, 2>),
    /// No prior (ablation without prior).
    None,
}

/// One level: optional HIM, then `blocks`.
#[derive(Module, Debug)]
pub struct BasicLayer<B: Backend> {
    /// Present at every level except the latent one (and absent without prior).
    pub him: Option<Him<B>>,
    /// The level's Transformer blocks.
    pub blocks: Vec<TransformerBlock<B>>,
}

impl<B: Backend> BasicLayer<B> {
    /// A level of `num_blocks` blocks; `him_prior_ch` adds a HIM over prior tokens of that width.
    pub fn new(spec: BlockSpec, num_blocks: usize, him_prior_ch: Option<usize>, device: &B::Device) -> Self {
        Self {
            him: him_prior_ch.map(|p| Him::new(spec.dim, spec.heads, p, spec.bias, spec.norm, device)),
            blocks: (0..num_blocks).map(|_| TransformerBlock::new(spec, device)).collect(),
        }
    }

    /// # Shapes
    /// `x: [B, C, H, W]` → `[B, C, H, W]`.
    pub fn forward(&self, x: Tensor<B, 4>, prior: &LevelPrior<B>) -> Tensor<B, 4> {
        let (mut x, vector) = match (&self.him, prior) {
            (Some(him), LevelPrior::Tokens(z)) => (him.forward(x, z.clone()), None),
            (_, LevelPrior::Vector(p)) => (x, Some(p)),
            _ => (x, None),
        };
        for block in &self.blocks {
            x = block.forward(x, vector);
        }
        x
    }
}

/// `Downsample(n)`: conv 3×3 n → n/2, then PixelUnshuffle(2) → 2n channels at half size.
#[derive(Module, Debug)]
pub struct Downsample<B: Backend> {
    /// `body.0` in checkpoints.
    pub conv: Conv2d<B>,
}

impl<B: Backend> Downsample<B> {
    pub fn new(n: usize, device: &B::Device) -> Self {
        Self { conv: conv3x3(n, n / 2, 1, false, device) }
    }
    /// # Shapes
    /// `[B, n, H, W] -> [B, 2n, H/2, W/2]`.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        pixel_unshuffle(dense_conv(&self.conv, x), 2)
    }
}

/// `Upsample(n)`: conv 3×3 n → 2n, then PixelShuffle(2) → n/2 channels at double size.
#[derive(Module, Debug)]
pub struct Upsample<B: Backend> {
    /// `body.0` in checkpoints.
    pub conv: Conv2d<B>,
}

impl<B: Backend> Upsample<B> {
    pub fn new(n: usize, device: &B::Device) -> Self {
        Self { conv: conv3x3(n, 2 * n, 1, false, device) }
    }
    /// # Shapes
    /// `[B, n, H, W] -> [B, n/2, 2H, 2W]`.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        pixel_shuffle(dense_conv(&self.conv, x), 2)
    }
}
