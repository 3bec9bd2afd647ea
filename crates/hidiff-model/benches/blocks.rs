//! Criterion benchmarks of the hot blocks on the CPU (burn Flex vs NdArray):
//! MDTA, GDFN and HIM at the paper's first-level width (C = 48) on 128×128, and
//! the whole paper model at 256×256; the fused operations against the composed
//! ones (`fused_ops_*`), and a GDFN training step (forward + backward) with the
//! fused path on and off.
//!
//! `cargo bench -p hidiff-model --bench blocks`

use burn::backend::{Autodiff, Flex, NdArray};
use burn::tensor::{backend::Backend, Distribution, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hidiff_model::config::LayerNormKind;
use hidiff_model::fused::{self, composed};
use hidiff_model::gdfn::FeedForward;
use hidiff_model::him::Him;
use hidiff_model::mdta::Attention;
use hidiff_model::{ModelConfig, Networks};

fn blocks<B: Backend>(c: &mut Criterion, name: &str) {
    let dev = B::Device::default();
    let x = Tensor::<B, 4>::random([1, 48, 128, 128], Distribution::Normal(0.0, 1.0), &dev);
    let z = Tensor::<B, 3>::random([1, 16, 256], Distribution::Normal(0.0, 1.0), &dev);
    let attn = Attention::<B>::new(48, 1, false, None, &dev);
    let ffn = FeedForward::<B>::new(48, 127, false, None, &dev);
    let him = Him::<B>::new(48, 1, 256, false, LayerNormKind::WithBias, &dev);
    let mut g = c.benchmark_group("blocks_48x128x128");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("mdta", name), |b| b.iter(|| attn.forward(x.clone(), None).into_data()));
    g.bench_function(BenchmarkId::new("gdfn", name), |b| b.iter(|| ffn.forward(x.clone(), None).into_data()));
    g.bench_function(BenchmarkId::new("him", name), |b| b.iter(|| him.forward(x.clone(), z.clone()).into_data()));
    g.finish();
}

fn whole_model<B: Backend>(c: &mut Criterion, name: &str) {
    let dev = B::Device::default();
    let model = ModelConfig::gopro().init::<B>(Networks::Inference, &dev);
    let lq = Tensor::<B, 4>::random([1, 3, 256, 256], Distribution::Uniform(0.0, 1.0), &dev);
    let mut g = c.benchmark_group("stage2_inference_256");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("paper_model", name), |b| {
        b.iter(|| model.infer(lq.clone(), None, 0).into_data())
    });
    g.finish();
}

/// Each fused operation against its composed form on Flex, at the paper model's
/// first level (C = 48, GDFN hidden width 127 per gate half) on 128×128.
fn fused_ops(c: &mut Criterion) {
    type B = Flex;
    let dev = Default::default();
    let x = Tensor::<B, 4>::random([1, 48, 128, 128], Distribution::Normal(0.0, 1.0), &dev);
    let h = Tensor::<B, 4>::random([1, 127, 128, 128], Distribution::Normal(0.0, 1.0), &dev);
    let h2 = Tensor::<B, 4>::random([1, 127, 128, 128], Distribution::Normal(0.0, 1.0), &dev);
    let w = Tensor::<B, 1>::random([48], Distribution::Normal(1.0, 0.1), &dev);
    let b = Tensor::<B, 1>::random([48], Distribution::Normal(0.0, 0.1), &dev);
    let k = Tensor::<B, 4>::random([127, 1, 3, 3], Distribution::Normal(0.0, 0.3), &dev);
    let mut g = c.benchmark_group("fused_ops_flex");
    g.sample_size(10);
    g.bench_function("channel_norm_48x128x128/composed", |it| {
        it.iter(|| composed::channel_norm(x.clone(), w.clone(), Some(b.clone())).into_data())
    });
    g.bench_function("channel_norm_48x128x128/fused", |it| {
        it.iter(|| fused::channel_norm(x.clone(), w.clone(), Some(b.clone())).into_data())
    });
    g.bench_function("gelu_gate_127x128x128/composed", |it| {
        it.iter(|| composed::gelu_gate(h.clone(), h2.clone()).into_data())
    });
    g.bench_function("gelu_gate_127x128x128/fused", |it| {
        it.iter(|| fused::gelu_gate(h.clone(), h2.clone()).into_data())
    });
    g.bench_function("depthwise_127x128x128/composed", |it| {
        it.iter(|| composed::depthwise_conv3x3(h.clone(), k.clone(), None).into_data())
    });
    g.bench_function("depthwise_127x128x128/fused", |it| {
        it.iter(|| fused::depthwise_conv3x3(h.clone(), k.clone(), None).into_data())
    });
    g.finish();
}

/// A GDFN block's forward + backward on `Autodiff<Flex>` (batch 4, 48×64×64),
/// fused path on and off.
fn gdfn_train(c: &mut Criterion) {
    type B = Autodiff<Flex>;
    let dev = Default::default();
    let x = Tensor::<B, 4>::random([4, 48, 64, 64], Distribution::Normal(0.0, 1.0), &dev).require_grad();
    let ffn = FeedForward::<B>::new(48, 127, false, None, &dev);
    let mut g = c.benchmark_group("gdfn_train_4x48x64x64");
    g.sample_size(10);
    for on in [false, true] {
        let name = if on { "fused" } else { "composed" };
        g.bench_function(name, |it| {
            fused::set_enabled(on);
            it.iter(|| ffn.forward(x.clone(), None).sum().backward())
        });
    }
    fused::set_enabled(true);
    g.finish();
}

fn bench(c: &mut Criterion) {
    fused_ops(c);
    gdfn_train(c);
    blocks::<Flex>(c, "flex");
    blocks::<NdArray>(c, "ndarray");
    whole_model::<Flex>(c, "flex");
}

criterion_group!(benches, bench);
criterion_main!(benches);
