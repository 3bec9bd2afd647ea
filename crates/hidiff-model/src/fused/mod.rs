//! Fused operations: HI-Diff's hot spots as a burn backend extension.
//!
//! # Design
//!
//! [`FusedOps`] is a backend extension trait (the pattern of burn's custom-kernel
//! examples) with one method per fused operation and one per its gradient. Every
//! method has a default implementation from burn's tensor operations
//! ([`composed`]), so any backend can implement it with an empty `impl`. Two
//! backends override them:
//!
//! * [`Flex`](burn::backend::Flex) runs fused CPU kernels (modules [`channel_norm`](mod@channel_norm),
//!   [`gelu_gate`](mod@gelu_gate), [`depthwise`]): one pass over memory per step,
//!   vectorisable inner loops, rayon over batch × blocks or planes;
//! * `Autodiff<B: FusedOps>` records one graph node per fused operation whose
//!   backward step calls `B`'s fused gradient kernel (burn-autodiff's
//!   `Backward`/`Ops` API).
//!
//! The model keeps its `B: Backend` bounds (the other crates are generic over
//! `Backend`/`AutodiffBackend` and stay so): the free functions of this module are
//! dispatchers that compare `B`'s `TypeId` with `Flex` and `Autodiff<Flex>`, move
//! the float primitives into the concrete type through `Box<dyn Any>` (a move, no
//! copy) and call the fused implementation. Every other backend (NdArray, CUDA,
//! ...) takes the composed operations, exactly the code the model had before.
//!
//! The fused path is on by default; [`set_enabled`] switches it off for the whole
//! process (the CLI maps `HIDIFF_FUSED=0` onto it, so that `hidiff bench` can time
//! both paths). The kernels work on `f32`; other float types on Flex fall back to
//! the composed operations.

use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicBool, Ordering};

use burn::backend::{Autodiff, Flex};
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorMetadata, TensorPrimitive};

