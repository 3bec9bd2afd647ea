//! `net_g`, the Restormer-style U-shaped Transformer with the multi-scale prior
//! and a HIM at every level but the latent one (docs/reference.md §1.2, §1.3).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use crate::block::BlockSpec;
use crate::config::{PriorMode, TransformerConfig};
use crate::level::{BasicLayer, Downsample, LevelPrior, Upsample};
use crate::mdta::{conv1x1, conv3x3, dense_conv, pointwise_conv};
use crate::ops::{linear, linear_channels};

/// `down_1` / `down_2`: a Linear across the token axis, then one across channels.
/// Checkpoint keys `down_k.1` and `down_k.3` (the Rearranges hold no weights).
#[derive(Module, Debug)]
pub struct PriorDown<B: Backend> {
    /// `Linear(n -> m)` over tokens (`down_k.1`).
    pub token: Linear<B>,
    /// `Linear(C' -> C')` over channels (`down_k.3`).
    pub channel: Linear<B>,
}

impl<B: Backend> PriorDown<B> {
    pub fn new(n_in: usize, n_out: usize, prior_ch: usize, device: &B::Device) -> Self {
        Self {
            token: LinearConfig::new(n_in, n_out).init(device),
            channel: LinearConfig::new(prior_ch, prior_ch).init(device),
        }
    }
    /// # Shapes
    /// `[B, n, C'] -> [B, m, C']`.
    pub fn forward(&self, z: Tensor<B, 3>) -> Tensor<B, 3> {
        let z = linear_channels(&self.token, z); // over the tokens: [b, m, c']
        linear(&self.channel, z)
    }
}

/// `OverlapPatchEmbed`: a 3×3 conv from the image to C channels (`patch_embed.proj`).
#[derive(Module, Debug)]
pub struct PatchEmbed<B: Backend> {
    pub proj: Conv2d<B>,
}

/// The three priors of the hierarchy (docs/reference.md §1.2, "Multi-scale prior").
#[derive(Debug, Clone)]
pub struct Priors<B: Backend> {
    /// For levels 1, decoder 1 and refinement.
    pub z1: LevelPrior<B>,
    /// For levels 2-3 and decoder levels 3-2.
    pub z2: LevelPrior<B>,
    /// For the latent level.
    pub z3: LevelPrior<B>,
}

/// `network_g: Transformer`.
#[derive(Module, Debug)]
pub struct Transformer<B: Backend> {
    pub down_1: Option<PriorDown<B>>,
    pub down_2: Option<PriorDown<B>>,
    pub patch_embed: PatchEmbed<B>,
    pub encoder_level1: BasicLayer<B>,
    pub down1_2: Downsample<B>,
    pub encoder_level2: BasicLayer<B>,
    pub down2_3: Downsample<B>,
    pub encoder_level3: BasicLayer<B>,
    pub down3_4: Downsample<B>,
    pub latent: BasicLayer<B>,
    pub up4_3: Upsample<B>,
    pub reduce_chan_level3: Conv2d<B>,
    pub decoder_level3: BasicLayer<B>,
    pub up3_2: Upsample<B>,
    pub reduce_chan_level2: Conv2d<B>,
    pub decoder_level2: BasicLayer<B>,
    pub up2_1: Upsample<B>,
    pub decoder_level1: BasicLayer<B>,
    pub refinement: BasicLayer<B>,
    pub output: Conv2d<B>,
    #[module(skip)]
    pub prior_mode: PriorMode,
}

impl TransformerConfig {
    /// Builds `net_g` with PyTorch's default initialisation.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Transformer<B> {
        let c = self.dim;
        let pc = self.prior_channels();
        let g = self.group;
        let mode = self.prior_mode;
        let with_prior = mode != PriorMode::None;
        let spec = |dim: usize, heads: usize, modulated: bool| BlockSpec {
            dim,
            heads,
            ffn_hidden: self.ffn_hidden(dim),
            bias: self.bias,
            norm: self.layer_norm_type,
            prior_ch: (modulated && with_prior).then_some(pc),
        };
        let him = with_prior.then_some(pc);
        let [n1, n2, n3, n4] = self.num_blocks;
        let [h1, h2, h3, h4] = self.heads;
        let (down_1, down_2) = if mode == PriorMode::Hierarchical {
            let (t1, t2) = (g * g, (g / 2) * (g / 2));
            (Some(PriorDown::new(t1, t2, pc, device)), Some(PriorDown::new(t2, 1, pc, device)))
        } else {
            (None, None)
        };
        Transformer {
            down_1,
            down_2,
            patch_embed: PatchEmbed { proj: conv3x3(self.inp_channels, c, 1, self.bias, device) },
            encoder_level1: BasicLayer::new(spec(c, h1, false), n1, him, device),
            down1_2: Downsample::new(c, device),
            encoder_level2: BasicLayer::new(spec(2 * c, h2, false), n2, him, device),
            down2_3: Downsample::new(2 * c, device),
            encoder_level3: BasicLayer::new(spec(4 * c, h3, false), n3, him, device),
            down3_4: Downsample::new(4 * c, device),
            latent: BasicLayer::new(spec(8 * c, h4, true), n4, None, device),
            up4_3: Upsample::new(8 * c, device),
            reduce_chan_level3: conv1x1(8 * c, 4 * c, self.bias, device),
            decoder_level3: BasicLayer::new(spec(4 * c, h3, false), n3, him, device),
            up3_2: Upsample::new(4 * c, device),
            reduce_chan_level2: conv1x1(4 * c, 2 * c, self.bias, device),
            decoder_level2: BasicLayer::new(spec(2 * c, h2, false), n2, him, device),
            up2_1: Upsample::new(2 * c, device),
            decoder_level1: BasicLayer::new(spec(2 * c, h1, false), n1, him, device),
            refinement: BasicLayer::new(spec(2 * c, h1, false), self.num_refinement_blocks, him, device),
            output: conv3x3(2 * c, self.out_channels, 1, self.bias, device),
            prior_mode: mode,
        }
    }
}

