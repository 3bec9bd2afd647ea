//! Errors on user input: every one is a `MetricsError` naming the file and
//! the problem, never a panic.

mod common;

use std::path::Path;

use common::cases;
use hidiff_metrics::{
    evaluate_files, evaluate_folders, evaluate_pair, pair_folders, MetricsError, NoProgress, PairBy, Protocol,
    RgbImageU8,
};

fn write_png(path: &Path, img: image::DynamicImage) {
    img.save_with_format(path, image::ImageFormat::Png).expect("png written");
}

#[test]
fn different_sizes_are_refused_by_every_protocol_naming_both_files() {
    let all = cases();
    let (a, b) = (&all[0], &all[1]); // 128×96 and 101×83
    for p in Protocol::ALL {
        let err = evaluate_pair(p, &a.gt, &b.pred).expect_err("sizes differ");
        assert!(matches!(err, MetricsError::SizeMismatch { .. }), "{p}: {err}");
        let msg = err.to_string();
        assert!(msg.contains("d1_astronaut_motion_gt.png") && msg.contains("d2_chelsea_shift_pred.png"), "{msg}");
        assert!(msg.contains("128×96") && msg.contains("101×83"), "{msg}");
    }
}

#[test]
fn corrupt_truncated_and_missing_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.png");
    std::fs::write(&garbage, b"this is not an image").expect("write");
    let err = RgbImageU8::open(&garbage).expect_err("garbage");
    assert!(matches!(err, MetricsError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("garbage.png"));

    let truncated = dir.path().join("truncated.png");
    let bytes = std::fs::read(&cases()[0].gt_path).expect("fixture");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let err = RgbImageU8::open(&truncated).expect_err("truncated");
    assert!(matches!(err, MetricsError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("truncated.png"));

    let missing = dir.path().join("nope.png");
    let err = evaluate_files(Protocol::GoPro, &missing, &garbage).expect_err("missing");
    assert!(matches!(err, MetricsError::Io { .. }), "{err}");
    assert!(err.to_string().contains("nope.png"));
}

#[test]
fn missing_pair_empty_folder_and_count_mismatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gt, pred, empty) = (dir.path().join("gt"), dir.path().join("pred"), dir.path().join("empty"));
    for d in [&gt, &pred, &empty] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let all = cases();
    std::fs::copy(&all[0].gt_path, gt.join("a.png")).expect("copy");
    std::fs::copy(&all[1].gt_path, gt.join("b.png")).expect("copy");
    std::fs::copy(&all[0].pred_path, pred.join("a.png")).expect("copy");

    // gt/b.png has no prediction.
    let err = pair_folders(&gt, &pred, PairBy::Name).expect_err("missing pair");
    match &err {
        MetricsError::MissingPair { file, other_folder } => {
            assert!(file.ends_with("b.png"));
            assert_eq!(other_folder, &pred);
        }
        other => panic!("unexpected {other}"),
    }
    // A prediction without ground truth is reported too.
    std::fs::copy(&all[1].pred_path, pred.join("b.png")).expect("copy");
    std::fs::copy(&all[2].pred_path, pred.join("c.png")).expect("copy");
    let err = pair_folders(&gt, &pred, PairBy::Name).expect_err("extra prediction");
    assert!(matches!(&err, MetricsError::MissingPair { file, .. } if file.ends_with("c.png")), "{err}");
    // Sorted pairing needs equal counts.
    let err = pair_folders(&gt, &pred, PairBy::Sorted).expect_err("2 vs 3");
    assert!(matches!(err, MetricsError::CountMismatch { gt_count: 2, pred_count: 3, .. }), "{err}");

    let err = evaluate_folders(Protocol::BasicSr, &empty, &pred, PairBy::Name, &NoProgress).expect_err("empty");
    assert!(matches!(&err, MetricsError::EmptyFolder { path } if path == &empty), "{err}");
    let err = pair_folders(&gt.join("a.png"), &pred, PairBy::Name).expect_err("not a folder");
    assert!(matches!(err, MetricsError::NotAFolder { .. }), "{err}");
}

