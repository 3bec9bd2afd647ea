//! Criterion benchmarks of the hot blocks on the CPU (burn Flex vs NdArray):
//! MDTA, GDFN and HIM at the paper's first-level width (C = 48) on 128×128, and
//! the whole paper model at 256×256.
//!
//! `cargo bench -p hidiff-model --bench blocks`

use burn::backend::{Flex, NdArray};
use burn::tensor::{backend::Backend, Distribution, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hidiff_model::config::LayerNormKind;
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
    g.bench_function(BenchmarkId::new("paper_model", name), |b| b.iter(|| model.infer(lq.clone(), None, 0).into_data()));
    g.finish();
}

fn bench(c: &mut Criterion) {
    blocks::<Flex>(c, "flex");
    blocks::<NdArray>(c, "ndarray");
    whole_model::<Flex>(c, "flex");
}

criterion_group!(benches, bench);
criterion_main!(benches);
