//! The eight augmentations against hand-written NumPy results, and alignment of
//! crops and augmentations on a pair whose misalignment would be visible.

mod common;

use std::sync::Arc;

use common::{decode_position, lq_of, position_pattern, write_pattern_pairs};
use hidiff_data::crop::paired_random_crop;
use hidiff_data::{
    resolve_plain, Augmentation, DecodedPair, ImageCache, PairSource, ProgressiveSchedule, SamplerConfig,
    ScheduleStage, SizeRule, TrainSampler,
};
use image::RgbImage;
use rand::SeedableRng;

/// `m = [[1, 2, 3], [4, 5, 6]]` (H = 2, W = 3) through each mode; the expected
/// arrays are what NumPy prints for `np.flipud(m)`, `np.rot90(m)`, ...
#[test]
fn all_eight_modes_follow_numpy_semantics() {
    let m = [1, 2, 3, 4, 5, 6];
    let expected: [(&str, (usize, usize), [i32; 6]); 8] = [
        ("identity", (2, 3), [1, 2, 3, 4, 5, 6]),
        ("flipud", (2, 3), [4, 5, 6, 1, 2, 3]),
        ("rot90", (3, 2), [3, 6, 2, 5, 1, 4]),
        ("rot90 + flipud", (3, 2), [1, 4, 2, 5, 3, 6]),
        ("rot180", (2, 3), [6, 5, 4, 3, 2, 1]),
        ("rot180 + flipud", (2, 3), [3, 2, 1, 6, 5, 4]),
        ("rot270", (3, 2), [4, 1, 5, 2, 6, 3]),
        ("rot270 + flipud", (3, 2), [6, 3, 5, 2, 4, 1]),
    ];
    for (index, (name, shape, values)) in expected.iter().enumerate() {
        let mode = Augmentation::from_index(index).expect("0..8");
        assert_eq!(mode.output_size(2, 3), *shape, "{name}");
        assert_eq!(mode.apply_hwc(&m, 2, 3, 1), values.to_vec(), "{name}");
    }
    assert_eq!(Augmentation::from_index(8), None);
}

#[test]
fn channels_move_together_on_rgb_images() {
    let img = position_pattern(5, 3);
    let out = Augmentation::Rot90.apply(&img);
    assert_eq!(out.dimensions(), (3, 5));
    // np.rot90: out[r][c] = in[c][W-1-r].
    for r in 0..5u32 {
        for c in 0..3u32 {
            assert_eq!(decode_position(out.get_pixel(c, r)), (5 - 1 - r, c));
        }
    }
}

/// Finds the window and mode that turn `full` into `patch`, if any.
fn explain(full: &RgbImage, patch: &RgbImage) -> Option<Augmentation> {
    let p = patch.width();
    let (mut min_x, mut min_y) = (u32::MAX, u32::MAX);
    for px in patch.pixels() {
        let (x, y) = decode_position(px);
        min_x = min_x.min(x);
        min_y = min_y.min(y);
    }
    let (ox, oy) = decode_position(full.get_pixel(0, 0));
    let window = image::imageops::crop_imm(full, min_x - ox, min_y - oy, p, p).to_image();
    Augmentation::ALL.into_iter().find(|a| a.apply(&window) == *patch)
}

#[test]
fn paired_random_crop_keeps_pairs_aligned_and_uses_every_mode() {
    let gt = position_pattern(40, 30);
    let pair = DecodedPair { lq: lq_of(&gt), gt: gt.clone() };
    let meta = hidiff_data::ImagePair {
        name: "p.png".into(),
        lq: "in/p.png".into(),
        gt: "gt/p.png".into(),
        lq_size: (40, 30),
        gt_size: (40, 30),
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let (lq_patch, gt_patch, draw) = paired_random_crop(&mut rng, &meta, &pair, 16).expect("fits");
        assert_eq!(lq_patch, lq_of(&gt_patch), "lq and gt got different windows or modes");
        assert_eq!(explain(&gt, &gt_patch), Some(draw.augmentation));
        assert!(draw.top <= 14 && draw.left <= 24);
        seen.insert(draw.augmentation);
    }
    assert_eq!(seen.len(), 8, "all eight modes are drawn");
    let err = paired_random_crop(&mut rng, &meta, &pair, 31).expect_err("30 rows < 31");
    assert!(matches!(err, hidiff_data::DataError::ImageTooSmall { needed: 31, .. }));
}

#[test]
fn sampler_batches_keep_pairs_aligned_through_subcrops() {
    let root = tempfile::tempdir().expect("tempdir");
    write_pattern_pairs(root.path(), 3, 48, 40);
    let set = resolve_plain(root.path(), SizeRule::Equal).expect("pairs");
    let full: Vec<RgbImage> = set.pairs.iter().map(|p| image::open(&p.gt).expect("gt").into_rgb8()).collect();
    let stages = vec![
        ScheduleStage { until_iter: 3, patch: 16, batch: 4 },
        ScheduleStage { until_iter: u64::MAX, patch: 32, batch: 2 },
    ];
    let config =
        SamplerConfig { seed: 5, schedule: ProgressiveSchedule::new(stages).expect("valid"), cache: ImageCache::Lazy };
    let sampler =
        TrainSampler::new(Arc::new(PairSource::new(set, config.cache).expect("source")), config).expect("sampler");
    for iteration in 1..=6 {
        let batch = sampler.batch(iteration).expect("batch");
        let [b, c, h, w] = batch.shape;
        let expected = if iteration <= 3 { (4, 16) } else { (2, 32) };
        assert_eq!((b, c, h, w), (expected.0, 3, expected.1, expected.1), "iteration {iteration}");
        assert_eq!((batch.lq.len(), batch.gt.len()), (b * c * h * w, b * c * h * w));
        let plane = 3 * h * w;
        for i in 0..b {
            let to_u8 = |v: &[f32]| -> RgbImage {
                RgbImage::from_fn(w as u32, h as u32, |x, y| {
                    let at = |ch: usize| (v[ch * h * w + y as usize * w + x as usize] * 255.0).round() as u8;
                    image::Rgb([at(0), at(1), at(2)])
                })
            };
            let gt = to_u8(&batch.gt[i * plane..(i + 1) * plane]);
            let lq = to_u8(&batch.lq[i * plane..(i + 1) * plane]);
            assert_eq!(lq, lq_of(&gt), "iteration {iteration}, item {i}");
            let source = set_index(&batch.names[i]);
            assert!(
                explain(&full[source], &gt).is_some(),
                "iteration {iteration}, item {i} is no window of its source"
            );
        }
    }
}

fn set_index(name: &str) -> usize {
    name.trim_start_matches('p').trim_end_matches(".png").parse().expect("p<i>.png")
}

#[test]
fn the_one_pass_float_path_equals_crop_augment_subcrop() {
    let img = position_pattern(37, 29);
    for augmentation in Augmentation::ALL {
        let draw = hidiff_data::crop::PatchDraw { top: 5, left: 9, patch: 20, augmentation };
        let (sub_top, sub_left, size) = (3, 6, 12);
        let patch = draw.apply(&img);
        let window = image::imageops::crop_imm(&patch, sub_left, sub_top, size, size).to_image();
        let expected = hidiff_data::image_io::to_chw_f32(&window);
        let mut got = vec![0.0; 3 * 12 * 12];
        draw.write_chw(&img, sub_top, sub_left, size, &mut got);
        assert_eq!(got, expected, "{augmentation:?}");
    }
}
