//! The fused operations written with burn's tensor operations: the forward passes
//! the model always had (used for every backend without fused kernels, and as the
//! reference in tests) and their gradients in closed form (used by
//! [`super::FusedOps`]'s default backward methods).

use burn::tensor::ops::{ConvOptions, FloatTensor};
use burn::tensor::{activation::softmax, backend::Backend, Tensor, TensorPrimitive};

use crate::layer_norm::{normalize_axis, EPS};

/// Channel LayerNorm of an NCHW tensor, `WithBias` when `bias` is given.
///
/// # Shapes
/// `x: [B, C, H, W]`, `weight, bias: [C]` → `[B, C, H, W]`.
pub fn channel_norm<B: Backend>(x: Tensor<B, 4>, weight: Tensor<B, 1>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
    normalize_axis(x, weight, bias, 1)
}

/// Gradients of [`channel_norm`] for the output gradient `grad`:
/// `(dx [B, C, H, W], dweight [C], dbias [C] when with_bias)`.
pub fn channel_norm_backward<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 1>,
    with_bias: bool,
    grad: Tensor<B, 4>,
) -> (Tensor<B, 4>, Tensor<B, 1>, Option<Tensor<B, 1>>) {
    let c = x.dims()[1];
    let (var, mean) = x.clone().var_mean_bias(1);
    let rstd = var.add_scalar(EPS).sqrt().recip(); // [b, 1, h, w]
    let g = grad.clone() * weight.reshape([1, c, 1, 1]);
    let per_channel = |t: Tensor<B, 4>| t.sum_dim(0).sum_dim(2).sum_dim(3).reshape([c]);
    if with_bias {
        let xhat = (x - mean) * rstd.clone();
        let s1 = g.clone().mean_dim(1);
        let s2 = (g.clone() * xhat.clone()).mean_dim(1);
        let dx = (g - s1 - xhat.clone() * s2) * rstd;
        let dw = per_channel(grad.clone() * xhat);
        (dx, dw, Some(per_channel(grad)))
    } else {
        let xr = x.clone() * rstd.clone();
        let xhat = (x - mean) * rstd.clone();
        let s2 = (g.clone() * xr.clone()).mean_dim(1);
        let dx = (g - xhat * s2) * rstd;
        (dx, per_channel(grad * xr), None)
    }
}

/// The standard normal CDF `Φ(x) = 0.5 (1 + erf(x / √2))`, element-wise.
fn normal_cdf<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.mul_scalar(std::f64::consts::FRAC_1_SQRT_2).erf().add_scalar(1.0).mul_scalar(0.5)
}

/// The standard normal density `φ(x) = exp(-x² / 2) / √(2π)`, element-wise.
fn normal_pdf<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.square().mul_scalar(-0.5).exp().mul_scalar(1.0 / (2.0 * std::f64::consts::PI).sqrt())
}

/// The exact (erf) GELU `0.5 x (1 + erf(x / √2))`, written out so that its gradient
/// is the exact one too (burn 0.21's `gelu` backward uses the tanh approximation).
pub fn gelu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let cdf = normal_cdf(x.clone());
    x * cdf
}

/// Gradient of [`gelu`]: `dx = grad (Φ(x) + x φ(x))`.
pub fn gelu_backward<B: Backend, const D: usize>(x: Tensor<B, D>, grad: Tensor<B, D>) -> Tensor<B, D> {
    let cdf = normal_cdf(x.clone());
    let pdf = normal_pdf(x.clone());
    grad * (cdf + x * pdf)
}

/// GDFN's gate `gelu(x1) * x2` with the exact GELU.
pub fn gelu_gate<B: Backend, const D: usize>(x1: Tensor<B, D>, x2: Tensor<B, D>) -> Tensor<B, D> {
    gelu(x1) * x2
}

/// Gradients of [`gelu_gate`]: `(dx1, dx2)`.
pub fn gelu_gate_backward<B: Backend, const D: usize>(
    x1: Tensor<B, D>,
    x2: Tensor<B, D>,
    grad: Tensor<B, D>,
) -> (Tensor<B, D>, Tensor<B, D>) {
    let cdf = normal_cdf(x1.clone());
    let pdf = normal_pdf(x1.clone());
    let dx1 = grad.clone() * x2 * (cdf.clone() + x1.clone() * pdf);
    let dx2 = grad * x1 * cdf;
    (dx1, dx2)
}

