//! The catalogue of hostile inputs (issue 15), one test per class, each run
//! against the `hidiff` binary: a clean error naming the file and the problem,
//! no panic, no hang, no silent wrong output, nothing of the user's overwritten,
//! and the cheap checks before any model is loaded.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use image::{DynamicImage, RgbImage};

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `hidiff args` in `cwd`; a run still going after 120 s is killed and the
/// test fails (a hang is one of the bugs caught here).
fn hidiff(args: &[&str], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hidiff"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hidiff starts");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hidiff {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a clean failure: exit code 1, an `error:` line, no panic; returns stderr.
fn fails(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "expected a clean failure: {err}");
    assert!(err.contains("error:") && !err.contains("panicked"), "{err}");
    err
}

/// `hidiff deblur` with the golden weights and configuration, plus `extra`.
fn deblur(cwd: &Path, extra: &[&str]) -> Output {
    let (w, c) = (golden(), golden().join("small_config.toml"));
    let mut args = vec!["deblur", "--weights", w.to_str().unwrap(), "--config", c.to_str().unwrap()];
    args.extend_from_slice(extra);
    hidiff(&args, cwd)
}

fn save_rgb(path: &Path, h: u32, w: u32) {
    let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, ((x + y) * 3) as u8]));
    DynamicImage::ImageRgb8(img).save(path).unwrap();
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success(), "mkfifo {}", path.display());
}

#[test]
fn a_tiny_png_declaring_100000_by_100000_pixels_is_refused_with_the_numbers() {
    let t = tempfile::tempdir().unwrap();
    let huge = t.path().join("huge.png");
    std::fs::write(&huge, hidiff_io::image::png_header_only(100_000, 100_000)).unwrap();
    assert!(std::fs::metadata(&huge).unwrap().len() < 400);
    let err = fails(&deblur(t.path(), &["huge.png", "--out", "out"]));
    assert!(err.contains("huge.png") && err.contains("100000×100000") && err.contains("megapixels"), "{err}");
    assert!(!t.path().join("out").exists());
    // Metrics reads through the same budget.
    let err = fails(&hidiff(&["metrics", "--protocol", "basicsr", "--gt", "huge.png", "--pred", "huge.png"], t.path()));
    assert!(err.contains("100000×100000"), "{err}");
}

#[test]
fn a_fifo_named_like_an_image_is_refused_by_type_without_hanging() {
    let t = tempfile::tempdir().unwrap();
    mkfifo(&t.path().join("x.png"));
    let err = fails(&deblur(t.path(), &["x.png", "--out", "out"]));
    assert!(err.contains("x.png") && err.contains("FIFO"), "{err}");
    // Inside a folder, too.
    std::fs::create_dir(t.path().join("in")).unwrap();
    save_rgb(&t.path().join("in/a.png"), 16, 16);
    mkfifo(&t.path().join("in/b.png"));
    let err = fails(&deblur(t.path(), &["in", "--out", "out"]));
    assert!(err.contains("b.png") && err.contains("FIFO"), "{err}");
    // As a configuration and as weights.
    let err = fails(&hidiff(&["info", "--config", "x.png"], t.path()));
    assert!(err.contains("FIFO"), "{err}");
    let err = fails(&hidiff(&["info", "--weights", "x.png"], t.path()));
    assert!(err.contains("FIFO"), "{err}");
    assert!(!t.path().join("out").exists());
}

#[test]
fn nan_and_zero_configuration_numbers_are_refused_with_the_key() {
    let t = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(golden().join("small_config.toml")).unwrap();
    for (from, to, key) in [
        ("ffn_expansion_factor = 2.66", "ffn_expansion_factor = nan", "ffn_expansion_factor"),
        ("ffn_expansion_factor = 2.66", "ffn_expansion_factor = 0", "ffn_expansion_factor"),
        ("linear_start = 0.1", "linear_start = 0.0", "linear_start"),
    ] {
        std::fs::write(t.path().join("bad.toml"), text.replacen(from, to, 1)).unwrap();
        let err = fails(&hidiff(&["info", "--config", "bad.toml"], t.path()));
        assert!(err.contains("bad.toml") && err.contains(key), "{to}: {err}");
    }
}

