//! MDTA, the multi-Dconv head transposed attention of Restormer (`Attention` in
//! `Transformer_arch.py`), with HI-Diff's optional `ln1/ln2` prior modulation at the
//! latent level (reference 1.2).

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{activation::softmax, backend::Backend, Tensor};

use crate::ops::l2_normalize;

/// The latent level's `ln1`/`ln2` pair: `Linear(C' -> C)` twice, with bias, or none.
pub(crate) fn modulation_pair<B: Backend>(
    dim: usize,
    prior_ch: Option<usize>,
    device: &B::Device,
) -> (Option<Linear<B>>, Option<Linear<B>>) {
    match prior_ch {
        Some(p) => (Some(LinearConfig::new(p, dim).init(device)), Some(LinearConfig::new(p, dim).init(device))),
        None => (None, None),
    }
}

/// Channel-wise scale and shift from the vector prior: `x * ln1(p) + ln2(p)`; the
/// identity where the layer has no `ln1/ln2` or no prior is given.
///
/// # Shapes
/// `x: [B, C, H, W]`, `p: [B, C']` → `[B, C, H, W]`.
pub(crate) fn modulate<B: Backend>(
    x: Tensor<B, 4>,
    ln1: &Option<Linear<B>>,
    ln2: &Option<Linear<B>>,
    p: Option<&Tensor<B, 2>>,
) -> Tensor<B, 4> {
    match (ln1, ln2, p) {
        (Some(ln1), Some(ln2), Some(p)) => {
            let [b, c, _, _] = x.dims();
            let scale = ln1.forward(p.clone()).reshape([b, c, 1, 1]);
            let shift = ln2.forward(p.clone()).reshape([b, c, 1, 1]);
            x * scale + shift
        }
        _ => x,
    }
}

/// 1×1 convolution without padding.
pub(crate) fn conv1x1<B: Backend>(cin: usize, cout: usize, bias: bool, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [1, 1]).with_bias(bias).init(device)
}

/// 3×3 convolution, zero padding 1, optional groups.
pub(crate) fn conv3x3<B: Backend>(cin: usize, cout: usize, groups: usize, bias: bool, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_groups(groups)
        .with_bias(bias)
        .init(device)
}

/// `conv` restricted to the output channels of part `part` of `parts` equal parts,
/// without materialising the other parts. For a depthwise conv the input must be
/// the matching part of its input.
///
/// Splitting the convolution instead of `chunk`-ing its output keeps every
/// tensor contiguous: burn Flex runs element-wise ops on chunk views through a
/// strided path about 5x slower (measured on GDFN at 48×128×128). The result is
/// the same per output channel.
pub(crate) fn conv_part<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>, part: usize, parts: usize) -> Tensor<B, 4> {
    let w = conv.weight.val();
    let n = w.dims()[0] / parts;
    let w = w.narrow(0, part * n, n);
    let b = conv.bias.as_ref().map(|b| b.val().narrow(0, part * n, n));
    let groups = if conv.groups == 1 { 1 } else { conv.groups / parts };
    let pad = conv.kernel_size[0] / 2;
    burn::tensor::module::conv2d(x, w, b, ConvOptions::new([1, 1], [pad, pad], [1, 1], groups))
}

/// MDTA: attention across channels, per head, with L2-normalised q and k.
#[derive(Module, Debug)]
pub struct Attention<B: Backend> {
    /// Per-head logit scale `[heads, 1, 1]`, initialised to 1.
    pub temperature: Param<Tensor<B, 3>>,
    /// 1×1 conv C → 3C.
    pub qkv: Conv2d<B>,
    /// Depthwise 3×3 conv on 3C channels.
    pub qkv_dwconv: Conv2d<B>,
    /// 1×1 conv C → C.
    pub project_out: Conv2d<B>,
    /// Latent-level modulation scale `Linear(C' -> C)`, absent elsewhere.
    pub ln1: Option<Linear<B>>,
    /// Latent-level modulation shift `Linear(C' -> C)`, absent elsewhere.
    pub ln2: Option<Linear<B>>,
    /// Number of heads.
    pub num_heads: usize,
}

impl<B: Backend> Attention<B> {
    /// MDTA of width `dim` with `heads` heads; `prior_ch` adds the latent modulation.
    pub fn new(dim: usize, heads: usize, bias: bool, prior_ch: Option<usize>, device: &B::Device) -> Self {
        let (ln1, ln2) = modulation_pair(dim, prior_ch, device);
        Self {
            temperature: Param::from_tensor(Tensor::ones([heads, 1, 1], device)),
            qkv: conv1x1(dim, 3 * dim, bias, device),
            qkv_dwconv: conv3x3(3 * dim, 3 * dim, 3 * dim, bias, device),
            project_out: conv1x1(dim, dim, bias, device),
            ln1,
            ln2,
            num_heads: heads,
        }
    }

    /// # Shapes
    /// `x: [B, C, H, W]` (already normalised), `prior: [B, C']` at the latent level → `[B, C, H, W]`.
    pub fn forward(&self, x: Tensor<B, 4>, prior: Option<&Tensor<B, 2>>) -> Tensor<B, 4> {
        let x = modulate(x, &self.ln1, &self.ln2, prior);
        let [b, c, h, w] = x.dims();
        let heads = self.num_heads;
        // q, k, v = chunk(dwconv(conv1x1(x)), 3), computed part by part (see `conv_part`).
        let part = |i: usize| {
            let t = conv_part(&self.qkv_dwconv, conv_part(&self.qkv, x.clone(), i, 3), i, 3); // [b, c, h, w]
            t.reshape([b, heads, c / heads, h * w])
        };
        let (q, k, v) = (part(0), part(1), part(2)); // [b, heads, c/h, hw]
        let q = l2_normalize(q, 3, 1e-12);
        let k = l2_normalize(k, 3, 1e-12);
        let temperature = self.temperature.val().unsqueeze::<4>(); // [1, heads, 1, 1]
        let attn = q.matmul(k.swap_dims(2, 3)) * temperature; // [b, heads, c/h, c/h]
        let attn = softmax(attn, 3);
        let out = attn.matmul(v).reshape([b, c, h, w]);
        self.project_out.forward(out)
    }
}
