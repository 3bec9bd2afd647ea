//! A model trained from scratch starts from PyTorch's default initialisation
//! (reference, section 2: "No custom init anywhere"), and its global residual is
//! exact: with the output convolution zeroed, `net_g` returns its input.
//!
//! Together these pin down why the untrained `quick` model scores 8–15 dB instead
//! of the blurry input's 23.5 dB (docs/reproduce.md): the residual branch
//! `output(r)`, a `U(±1/√fan_in)` convolution of features with a non-zero mean, is
//! a colour cast, not a bug in the residual or the data range.

use burn::backend::Flex;
use burn::module::Param;
use burn::tensor::{Distribution, Tensor};
use hidiff_model::{ModelConfig, Networks, PriorMode};

type B = Flex;

/// `values` are PyTorch's default `U(±1/√fan_in)`: none outside the bound, the
/// extremes near it and the mean square near `bound²/3` (for at least 300 values:
/// the tolerances are more than 4 standard deviations of the estimates).
fn assert_default_uniform(name: &str, values: &[f32], fan_in: usize) {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let max = values.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
    assert!(max <= bound * (1.0 + 1e-6), "{name}: |w| up to {max}, above 1/√{fan_in} = {bound}");
    if values.len() >= 300 {
        assert!(max >= 0.9 * bound, "{name}: |w| only up to {max}, the bound is {bound}");
        let ms = values.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / values.len() as f64;
        let want = bound * bound / 3.0;
        assert!((ms / want - 1.0).abs() < 0.2, "{name}: mean square {ms}, uniform gives {want}");
    } else {
        assert!(max > 0.0, "{name}: all zero");
    }
}

fn values<const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 weights")
}

fn quick(mode: PriorMode) -> ModelConfig {
    let mut cfg = ModelConfig::quick();
    cfg.transformer.prior_mode = mode;
    cfg
}

#[test]
fn convolutions_and_linears_start_from_pytorch_defaults() {
    let cfg = quick(PriorMode::Hierarchical);
    let c = cfg.transformer.dim;
    let m = cfg.init::<B>(Networks::All, &Default::default());
    let g = &m.net_g;
    assert_default_uniform("net_g.output.weight", &values(g.output.weight.val()), 2 * c * 9);
    assert!(g.output.bias.is_none(), "the quick preset's output conv has no bias (bias = false)");
    assert_default_uniform("net_g.patch_embed.proj.weight", &values(g.patch_embed.proj.weight.val()), 3 * 9);
    let him = g.refinement.him.as_ref().expect("a hierarchical model has a HIM at the refinement level");
    assert_default_uniform("refinement.him.proj.weight", &values(him.proj.weight.val()), 2 * c);
    let bias = him.proj.bias.as_ref().expect("HIM proj has a bias");
    assert_default_uniform("refinement.him.proj.bias", &values(bias.val()), 2 * c);
    let le = m.net_le.as_ref().expect("Networks::All builds net_le");
    let d = le.end.weight.val().dims()[0];
    assert_default_uniform("net_le.end.weight", &values(le.end.weight.val()), d);
    // LayerNorms: weight 1, bias 0.
    let norm = &him.norm1;
    assert!(values(norm.body.weight.val()).iter().all(|w| *w == 1.0), "HIM norm1 weight is not 1");
}

#[test]
fn with_the_output_conv_zeroed_the_model_returns_its_input() {
    for mode in [PriorMode::None, PriorMode::Hierarchical] {
        let mut m = quick(mode).init::<B>(Networks::All, &Default::default());
        let shape = m.net_g.output.weight.val().dims();
        m.net_g.output.weight = Param::from_tensor(Tensor::zeros(shape, &Default::default()));
        let device = Default::default();
        let lq = Tensor::<B, 4>::random([2, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let gt = Tensor::<B, 4>::random([2, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let (out, prior) = m.stage1_forward(lq.clone(), gt);
        assert_eq!(prior.is_some(), mode != PriorMode::None, "{mode:?}");
        let diff = (out - lq).abs().max().into_scalar();
        assert_eq!(diff, 0.0, "{mode:?}: output(r) = 0 must give the input back exactly");
    }
}
