//! The synthetic data set: deterministic for a seed, really blurred, seed-dependent.

mod common;

use std::fs;
use std::path::Path;

use common::psnr;
use hidiff_data::synthetic::{
    ensure_dataset, generate, synthesize_pair, BlurMode, EnsureOutcome, NoiseConfig, SyntheticConfig, SyntheticSplit,
    MARKER_FILE,
};
use hidiff_data::{resolve, DatasetKind, Split};

fn small(seed: u64) -> SyntheticConfig {
    SyntheticConfig { min_size: [64, 64], max_size: [96, 96], ..SyntheticConfig::with_counts(seed, 6, 3, 3) }
}

/// Every file under `dir`, relative path → bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for split in ["train", "test", "test_shift"] {
        for side in ["input", "target"] {
            let sub = dir.join(split).join(side);
            let mut names: Vec<_> =
                fs::read_dir(&sub).expect("folder").map(|e| e.expect("entry").file_name()).collect();
            names.sort();
            for name in names {
                let rel = format!("{split}/{side}/{}", name.to_string_lossy());
                out.push((rel, fs::read(sub.join(&name)).expect("file")));
            }
        }
    }
    out
}

#[test]
fn generation_is_deterministic_for_a_seed_and_differs_between_seeds() {
    let (a, b, c) =
        (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let report = generate(&small(1), a.path(), &hidiff_data::NoProgress).expect("generate");
    assert_eq!(report.pairs, [6, 3, 3]);
    generate(&small(1), b.path(), &hidiff_data::NoProgress).expect("generate");
    generate(&small(2), c.path(), &hidiff_data::NoProgress).expect("generate");
    let (sa, sb, sc) = (snapshot(a.path()), snapshot(b.path()), snapshot(c.path()));
    assert_eq!(sa.len(), 24);
    assert!(sa == sb, "same seed, same bytes");
    let same = sa.iter().zip(&sc).filter(|(x, y)| x.1 == y.1).count();
    assert_eq!(same, 0, "another seed changes every image");
    assert!(a.path().join(MARKER_FILE).is_file());

    // The generated root resolves like any data set.
    let train = resolve(a.path(), DatasetKind::Synthetic, Split::Train).expect("train");
    assert_eq!(train.len(), 6);
    assert_eq!(resolve(a.path(), DatasetKind::SyntheticShift, Split::Test).expect("shift").len(), 3);
    let sizes_ok = train.pairs.iter().all(|p| {
        let (w, h) = p.lq_size;
        (64..=96).contains(&w) && (64..=96).contains(&h) && w % 8 == 0 && h % 8 == 0 && p.lq_size == p.gt_size
    });
    assert!(sizes_ok);

    // A complete set is kept; a smaller regeneration removes the stale pairs.
    match ensure_dataset(&small(5), a.path(), &hidiff_data::NoProgress).expect("ensure") {
        EnsureOutcome::Existing(marker) => assert_eq!(marker.config, small(1)),
        EnsureOutcome::Generated(_) => panic!("a complete set must not be regenerated"),
    }
    let fewer = SyntheticConfig { train: 2, ..small(1) };
    generate(&fewer, a.path(), &hidiff_data::NoProgress).expect("regenerate");
    assert_eq!(resolve(a.path(), DatasetKind::Synthetic, Split::Train).expect("train").len(), 2);
}

#[test]
fn the_blur_is_real() {
    let config = small(7);
    let mut psnrs = Vec::new();
    for split in SyntheticSplit::ALL {
        for i in 0..8 {
            let pair = synthesize_pair(&config, split, i).expect("pair");
            assert_eq!(pair.lq.dimensions(), pair.gt.dimensions());
            assert_ne!(pair.lq, pair.gt);
            if split == SyntheticSplit::TestShift {
                assert_eq!(pair.info.mode, BlurMode::NonUniform);
            }
            psnrs.push((psnr(&pair.lq, &pair.gt), split, pair.info.length));
        }
    }
    // GoPro's blurry inputs score about 25.6 dB against their sharp frames.
    let mean = psnrs.iter().map(|p| p.0).sum::<f64>() / psnrs.len() as f64;
    assert!(mean < 30.0, "mean PSNR of blurred against sharp {mean:.1} dB");
    let below_40 = psnrs.iter().filter(|p| p.0 < 40.0).count();
    assert!(below_40 * 10 >= psnrs.len() * 9, "only {below_40} of {} pairs below 40 dB", psnrs.len());
    // The shifted test set shakes along longer paths.
    let mean_length = |s: SyntheticSplit| {
        let v: Vec<f64> = psnrs.iter().filter(|p| p.1 == s).map(|p| p.2).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean_length(SyntheticSplit::TestShift) > mean_length(SyntheticSplit::Test) + 3.0);
    // Both modes occur in the standard blur.
    let modes: std::collections::HashSet<_> =
        (0..20).map(|i| synthesize_pair(&config, SyntheticSplit::Train, i).expect("pair").info.mode).collect();
    assert_eq!(modes.len(), 2);
    // Noise is added to the blurry image only.
    let mut quiet = small(7);
    quiet.noise = NoiseConfig { read_sigma: [0.0, 0.0], shot_gain: [0.0, 0.0] };
    let noisy = synthesize_pair(&config, SyntheticSplit::Train, 0).expect("pair");
    let clean = synthesize_pair(&quiet, SyntheticSplit::Train, 0).expect("pair");
    assert_eq!(noisy.gt, clean.gt);
    assert_ne!(noisy.lq, clean.lq);
}

#[test]
fn invalid_configurations_are_rejected() {
    let mut c = small(1);
    c.min_size = [100, 64];
    assert!(generate(&c, Path::new("/nonexistent/never-written"), &hidiff_data::NoProgress).is_err());
    let mut c = small(1);
    c.blur.exposure = [0.0, 1.0];
    assert!(synthesize_pair(&c, SyntheticSplit::Train, 0).is_err());
    let text = r#"{"seed": 1, "trian": 5}"#;
    assert!(serde_json::from_str::<SyntheticConfig>(text).is_err(), "unknown fields are rejected");
}

#[test]
fn embedded_photographs_decode_and_both_pools_have_some() {
    use hidiff_data::synthetic::photos::{decoded_photo, photo_sizes, PhotoPool, PHOTOS};
    for (i, photo) in PHOTOS.iter().enumerate() {
        assert_eq!(decoded_photo(i).dimensions(), photo_sizes()[i], "{}", photo.name);
        assert!(photo_sizes()[i].0.min(photo_sizes()[i].1) >= 300, "{}", photo.name);
    }
    assert!(PHOTOS.iter().filter(|p| p.pool == PhotoPool::Train).count() >= 6);
    assert!(PHOTOS.iter().filter(|p| p.pool == PhotoPool::Test).count() >= 2);
}
