//! `hidiff train --device cpu,cpu`: the CPU listed twice trains data-parallel
//! (one burn-train worker per entry), each entry taking the experiment's
//! per-device batch; mixed device kinds are refused before anything runs.

// The tiny data set and experiment of hidiff-train's tests (golden small model).
#[path = "../../hidiff-train/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output};

fn hidiff(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hidiff")).args(args).current_dir(cwd).output().expect("hidiff starts")
}

fn text(o: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Writes the tiny stage-1 experiment (patch 32, batch 3 per device in its
/// first schedule stage) into `dir` and returns its path.
fn experiment(dir: &Path) -> String {
    let path = dir.join("tiny_s1.toml");
    std::fs::write(&path, common::tiny_experiment_text(1, "")).expect("write the experiment");
    path.to_str().expect("a UTF-8 temporary path").to_string()
}

/// The `batch` of every training line of `run/metrics.jsonl`.
fn logged_batches(run: &Path) -> Vec<usize> {
    let log = hidiff_report::read_train_log(&run.join("metrics.jsonl")).expect("a valid training log");
    log.train.iter().map(|r| r.batch).collect()
}

#[test]
fn the_cpu_listed_twice_trains_with_two_workers() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = tmp.path();
    common::tiny_dataset(&dir.join("data"), 6, 1);
    let exp = experiment(dir);
    let train = |out: &str, device: &str| {
        let args = ["train", "--config", &exp, "--data", "data", "--out", out, "--iterations", "1", "--device", device];
        let o = hidiff(&args, dir);
        assert!(o.status.success(), "--device {device}: {}", text(&o));
        logged_batches(&dir.join(out))
    };
    assert_eq!(train("two", "cpu,cpu"), vec![6], "two workers of batch 3 make a global batch of 6");
    assert_eq!(train("one", "cpu"), vec![3]);
}

#[test]
fn mixed_device_kinds_are_refused_before_training() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let exp = experiment(tmp.path());
    for device in ["cpu,cuda:0", "cuda:0,cpu"] {
        let out = hidiff(&["train", "--config", &exp, "--out", "run", "--device", device], tmp.path());
        let err = text(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot be mixed") && !err.contains("panicked"), "{err}");
        assert!(!tmp.path().join("run").exists(), "nothing is created");
    }
}