mod autodiff;
pub mod channel_norm;
pub mod composed;
pub mod conv3x3;
pub mod depthwise;
mod flex;
pub mod gelu;
pub mod gelu_gate;
pub mod math;
pub mod mdta_core;
mod output;
pub mod pointwise;
mod simd;
pub mod softmax;
pub mod token_linear;

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Switches the fused kernels on or off for the whole process (default: on).
/// Off, every backend runs the composed operations.
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Whether the fused kernels are switched on ([`set_enabled`]).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// HI-Diff's fused operations on a backend's float primitives. The defaults are
/// the composed operations and their closed-form gradients.
pub trait FusedOps: Backend {
    /// Channel LayerNorm ([`composed::channel_norm`]): `x: [B, C, H, W]`,
    /// `weight, bias: [C]` → `[B, C, H, W]`.
    fn channel_norm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        let out = composed::channel_norm::<Self>(float(x), float(weight), bias.map(float));
        out.into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::channel_norm`] for `grad: [B, C, H, W]`:
    /// `(dx, dweight, dbias if with_bias)`.
    fn channel_norm_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        with_bias: bool,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, Option<FloatTensor<Self>>) {
        let (dx, dw, db) = composed::channel_norm_backward::<Self>(float(x), float(weight), with_bias, float(grad));
        (dx.into_primitive().tensor(), dw.into_primitive().tensor(), db.map(|t| t.into_primitive().tensor()))
    }

    /// Depthwise 3×3 convolution, stride 1, zero padding 1 ([`composed::depthwise_conv3x3`]):
    /// `x: [B, C, H, W]`, `weight: [C, 1, 3, 3]`, `bias: [C]` → `[B, C, H, W]`.
    fn depthwise_conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        let out = composed::depthwise_conv3x3::<Self>(float(x), float(weight), bias.map(float));
        out.into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::depthwise_conv3x3`] for `grad: [B, C, H, W]`:
    /// `(dx, dweight, dbias if with_bias)`; the default is burn's own conv2d backward.
    fn depthwise_conv3x3_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        with_bias: bool,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, Option<FloatTensor<Self>>) {
        let options = composed::depthwise_options(x.shape()[1]);
        let (dx, dw, db) = composed::conv2d_backward::<Self>(x, weight, grad, options, with_bias, true);
        (dx.expect("asked for dx"), dw, db)
    }

    /// Dense 3×3 convolution, stride 1, zero padding 1, one group ([`composed::conv3x3`]):
    /// `x: [B, C_in, H, W]`, `weight: [C_out, C_in, 3, 3]`, `bias: [C_out]` → `[B, C_out, H, W]`.
    fn conv3x3(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: Option<FloatTensor<Self>>) -> FloatTensor<Self> {
        composed::conv3x3::<Self>(float(x), float(weight), bias.map(float)).into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::conv3x3`] for `grad: [B, C_out, H, W]`:
    /// `(dx if with_dx, dweight, dbias if with_bias)`; the default is burn's own conv2d backward.
    fn conv3x3_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        with_bias: bool,
        with_dx: bool,
        grad: FloatTensor<Self>,
    ) -> (Option<FloatTensor<Self>>, FloatTensor<Self>, Option<FloatTensor<Self>>) {
        composed::conv2d_backward::<Self>(x, weight, grad, composed::conv3x3_options(), with_bias, with_dx)
    }

    /// Pointwise projection `W · x[b] + bias` ([`composed::pointwise`]): a 1×1
    /// convolution or a `Linear` on channel-first data. `x: [B, C_in, N]`,
    /// `weight: [C_out, C_in]`, `bias: [C_out]` → `[B, C_out, N]`.
    fn pointwise(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        composed::pointwise::<Self>(float(x), float(weight), bias.map(float)).into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::pointwise`] for `grad: [B, C_out, N]`:
    /// `(dx, dweight, dbias if with_bias)`.
    fn pointwise_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        with_bias: bool,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, Option<FloatTensor<Self>>) {
        let (dx, dw, db) = composed::pointwise_backward::<Self>(float(x), float(weight), with_bias, float(grad));
        (dx.into_primitive().tensor(), dw.into_primitive().tensor(), db.map(|t| t.into_primitive().tensor()))
    }

    /// `nn.Linear` on tokens ([`composed::token_linear`]): `x: [M, K]`, `weight: [K, N]`,
    /// `bias: [N]` → `[M, N]`.
    fn token_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        composed::token_linear::<Self>(float(x), float(weight), bias.map(float)).into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::token_linear`] for `grad: [M, N]`:
    /// `(dx, dweight, dbias if with_bias)`.
    fn token_linear_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        with_bias: bool,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, Option<FloatTensor<Self>>) {
        let (dx, dw, db) = composed::token_linear_backward::<Self>(float(x), float(weight), with_bias, float(grad));
        (dx.into_primitive().tensor(), dw.into_primitive().tensor(), db.map(|t| t.into_primitive().tensor()))
    }

    /// MDTA's attention core ([`composed::mdta_core`]): `qkv: [B, 3C, N]`,
    /// `temperature: [heads]` → `[B, C, N]`.
    fn mdta_core(qkv: FloatTensor<Self>, temperature: FloatTensor<Self>, heads: usize) -> FloatTensor<Self> {
        composed::mdta_core::<Self>(float(qkv), float(temperature), heads).into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::mdta_core`] for `grad: [B, C, N]`: `(dqkv, dtemperature)`.
    fn mdta_core_backward(
        qkv: FloatTensor<Self>,
        temperature: FloatTensor<Self>,
        heads: usize,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (dqkv, dt) = composed::mdta_core_backward::<Self>(float(qkv), float(temperature), heads, float(grad));
        (dqkv.into_primitive().tensor(), dt.into_primitive().tensor())
    }

    /// Softmax over axis 1 of `x: [outer, len, inner]` ([`composed::softmax_middle`]).
    fn softmax_middle(x: FloatTensor<Self>) -> FloatTensor<Self> {
        composed::softmax_middle::<Self>(float(x)).into_primitive().tensor()
    }

    /// Gradient of [`FusedOps::softmax_middle`] from its output `y` and `grad`.
    fn softmax_middle_backward(y: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        composed::softmax_middle_backward::<Self>(float(y), float(grad)).into_primitive().tensor()
    }

    /// The exact GELU `x Φ(x)` ([`composed::gelu`]), element-wise on any shape.
    fn gelu_exact(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let shape = x.shape();
        Self::float_reshape(composed::gelu::<Self, 1>(float_flat(x)).into_primitive().tensor(), shape)
    }

    /// Gradient of [`FusedOps::gelu_exact`] for `grad` (the shape of `x`).
    fn gelu_exact_backward(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        let shape = x.shape();
        let dx = composed::gelu_backward::<Self, 1>(float_flat(x), float_flat(grad));
        Self::float_reshape(dx.into_primitive().tensor(), shape)
    }

    /// GDFN's gate `gelu(x1) * x2` ([`composed::gelu_gate`]); `x1`, `x2`: `[B, C, H, W]`.
    fn gelu_gate(x1: FloatTensor<Self>, x2: FloatTensor<Self>) -> FloatTensor<Self> {
        let out = composed::gelu_gate::<Self, 4>(float(x1), float(x2));
        out.into_primitive().tensor()
    }

    /// Gradients of [`FusedOps::gelu_gate`] for `grad`: `(dx1, dx2)`.
    fn gelu_gate_backward(
        x1: FloatTensor<Self>,
        x2: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (a, b) = composed::gelu_gate_backward::<Self, 4>(float(x1), float(x2), float(grad));
        (a.into_primitive().tensor(), b.into_primitive().tensor())
    }
}