/// Gradients of a 3×3 convolution with `options` through burn's own conv2d backward,
/// on primitives: `(dx if with_dx, dweight, dbias if with_bias)` for `grad: [B, C_out, H, W]`.
/// The default backward of [`super::FusedOps`]'s convolutions and the fallback of
/// their kernels.
pub fn conv2d_backward<B: Backend>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
    grad: FloatTensor<B>,
    options: ConvOptions<2>,
    with_bias: bool,
    with_dx: bool,
) -> (Option<FloatTensor<B>>, FloatTensor<B>, Option<FloatTensor<B>>) {
    let dx = with_dx.then(|| B::conv2d_x_backward(x.clone(), weight.clone(), grad.clone(), options.clone()));
    let dw = B::conv2d_weight_backward(x, weight, grad.clone(), options);
    let db = with_bias.then(|| {
        let g: Tensor<B, 4> = Tensor::from_primitive(TensorPrimitive::Float(grad));
        let c = g.dims()[1];
        g.sum_dim(0).sum_dim(2).sum_dim(3).reshape([c]).into_primitive().tensor()
    });
    (dx, dw, db)
}

/// The convolution options of a depthwise 3×3 convolution over `channels`:
/// stride 1, zero padding 1, dilation 1, one group per channel.
pub fn depthwise_options(channels: usize) -> ConvOptions<2> {
    ConvOptions::new([1, 1], [1, 1], [1, 1], channels)
}

/// Depthwise 3×3 convolution with burn's `conv2d`.
///
/// # Shapes
/// `x: [B, C, H, W]`, `weight: [C, 1, 3, 3]`, `bias: [C]` → `[B, C, H, W]`.
pub fn depthwise_conv3x3<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, 4> {
    let c = x.dims()[1];
    burn::tensor::module::conv2d(x, weight, bias, depthwise_options(c))
}

/// The convolution options of a dense 3×3 convolution: stride 1, zero padding 1,
/// dilation 1, one group.
pub fn conv3x3_options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [1, 1], [1, 1], 1)
}

/// Dense 3×3 convolution with burn's `conv2d`.
///
/// # Shapes
/// `x: [B, C_in, H, W]`, `weight: [C_out, C_in, 3, 3]`, `bias: [C_out]` → `[B, C_out, H, W]`.
pub fn conv3x3<B: Backend>(x: Tensor<B, 4>, weight: Tensor<B, 4>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
    burn::tensor::module::conv2d(x, weight, bias, conv3x3_options())
}

