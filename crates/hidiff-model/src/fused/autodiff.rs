//! [`FusedOps`] for `Autodiff<B>`: each fused operation is one node of the
//! autodiff graph whose backward step runs `B`'s fused gradient kernel
//! (burn-autodiff's `Backward` / `Ops` API, as in burn's custom-kernel examples).

use std::marker::PhantomData;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::Autodiff;
use burn::tensor::ops::FloatTensor;

use super::FusedOps;

/// The fused operations of an input, a per-channel weight and an optional bias.
#[derive(Debug, Clone, Copy)]
enum Affine {
    ChannelNorm,
    DepthwiseConv3x3,
    Conv3x3,
    Pointwise,
    TokenLinear,
}

/// Backward step of an [`Affine`] operation; `N` is 3 with a bias, 2 without.
#[derive(Debug)]
struct AffineBackward<B, const N: usize>(Affine, PhantomData<B>);

impl<B: FusedOps, const N: usize> Backward<B, N> for AffineBackward<B, N> {
    /// The input and the weight.
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (x, weight) = ops.state;
        let mut parents = ops.parents.into_iter();
        let (px, pw, pb) = (parents.next().flatten(), parents.next().flatten(), parents.next().flatten());
        let with = |(dx, dw, db)| (Some(dx), dw, db);
        let (dx, dw, db) = match self.0 {
            Affine::ChannelNorm => with(B::channel_norm_backward(x, weight, N == 3, grad)),
            Affine::DepthwiseConv3x3 => with(B::depthwise_conv3x3_backward(x, weight, N == 3, grad)),
            // The input gradient only when the input is tracked (not for the image).
            Affine::Conv3x3 => B::conv3x3_backward(x, weight, N == 3, px.is_some(), grad),
            Affine::Pointwise => with(B::pointwise_backward(x, weight, N == 3, grad)),
            Affine::TokenLinear => with(B::token_linear_backward(x, weight, N == 3, grad)),
        };
        if let (Some(node), Some(dx)) = (px, dx) {
            grads.register::<B>(node.id, dx);
        }
        if let Some(node) = pw {
            grads.register::<B>(node.id, dw);
        }
        if let (Some(node), Some(db)) = (pb, db) {
            grads.register::<B>(node.id, db);
        }
    }
}

/// Backward step of the GELU gate.
#[derive(Debug)]
struct GeluGateBackward<B>(PhantomData<B>);

impl<B: FusedOps> Backward<B, 2> for GeluGateBackward<B> {
    /// The two halves `x1`, `x2`.
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (x1, x2) = ops.state;
        let (d1, d2) = B::gelu_gate_backward(x1, x2, grad);
        let [p1, p2] = ops.parents;
        if let Some(node) = p1 {
            grads.register::<B>(node.id, d1);
        }
        if let Some(node) = p2 {
            grads.register::<B>(node.id, d2);
        }
    }
}

/// Backward step of the MDTA core; the state is `(qkv, temperature, heads)`.
#[derive(Debug)]
struct MdtaCoreBackward<B>(PhantomData<B>);

impl<B: FusedOps> Backward<B, 2> for MdtaCoreBackward<B> {
    type State = (FloatTensor<B>, FloatTensor<B>, usize);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (qkv, temperature, heads) = ops.state;
        let (dqkv, dt) = B::mdta_core_backward(qkv, temperature, heads, grad);
        let [p1, p2] = ops.parents;
        if let Some(node) = p1 {
            grads.register::<B>(node.id, dqkv);
        }
        if let Some(node) = p2 {
            grads.register::<B>(node.id, dt);
        }
    }
}

/// Backward step of the GELU; the state is its input.
#[derive(Debug)]
struct GeluBackward<B>(PhantomData<B>);

impl<B: FusedOps> Backward<B, 1> for GeluBackward<B> {
    type State = FloatTensor<B>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let [parent] = ops.parents;
        if let Some(node) = parent {
            grads.register::<B>(node.id, B::gelu_exact_backward(ops.state, grad));
        }
    }
}

/// Backward step of the softmax; the state is its output.
#[derive(Debug)]
struct SoftmaxBackward<B>(PhantomData<B>);