/// The defaults, kept for tests of the autodiff wrapper on a second backend.
impl FusedOps for burn::backend::NdArray {}

/// A float primitive as a tensor (the defaults above run on 4-D tensors).
fn float<B: Backend, const D: usize>(p: FloatTensor<B>) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(p))
}

/// A float primitive of any rank as a 1-D tensor (a reshape, no copy when contiguous).
fn float_flat<B: Backend>(p: FloatTensor<B>) -> Tensor<B, 1> {
    let n = p.shape().num_elements();
    float::<B, 1>(B::float_reshape(p, burn::tensor::Shape::new([n])))
}

/// Which implementation serves backend `B`.
enum Route {
    Composed,
    Flex,
    AutodiffFlex,
}

fn route<B: Backend>() -> Route {
    if !enabled() {
        Route::Composed
    } else if TypeId::of::<B>() == TypeId::of::<Flex>() {
        Route::Flex
    } else if TypeId::of::<B>() == TypeId::of::<Autodiff<Flex>>() {
        Route::AutodiffFlex
    } else {
        Route::Composed
    }
}

/// Moves a value into type `T`, which the caller has checked is its own type.
fn same<A: 'static, T: 'static>(a: A) -> T {
    let boxed: Box<dyn Any> = Box::new(a);
    *boxed.downcast::<T>().expect("fused: dispatch on a TypeId that does not match")
}

/// `t`'s float primitive as `F`'s, for `F` = `B`.
fn to_fused<B: Backend, F: FusedOps, const D: usize>(t: Tensor<B, D>) -> FloatTensor<F> {
    same::<FloatTensor<B>, FloatTensor<F>>(t.into_primitive().tensor())
}

/// An `F` float primitive as a `Tensor<B, D>`, for `F` = `B`.
fn from_fused<B: Backend, F: FusedOps, const D: usize>(p: FloatTensor<F>) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(same::<FloatTensor<F>, FloatTensor<B>>(p)))
}

/// Restormer's channel LayerNorm of an NCHW tensor, fused where the backend has
/// the kernel; `bias: None` is `BiasFree`.
///
/// # Shapes
/// `x: [B, C, H, W]`, `weight, bias: [C]` → `[B, C, H, W]`.
pub fn channel_norm<B: Backend>(x: Tensor<B, 4>, weight: Tensor<B, 1>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
    fn on<B: Backend, F: FusedOps>(x: Tensor<B, 4>, w: Tensor<B, 1>, b: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
        from_fused::<B, F, 4>(F::channel_norm(
            to_fused::<B, F, 4>(x),
            to_fused::<B, F, 1>(w),
            b.map(to_fused::<B, F, 1>),
        ))
    }
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x, weight, bias),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x, weight, bias),
        Route::Composed => composed::channel_norm(x, weight, bias),
    }
}

