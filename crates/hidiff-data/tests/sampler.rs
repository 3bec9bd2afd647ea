//! Sampler determinism and epoch coverage; burn `Dataset`s and `Batcher`; test loading.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use burn::backend::NdArray;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use common::{flat, lq_of, position_pattern, save, write_pattern_pairs};
use hidiff_data::{
    resolve, resolve_plain, DatasetKind, EvalDataset, ImageCache, PairBatcher, PairSource, ProgressiveSchedule,
    RandomPatchDataset, SamplerConfig, ScheduleStage, SizeRule, Split, TrainSampler,
};

fn progressive() -> ProgressiveSchedule {
    ProgressiveSchedule::new(vec![
        ScheduleStage { until_iter: 2, patch: 16, batch: 4 },
        ScheduleStage { until_iter: 4, patch: 24, batch: 2 },
        ScheduleStage { until_iter: u64::MAX, patch: 32, batch: 1 },
    ])
    .expect("valid")
}

fn sampler(dir: &std::path::Path, seed: u64, schedule: ProgressiveSchedule, cache: ImageCache) -> TrainSampler {
    let set = resolve_plain(dir, SizeRule::Equal).expect("pairs");
    TrainSampler::from_set(set, SamplerConfig { seed, schedule, cache }).expect("sampler")
}

#[test]
fn same_seed_and_iteration_give_the_same_batch() {
    let root = tempfile::tempdir().expect("tempdir");
    write_pattern_pairs(root.path(), 5, 40, 36);
    let a = sampler(root.path(), 9, progressive(), ImageCache::Off);
    let b = sampler(root.path(), 9, progressive(), ImageCache::Preload);
    // `b` walks forward first: a batch must not depend on what was drawn before.
    for i in 1..=6 {
        b.batch(i).expect("batch");
    }
    for i in [1, 2, 3, 5, 1000] {
        assert_eq!(a.batch(i).expect("batch"), b.batch(i).expect("batch"), "iteration {i}");
    }
    assert_eq!(a.batch(3).expect("batch").shape, [2, 3, 24, 24]);
    assert_ne!(a.batch(1).expect("batch"), a.batch(2).expect("batch"));
    let other = sampler(root.path(), 10, progressive(), ImageCache::Off);
    assert_ne!(a.batch(1).expect("batch"), other.batch(1).expect("batch"));
    assert!(a.batch(0).is_err(), "iterations count from 1");
    let all = a.batch(7).expect("batch");
    assert!(all.lq.iter().chain(&all.gt).all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn every_pair_is_seen_once_per_epoch() {
    let root = tempfile::tempdir().expect("tempdir");
    write_pattern_pairs(root.path(), 6, 20, 20);
    let s = sampler(root.path(), 1, ProgressiveSchedule::constant(16, 3).expect("valid"), ImageCache::Lazy);
    for epoch in 0..3u64 {
        let mut counts = HashMap::new();
        for i in 1..=2 {
            for name in s.batch(epoch * 2 + i).expect("batch").names {
                *counts.entry(name).or_insert(0) += 1;
            }
        }
        assert_eq!(counts.len(), 6, "epoch {epoch}: {counts:?}");
        assert!(counts.values().all(|&c| c == 1));
    }
}

#[test]
fn images_smaller_than_the_largest_patch_are_rejected() {
    let root = tempfile::tempdir().expect("tempdir");
    write_pattern_pairs(root.path(), 2, 30, 30);
    let set = resolve_plain(root.path(), SizeRule::Equal).expect("pairs");
    let config = SamplerConfig { seed: 1, schedule: progressive(), cache: ImageCache::Off };
    let err = TrainSampler::from_set(set, config).expect_err("30 < 32");
    assert!(matches!(err, hidiff_data::DataError::ImageTooSmall { needed: 32, .. }), "{err:?}");
}

#[test]
fn burn_dataset_and_batcher_give_aligned_tensors() {
    let root = tempfile::tempdir().expect("tempdir");
    write_pattern_pairs(root.path(), 3, 40, 40);
    let set = resolve_plain(root.path(), SizeRule::Equal).expect("pairs");
    let source = Arc::new(PairSource::new(set, ImageCache::Lazy).expect("source"));
    let dataset = RandomPatchDataset::new(Arc::clone(&source), 24, 3, 10).expect("dataset");
    assert_eq!(dataset.len(), 10);
    assert!(dataset.get(10).is_none());
    let items: Vec<_> = (0..4).map(|i| dataset.get(i).expect("item")).collect();
    assert_eq!(items[2], dataset.get(2).expect("item"), "items are a pure function of the index");
    for item in &items {
        assert_eq!((item.height, item.width, item.lq.len()), (24, 24, 3 * 24 * 24));
        for (l, g) in item.lq.iter().zip(&item.gt) {
            assert!((l + g - 1.0).abs() < 1e-6, "lq = 1 - gt on aligned pairs");
        }
    }
    let device = Default::default();
    let batch: hidiff_data::PairTensors<NdArray> = PairBatcher.batch(items, &device);
    assert_eq!(batch.lq.dims(), [4, 3, 24, 24]);
    assert_eq!(batch.gt.dims(), [4, 3, 24, 24]);
    let sum = (batch.lq + batch.gt).into_data().to_vec::<f32>().expect("f32");
    assert!(sum.iter().all(|v| (v - 1.0).abs() < 1e-6));
    assert!(dataset.take_errors().is_empty());

    // The sampler's batch converts to the same kind of tensors.
    let s = TrainSampler::new(source, SamplerConfig { seed: 2, schedule: progressive(), cache: ImageCache::Lazy })
        .expect("sampler");
    let (lq, gt) = s.batch(1).expect("batch").into_tensors::<NdArray>(&device);
    assert_eq!((lq.dims(), gt.dims()), ([4, 3, 16, 16], [4, 3, 16, 16]));
}

#[test]
fn test_pairs_are_whole_images_with_gt_cropped_to_lq() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("test/RealBlur_J");
    let gt_full = position_pattern(30, 22);
    let lq = lq_of(&image::imageops::crop_imm(&gt_full, 0, 0, 27, 20).to_image());
    save(&lq, &dir.join("input/a.png"));
    save(&gt_full, &dir.join("target/a.png"));
    save(&flat(12, 8, 0), &dir.join("input/b.png"));
    save(&flat(12, 8, 255), &dir.join("target/b.png"));
    let set = resolve(root.path(), DatasetKind::RealBlurJ, Split::Test).expect("test set");
    let eval = EvalDataset::new(set, ImageCache::Off).expect("dataset");
    assert_eq!(eval.len(), 2);
    let a = eval.load(0).expect("pair a");
    assert_eq!((a.lq.dimensions(), a.gt.dimensions()), ((27, 20), (27, 20)));
    assert_eq!(a.lq, lq_of(&a.gt), "gt is cropped from the top-left corner");
    let items: Vec<_> = eval.iter().collect();
    assert_eq!(items.len(), 2);
    assert_eq!((items[1].height, items[1].width), (8, 12));
    // Items of different sizes batch to their common top-left window.
    let batch: hidiff_data::PairTensors<NdArray> = PairBatcher.batch(items, &Default::default());
    assert_eq!(batch.lq.dims(), [2, 3, 8, 12]);
    assert_eq!(batch.names, ["a.png", "b.png"]);
    assert!(eval.load(2).is_err());
}
