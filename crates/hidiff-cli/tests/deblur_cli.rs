//! `hidiff deblur` and `hidiff test` end to end with the golden small model:
//! exit codes, messages naming the file, nothing written on bad input, the
//! table and the JSON report.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden")
}

fn hidiff(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hidiff")).args(args).current_dir(cwd).output().expect("hidiff runs")
}

/// `hidiff deblur` with the golden weights and configuration, plus `extra`.
fn deblur(cwd: &Path, extra: &[&str]) -> Output {
    let (w, c) = (golden(), golden().join("small_config.toml"));
    let mut args = vec!["deblur", "--weights", w.to_str().unwrap(), "--config", c.to_str().unwrap()];
    args.extend_from_slice(extra);
    hidiff(&args, cwd)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rgb(h: u32, w: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, ((x + y) * 3) as u8]))
}

#[test]
fn deblurs_a_folder_keeping_names_and_layouts() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    std::fs::create_dir(dir.join("in")).unwrap();
    DynamicImage::ImageRgb8(rgb(37, 45)).save(dir.join("in/a.png")).unwrap();
    DynamicImage::ImageLuma8(GrayImage::from_fn(30, 20, |x, y| image::Luma([(x * y) as u8])))
        .save(dir.join("in/b.png"))
        .unwrap();
    DynamicImage::ImageRgba8(RgbaImage::from_fn(24, 16, |x, _| image::Rgba([9, 99, 199, (x * 10) as u8])))
        .save(dir.join("in/c.png"))
        .unwrap();
    let o = deblur(dir, &["in", "--out", "out", "--seed", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("per megapixel"), "{}", stderr(&o));
    let a = image::open(dir.join("out/a.png")).unwrap();
    assert_eq!((a.width(), a.height(), a.color()), (45, 37, image::ColorType::Rgb8));
    assert_eq!(image::open(dir.join("out/b.png")).unwrap().color(), image::ColorType::L8);
    let c = image::open(dir.join("out/c.png")).unwrap().into_rgba8();
    assert!(c.pixels().enumerate().all(|(i, p)| p[3] == ((i % 24) * 10) as u8), "alpha untouched");

    // Same seed, same result; an existing output needs --overwrite.
    let o = deblur(dir, &["in/a.png", "--out", "out", "--seed", "5"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    let before = std::fs::read(dir.join("out/a.png")).unwrap();
    let o = deblur(dir, &["in/a.png", "--out", "out", "--seed", "5", "--overwrite", "--tile", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.join("out/a.png")).unwrap(), before);
}

#[test]
fn bad_inputs_exit_non_zero_name_the_file_and_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    DynamicImage::ImageRgb8(rgb(24, 32)).save(dir.join("good.png")).unwrap();
    let png = std::fs::read(dir.join("good.png")).unwrap();
    std::fs::write(dir.join("corrupt.png"), &png[..png.len() / 2]).unwrap();
    std::fs::write(dir.join("empty.png"), b"").unwrap();
    DynamicImage::ImageRgb8(rgb(1, 1)).save(dir.join("tiny.png")).unwrap();
    std::fs::write(dir.join("text.png"), "just text\n").unwrap();
    std::fs::write(dir.join("blocker"), "a file where a folder should be").unwrap();
    std::fs::create_dir(dir.join("weights")).unwrap();
    for f in ["net_g.pth", "net_le_dm.pth"] {
        std::fs::copy(golden().join(f), dir.join("weights").join(f)).unwrap();
    }
    let g = golden();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["good.png", "missing.png", "--out", "out"], "missing.png"),
        (vec!["good.png", "corrupt.png", "--out", "out"], "corrupt.png"),
        (vec!["good.png", "empty.png", "--out", "out"], "empty.png"),
        (vec!["good.png", "tiny.png", "--out", "out"], "at least 8×8"),
        (vec!["good.png", "text.png", "--out", "out"], "text.png"),
        (vec!["good.png", "--out", "blocker/out"], "blocker/out"),
        (vec!["good.png", "--out", "out", "--precision", "f16"], "f16"),
        (vec!["good.png", "--out", "out", "--tile", "100"], "--tile 100"),
    ];
    for (args, needle) in cases {
        let o = deblur(dir, &args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(err.contains("error:") && err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!dir.join("out").exists(), "{args:?} wrote something");
    }
    // Weights: a folder without net_d.pth, and weights of another configuration.
    let o = hidiff(
        &[
            "deblur",
            "good.png",
            "--out",
            "out",
            "--weights",
            "weights",
            "--config",
            g.join("small_config.toml").to_str().unwrap(),
        ],
        dir,
    );
    assert!(!o.status.success() && stderr(&o).contains("net_d.pth"), "{}", stderr(&o));
    let o = hidiff(&["deblur", "good.png", "--out", "out", "--weights", g.to_str().unwrap(), "--preset", "quick"], dir);
    assert!(
        !o.status.success() && stderr(&o).contains("preset quick") && stderr(&o).contains("net_g.pth"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("out").exists());
    // Never overwrites an input.
    let o = deblur(dir, &["good.png", "--out", ".", "--overwrite"]);
    assert!(!o.status.success() && stderr(&o).contains("would overwrite the input"), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.join("good.png")).unwrap(), png);
}

#[test]
fn test_command_prints_the_table_and_writes_the_json() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    for (i, name) in ["x1.png", "x2.png"].iter().enumerate() {
        let sharp = rgb(40 + i as u32, 48);
        let blurry = image::imageops::blur(&sharp, 1.0);
        std::fs::create_dir_all(dir.join("datasets/test/HIDE/input")).unwrap();
        std::fs::create_dir_all(dir.join("datasets/test/HIDE/target")).unwrap();
        DynamicImage::ImageRgb8(blurry).save(dir.join("datasets/test/HIDE/input").join(name)).unwrap();
        DynamicImage::ImageRgb8(sharp).save(dir.join("datasets/test/HIDE/target").join(name)).unwrap();
    }
    let (w, c) = (golden(), golden().join("small_config.toml"));
    let base = ["test", "--weights", w.to_str().unwrap(), "--config", c.to_str().unwrap(), "--data", "datasets"];
    let o = hidiff(&[&base[..], &["--set", "hide", "--out", "res"]].concat(), dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("PSNR") && out.contains("evaluate_gopro_hide.m") && out.contains("basicsr"), "{out}");
    assert!(dir.join("res/visualization/HIDE/x1.png").is_file() && dir.join("res/visualization/HIDE/x2.png").is_file());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("res/results.json")).unwrap()).unwrap();
    assert_eq!((json["set"].as_str(), json["protocol"].as_str()), (Some("HIDE"), Some("gopro")));
    assert_eq!(json["images"].as_array().unwrap().len(), 2);

    // --json elsewhere; a missing set is an error naming where it looked.
    let o = hidiff(&[&base[..], &["--set", "hide", "--out", "res", "--json", "r.json"]].concat(), dir);
    assert!(o.status.success() && dir.join("r.json").is_file(), "{}", stderr(&o));
    let o = hidiff(&[&base[..], &["--set", "realblur-r", "--out", "res2"]].concat(), dir);
    assert!(!o.status.success() && stderr(&o).contains("RealBlur_R"), "{}", stderr(&o));
    assert!(!dir.join("res2").exists());
}
