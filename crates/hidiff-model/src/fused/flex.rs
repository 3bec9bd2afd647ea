//! [`FusedOps`] for burn's Flex CPU backend: the fused `f32` kernels of
//! [`super::channel_norm`] and [`super::gelu_gate`] on the tensors' storage.

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::ops::FloatTensorOps;
use burn::tensor::{DType, Shape, TensorData, TensorMetadata};

use super::{
    channel_norm, composed, conv3x3, depthwise, float, float_flat, gelu, gelu_gate, mdta_core, pointwise, softmax,
    token_linear, FusedOps,
};

/// `t` as a contiguous `f32` tensor whose [`FlexTensor::as_slice`] is the data,
/// or `None` for other float types.
fn contiguous_f32(t: FlexTensor) -> Option<FlexTensor> {
    if t.dtype() != DType::F32 {
        return None;
    }
    Some(if t.as_slice::<f32>().is_some() { t } else { t.to_contiguous() })
}

/// The input, weight and optional bias of an operation as contiguous `f32`
/// tensors, or `None` when any of them is another float type.
fn affine_f32(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &Option<FlexTensor>,
) -> Option<(FlexTensor, FlexTensor, Option<FlexTensor>)> {
    let bias = match bias {
        Some(b) => Some(contiguous_f32(b.clone())?),
        None => None,
    };
    Some((contiguous_f32(x.clone())?, contiguous_f32(weight.clone())?, bias))
}

/// The input, weight and output gradient of an operation's backward as contiguous
/// `f32` tensors, or `None` when any of them is another float type.
fn grads_f32(x: &FlexTensor, weight: &FlexTensor, grad: &FlexTensor) -> Option<(FlexTensor, FlexTensor, FlexTensor)> {
    Some((contiguous_f32(x.clone())?, contiguous_f32(weight.clone())?, contiguous_f32(grad.clone())?))
}

/// A kernel's `(dx, dweight, dbias)` as tensors of the input's and the weight's
/// shapes, and `dbias` (one value per output) only when the operation has a bias.
fn affine_grads(
    x: Shape,
    weight: Shape,
    with_bias: bool,
    (dx, dw, db): (Vec<f32>, Vec<f32>, Vec<f32>),
) -> (FlexTensor, FlexTensor, Option<FlexTensor>) {
    let outputs = db.len();
    (tensor(dx, x), tensor(dw, weight), with_bias.then(|| tensor(db, Shape::new([outputs]))))
}

fn data(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("fused: contiguous_f32 gives a contiguous f32 tensor")
}

