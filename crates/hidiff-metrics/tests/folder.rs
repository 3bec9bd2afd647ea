//! Whole-folder evaluation: pairing by name and by natural sorted position,
//! parallel scoring, means, JSON and CSV.

mod common;

use std::path::Path;

use common::{cases, fixtures};
use hidiff_metrics::{
    evaluate_folders, evaluate_pair, pair_folders, FolderReport, NoProgress, PairBy, ProgressFn, Protocol,
};

/// Copies the five golden pairs into `gt/` and `pred/`, the predictions
/// renamed with `pred_name(i, gt_name)`.
fn make_folders(root: &Path, pred_name: impl Fn(usize, &str) -> String) {
    std::fs::create_dir_all(root.join("gt")).expect("mkdir gt");
    std::fs::create_dir_all(root.join("pred")).expect("mkdir pred");
    for (i, case) in cases().iter().enumerate() {
        let name = format!("{}.png", case.id);
        std::fs::copy(&case.gt_path, root.join("gt").join(&name)).expect("copy gt");
        std::fs::copy(&case.pred_path, root.join("pred").join(pred_name(i, &name))).expect("copy pred");
    }
    // Non-image files are ignored.
    std::fs::write(root.join("gt").join("notes.txt"), "ignored").expect("write txt");
}

#[test]
fn pairing_by_name_scores_every_pair_and_the_mean() {
    let dir = tempfile::tempdir().expect("tempdir");
    make_folders(dir.path(), |_, name| name.to_string());
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let progress = ProgressFn::new(|_: &str, done, total| {
        assert!(done <= total && total == 5);
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let report =
        evaluate_folders(Protocol::GoPro, &dir.path().join("gt"), &dir.path().join("pred"), PairBy::Name, &progress)
            .expect("folder evaluation");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 5);
    assert_eq!(report.images.len(), 5);
    let all = cases();
    for (r, case) in report.images.iter().zip(&all) {
        assert!(r.gt.ends_with(&format!("{}.png", case.id)), "order: {}", r.gt);
        let direct = evaluate_pair(Protocol::GoPro, &case.gt, &case.pred).expect("pair");
        assert_eq!(r.scores, direct);
        assert!((r.scores.psnr - case.num("/matlab/psnr")).abs() < 1e-5);
    }
    let mean_psnr = all.iter().map(|c| c.num("/matlab/psnr")).sum::<f64>() / 5.0;
    let mean_ssim = all.iter().map(|c| c.num("/matlab/ssim")).sum::<f64>() / 5.0;
    assert!((report.mean.psnr - mean_psnr).abs() < 1e-9);
    assert!((report.mean.ssim - mean_ssim).abs() < 1e-9);

    // JSON: protocol name, mean object, per-image entries; round trip.
    let json = serde_json::to_value(&report).expect("serialisable");
    assert_eq!(json["protocol"], "gopro");
    assert_eq!(json["pair_by"], "name");
    assert!(json["mean"]["psnr"].as_f64().is_some() && json["mean"]["ssim"].as_f64().is_some());
    assert_eq!(json["images"].as_array().map(Vec::len), Some(5));
    assert!(json["images"][0]["psnr"].as_f64().is_some());
    let back: FolderReport = serde_json::from_value(json).expect("deserialisable");
    assert_eq!(back, report);

    // CSV: header, five rows, mean row.
    let csv_path = dir.path().join("scores.csv");
    report.save_csv(&csv_path).expect("csv written");
    let csv = std::fs::read_to_string(&csv_path).expect("csv readable");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0], "gt,pred,psnr,ssim");
    assert_eq!(lines[6], format!("mean,,{},{}", report.mean.psnr, report.mean.ssim));
}

#[test]
fn pairing_by_sorted_position_uses_natural_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gt_dir, pred_dir) = (dir.path().join("gt"), dir.path().join("pred"));
    std::fs::create_dir_all(&gt_dir).expect("mkdir");
    std::fs::create_dir_all(&pred_dir).expect("mkdir");
    // Natural order 2 < 10 (plain string order would put 10 first).
    let all = cases();
    let (a, b) = (&all[0], &all[1]);
    std::fs::copy(&a.gt_path, gt_dir.join("img2.png")).expect("copy");
    std::fs::copy(&b.gt_path, gt_dir.join("img10.png")).expect("copy");
    std::fs::copy(&a.pred_path, pred_dir.join("result_2.png")).expect("copy");
    std::fs::copy(&b.pred_path, pred_dir.join("result_10.png")).expect("copy");

    let pairs = pair_folders(&gt_dir, &pred_dir, PairBy::Sorted).expect("pairs");
    let names: Vec<(String, String)> = pairs
        .iter()
        .map(|p| {
            let n = |q: &Path| q.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            (n(&p.gt), n(&p.pred))
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("img2.png".to_string(), "result_2.png".to_string()),
            ("img10.png".to_string(), "result_10.png".to_string())
        ]
    );
    // Pairing by name fails on these folders, naming the file.
    let err = pair_folders(&gt_dir, &pred_dir, PairBy::Name).expect_err("names differ");
    assert!(err.to_string().contains("img2.png") || err.to_string().contains("img10.png"), "{err}");

    let report = evaluate_folders(Protocol::BasicSr, &gt_dir, &pred_dir, PairBy::Sorted, &NoProgress).expect("eval");
    assert_eq!(report.images[0].scores.psnr, a.num("/basicsr/rgb/psnr"));
    assert_eq!(report.images[1].scores.psnr, b.num("/basicsr/rgb/psnr"));
    assert_eq!(serde_json::to_value(&report).expect("json")["pair_by"], "sorted");
}

#[test]
fn realblur_folder_reports_diagnostics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gt_dir, pred_dir) = (dir.path().join("gt"), dir.path().join("pred"));
    std::fs::create_dir_all(&gt_dir).expect("mkdir");
    std::fs::create_dir_all(&pred_dir).expect("mkdir");
    let case = &cases()[1];
    std::fs::copy(&case.gt_path, gt_dir.join("x.png")).expect("copy");
    std::fs::copy(&case.pred_path, pred_dir.join("x.png")).expect("copy");
    let report = evaluate_folders(Protocol::RealBlur, &gt_dir, &pred_dir, PairBy::Name, &NoProgress).expect("eval");
    let diag = report.images[0].scores.realblur.as_ref().expect("diagnostics");
    assert_eq!(diag.alpha, case.num("/realblur/intensity_scale_alpha") as f32);
    let json = serde_json::to_value(&report).expect("json");
    assert!(json["images"][0]["realblur"]["warp_matrix"][2][2].as_f64() == Some(1.0));
    assert!(fixtures().exists());
}
