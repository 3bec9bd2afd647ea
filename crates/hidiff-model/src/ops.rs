//! Small tensor operations that burn 0.21 lacks or implements differently from PyTorch.

use burn::nn::Linear;
use burn::tensor::{backend::Backend, Tensor};

/// `nn.PixelShuffle(r)`: `[b, c*r*r, h, w] -> [b, c, h*r, w*r]`, the exact inverse of
/// [`pixel_unshuffle`] (docs/reference.md §1.2: input channel `c*r*r + i*r + j` goes to row
/// offset `i`, column offset `j`).
pub fn pixel_shuffle<B: Backend>(x: Tensor<B, 4>, r: usize) -> Tensor<B, 4> {
    let [b, c, h, w] = x.dims();
    let o = c / (r * r);
    x.reshape([b, o, r, r, h, w]) // [b, o, i, j, h, w]
        .permute([0, 1, 4, 2, 5, 3]) // [b, o, h, i, w, j]
        .reshape([b, o, h * r, w * r])
}

/// `nn.PixelUnshuffle(r)`: `[b, c, h, w] -> [b, c*r*r, h/r, w/r]` with
/// `out[b, c*r*r + i*r + j, y, x] = in[b, c, y*r + i, x*r + j]` (docs/reference.md §1.2).
pub fn pixel_unshuffle<B: Backend>(x: Tensor<B, 4>, r: usize) -> Tensor<B, 4> {
    let [b, c, h, w] = x.dims();
    assert!(h % r == 0 && w % r == 0, "pixel_unshuffle: {h}x{w} is not a multiple of {r}");
    x.reshape([b, c, h / r, r, w / r, r]) // [b, c, y, i, x, j]
        .permute([0, 1, 3, 5, 2, 4]) // [b, c, i, j, y, x]
        .reshape([b, c * r * r, h / r, w / r])
}

/// Exact (erf) GELU, `0.5 x (1 + erf(x / sqrt 2))`, with the exact gradient (burn
/// 0.21's `gelu` backward uses the tanh approximation, an error of ~1e-3 in
/// gradients): one fused operation where the backend has the kernel, else written
/// out ([`crate::fused::gelu`]).
pub fn gelu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    crate::fused::gelu(x)
}

/// `linear.forward(x)`: `x · W + bias` over the last axis, one fused operation where
/// the backend has the kernel ([`crate::fused::token_linear`]).
///
/// # Shapes
/// `x: [..., C_in]` → `[..., C_out]`.
pub fn linear<B: Backend, const D: usize>(linear: &Linear<B>, x: Tensor<B, D>) -> Tensor<B, D> {
    crate::fused::token_linear(x, linear.weight.val(), linear.bias.as_ref().map(|b| b.val()))
}

/// `linear` applied along axis 1 of `x`: `Wᵀ · x[b] + bias` per column, the same
/// numbers as `linear.forward` on `x` with axes 1 and 2 swapped (and swapped back),
/// without the transposes ([`crate::fused::pointwise`]). HIM's `Linear`s on
/// channel-first pixels, the token mixers and the prior's down-sampling over tokens.
///
/// # Shapes
/// `x: [B, C_in, N]` → `[B, C_out, N]`.
pub fn linear_channels<B: Backend>(linear: &Linear<B>, x: Tensor<B, 3>) -> Tensor<B, 3> {
    let weight = linear.weight.val().transpose(); // [C_out, C_in]
    crate::fused::pointwise(x, weight, linear.bias.as_ref().map(|b| b.val()))
}

/// `F.leaky_relu(x, slope)`.
pub fn leaky_relu<B: Backend, const D: usize>(x: Tensor<B, D>, slope: f64) -> Tensor<B, D> {
    burn::tensor::activation::leaky_relu(x, slope)
}

/// `F.normalize(x, p=2, dim, eps)`: `x / max(||x||_2, eps)` along `dim`.
pub fn l2_normalize<B: Backend, const D: usize>(x: Tensor<B, D>, dim: usize, eps: f64) -> Tensor<B, D> {
    let norm = x.clone().square().sum_dim(dim).sqrt().clamp_min(eps);
    x / norm
}

/// The test-time padding of `HI_Diff_S1/S2.test`: reflect padding at the bottom and
/// right only, up to a multiple of `window` (docs/reference.md §4.3). Returns the padded tensor.
///
/// # Panics
/// If a pad would be as large as the image side (images smaller than `window`
/// pixels on a side); callers check sizes first.
pub fn pad_to_multiple<B: Backend>(x: Tensor<B, 4>, window: usize) -> Tensor<B, 4> {
    let [_, _, h, w] = x.dims();
    let pad_h = (window - h % window) % window;
    let pad_w = (window - w % window) % window;
    if pad_h == 0 && pad_w == 0 {
        return x;
    }
    x.pad((0, pad_w, 0, pad_h), burn::tensor::ops::PadMode::Reflect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    type B = Flex;

    #[test]
    fn unshuffle_follows_pytorch_index_rule() {
        let dev = Default::default();
        let data: Vec<f32> = (0..2 * 4 * 6).map(|v| v as f32).collect();
        let x = Tensor::<B, 4>::from_data(TensorData::new(data.clone(), [1, 2, 4, 6]), &dev);
        let y = pixel_unshuffle(x.clone(), 2);
        assert_eq!(y.dims(), [1, 8, 2, 3]);
        let out = y.clone().into_data().to_vec::<f32>().unwrap();
        for c in 0..2 {
            for i in 0..2 {
                for j in 0..2 {
                    for yy in 0..2 {
                        for xx in 0..3 {
                            let o = ((c * 4 + i * 2 + j) * 2 + yy) * 3 + xx;
                            let s = (c * 4 + yy * 2 + i) * 6 + xx * 2 + j;
                            assert_eq!(out[o], data[s]);
                        }
                    }
                }
            }
        }
        let back = pixel_shuffle(y, 2).into_data().to_vec::<f32>().unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn gelu_matches_erf_formula() {
        let dev = Default::default();
        let xs = [-3.0f32, -1.0, -0.1, 0.0, 0.5, 2.0];
        let y = gelu(Tensor::<B, 1>::from_floats(xs, &dev)).into_data().to_vec::<f32>().unwrap();
        for (x, y) in xs.iter().zip(y) {
            let x = *x as f64;
            let want = 0.5 * x * (1.0 + crate::fused::math::erf64(x / 2f64.sqrt()));
            assert!((want - y as f64).abs() < 1e-6, "gelu({x}) = {y}, want {want}");
        }
    }

    #[test]
    fn reflect_pad_mirrors_without_edge() {
        let dev = Default::default();
        let x = Tensor::<B, 4>::from_data(
            TensorData::new((0..5).map(|v| v as f32).collect::<Vec<_>>(), [1, 1, 1, 5]),
            &dev,
        );
        // width 5 -> 8: pad 3 on the right with reflect (no edge repeat): 3, 2, 1.
        let x = x.pad((0, 3, 0, 0), burn::tensor::ops::PadMode::Reflect);
        assert_eq!(x.into_data().to_vec::<f32>().unwrap(), vec![0., 1., 2., 3., 4., 3., 2., 1.]);
    }
}
