//! `TransformerBlock`: pre-norm MDTA and GDFN with residuals (docs/reference.md §1.2).

use burn::module::Module;
use burn::tensor::{backend::Backend, Tensor};

use crate::config::LayerNormKind;
use crate::gdfn::FeedForward;
use crate::layer_norm::ChannelNorm;
use crate::mdta::Attention;

/// `x = x + attn(norm1(x), p); x = x + ffn(norm2(x), p)`.
#[derive(Module, Debug)]
pub struct TransformerBlock<B: Backend> {
    pub norm1: ChannelNorm<B>,
    pub attn: Attention<B>,
    pub norm2: ChannelNorm<B>,
    pub ffn: FeedForward<B>,
}

/// Settings of one block.
#[derive(Debug, Clone, Copy)]
pub struct BlockSpec {
    pub dim: usize,
    pub heads: usize,
    pub ffn_hidden: usize,
    pub bias: bool,
    pub norm: LayerNormKind,
    /// Prior width C' when the block is modulated (latent level only).
    pub prior_ch: Option<usize>,
}

impl<B: Backend> TransformerBlock<B> {
    /// A block as configured by `spec`.
    pub fn new(spec: BlockSpec, device: &B::Device) -> Self {
        Self {
            norm1: ChannelNorm::new(spec.dim, spec.norm, device),
            attn: Attention::new(spec.dim, spec.heads, spec.bias, spec.prior_ch, device),
            norm2: ChannelNorm::new(spec.dim, spec.norm, device),
            ffn: FeedForward::new(spec.dim, spec.ffn_hidden, spec.bias, spec.prior_ch, device),
        }
    }

    /// # Shapes
    /// `x: [B, C, H, W]`, `prior: [B, C']` (latent level) → `[B, C, H, W]`.
    pub fn forward(&self, x: Tensor<B, 4>, prior: Option<&Tensor<B, 2>>) -> Tensor<B, 4> {
        let x = x.clone() + self.attn.forward(self.norm1.forward(x), prior);
        x.clone() + self.ffn.forward(self.norm2.forward(x), prior)
    }
}
