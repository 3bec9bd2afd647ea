//! `hidiff train --device cpu,cpu`: the CPU listed twice trains data-parallel
//! (one burn-train worker per entry), each entry taking the experiment's
//! per-device batch; mixed device kinds are refused before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn small_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden/small_config.toml")
}

fn hidiff(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hidiff")).args(args).current_dir(cwd).output().expect("hidiff starts")
}

fn text(o: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A one-iteration stage-1 experiment on the golden small model: patch 32,
/// batch 2 per device, validation on the one test pair.
fn experiment(dir: &Path) -> PathBuf {
    let path = dir.join("tiny_s1.toml");
    let text = format!(
        r#"
name = "tiny_s1"
stage = 1
manual_seed = 5

[model]
config = "{config}"

[datasets.train]
dataroot_gt = "train/target"
dataroot_lq = "train/input"
mini_batch_sizes = [2]
iters = [1]
gt_sizes = [32]

[datasets.val]
dataroot_gt = "test/target"
dataroot_lq = "test/input"

[train]
total_iter = 1

[train.optim_total]
type = "AdamW"
lr = 1e-3
weight_decay = 1e-4
betas = [0.9, 0.999]

[train.scheduler]
type = "CosineAnnealingRestartCyclicLR"
periods = [100]
restart_weights = [1]
eta_mins = [1e-5]

[val]
val_freq = 1

[logger]
print_freq = 1
save_checkpoint_freq = 1
"#,
        config = small_config().display()
    );
    std::fs::write(&path, text).expect("write the experiment");
    path
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
    let prepared = hidiff(
        &[
            "prepare",
            "synthetic",
            "--out",
            "data",
            "--train",
            "4",
            "--test",
            "1",
            "--test-shift",
            "1",
            "--size",
            "40x40..48x48",
        ],
        dir,
    );
    assert!(prepared.status.success(), "{}", text(&prepared));
    let exp = experiment(dir);
    let exp = exp.to_str().expect("a UTF-8 temporary path");

    let two = hidiff(&["train", "--config", exp, "--data", "data", "--out", "two", "--device", "cpu,cpu"], dir);
    assert!(two.status.success(), "{}", text(&two));
    assert_eq!(logged_batches(&dir.join("two")), vec![4], "two workers of batch 2 make a global batch of 4");

    let one = hidiff(&["train", "--config", exp, "--data", "data", "--out", "one", "--device", "cpu"], dir);
    assert!(one.status.success(), "{}", text(&one));
    assert_eq!(logged_batches(&dir.join("one")), vec![2]);
}

#[test]
fn mixed_device_kinds_are_refused_before_training() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let exp = experiment(tmp.path());
    let exp = exp.to_str().expect("a UTF-8 temporary path");
    let out = hidiff(&["train", "--config", exp, "--out", "run", "--device", "cpu,cuda:0"], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = text(&out);
    assert!(err.contains("cannot be mixed") && !err.contains("panicked"), "{err}");
    assert!(!tmp.path().join("run").exists(), "nothing is created");
}