#[test]
fn a_huge_tile_overlap_is_refused_before_the_model_loads() {
    let t = tempfile::tempdir().unwrap();
    save_rgb(&t.path().join("a.png"), 16, 16);
    for overlap in ["9223372036854775808", "18446744073709551615", "300"] {
        let o = hidiff(
            &["deblur", "a.png", "--weights", "no-such-weights", "--tile", "512", "--tile-overlap", overlap],
            t.path(),
        );
        let err = fails(&o);
        assert!(err.contains("--tile-overlap") && !err.contains("no-such-weights"), "{err}");
    }
    assert!(!t.path().join("deblurred").exists());
}

#[test]
fn info_counts_huge_sizes_without_wrapping() {
    let t = tempfile::tempdir().unwrap();
    let gmac = |size: &str| -> f64 {
        let o = hidiff(&["info", "--preset", "quick", "--size", size, "--json"], t.path());
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["gmac"]["net_g"].as_f64().unwrap()
    };
    // 2^32 pixels: ~65536 times the 256x256 count, not ~0.
    let ratio = gmac("65536x65536") / gmac("256x256");
    assert!((ratio / 65536.0 - 1.0).abs() < 0.01, "{ratio}");
    // A side beyond u32 is a usage error (clap's exit status 2), with the range.
    let o = hidiff(&["info", "--preset", "quick", "--size", "4294967296x4294967296"], t.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("4294967296") && err.contains("must lie in") && !err.contains("panicked"), "{err}");
}

#[test]
fn bench_refuses_a_patch_the_model_cannot_take() {
    let t = tempfile::tempdir().unwrap();
    let err = fails(&hidiff(&["bench", "--preset", "quick", "--patch", "7", "--iters", "1"], t.path()));
    assert!(err.contains("--patch 7") && err.contains("multiple of 8"), "{err}");
    let err = fails(&hidiff(&["bench", "--preset", "quick", "--size", "256,256"], t.path()));
    assert!(err.contains("HxW"), "{err}");
}

#[test]
fn outputs_never_replace_inputs() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    for d in ["gt", "pred"] {
        std::fs::create_dir(dir.join(d)).unwrap();
        save_rgb(&dir.join(d).join("a.png"), 24, 24);
    }
    let before = std::fs::read(dir.join("gt/a.png")).unwrap();
    let err = fails(&hidiff(
        &["metrics", "--protocol", "basicsr", "--gt-dir", "gt", "--pred-dir", "pred", "--csv", "gt/../gt/a.png"],
        dir,
    ));
    assert!(err.contains("a.png") && err.contains("input"), "{err}");
    assert_eq!(std::fs::read(dir.join("gt/a.png")).unwrap(), before);
    // `test --json` over an input image, and over the configuration.
    let set = dir.join("set");
    for d in ["input", "target"] {
        std::fs::create_dir_all(set.join(d)).unwrap();
        save_rgb(&set.join(d).join("p.png"), 24, 24);
    }
    std::fs::copy(golden().join("small_config.toml"), dir.join("cfg.toml")).unwrap();
    let config_before = std::fs::read(dir.join("cfg.toml")).unwrap();
    let w = golden();
    for json in ["set/target/p.png", "cfg.toml"] {
        let o = hidiff(
            &[
                "test",
                "--weights",
                w.to_str().unwrap(),
                "--config",
                "cfg.toml",
                "--data",
                ".",
                "--set",
                "set",
                "--json",
                json,
            ],
            dir,
        );
        let err = fails(&o);
        assert!(err.contains("input"), "{err}");
    }
    assert_eq!(std::fs::read(dir.join("cfg.toml")).unwrap(), config_before);
    assert!(!dir.join("results").exists(), "nothing is created when the run is refused");
}

#[test]
fn prepare_never_fills_a_folder_of_the_users_files() {
    let t = tempfile::tempdir().unwrap();
    let mine = t.path().join("mine");
    std::fs::create_dir_all(mine.join("train/input")).unwrap();
    std::fs::write(mine.join("train/input/00000.png"), b"my photo").unwrap();
    std::fs::write(mine.join("00001.png"), b"my other photo").unwrap();
    let err = fails(&hidiff(
        &["prepare", "synthetic", "--out", "mine", "--train", "1", "--test", "1", "--test-shift", "1"],
        t.path(),
    ));
    assert!(err.contains("mine") && err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read(mine.join("train/input/00000.png")).unwrap(), b"my photo");
    assert_eq!(std::fs::read(mine.join("00001.png")).unwrap(), b"my other photo");
}