fn tensor(values: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// `[B, C, H, W]` as the kernel's `[B, C, HW]`.
fn dims(shape: &Shape) -> channel_norm::Dims {
    assert_eq!(shape.num_dims(), 4, "channel_norm: expected [B, C, H, W], got {shape:?}");
    channel_norm::Dims { batch: shape[0], channels: shape[1], pixels: shape[2] * shape[3] }
}

impl FusedOps for Flex {
    fn channel_norm(x: FlexTensor, weight: FlexTensor, bias: Option<FlexTensor>) -> FlexTensor {
        let shape = x.shape();
        match affine_f32(&x, &weight, &bias) {
            Some((xc, wc, bc)) => {
                tensor(channel_norm::forward(data(&xc), dims(&shape), data(&wc), bc.as_ref().map(data)), shape)
            }
            None => composed::channel_norm::<Flex>(float(x), float(weight), bias.map(float)).into_primitive().tensor(),
        }
    }

    fn channel_norm_backward(
        x: FlexTensor,
        weight: FlexTensor,
        with_bias: bool,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor, Option<FlexTensor>) {
        let shape = x.shape();
        let c = shape[1];
        match grads_f32(&x, &weight, &grad) {
            Some((xc, wc, gc)) => {
                let (dx, dw, db) = channel_norm::backward(data(&xc), dims(&shape), data(&wc), with_bias, data(&gc));
                (tensor(dx, shape), tensor(dw, Shape::new([c])), db.map(|db| tensor(db, Shape::new([c]))))
            }
            None => {
                let (dx, dw, db) =
                    composed::channel_norm_backward::<Flex>(float(x), float(weight), with_bias, float(grad));
                (dx.into_primitive().tensor(), dw.into_primitive().tensor(), db.map(|t| t.into_primitive().tensor()))
            }
        }
    }

    fn gelu_exact(x: FlexTensor) -> FlexTensor {
        let shape = x.shape();
        match contiguous_f32(x.clone()) {
            Some(xc) => tensor(gelu::forward(data(&xc)), shape),
            None => {
                let y = composed::gelu::<Flex, 1>(float_flat(x)).into_primitive().tensor();
                Flex::float_reshape(y, shape)
            }
        }
    }

    fn gelu_exact_backward(x: FlexTensor, grad: FlexTensor) -> FlexTensor {
        let shape = x.shape();
        match (contiguous_f32(x.clone()), contiguous_f32(grad.clone())) {
            (Some(xc), Some(gc)) => tensor(gelu::backward(data(&xc), data(&gc)), shape),
            _ => {
                let dx = composed::gelu_backward::<Flex, 1>(float_flat(x), float_flat(grad));
                Flex::float_reshape(dx.into_primitive().tensor(), shape)
            }
        }
    }

    fn gelu_gate(x1: FlexTensor, x2: FlexTensor) -> FlexTensor {
        let shape = x1.shape();
        match (contiguous_f32(x1.clone()), contiguous_f32(x2.clone())) {
            (Some(a), Some(b)) => tensor(gelu_gate::forward(data(&a), data(&b)), shape),
            _ => composed::gelu_gate::<Flex, 4>(float(x1), float(x2)).into_primitive().tensor(),
        }
    }

    fn gelu_gate_backward(x1: FlexTensor, x2: FlexTensor, grad: FlexTensor) -> (FlexTensor, FlexTensor) {
        let shape = x1.shape();
        match (contiguous_f32(x1.clone()), contiguous_f32(x2.clone()), contiguous_f32(grad.clone())) {
            (Some(a), Some(b), Some(g)) => {
                let (d1, d2) = gelu_gate::backward(data(&a), data(&b), data(&g));
                (tensor(d1, shape.clone()), tensor(d2, shape))
            }
            _ => {
                let (d1, d2) = composed::gelu_gate_backward::<Flex, 4>(float(x1), float(x2), float(grad));
                (d1.into_primitive().tensor(), d2.into_primitive().tensor())
            }
        }
    }

    fn conv3x3(x: FlexTensor, weight: FlexTensor, bias: Option<FlexTensor>) -> FlexTensor {
        let (xs, ws) = (x.shape(), weight.shape());
        let d = conv3x3_dims(&xs, &ws);
        let out = Shape::new([d.batch, d.outputs, d.height, d.width]);
        match affine_f32(&x, &weight, &bias) {
            Some((xc, wc, bc)) => tensor(conv3x3::forward(data(&xc), d, data(&wc), bc.as_ref().map(data)), out),
            None => composed::conv3x3::<Flex>(float(x), float(weight), bias.map(float)).into_primitive().tensor(),
        }
    }

    fn conv3x3_backward(
        x: FlexTensor,
        weight: FlexTensor,
        with_bias: bool,
        with_dx: bool,
        grad: FlexTensor,
    ) -> (Option<FlexTensor>, FlexTensor, Option<FlexTensor>) {
        let (xs, ws) = (x.shape(), weight.shape());
        let d = conv3x3_dims(&xs, &ws);
        match grads_f32(&x, &weight, &grad) {
            Some((xc, wc, gc)) => {
                let (dx, dw, db) = conv3x3::backward(data(&xc), d, data(&wc), data(&gc), with_dx);
                let db = with_bias.then(|| tensor(db, Shape::new([d.outputs])));
                (dx.map(|dx| tensor(dx, xs)), tensor(dw, ws), db)
            }
            None => composed::conv2d_backward::<Flex>(x, weight, grad, composed::conv3x3_options(), with_bias, with_dx),
        }
    }

    fn pointwise(x: FlexTensor, weight: FlexTensor, bias: Option<FlexTensor>) -> FlexTensor {
        let (xs, ws) = (x.shape(), weight.shape());
        let d = pointwise_dims(&xs, &ws);
        let out = Shape::new([d.batch, d.outputs, d.pixels]);
        match affine_f32(&x, &weight, &bias) {
            Some((xc, wc, bc)) => tensor(pointwise::forward(data(&xc), d, data(&wc), bc.as_ref().map(data)), out),
            None => composed::pointwise::<Flex>(float(x), float(weight), bias.map(float)).into_primitive().tensor(),
        }
    }

    fn pointwise_backward(
        x: FlexTensor,
        weight: FlexTensor,
        with_bias: bool,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor, Option<FlexTensor>) {
        let (xs, ws) = (x.shape(), weight.shape());
        let d = pointwise_dims(&xs, &ws);
        match grads_f32(&x, &weight, &grad) {
            Some((xc, wc, gc)) => {
                affine_grads(xs, ws, with_bias, pointwise::backward(data(&xc), d, data(&wc), data(&gc)))
            }
            None => {
                let (dx, dw, db) =
                    composed::pointwise_backward::<Flex>(float(x), float(weight), with_bias, float(grad));
                (dx.into_primitive().tensor(), dw.into_primitive().tensor(), db.map(|t| t.into_primitive().tensor()))
            }
        }
    }

    fn token_linear(x: FlexTensor, weight: FlexTensor, bias: Option<FlexTensor>) -> FlexTensor {
        let (xs, ws) = (x.shape(), weight.shape());
        let d = token_linear_dims(&xs, &ws);
        let out = Shape::new([d.rows, d.outputs]);
        match affine_f32(&x, &weight, &bias) {
            Some((xc, wc, bc)) => tensor(token_linear::forward(data(&xc), d, data(&wc), bc.as_ref().map(data)), out),
            None => composed::token_linear::<Flex>(float(x), float(weight), bias.map(float)).into_primitive().tensor(),
        }
    }

    fn token_linear_backward(
        x: FlexTensor,
        weight: FlexTensor,
        with_bias: bool,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor, Option<FlexTensor>) {
        let (xs, ws) = (x.shape(), weight.shape());
        let d = token_linear_dims(&xs, &ws);
        match grads_f32(&x, &weight, &grad) {
            Some((xc, wc, gc)) => {
                affine_grads(xs, ws, with_bias, token_linear::backward(data(&xc), d, data(&wc), data(&gc)))
            }
            None => {
                let (dx, dw, db) =
                    composed::token_linear_backward::<Flex>(float(x), float(weight), with_bias, float(grad));
                (dx.into_primitive().tensor(), dw.into_primitive().tensor(), db.map(|t| t.into_primitive().tensor()))
            }
        }
    }

    fn mdta_core(qkv: FlexTensor, temperature: FlexTensor, heads: usize) -> FlexTensor {
        let shape = qkv.shape();
        let d = mdta_dims(&shape, heads);
        match (contiguous_f32(qkv.clone()), contiguous_f32(temperature.clone())) {
            (Some(x), Some(t)) => {
                tensor(mdta_core::forward(data(&x), d, data(&t)), Shape::new([d.batch, d.channels, d.pixels]))
            }
            _ => composed::mdta_core::<Flex>(float(qkv), float(temperature), heads).into_primitive().tensor(),
        }
    }

    fn mdta_core_backward(
        qkv: FlexTensor,
        temperature: FlexTensor,
        heads: usize,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor) {
        let shape = qkv.shape();
        let d = mdta_dims(&shape, heads);
        match (contiguous_f32(qkv.clone()), contiguous_f32(temperature.clone()), contiguous_f32(grad.clone())) {
            (Some(x), Some(t), Some(g)) => {
                let (dqkv, dt) = mdta_core::backward(data(&x), d, data(&t), data(&g));
                (tensor(dqkv, shape), tensor(dt, Shape::new([heads])))
            }
            _ => {
                let (dqkv, dt) =
                    composed::mdta_core_backward::<Flex>(float(qkv), float(temperature), heads, float(grad));
                (dqkv.into_primitive().tensor(), dt.into_primitive().tensor())
            }
        }
    }

    fn softmax_middle(x: FlexTensor) -> FlexTensor {
        let shape = x.shape();
        match contiguous_f32(x.clone()) {
            Some(xc) => tensor(softmax::forward(data(&xc), softmax_dims(&shape)), shape),
            None => composed::softmax_middle::<Flex>(float(x)).into_primitive().tensor(),
        }
    }

    fn softmax_middle_backward(y: FlexTensor, grad: FlexTensor) -> FlexTensor {
        let shape = y.shape();
        match (contiguous_f32(y.clone()), contiguous_f32(grad.clone())) {
            (Some(yc), Some(gc)) => tensor(softmax::backward(data(&yc), data(&gc), softmax_dims(&shape)), shape),
            _ => composed::softmax_middle_backward::<Flex>(float(y), float(grad)).into_primitive().tensor(),
        }
    }

    fn depthwise_conv3x3(x: FlexTensor, weight: FlexTensor, bias: Option<FlexTensor>) -> FlexTensor {
        let shape = x.shape();
        let d = conv_dims(&shape);
        match affine_f32(&x, &weight, &bias) {
            Some((xc, wc, bc)) => tensor(depthwise::forward(data(&xc), d, data(&wc), bc.as_ref().map(data)), shape),
            None => {
                composed::depthwise_conv3x3::<Flex>(float(x), float(weight), bias.map(float)).into_primitive().tensor()
            }
        }
    }

    fn depthwise_conv3x3_backward(
        x: FlexTensor,
        weight: FlexTensor,
        with_bias: bool,
        grad: FlexTensor,
    ) -> (FlexTensor, FlexTensor, Option<FlexTensor>) {
        let shape = x.shape();
        let c = shape[1];
        match grads_f32(&x, &weight, &grad) {
            Some((xc, wc, gc)) => {
                let grads = depthwise::backward(data(&xc), conv_dims(&shape), data(&wc), data(&gc));
                affine_grads(shape, Shape::new([c, 1, 3, 3]), with_bias, grads)
            }
            None => {
                let options = composed::depthwise_options(c);
                let (dx, dw, db) = composed::conv2d_backward::<Flex>(x, weight, grad, options, with_bias, true);
                (dx.expect("asked for dx"), dw, db)
            }
        }
    }
}

/// `[B, C, H, W]` as the depthwise kernel's sizes.
fn conv_dims(shape: &Shape) -> depthwise::Dims {
    assert_eq!(shape.num_dims(), 4, "depthwise conv: expected [B, C, H, W], got {shape:?}");
    depthwise::Dims { batch: shape[0], channels: shape[1], height: shape[2], width: shape[3] }
}

/// `x: [B, C_in, H, W]` and `weight: [C_out, C_in, 3, 3]` as the dense 3×3 kernel's sizes.
fn conv3x3_dims(x: &Shape, weight: &Shape) -> conv3x3::Dims {
    assert!(x.num_dims() == 4 && weight.num_dims() == 4, "conv3x3: expected [B, C_in, H, W] and [C_out, C_in, 3, 3]");
    conv3x3::Dims { batch: x[0], inputs: x[1], outputs: weight[0], height: x[2], width: x[3] }
}

/// `x: [B, C_in, N]` and `weight: [C_out, C_in]` as the pointwise kernel's sizes.
fn pointwise_dims(x: &Shape, weight: &Shape) -> pointwise::Dims {
    assert!(x.num_dims() == 3 && weight.num_dims() == 2, "pointwise: expected [B, C_in, N] and [C_out, C_in]");
    pointwise::Dims { batch: x[0], inputs: x[1], outputs: weight[0], pixels: x[2] }
}

/// `x: [M, K]` and `weight: [K, N]` as the token Linear kernel's sizes.
fn token_linear_dims(x: &Shape, weight: &Shape) -> token_linear::Dims {
    assert!(x.num_dims() == 2 && weight.num_dims() == 2, "token_linear: expected [M, K] and [K, N]");
    token_linear::Dims { rows: x[0], inputs: x[1], outputs: weight[1] }
}

/// `qkv: [B, 3C, N]` with `heads` heads as the MDTA kernel's sizes.
fn mdta_dims(qkv: &Shape, heads: usize) -> mdta_core::Dims {
    assert_eq!(qkv.num_dims(), 3, "mdta_core: expected [B, 3C, N], got {qkv:?}");
    mdta_core::Dims { batch: qkv[0], channels: qkv[1] / 3, heads, pixels: qkv[2] }
}

/// `[outer, len, inner]` as the softmax kernel's sizes.
fn softmax_dims(shape: &Shape) -> softmax::Dims {
    assert_eq!(shape.num_dims(), 3, "softmax: expected [outer, len, inner], got {shape:?}");
    softmax::Dims { outer: shape[0], len: shape[1], inner: shape[2] }
}
