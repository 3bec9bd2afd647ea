//! The latent encoders LE (`net_le`, stage 1, sees `cat(gt, lq)`) and LE_DM
//! (`net_le_dm`, blurry image only): `latent_encoder_gelu` (GoPro, docs/reference.md §1.4)
//! and `latent_encoder_lrelu` (RealBlur, golden RealBlur README fact 7).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, module::adaptive_avg_pool2d, Tensor};

use crate::config::{LatentEncoderConfig, LatentEncoderKind};
use crate::mdta::{conv3x3, dense_conv};
use crate::mlp::MlpMixer;
use crate::ops::{gelu, leaky_relu, linear, pixel_unshuffle};

/// The activation of an encoder class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// Exact GELU.
    Gelu,
    /// LeakyReLU with this slope.
    LeakyRelu(f64),
}

impl Activation {
    fn apply<B: Backend, const D: usize>(self, x: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Activation::Gelu => gelu(x),
            Activation::LeakyRelu(s) => leaky_relu(x, s),
        }
    }
}

/// `x + conv(act(conv(x)))` (checkpoint indices `.0` and `.2`).
#[derive(Module, Debug)]
pub struct ResBlock<B: Backend> {
    pub conv_a: Conv2d<B>,
    pub conv_b: Conv2d<B>,
}

/// A latent encoder; `in_chans = 6 / stage`.
#[derive(Module, Debug)]
pub struct LatentEncoder<B: Backend> {
    /// 3×3 conv from the unshuffled input (`conv1.0`).
    pub conv1: Conv2d<B>,
    /// Residual blocks.
    pub blocks: Vec<ResBlock<B>>,
    /// GELU class: one conv E → E; LeakyReLU class: E → 2E → 2E → 4E, each followed by the activation.
    pub conv2: Vec<Conv2d<B>>,
    /// Token mixer over the pooled `group²` tokens.
    pub mlp: MlpMixer<B>,
    /// `Linear(d -> 4E)` followed by the activation (`end.0`).
    pub end: Linear<B>,
    /// Pooled grid side.
    pub group: usize,
    #[module(skip)]
    pub act: Activation,
}

impl LatentEncoderConfig {
    /// Builds the encoder with PyTorch's default initialisation.
    pub fn init<B: Backend>(&self, device: &B::Device) -> LatentEncoder<B> {
        let e = self.embed_dim;
        let cin = self.in_chans * 16;
        let n = self.group * self.group;
        let (conv2, d, act) = match self.kind {
            LatentEncoderKind::Gelu => (vec![conv3x3(e, e, 1, true, device)], e, Activation::Gelu),
            LatentEncoderKind::Lrelu => (
                vec![
                    conv3x3(e, 2 * e, 1, true, device),
                    conv3x3(2 * e, 2 * e, 1, true, device),
                    conv3x3(2 * e, 4 * e, 1, true, device),
                ],
                4 * e,
                Activation::LeakyRelu(self.negative_slope),
            ),
        };
        LatentEncoder {
            conv1: conv3x3(cin, e, 1, true, device),
            blocks: (0..self.block_num)
                .map(|_| ResBlock { conv_a: conv3x3(e, e, 1, true, device), conv_b: conv3x3(e, e, 1, true, device) })
                .collect(),
            conv2,
            mlp: MlpMixer::new(n, d, self.patch_expansion, self.channel_expansion, device),
            end: LinearConfig::new(d, 4 * e).init(device),
            group: self.group,
            act,
        }
    }
}

impl<B: Backend> LatentEncoder<B> {
    /// The prior tokens of an input already concatenated (`cat(gt, lq)` for LE).
    ///
    /// # Shapes
    /// `x: [B, in_chans, H, W]` with H, W multiples of 4 → `[B, group², 4E]`.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 3> {
        let act = self.act;
        let x = pixel_unshuffle(x, 4); // [b, 16 in, h/4, w/4]
        let mut x = act.apply(dense_conv(&self.conv1, x)); // [b, e, h/4, w/4]
        for blk in &self.blocks {
            x = dense_conv(&blk.conv_b, act.apply(dense_conv(&blk.conv_a, x.clone()))) + x;
        }
        x = match act {
            Activation::Gelu => dense_conv(&self.conv2[0], x),
            Activation::LeakyRelu(_) => self.conv2.iter().fold(x, |x, conv| act.apply(dense_conv(conv, x))),
        };
        let x = adaptive_avg_pool2d(x, [self.group, self.group]); // [b, d, g, g]
        let [b, d, _, _] = x.dims();
        let x = x.reshape([b, d, self.group * self.group]).swap_dims(1, 2); // [b, n, d]
        let x = self.mlp.forward(x);
        act.apply(linear(&self.end, x))
    }

    /// LE in stage 1: `net_le(lq, gt)` concatenates gt FIRST.
    ///
    /// # Shapes
    /// `lq, gt: [B, 3, H, W]` → `[B, group², 4E]`.
    pub fn forward_pair(&self, lq: Tensor<B, 4>, gt: Tensor<B, 4>) -> Tensor<B, 3> {
        self.forward(Tensor::cat(vec![gt, lq], 1))
    }
}