#[test]
fn an_output_folder_that_is_a_file_fails_before_the_model_loads() {
    let t = tempfile::tempdir().unwrap();
    save_rgb(&t.path().join("a.png"), 16, 16);
    std::fs::write(t.path().join("afile"), b"keep me").unwrap();
    // Weights that do not exist: the output folder must be reported first.
    let err = fails(&hidiff(&["deblur", "a.png", "--weights", "missing-weights", "--out", "afile"], t.path()));
    assert!(err.contains("afile") && !err.contains("missing-weights"), "{err}");
    let err = fails(&hidiff(&["test", "--weights", "missing-weights", "--set", "x", "--out", "afile"], t.path()));
    assert!(err.contains("afile") && !err.contains("missing-weights"), "{err}");
    assert_eq!(std::fs::read(t.path().join("afile")).unwrap(), b"keep me");
}

#[test]
fn a_failed_test_run_leaves_nothing_behind() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let set = dir.join("set");
    for d in ["input", "target"] {
        std::fs::create_dir_all(set.join(d)).unwrap();
        save_rgb(&set.join(d).join("a.png"), 24, 32);
        save_rgb(&set.join(d).join("b.png"), 24, 32);
    }
    // b's target has a valid header and broken pixel data: found at scoring time.
    let good = std::fs::read(set.join("target/b.png")).unwrap();
    std::fs::write(set.join("target/b.png"), &good[..good.len() / 2]).unwrap();
    let w = golden();
    let c = golden().join("small_config.toml");
    let o = hidiff(
        &[
            "test",
            "--weights",
            w.to_str().unwrap(),
            "--config",
            c.to_str().unwrap(),
            "--data",
            ".",
            "--set",
            "set",
            "--out",
            "res",
        ],
        dir,
    );
    let err = fails(&o);
    assert!(err.contains("b.png"), "{err}");
    assert!(!dir.join("res").exists(), "left behind: {:?}", std::fs::read_dir(dir.join("res")).map(|d| d.count()));
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_written_back_unchanged() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.png");
    std::fs::create_dir(t.path().join("in")).unwrap();
    save_rgb(&t.path().join("in").join(name), 16, 24);
    let o = deblur(t.path(), &["in", "--out", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        t.path().join("out").join(name).is_file(),
        "{:?}",
        std::fs::read_dir(t.path().join("out")).unwrap().collect::<Vec<_>>()
    );
}

#[test]
fn a_checkpoint_with_a_missing_data_record_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let weights = t.path().join("weights");
    std::fs::create_dir(&weights).unwrap();
    for f in ["net_g.pth", "net_le_dm.pth"] {
        std::fs::copy(golden().join(f), weights.join(f)).unwrap();
    }
    // net_d.pth without its second data record.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(golden().join("net_d.pth")).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(weights.join("net_d.pth")).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if !name.ends_with("/data/1") {
            writer.start_file(name, options).unwrap();
            writer.write_all(&bytes).unwrap();
        }
    }
    writer.finish().unwrap();
    save_rgb(&t.path().join("a.png"), 16, 16);
    let c = golden().join("small_config.toml");
    let o =
        hidiff(&["deblur", "a.png", "--weights", "weights", "--config", c.to_str().unwrap(), "--out", "out"], t.path());
    let err = fails(&o);
    assert!(err.contains("net_d.pth") && err.contains("missing"), "{err}");
    assert!(!t.path().join("out").exists());
}

#[test]
fn an_error_prints_its_cause_once() {
    let t = tempfile::tempdir().unwrap();
    let err = fails(&hidiff(&["train", "--config", "missing.toml"], t.path()));
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.contains("missing.toml"), "{err}");
    let err = fails(&hidiff(&["info", "--config", "missing.toml"], t.path()));
    assert!(err.matches("does not exist").count() == 1 && err.contains("missing.toml"), "{err}");
}

#[test]
fn info_reads_the_model_of_an_experiment_file_and_refuses_train_in_a_model_file() {
    let t = tempfile::tempdir().unwrap();
    let exp = repo().join("experiments/gopro_s2.toml");
    let o = hidiff(&["info", "--config", exp.to_str().unwrap(), "--json"], t.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["parameters_inference"].as_u64().unwrap() > 1_000_000, "{v}");
    // A model file with a [train] section (and no golden [generation] record).
    let text = std::fs::read_to_string(golden().join("small_config.toml")).unwrap();
    let cut = &text[..text.find("[generation]").unwrap()];
    std::fs::write(t.path().join("model.toml"), cut).unwrap();
    let err = fails(&hidiff(&["info", "--config", "model.toml"], t.path()));
    assert!(err.contains("[train]") && err.contains("experiment"), "{err}");
}