impl<B: FusedOps> Backward<B, 1> for SoftmaxBackward<B> {
    type State = FloatTensor<B>;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let [parent] = ops.parents;
        if let Some(node) = parent {
            grads.register::<B>(node.id, B::softmax_middle_backward(ops.state, grad));
        }
    }
}

/// The forward pass of an [`Affine`] operation on the inner backend.
type AffineForward<B> = fn(FloatTensor<B>, FloatTensor<B>, Option<FloatTensor<B>>) -> FloatTensor<B>;

/// Records `op` (forward `fwd` on the inner backend) as one graph node.
fn affine<B: FusedOps, C: CheckpointStrategy>(
    op: Affine,
    x: FloatTensor<Autodiff<B, C>>,
    weight: FloatTensor<Autodiff<B, C>>,
    bias: Option<FloatTensor<Autodiff<B, C>>>,
    fwd: AffineForward<B>,
) -> FloatTensor<Autodiff<B, C>> {
    match bias {
        Some(bias) => {
            let nodes = [x.node.clone(), weight.node.clone(), bias.node.clone()];
            match AffineBackward::<B, 3>(op, PhantomData).prepare::<C>(nodes).compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let out = fwd(x.primitive.clone(), weight.primitive.clone(), Some(bias.primitive));
                    prep.finish((x.primitive, weight.primitive), out)
                }
                OpsKind::UnTracked(prep) => prep.finish(fwd(x.primitive, weight.primitive, Some(bias.primitive))),
            }
        }
        None => {
            let nodes = [x.node.clone(), weight.node.clone()];
            match AffineBackward::<B, 2>(op, PhantomData).prepare::<C>(nodes).compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let out = fwd(x.primitive.clone(), weight.primitive.clone(), None);
                    prep.finish((x.primitive, weight.primitive), out)
                }
                OpsKind::UnTracked(prep) => prep.finish(fwd(x.primitive, weight.primitive, None)),
            }
        }
    }
}

impl<B: FusedOps, C: CheckpointStrategy> FusedOps for Autodiff<B, C> {
    fn channel_norm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        affine::<B, C>(Affine::ChannelNorm, x, weight, bias, B::channel_norm)
    }

    fn depthwise_conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        affine::<B, C>(Affine::DepthwiseConv3x3, x, weight, bias, B::depthwise_conv3x3)
    }

    fn conv3x3(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: Option<FloatTensor<Self>>) -> FloatTensor<Self> {
        affine::<B, C>(Affine::Conv3x3, x, weight, bias, B::conv3x3)
    }

    fn pointwise(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        affine::<B, C>(Affine::Pointwise, x, weight, bias, B::pointwise)
    }

    fn token_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        affine::<B, C>(Affine::TokenLinear, x, weight, bias, B::token_linear)
    }

    fn gelu_gate(x1: FloatTensor<Self>, x2: FloatTensor<Self>) -> FloatTensor<Self> {
        let nodes = [x1.node.clone(), x2.node.clone()];
        match GeluGateBackward::<B>(PhantomData).prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = B::gelu_gate(x1.primitive.clone(), x2.primitive.clone());
                prep.finish((x1.primitive, x2.primitive), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::gelu_gate(x1.primitive, x2.primitive)),
        }
    }

    fn mdta_core(qkv: FloatTensor<Self>, temperature: FloatTensor<Self>, heads: usize) -> FloatTensor<Self> {
        let nodes = [qkv.node.clone(), temperature.node.clone()];
        match MdtaCoreBackward::<B>(PhantomData).prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = B::mdta_core(qkv.primitive.clone(), temperature.primitive.clone(), heads);
                prep.finish((qkv.primitive, temperature.primitive, heads), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::mdta_core(qkv.primitive, temperature.primitive, heads)),
        }
    }

    fn gelu_exact(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match GeluBackward::<B>(PhantomData).prepare::<C>([x.node.clone()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = B::gelu_exact(x.primitive.clone());
                prep.finish(x.primitive, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::gelu_exact(x.primitive)),
        }
    }

    fn softmax_middle(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match SoftmaxBackward::<B>(PhantomData).prepare::<C>([x.node.clone()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = B::softmax_middle(x.primitive);
                prep.finish(y.clone(), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::softmax_middle(x.primitive)),
        }
    }

    // The backward methods of an autodiff backend are never called by the model
    // (gradients of gradients are not needed); the defaults would work through
    // the composed operations.
}