impl<B: Backend> Transformer<B> {
    /// Derives the three level priors from `z1` according to the prior mode.
    ///
    /// # Shapes
    /// `z1: [B, N, C']`.
    pub fn priors(&self, z1: Option<Tensor<B, 3>>) -> Priors<B> {
        match (self.prior_mode, z1) {
            (PriorMode::None, _) | (_, None) => {
                Priors { z1: LevelPrior::None, z2: LevelPrior::None, z3: LevelPrior::None }
            }
            (PriorMode::SingleScale, Some(z1)) => {
                let [b, _, c] = z1.dims();
                let z3 = z1.clone().mean_dim(1).reshape([b, c]);
                Priors { z1: LevelPrior::Tokens(z1.clone()), z2: LevelPrior::Tokens(z1), z3: LevelPrior::Vector(z3) }
            }
            (PriorMode::Hierarchical, Some(z1)) => {
                let (d1, d2) = match (&self.down_1, &self.down_2) {
                    (Some(d1), Some(d2)) => (d1, d2),
                    _ => unreachable!("a hierarchical Transformer always has down_1 and down_2"),
                };
                let z2 = d1.forward(z1.clone()); // [b, N/4, c']
                let z3 = d2.forward(z2.clone()); // [b, 1, c']
                let [b, _, c] = z3.dims();
                Priors {
                    z1: LevelPrior::Tokens(z1),
                    z2: LevelPrior::Tokens(z2),
                    z3: LevelPrior::Vector(z3.reshape([b, c])),
                }
            }
        }
    }

    /// `net_g(img, prior)`: the restored image.
    ///
    /// # Shapes
    /// `img: [B, 3, H, W]` with H, W multiples of 8; `prior: [B, N, C']` (required
    /// unless the prior mode is `None`) → `[B, 3, H, W]`.
    pub fn forward(&self, img: Tensor<B, 4>, prior: Option<Tensor<B, 3>>) -> Tensor<B, 4> {
        assert!(
            prior.is_some() || self.prior_mode == PriorMode::None,
            "this Transformer needs a prior (prior_mode = {:?})",
            self.prior_mode
        );
        let p = self.priors(prior);
        let e0 = dense_conv(&self.patch_embed.proj, img.clone()); // [b, c, h, w]
        let e1 = self.encoder_level1.forward(e0, &p.z1);
        let e2 = self.encoder_level2.forward(self.down1_2.forward(e1.clone()), &p.z2); // [b, 2c, h/2, w/2]
        let e3 = self.encoder_level3.forward(self.down2_3.forward(e2.clone()), &p.z2); // [b, 4c, h/4, w/4]
        let l = self.latent.forward(self.down3_4.forward(e3.clone()), &p.z3); // [b, 8c, h/8, w/8]
        let u = Tensor::cat(vec![self.up4_3.forward(l), e3], 1); // [b, 8c, h/4, w/4]
        let d3 = self.decoder_level3.forward(pointwise_conv(&self.reduce_chan_level3, u), &p.z2);
        let u = Tensor::cat(vec![self.up3_2.forward(d3), e2], 1); // [b, 4c, h/2, w/2]
        let d2 = self.decoder_level2.forward(pointwise_conv(&self.reduce_chan_level2, u), &p.z2);
        let u = Tensor::cat(vec![self.up2_1.forward(d2), e1], 1); // [b, 2c, h, w]
        let d1 = self.decoder_level1.forward(u, &p.z1);
        let r = self.refinement.forward(d1, &p.z1);
        dense_conv(&self.output, r) + img
    }
}
