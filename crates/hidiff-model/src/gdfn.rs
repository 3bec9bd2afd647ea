//! GDFN, the gated-Dconv feed-forward network of Restormer (`FeedForward`), with the
//! latent level's `ln1/ln2` modulation (docs/reference.md §1.2).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{backend::Backend, Tensor};

use burn::nn::Linear;

use crate::fused::gelu_gate;
use crate::mdta::{conv1x1, conv3x3, conv_part, modulate, modulation_pair, pointwise_conv};

/// `project_in` → depthwise 3×3 → `GELU(x1) * x2` (fused where the backend has it:
/// [`crate::fused::gelu_gate`]) → `project_out`.
#[derive(Module, Debug)]
pub struct FeedForward<B: Backend> {
    /// 1×1 conv C → 2·hidden.
    pub project_in: Conv2d<B>,
    /// Depthwise 3×3 conv on 2·hidden channels.
    pub dwconv: Conv2d<B>,
    /// 1×1 conv hidden → C.
    pub project_out: Conv2d<B>,
    /// Latent-level modulation scale, absent elsewhere.
    pub ln1: Option<Linear<B>>,
    /// Latent-level modulation shift, absent elsewhere.
    pub ln2: Option<Linear<B>>,
}

impl<B: Backend> FeedForward<B> {
    /// GDFN of width `dim` and hidden width `hidden` (= `int(dim * factor)`).
    pub fn new(dim: usize, hidden: usize, bias: bool, prior_ch: Option<usize>, device: &B::Device) -> Self {
        let (ln1, ln2) = modulation_pair(dim, prior_ch, device);
        Self {
            project_in: conv1x1(dim, 2 * hidden, bias, device),
            dwconv: conv3x3(2 * hidden, 2 * hidden, 2 * hidden, bias, device),
            project_out: conv1x1(hidden, dim, bias, device),
            ln1,
            ln2,
        }
    }

    /// # Shapes
    /// `x: [B, C, H, W]` (normalised), `prior: [B, C']` at the latent level → `[B, C, H, W]`.
    pub fn forward(&self, x: Tensor<B, 4>, prior: Option<&Tensor<B, 2>>) -> Tensor<B, 4> {
        let x = modulate(x, &self.ln1, &self.ln2, prior);
        // x1, x2 = chunk(dwconv(project_in(x)), 2), computed part by part (see `conv_part`).
        let part = |i: usize| conv_part(&self.dwconv, conv_part(&self.project_in, x.clone(), i, 2), i, 2); // [b, h, H, W]
        let (x1, x2) = (part(0), part(1));
        pointwise_conv(&self.project_out, gelu_gate(x1, x2))
    }
}
