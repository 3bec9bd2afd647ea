//! `hidiff test` on small paired sets: outputs saved as the official test saves
//! them, the paper's protocol chosen by set, the table and the JSON written.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::path::Path;

use common::*;
use hidiff_infer::testset::paper_protocol;
use hidiff_infer::{resolve_test_set, run_test, run_test_oracle_prior, DeblurOptions, NoProgress};
use hidiff_metrics::Protocol;
use image::DynamicImage;

/// `dir/{input,target}` with `n` pairs of `h × w` images.
fn paired_set(dir: &Path, n: usize, h: usize, w: usize) {
    for i in 0..n {
        let sharp = pattern_rgb8(h + i, w);
        let blurry = image::imageops::blur(&sharp, 1.5);
        save(&DynamicImage::ImageRgb8(blurry), &dir.join("input").join(format!("img{i}.png")));
        save(&DynamicImage::ImageRgb8(sharp), &dir.join("target").join(format!("img{i}.png")));
    }
}

#[test]
fn a_plain_folder_is_tested_with_the_matlab_protocol() {
    let t = tempfile::tempdir().unwrap();
    let set_dir = t.path().join("mine");
    paired_set(&set_dir, 3, 40, 48);
    let set = resolve_test_set(t.path(), "mine").unwrap();
    assert_eq!((set.name.as_str(), set.protocol, set.pairs.len()), ("mine", Protocol::GoPro, 3));

    let d = golden_deblurrer(DeblurOptions::default());
    let out = t.path().join("results");
    let report = run_test(&d, &set, &out, &NoProgress).unwrap();
    assert_eq!(report.images.len(), 3);
    for (i, img) in report.images.iter().enumerate() {
        let saved = out.join("visualization/mine").join(format!("img{i}.png"));
        assert_eq!(img.output, saved);
        let png = image::open(&saved).unwrap();
        assert_eq!((png.width(), png.height()), (48, 40 + i as u32));
        assert!(img.paper.as_ref().unwrap().psnr.is_finite() && img.basicsr.psnr.is_finite());
        // The two protocols differ (MATLAB's volumetric SSIM is not BasicSR's).
        assert_ne!(img.paper.as_ref().unwrap().ssim, img.basicsr.ssim);
    }
    let mean = report.images.iter().map(|i| i.basicsr.psnr).sum::<f64>() / 3.0;
    assert!((report.basicsr.psnr - mean).abs() < 1e-9);

    let table = report.table();
    assert!(table.contains("PSNR") && table.contains("evaluate_gopro_hide.m") && table.contains("basicsr"), "{table}");
    let json_path = out.join("results.json");
    report.save_json(&json_path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["protocol"], "gopro");
    assert_eq!(json["images"].as_array().unwrap().len(), 3);
    assert!(json["paper"]["psnr"].as_f64().is_some());
}

#[test]
fn named_sets_use_the_reference_layout_and_protocol() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("datasets");
    paired_set(&data.join("test/HIDE"), 1, 32, 40);
    paired_set(&data.join("test/RealBlur_J"), 1, 48, 56);
    let hide = resolve_test_set(&data, "hide").unwrap();
    assert_eq!((hide.name.as_str(), hide.protocol), ("HIDE", Protocol::GoPro));
    let rb = resolve_test_set(&data, "realblur-j").unwrap();
    assert_eq!((rb.name.as_str(), rb.protocol), ("RealBlur_J", Protocol::RealBlur));
    assert_eq!(paper_protocol(None), Protocol::GoPro);

    let d = golden_deblurrer(DeblurOptions::default());
    let out = t.path().join("results");
    let report = run_test(&d, &rb, &out, &NoProgress).unwrap();
    assert!(out.join("visualization/RealBlur_J/img0.png").is_file());
    // The ECC protocol ran (or, on a bad output, failed and was recorded).
    let img = &report.images[0];
    assert!(img.paper.as_ref().is_some_and(|s| s.realblur.is_some()) || img.error.is_some());

    // A missing set names the folders it looked for.
    let e = resolve_test_set(&data, "gopro").unwrap_err();
    assert!(e.to_string().contains("GoPro"), "{e}");
}

#[test]
fn images_too_small_to_score_are_refused_before_running() {
    let t = tempfile::tempdir().unwrap();
    paired_set(&t.path().join("tiny"), 1, 9, 12); // the model takes 9 x 12, SSIM does not
    let set = resolve_test_set(t.path(), "tiny").unwrap();
    let d = golden_deblurrer(DeblurOptions::default());
    let out = t.path().join("results");
    let e = run_test(&d, &set, &out, &NoProgress).unwrap_err();
    assert!(matches!(e, hidiff_infer::InferError::TooSmall { min: 11, .. }), "{e}");
    assert!(e.to_string().contains("img0.png") && e.to_string().contains("SSIM"), "{e}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn the_oracle_prior_runs_the_stage1_pass_and_needs_net_le() {
    let t = tempfile::tempdir().unwrap();
    let set_dir = t.path().join("mine");
    paired_set(&set_dir, 2, 40, 48);
    let set = resolve_test_set(t.path(), "mine").unwrap();

    // Without net_le (loaded for inference) the oracle is refused with a clear error.
    let e = run_test_oracle_prior(&golden_deblurrer(DeblurOptions::default()), &set, &t.path().join("a"), &NoProgress)
        .unwrap_err();
    assert!(e.to_string().contains("net_le"), "{e}");

    // With every network: the oracle pass (LE sees the target) differs from the blind one.
    let model = golden_config().init::<B>(hidiff_model::Networks::All, &Default::default());
    let d = hidiff_infer::Deblurrer::new(model, Default::default(), DeblurOptions::default()).unwrap();
    let oracle = run_test_oracle_prior(&d, &set, &t.path().join("o"), &NoProgress).unwrap();
    let blind = run_test(&d, &set, &t.path().join("b"), &NoProgress).unwrap();
    assert!(oracle.oracle_prior && !blind.oracle_prior);
    assert_eq!(oracle.images.len(), 2);
    assert!(oracle.paper.psnr.is_finite());
    let (a, b) = (image::open(&oracle.images[0].output).unwrap(), image::open(&blind.images[0].output).unwrap());
    assert_ne!(a.as_bytes(), b.as_bytes(), "the oracle prior must change the output");
}
