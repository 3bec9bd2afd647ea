//! HIM, the hierarchical integration module: cross-attention from image pixels
//! (queries) to prior tokens (keys and values), added to the un-normalised
//! features (reference 1.2, "HIM").

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::LayerNormKind;
use crate::layer_norm::ChannelNorm;
use crate::ops::{linear, linear_channels};

/// One HIM of width C with `heads` heads over prior tokens of width C'.
#[derive(Module, Debug)]
pub struct Him<B: Backend> {
    /// LayerNorm over the C channels of the pixel tokens.
    pub norm1: ChannelNorm<B>,
    /// LayerNorm over the C' channels of the prior tokens.
    pub norm2: ChannelNorm<B>,
    /// `Linear(C -> C)`, bias per the `bias` option.
    pub q: Linear<B>,
    /// `Linear(C' -> 2C)`, bias per the `bias` option.
    pub kv: Linear<B>,
    /// `Linear(C -> C)`, always with bias.
    pub proj: Linear<B>,
    /// Number of heads.
    pub num_heads: usize,
    /// `(C / heads)^-0.5`, the Python float.
    pub scale: f64,
}

impl<B: Backend> Him<B> {
    /// HIM of width `dim`.
    pub fn new(dim: usize, heads: usize, prior_ch: usize, bias: bool, norm: LayerNormKind, device: &B::Device) -> Self {
        Self {
            norm1: ChannelNorm::new(dim, norm, device),
            norm2: ChannelNorm::new(prior_ch, norm, device),
            q: LinearConfig::new(dim, dim).with_bias(bias).init(device),
            kv: LinearConfig::new(prior_ch, 2 * dim).with_bias(bias).init(device),
            proj: LinearConfig::new(dim, dim).init(device),
            num_heads: heads,
            scale: ((dim / heads) as f64).powf(-0.5),
        }
    }

    /// # Shapes
    /// `x: [B, C, H, W]`, `z: [B, n, C']` → `[B, C, H, W]`.
    ///
    /// The official code works on pixel tokens `[B, HW, C]`; this runs the same
    /// arithmetic in the channel-first layout the rest of the network uses, so no
    /// large tensor is transposed: the token LayerNorm over C is the channel norm,
    /// the `Linear`s on pixels are `Wᵀ · x` over `[C, HW]`, and the attention is
    /// computed transposed, `outᵀ = vᵀ · softmax_n(k · qᵀ)` (the softmax over the
    /// prior tokens, axis 2 of `[B, heads, n, HW]`).
    pub fn forward(&self, x: Tensor<B, 4>, z: Tensor<B, 3>) -> Tensor<B, 4> {
        let [b, c, h, w] = x.dims();
        let n = z.dims()[1];
        let heads = self.num_heads;
        let d = c / heads;
        let xn = self.norm1.forward(x.clone()).reshape([b, c, h * w]); // [b, c, hw]
        let zn = self.norm2.forward_tokens(z);
        let q = linear_channels(&self.q, xn).reshape([b, heads, d, h * w]); // [b, heads, d, hw]
        let kv = linear(&self.kv, zn); // [b, n, 2c]
        let [k, v]: [Tensor<B, 3>; 2] = kv.chunk(2, 2).try_into().expect("two chunks");
        let k = k.reshape([b, n, heads, d]).swap_dims(1, 2); // [b, heads, n, d]
        let v_t = v.reshape([b, n, heads, d]).swap_dims(1, 2).swap_dims(2, 3); // [b, heads, d, n]
        let attn_t = crate::fused::softmax(k.matmul(q).mul_scalar(self.scale), 2); // [b, heads, n, hw]
        let out = v_t.matmul(attn_t).reshape([b, c, h * w]); // [b, c, hw]
        let out = x.reshape([b, c, h * w]) + linear_channels(&self.proj, out);
        out.reshape([b, c, h, w])
    }
}
