//! Every bad input is an error that names the file, raised before anything is
//! written: no output folder is created and no existing file is touched.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::path::{Path, PathBuf};

use common::*;
use hidiff_infer::{deblur_files, load_for_inference, DeblurOptions, Deblurrer, InferError, NoProgress, PlanOptions};
use hidiff_model::ModelConfig;
use image::DynamicImage;

fn good_png(dir: &Path, name: &str) -> PathBuf {
    save(&DynamicImage::ImageRgb8(pattern_rgb8(24, 32)), &dir.join(name))
}

/// Runs `inputs` into `dir/out` and returns the error; asserts nothing was written.
fn fails(d: &Deblurrer<B>, inputs: &[PathBuf], dir: &Path) -> InferError {
    let out = dir.join("out");
    let plan = PlanOptions { out_dir: out.clone(), recursive: false, overwrite: false };
    let err = deblur_files(inputs, &plan, d, &NoProgress).expect_err("must fail");
    assert!(files_under(&out).is_empty(), "{err}: something was written: {:?}", files_under(&out));
    err
}

fn assert_names(err: &InferError, file: &Path) {
    let msg = err.to_string();
    assert!(msg.contains(&file.display().to_string()), "the message does not name {}: {msg}", file.display());
}

#[test]
fn bad_images_are_reported_before_anything_is_written() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let d = golden_deblurrer(DeblurOptions::default());
    let good = good_png(dir, "good.png");

    let missing = dir.join("missing.png");
    let e = fails(&d, &[good.clone(), missing.clone()], dir);
    assert!(matches!(e, InferError::MissingInput { .. }), "{e}");
    assert_names(&e, &missing);

    let bytes = std::fs::read(&good).unwrap();
    let corrupt = dir.join("corrupt.png");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).unwrap();
    let e = fails(&d, &[good.clone(), corrupt.clone()], dir);
    assert!(matches!(e, InferError::Decode { .. }), "{e}");
    assert_names(&e, &corrupt);

    let empty = dir.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let e = fails(&d, &[good.clone(), empty.clone()], dir);
    assert!(matches!(e, InferError::EmptyFile { .. }), "{e}");
    assert_names(&e, &empty);

    let tiny = save(&DynamicImage::ImageRgb8(image::RgbImage::new(1, 1)), &dir.join("tiny.png"));
    let e = fails(&d, &[good.clone(), tiny.clone()], dir);
    assert!(matches!(e, InferError::TooSmall { min: 8, .. }), "{e}");
    assert_names(&e, &tiny);
    assert!(e.to_string().contains("at least 8×8"), "{e}");

    let text = dir.join("notes.png");
    std::fs::write(&text, "this is not an image\n").unwrap();
    let e = fails(&d, &[good.clone(), text.clone()], dir);
    assert!(matches!(e, InferError::Decode { .. }), "{e}");
    assert_names(&e, &text);

    let unknown = dir.join("notes.xyz");
    std::fs::write(&unknown, "still not an image\n").unwrap();
    let e = fails(&d, std::slice::from_ref(&unknown), dir);
    assert!(matches!(e, InferError::UnknownFormat { .. }), "{e}");
    assert_names(&e, &unknown);

    // An existing output is neither replaced nor touched without `overwrite`.
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("good.png"), b"keep me").unwrap();
    let plan = PlanOptions { out_dir: out.clone(), recursive: false, overwrite: false };
    let e = deblur_files(std::slice::from_ref(&good), &plan, &d, &NoProgress).unwrap_err();
    assert!(matches!(e, InferError::OutputExists { count: 1, .. }), "{e}");
    assert_eq!(std::fs::read(out.join("good.png")).unwrap(), b"keep me");
    let plan = PlanOptions { overwrite: true, ..plan };
    deblur_files(std::slice::from_ref(&good), &plan, &d, &NoProgress).unwrap();
    assert!(image::open(out.join("good.png")).is_ok());
}

#[test]
fn an_unwritable_output_folder_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = golden_deblurrer(DeblurOptions::default());
    let good = good_png(t.path(), "good.png");
    // A folder below a regular file can never be created (root included).
    let blocker = t.path().join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    let out = blocker.join("out");
    let plan = PlanOptions { out_dir: out.clone(), recursive: false, overwrite: false };
    let e = deblur_files(std::slice::from_ref(&good), &plan, &d, &NoProgress).unwrap_err();
    assert!(matches!(e, InferError::OutputNotWritable { .. }), "{e}");
    assert_names(&e, &out);

    // A read-only folder (only effective when not running as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = t.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let enforced = std::fs::write(ro.join("probe"), b"").is_err();
        let plan = PlanOptions { out_dir: ro.clone(), recursive: false, overwrite: false };
        let result = deblur_files(&[good], &plan, &d, &NoProgress);
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        if enforced {
            assert!(matches!(result, Err(InferError::OutputNotWritable { .. })), "{result:?}");
        }
    }
}

#[test]
fn bad_weights_are_reported_with_the_file_and_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let dev = Default::default();
    let cfg = golden_config();

    // An official folder without net_d.pth.
    let partial = t.path().join("weights");
    std::fs::create_dir(&partial).unwrap();
    for f in ["net_g.pth", "net_le_dm.pth"] {
        std::fs::copy(golden_dir().join(f), partial.join(f)).unwrap();
    }
    let e = load_for_inference::<B>(&partial, &cfg, "golden", &dev).unwrap_err();
    assert!(matches!(&e, InferError::MissingWeightFiles { missing, .. } if missing == &["net_d.pth"]), "{e}");
    assert_names(&e, &partial);

    // Weights of another configuration.
    let e = load_for_inference::<B>(&golden_dir(), &ModelConfig::quick(), "preset quick", &dev).unwrap_err();
    let msg = e.chain();
    assert!(matches!(e, InferError::Weights { .. }), "{e}");
    assert!(msg.contains("preset quick") && msg.contains("net_g.pth") && msg.contains("--config"), "{msg}");

    // A missing path, and a file that is not a checkpoint.
    let e = load_for_inference::<B>(&t.path().join("nope"), &cfg, "golden", &dev).unwrap_err();
    assert!(matches!(e, InferError::MissingWeights { .. }), "{e}");
    let junk = t.path().join("model.safetensors");
    std::fs::write(&junk, "not a checkpoint").unwrap();
    let e = load_for_inference::<B>(&junk, &cfg, "golden", &dev).unwrap_err();
    assert!(matches!(e, InferError::Weights { .. }), "{e}");
    assert_names(&e, &junk);
}

#[test]
fn bad_tile_options_are_refused() {
    let spec = |size, overlap| hidiff_infer::Tiling::Always(hidiff_infer::TileSpec { size, overlap });
    for tiling in [spec(100, 8), spec(16, 0), spec(64, 40)] {
        let e = Deblurrer::new(golden_model(), Default::default(), DeblurOptions { tiling, ..Default::default() })
            .unwrap_err();
        assert!(matches!(e, InferError::InvalidOption(_)), "{e}");
    }
}