/// `nn.Linear` on tokens with burn's `linear`: `x: [M, K]`, `weight: [K, N]`, `bias: [N]` → `[M, N]`.
pub fn token_linear<B: Backend>(x: Tensor<B, 2>, weight: Tensor<B, 2>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 2> {
    burn::tensor::module::linear(x, weight, bias)
}

/// Gradients of [`token_linear`] for the output gradient `grad: [M, N]`:
/// `(dx [M, K], dweight [K, N], dbias [N] when with_bias)`.
pub fn token_linear_backward<B: Backend>(
    x: Tensor<B, 2>,
    weight: Tensor<B, 2>,
    with_bias: bool,
    grad: Tensor<B, 2>,
) -> (Tensor<B, 2>, Tensor<B, 2>, Option<Tensor<B, 1>>) {
    let dx = grad.clone().matmul(weight.transpose());
    let dw = x.transpose().matmul(grad.clone());
    let n = grad.dims()[1];
    let db = with_bias.then(|| grad.sum_dim(0).reshape([n]));
    (dx, dw, db)
}

/// The pointwise projection `W · x[b] + bias` as a batched matrix product.
///
/// # Shapes
/// `x: [B, C_in, N]`, `weight: [C_out, C_in]`, `bias: [C_out]` → `[B, C_out, N]`.
pub fn pointwise<B: Backend>(x: Tensor<B, 3>, weight: Tensor<B, 2>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 3> {
    let co = weight.dims()[0];
    let y = weight.unsqueeze::<3>().matmul(x);
    match bias {
        Some(bias) => y + bias.reshape([1, co, 1]),
        None => y,
    }
}

/// Gradients of [`pointwise`] for the output gradient `grad: [B, C_out, N]`:
/// `(dx [B, C_in, N], dweight [C_out, C_in], dbias [C_out] when with_bias)`.
pub fn pointwise_backward<B: Backend>(
    x: Tensor<B, 3>,
    weight: Tensor<B, 2>,
    with_bias: bool,
    grad: Tensor<B, 3>,
) -> (Tensor<B, 3>, Tensor<B, 2>, Option<Tensor<B, 1>>) {
    let [co, ci] = weight.dims();
    let dx = weight.transpose().unsqueeze::<3>().matmul(grad.clone());
    let dw = grad.clone().matmul(x.swap_dims(1, 2)).sum_dim(0).reshape([co, ci]);
    let db = with_bias.then(|| grad.sum_dim(0).sum_dim(2).reshape([co]));
    (dx, dw, db)
}

/// MDTA's attention core on the output of `qkv_dwconv`: per head, L2-normalised q
/// and k over the pixels, `softmax(q̂ k̂ᵀ · temperature) v`. The norms scale the
/// small `d × d` logits (`diag(1/|q|) q kᵀ diag(1/|k|)`) instead of q and k.
///
/// # Shapes
/// `qkv: [B, 3C, N]` (q, k, v thirds), `temperature: [heads]` → `[B, C, N]`.
pub fn mdta_core<B: Backend>(qkv: Tensor<B, 3>, temperature: Tensor<B, 1>, heads: usize) -> Tensor<B, 3> {
    let [b, c3, n] = qkv.dims();
    let (c, d) = (c3 / 3, c3 / 3 / heads);
    let part = |i: usize| qkv.clone().narrow(1, i * c, c).reshape([b, heads, d, n]);
    let (q, k, v) = (part(0), part(1), part(2));
    let inv_norm = |t: &Tensor<B, 4>| t.clone().square().sum_dim(3).sqrt().clamp_min(1e-12).recip(); // [b, heads, d, 1]
    let (q_scale, k_scale) = (inv_norm(&q), inv_norm(&k).swap_dims(2, 3));
    let temperature = temperature.reshape([1, heads, 1, 1]);
    let attn = q.matmul(k.swap_dims(2, 3)) * (q_scale * temperature) * k_scale; // [b, heads, d, d]
    softmax(attn, 3).matmul(v).reshape([b, c, n])
}

/// Gradients of [`mdta_core`] for `grad: [B, C, N]`: `(dqkv [B, 3C, N],
/// dtemperature [heads])`, in closed form (see [`super::mdta_core`]).
pub fn mdta_core_backward<B: Backend>(
    qkv: Tensor<B, 3>,
    temperature: Tensor<B, 1>,
    heads: usize,
    grad: Tensor<B, 3>,
) -> (Tensor<B, 3>, Tensor<B, 1>) {
    let [b, c3, n] = qkv.dims();
    let (c, d) = (c3 / 3, c3 / 3 / heads);
    let part = |i: usize| qkv.clone().narrow(1, i * c, c).reshape([b, heads, d, n]);
    let (q, k, v) = (part(0), part(1), part(2));
    let g = grad.reshape([b, heads, d, n]);
    let norm = |t: &Tensor<B, 4>| t.clone().square().sum_dim(3).sqrt(); // [b, heads, d, 1]
    let (nq, nk) = (norm(&q), norm(&k));
    let (r, cc) = (nq.clone().clamp_min(1e-12).recip(), nk.clone().clamp_min(1e-12).recip());
    let t = temperature.reshape([1, heads, 1, 1]);
    let s = q.clone().matmul(k.clone().swap_dims(2, 3)); // [b, heads, d, d]
    let scale = r.clone() * cc.clone().swap_dims(2, 3); // r_i c_j
    let a = softmax(s.clone() * scale.clone() * t.clone(), 3);
    let da = g.clone().matmul(v.swap_dims(2, 3));
    let dv = a.clone().swap_dims(2, 3).matmul(g);
    let inner = (da.clone() * a.clone()).sum_dim(3);
    let dl = a * (da - inner);
    let ds = dl.clone() * scale.clone() * t.clone();
    let dt = (dl.clone() * s.clone() * scale).sum_dim(0).sum_dim(2).sum_dim(3).reshape([heads]);
    let dr = (dl.clone() * s.clone() * cc.clone().swap_dims(2, 3) * t.clone()).sum_dim(3); // [b, heads, d, 1]
    let dc = (dl * s * r.clone() * t).sum_dim(2).swap_dims(2, 3); // [b, heads, d, 1]
                                                                  // d(1/max(|x|, eps))/dx = -x/|x|³ where |x| > eps, else 0.
    let above = |nrm: Tensor<B, 4>| nrm.greater_elem(1e-12).float();
    let dq = ds.clone().matmul(k.clone()) - q.clone() * (dr * r.clone().powi_scalar(3) * above(nq));
    let dk = ds.swap_dims(2, 3).matmul(q) - k * (dc * cc.clone().powi_scalar(3) * above(nk));
    let dqkv = Tensor::cat(vec![dq.reshape([b, c, n]), dk.reshape([b, c, n]), dv.reshape([b, c, n])], 1);
    (dqkv, dt)
}

/// Softmax over axis 1 of `[outer, len, inner]`.
pub fn softmax_middle<B: Backend>(x: Tensor<B, 3>) -> Tensor<B, 3> {
    softmax(x, 1)
}

/// Gradient of [`softmax_middle`] from its output `y`: `y (grad - Σ_len grad y)`.
pub fn softmax_middle_backward<B: Backend>(y: Tensor<B, 3>, grad: Tensor<B, 3>) -> Tensor<B, 3> {
    let inner = (grad.clone() * y.clone()).sum_dim(1);
    y * (grad - inner)
}