/// The exact (erf) GELU `x Φ(x)`, fused where the backend has the kernel.
pub fn gelu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    fn on<B: Backend, F: FusedOps, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
        from_fused::<B, F, D>(F::gelu_exact(to_fused::<B, F, D>(x)))
    }
    match route::<B>() {
        Route::Flex => on::<B, Flex, D>(x),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>, D>(x),
        Route::Composed => composed::gelu(x),
    }
}

/// GDFN's gate `gelu(x1) * x2` with the exact GELU, fused where the backend has
/// the kernel.
///
/// # Shapes
/// `x1, x2: [B, C, H, W]` → `[B, C, H, W]`.
pub fn gelu_gate<B: Backend>(x1: Tensor<B, 4>, x2: Tensor<B, 4>) -> Tensor<B, 4> {
    fn on<B: Backend, F: FusedOps>(x1: Tensor<B, 4>, x2: Tensor<B, 4>) -> Tensor<B, 4> {
        from_fused::<B, F, 4>(F::gelu_gate(to_fused::<B, F, 4>(x1), to_fused::<B, F, 4>(x2)))
    }
    assert_eq!(x1.dims(), x2.dims(), "gelu_gate: the two halves differ in shape");
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x1, x2),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x1, x2),
        Route::Composed => composed::gelu_gate(x1, x2),
    }
}

/// Depthwise 3×3 convolution (stride 1, zero padding 1, groups = C), fused where
/// the backend has the kernel.
///
/// # Shapes
/// `x: [B, C, H, W]`, `weight: [C, 1, 3, 3]`, `bias: [C]` → `[B, C, H, W]`.
pub fn depthwise_conv3x3<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, 4> {
    fn on<B: Backend, F: FusedOps>(x: Tensor<B, 4>, w: Tensor<B, 4>, b: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
        let out = F::depthwise_conv3x3(to_fused::<B, F, 4>(x), to_fused::<B, F, 4>(w), b.map(to_fused::<B, F, 1>));
        from_fused::<B, F, 4>(out)
    }
    let c = x.dims()[1];
    assert_eq!(weight.dims(), [c, 1, 3, 3], "depthwise_conv3x3: weight does not fit {c} channels");
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x, weight, bias),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x, weight, bias),
        Route::Composed => composed::depthwise_conv3x3(x, weight, bias),
    }
}

/// Dense 3×3 convolution (stride 1, zero padding 1, one group), fused where the
/// backend has the kernel.
///
/// # Shapes
/// `x: [B, C_in, H, W]`, `weight: [C_out, C_in, 3, 3]`, `bias: [C_out]` → `[B, C_out, H, W]`.
pub fn conv3x3<B: Backend>(x: Tensor<B, 4>, weight: Tensor<B, 4>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
    fn on<B: Backend, F: FusedOps>(x: Tensor<B, 4>, w: Tensor<B, 4>, b: Option<Tensor<B, 1>>) -> Tensor<B, 4> {
        from_fused::<B, F, 4>(F::conv3x3(to_fused::<B, F, 4>(x), to_fused::<B, F, 4>(w), b.map(to_fused::<B, F, 1>)))
    }
    let [co, ci, kh, kw] = weight.dims();
    assert!(
        x.dims()[1] == ci && kh == 3 && kw == 3,
        "conv3x3: weight [{co}, {ci}, {kh}, {kw}] does not fit {:?}",
        x.dims()
    );
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x, weight, bias),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x, weight, bias),
        Route::Composed => composed::conv3x3(x, weight, bias),
    }
}

/// The pointwise projection `W · x[b] + bias` over channel-first data (a 1×1
/// convolution, or a `Linear` applied to every pixel), fused where the backend
/// has the kernel.
///
/// # Shapes
/// `x: [B, C_in, N]`, `weight: [C_out, C_in]`, `bias: [C_out]` → `[B, C_out, N]`.
pub fn pointwise<B: Backend>(x: Tensor<B, 3>, weight: Tensor<B, 2>, bias: Option<Tensor<B, 1>>) -> Tensor<B, 3> {
    fn on<B: Backend, F: FusedOps>(x: Tensor<B, 3>, w: Tensor<B, 2>, b: Option<Tensor<B, 1>>) -> Tensor<B, 3> {
        let out = F::pointwise(to_fused::<B, F, 3>(x), to_fused::<B, F, 2>(w), b.map(to_fused::<B, F, 1>));
        from_fused::<B, F, 3>(out)
    }
    let [co, ci] = weight.dims();
    assert_eq!(x.dims()[1], ci, "pointwise: weight [{co}, {ci}] does not fit {:?}", x.dims());
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x, weight, bias),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x, weight, bias),
        Route::Composed => composed::pointwise(x, weight, bias),
    }
}

