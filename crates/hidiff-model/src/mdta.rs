//! MDTA, the multi-Dconv head transposed attention of Restormer (`Attention` in
//! `Transformer_arch.py`), with HI-Diff's optional `ln1/ln2` prior modulation at the
//! latent level (reference 1.2).

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{backend::Backend, Tensor};

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

/// `conv.forward(x)`; a dense 3×3 convolution as [`conv3x3`] makes it (stride 1,
/// zero padding 1, one group) through [`crate::fused::conv3x3`]: the same numbers,
/// and on Flex a fused kernel whose gradients are matrix products (burn's generic
/// conv2d backward runs the weight gradient as a convolution with an H×W kernel).
///
/// # Shapes
/// `x: [B, Ci, H, W]` → `[B, Co, H, W]`.
pub(crate) fn dense_conv<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let dense3x3 = conv.kernel_size == [3, 3]
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && conv.padding == PaddingConfig2d::Explicit(1, 1, 1, 1);
    if dense3x3 {
        crate::fused::conv3x3(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val()))
    } else {
        conv.forward(x)
    }
}

/// `conv` restricted to the output channels of part `part` of `parts` equal parts,
/// without materialising the other parts. For a depthwise conv the input must be
/// the matching part of its input.
///
/// Splitting the convolution instead of `chunk`-ing its output keeps every
/// tensor contiguous: burn Flex runs element-wise ops on chunk views through a
/// strided path about 5x slower (measured on GDFN at 48×128×128). The result is
/// the same per output channel. 1×1 convolutions run as matrix products
/// ([`pointwise`]) and depthwise 3×3 ones through [`crate::fused::depthwise_conv3x3`].
pub(crate) fn conv_part<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>, part: usize, parts: usize) -> Tensor<B, 4> {
    let w = conv.weight.val();
    let n = w.dims()[0] / parts;
    let w = w.narrow(0, part * n, n);
    let b = conv.bias.as_ref().map(|b| b.val().narrow(0, part * n, n));
    let groups = if conv.groups == 1 { 1 } else { conv.groups / parts };
    let unit = conv.stride == [1, 1] && conv.dilation == [1, 1];
    if unit && conv.kernel_size == [1, 1] && groups == 1 {
        return pointwise(x, w, b);
    }
    if unit && conv.kernel_size == [3, 3] && groups == n && w.dims()[1] == 1 {
        return crate::fused::depthwise_conv3x3(x, w, b);
    }
    let pad = conv.kernel_size[0] / 2;
    burn::tensor::module::conv2d(x, w, b, ConvOptions::new([1, 1], [pad, pad], [1, 1], groups))
}

/// A 1×1 convolution (stride 1, no padding) as a batched matrix product
/// `W [Co, Ci] · x [Ci, HW] + bias` ([`crate::fused::pointwise`]): the same numbers
/// as `conv2d`, and its gradients are matrix products too (burn's generic conv2d backward runs the weight gradient
/// as a convolution with an H×W kernel, the largest cost of a training step on Flex).
///
/// # Shapes
/// `x: [B, Ci, H, W]`, `weight: [Co, Ci, 1, 1]`, `bias: [Co]` → `[B, Co, H, W]`.
pub(crate) fn pointwise<B: Backend>(x: Tensor<B, 4>, weight: Tensor<B, 4>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
    let [b, ci, h, w] = x.dims();
    let co = weight.dims()[0];
    crate::fused::pointwise(x.reshape([b, ci, h * w]), weight.reshape([co, ci]), bias).reshape([b, co, h, w])
}

/// `conv.forward(x)` for a 1×1 convolution, through [`pointwise`].
pub(crate) fn pointwise_conv<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    debug_assert_eq!(conv.kernel_size, [1, 1]);
    pointwise(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val()))
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
        // q, k, v = chunk(dwconv(conv1x1(x)), 3): one 1×1 and one depthwise conv over
        // all 3C channels, then the attention core reads the three thirds in place.
        let qkv = conv_part(&self.qkv_dwconv, pointwise_conv(&self.qkv, x), 0, 1); // [b, 3c, h, w]
        let temperature = self.temperature.val().reshape([heads]);
        let out = crate::fused::mdta_core(qkv.reshape([b, 3 * c, h * w]), temperature, heads).reshape([b, c, h, w]);
        pointwise_conv(&self.project_out, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};
    use burn::tensor::Distribution;

    type B = Autodiff<Flex>;

    /// The 1×1 convolution as a matrix product equals burn's conv2d, with gradients.
    #[test]
    fn pointwise_matches_conv2d() {
        let dev = Default::default();
        let x = Tensor::<B, 4>::random([2, 5, 7, 3], Distribution::Uniform(-1.0, 1.0), &dev).require_grad();
        let w = Tensor::<B, 4>::random([4, 5, 1, 1], Distribution::Uniform(-1.0, 1.0), &dev).require_grad();
        let b = Tensor::<B, 1>::random([4], Distribution::Uniform(-1.0, 1.0), &dev).require_grad();
        let r = Tensor::<B, 4>::random([2, 4, 7, 3], Distribution::Uniform(-1.0, 1.0), &dev);
        let run = |conv: &dyn Fn() -> Tensor<B, 4>| {
            let y = conv();
            let g = (y.clone() * r.clone()).sum().backward();
            let v = |d: burn::tensor::TensorData| d.to_vec::<f32>().expect("f32 data");
            vec![
                v(y.into_data()),
                v(x.grad(&g).expect("dx").into_data()),
                v(w.grad(&g).expect("dw").into_data()),
                v(b.grad(&g).expect("db").into_data()),
            ]
        };
        let got = run(&|| pointwise(x.clone(), w.clone(), Some(b.clone())));
        let want = run(&|| {
            burn::tensor::module::conv2d(
                x.clone(),
                w.clone(),
                Some(b.clone()),
                ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
            )
        });
        for (g, w) in got.iter().zip(&want) {
            let worst = g.iter().zip(w).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-5, "pointwise vs conv2d: max difference {worst}");
        }
    }
}