#[test]
fn corrupt_file_inside_a_folder_fails_the_evaluation_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (gt, pred) = (dir.path().join("gt"), dir.path().join("pred"));
    std::fs::create_dir_all(&gt).expect("mkdir");
    std::fs::create_dir_all(&pred).expect("mkdir");
    let all = cases();
    std::fs::copy(&all[0].gt_path, gt.join("a.png")).expect("copy");
    std::fs::copy(&all[0].pred_path, pred.join("a.png")).expect("copy");
    std::fs::copy(&all[1].gt_path, gt.join("b.png")).expect("copy");
    std::fs::write(pred.join("b.png"), b"\x89PNG\r\n\x1a\nbroken").expect("write");
    let err = evaluate_folders(Protocol::GoPro, &gt, &pred, PairBy::Name, &NoProgress).expect_err("corrupt");
    assert!(matches!(err, MetricsError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("b.png"), "{err}");
}

#[test]
fn gray_and_rgba_are_converted_and_16_bit_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rgb = &cases()[0].gt;
    let (w, h) = (rgb.width() as u32, rgb.height() as u32);

    // RGBA: alpha dropped, RGB unchanged.
    let rgba = image::RgbaImage::from_fn(w, h, |x, y| {
        let [r, g, b] = rgb.pixel(x as usize, y as usize).expect("inside");
        image::Rgba([r, g, b, (x * 7) as u8])
    });
    let path = dir.path().join("rgba.png");
    write_png(&path, image::DynamicImage::ImageRgba8(rgba));
    let loaded = RgbImageU8::open(&path).expect("rgba loads");
    assert_eq!(loaded.as_raw(), rgb.as_raw());

    // Gray: replicated into three equal channels, and the GoPro SSIM of the
    // replicated image equals the 2-D SSIM of the gray one.
    let gray =
        image::GrayImage::from_fn(w, h, |x, y| image::Luma([rgb.pixel(x as usize, y as usize).expect("inside")[1]]));
    let path = dir.path().join("gray.png");
    write_png(&path, image::DynamicImage::ImageLuma8(gray));
    let loaded = RgbImageU8::open(&path).expect("gray loads");
    assert_eq!(loaded.pixel(3, 4).map(|p| p[0] == p[1] && p[1] == p[2]), Some(true));
    assert_eq!(loaded.pixel(3, 4).map(|p| p[1]), rgb.pixel(3, 4).map(|p| p[1]));

    // 16-bit: a clear error.
    let deep = image::ImageBuffer::<image::Rgb<u16>, Vec<u16>>::from_pixel(8, 8, image::Rgb([1000, 2000, 3000]));
    let path = dir.path().join("deep.png");
    write_png(&path, image::DynamicImage::ImageRgb16(deep));
    let err = RgbImageU8::open(&path).expect_err("16-bit");
    assert!(matches!(err, MetricsError::UnsupportedPixelFormat { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("deep.png") && msg.contains("Rgb16") && msg.contains("8-bit"), "{msg}");
}

#[test]
fn tiny_images_are_refused_not_panicking() {
    let tiny = RgbImageU8::from_raw(8, 8, vec![100; 8 * 8 * 3]).expect("buffer");
    let other = RgbImageU8::from_raw(8, 8, vec![90; 8 * 8 * 3]).expect("buffer");
    for p in [Protocol::BasicSr, Protocol::BasicSrY, Protocol::RealBlur] {
        let err = evaluate_pair(p, &tiny, &other).expect_err("too small");
        assert!(matches!(err, MetricsError::TooSmall { min: 11, .. }), "{p}: {err}");
    }
    // MATLAB pads by replication and accepts any size.
    assert!(evaluate_pair(Protocol::GoPro, &tiny, &other).is_ok());
    assert!(RgbImageU8::from_raw(4, 4, vec![0; 5]).is_err());
}

#[test]
fn ecc_failure_is_an_error_not_a_panic() {
    // A flat prediction has no gradient: the Hessian is singular, OpenCV's
    // λ denominator is 0 and findTransformECC raises.
    let gt = &cases()[0].gt;
    let flat = RgbImageU8::from_raw(gt.width(), gt.height(), vec![128; gt.as_raw().len()]).expect("buffer");
    let err = evaluate_pair(Protocol::RealBlur, gt, &flat).expect_err("ECC cannot align");
    assert!(matches!(err, MetricsError::EccFailed { iteration: 1, .. }), "{err}");
    // An all-black prediction makes alpha 0/0.
    let black = RgbImageU8::from_raw(gt.width(), gt.height(), vec![0; gt.as_raw().len()]).expect("buffer");
    let err = evaluate_pair(Protocol::RealBlur, gt, &black).expect_err("ECC NaN");
    assert!(matches!(err, MetricsError::EccFailed { .. }), "{err}");
}