/// `nn.Linear` over the last axis of `x` (`x · W + bias`, burn's weight layout),
/// fused where the backend has the kernel.
///
/// # Shapes
/// `x: [..., K]`, `weight: [K, N]`, `bias: [N]` → `[..., N]`.
pub fn token_linear<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    weight: Tensor<B, 2>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, D> {
    fn on<B: Backend, F: FusedOps>(x: Tensor<B, 2>, w: Tensor<B, 2>, b: Option<Tensor<B, 1>>) -> Tensor<B, 2> {
        let out = F::token_linear(to_fused::<B, F, 2>(x), to_fused::<B, F, 2>(w), b.map(to_fused::<B, F, 1>));
        from_fused::<B, F, 2>(out)
    }
    let dims = x.dims();
    let [k, n] = weight.dims();
    assert_eq!(dims[D - 1], k, "token_linear: weight [{k}, {n}] does not fit {dims:?}");
    let m = dims[..D - 1].iter().product();
    let mut out_dims = dims;
    out_dims[D - 1] = n;
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x.reshape([m, k]), weight, bias).reshape(out_dims),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x.reshape([m, k]), weight, bias).reshape(out_dims),
        Route::Composed => burn::tensor::module::linear(x, weight, bias),
    }
}

/// MDTA's attention core (L2-normalised q and k per head, `softmax(q̂ k̂ᵀ · t) v`),
/// fused where the backend has the kernel.
///
/// # Shapes
/// `qkv: [B, 3C, N]` (q, k and v thirds), `temperature: [heads]` → `[B, C, N]`.
pub fn mdta_core<B: Backend>(qkv: Tensor<B, 3>, temperature: Tensor<B, 1>, heads: usize) -> Tensor<B, 3> {
    fn on<B: Backend, F: FusedOps>(qkv: Tensor<B, 3>, t: Tensor<B, 1>, heads: usize) -> Tensor<B, 3> {
        from_fused::<B, F, 3>(F::mdta_core(to_fused::<B, F, 3>(qkv), to_fused::<B, F, 1>(t), heads))
    }
    let [_, c3, _] = qkv.dims();
    assert!(heads > 0 && c3 % (3 * heads) == 0, "mdta_core: {c3} channels are not 3 × a multiple of {heads} heads");
    assert_eq!(temperature.dims(), [heads], "mdta_core: temperature does not fit {heads} heads");
    match route::<B>() {
        Route::Flex => on::<B, Flex>(qkv, temperature, heads),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(qkv, temperature, heads),
        Route::Composed => composed::mdta_core(qkv, temperature, heads),
    }
}

/// Softmax over axis `dim` of a 4-D tensor, fused where the backend has the kernel
/// (as `[outer, len, inner]`, one pass per step along the contiguous `inner`).
///
/// # Shapes
/// `x: [A, B, C, D]` → the same shape.
pub fn softmax<B: Backend>(x: Tensor<B, 4>, dim: usize) -> Tensor<B, 4> {
    fn on<B: Backend, F: FusedOps>(x: Tensor<B, 3>) -> Tensor<B, 3> {
        from_fused::<B, F, 3>(F::softmax_middle(to_fused::<B, F, 3>(x)))
    }
    let dims = x.dims();
    let outer: usize = dims[..dim].iter().product();
    let inner: usize = dims[dim + 1..].iter().product();
    let x3 = || x.clone().reshape([outer, dims[dim], inner]);
    match route::<B>() {
        Route::Flex => on::<B, Flex>(x3()).reshape(dims),
        Route::AutodiffFlex => on::<B, Autodiff<Flex>>(x3()).reshape(dims),
        Route::Composed => burn::tensor::activation::softmax(x, dim),
    }
}
