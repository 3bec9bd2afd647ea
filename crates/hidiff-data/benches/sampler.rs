//! Pairs per second delivered by the training sampler at 256×256 patches,
//! decoding PNGs every time and from the in-memory cache.
//!
//! `cargo bench -p hidiff-data --bench sampler`; the pairs come from a small
//! synthetic set generated into a temporary folder first.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hidiff_data::synthetic::{generate, SyntheticConfig};
use hidiff_data::{resolve, DatasetKind, ImageCache, ProgressiveSchedule, SamplerConfig, Split, TrainSampler};

const BATCH: usize = 8;

fn sampler_throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config =
        SyntheticConfig { min_size: [256, 256], max_size: [320, 320], ..SyntheticConfig::with_counts(1, 48, 0, 0) };
    generate(&config, dir.path(), &hidiff_data::NoProgress).expect("synthetic set");
    let mut group = c.benchmark_group("sampler 256x256");
    group.sample_size(20).throughput(Throughput::Elements(BATCH as u64));
    for (label, cache) in [("decode every batch", ImageCache::Off), ("cached", ImageCache::Preload)] {
        let set = resolve(dir.path(), DatasetKind::Synthetic, Split::Train).expect("pairs");
        let schedule = ProgressiveSchedule::constant(256, BATCH).expect("schedule");
        let sampler = TrainSampler::from_set(set, SamplerConfig { seed: 1, schedule, cache }).expect("sampler");
        let mut iteration = 0;
        group.bench_function(label, |b| {
            b.iter(|| {
                iteration += 1;
                black_box(sampler.batch(iteration).expect("batch"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sampler_throughput);
criterion_main!(benches);
