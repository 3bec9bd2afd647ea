//! Shared fixtures: a tiny synthetic data set and a tiny experiment on the
//! golden small model (dim 8).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hidiff_data::synthetic::{generate, SyntheticConfig};
use hidiff_train::Experiment;

/// The golden small model configuration.
pub fn small_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden/small_config.toml")
}

/// Generates `train` training and `test` test pairs of 40–48 px into `dir`
/// (the synthetic layout: `dir/train/{input,target}`, `dir/test/...`).
pub fn tiny_dataset(dir: &Path, train: usize, test: usize) {
    let config =
        SyntheticConfig { min_size: [40, 40], max_size: [48, 48], ..SyntheticConfig::with_counts(7, train, test, 1) };
    generate(&config, dir, &hidiff_data::NoProgress).expect("tiny synthetic set");
}

/// The text of a tiny experiment on the golden small model over `tiny_dataset`:
/// progressive schedule (patch 32 × batch 3 for 2 iterations, then 40 × 2), lr
/// 1e-3 in one cosine cycle of 100, checkpoints every 2 iterations.
pub fn tiny_experiment_text(stage: u8, extra: &str) -> String {
    format!(
        r#"
name = "tiny_s{stage}"
stage = {stage}
manual_seed = 5

[model]
config = "{config}"

[datasets.train]
dataroot_gt = "train/target"
dataroot_lq = "train/input"
mini_batch_sizes = [3, 2]
iters = [2, 100]
gt_sizes = [32, 40]

[datasets.val]
dataroot_gt = "test/target"
dataroot_lq = "test/input"

[train]
total_iter = 4

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
val_freq = 2

[logger]
print_freq = 1
save_checkpoint_freq = 2
{extra}
"#,
        config = small_config().display()
    )
}

/// The tiny experiment, parsed (its source path is `dir/tiny.toml`).
pub fn tiny_experiment(dir: &Path, stage: u8, extra: &str) -> Experiment {
    let path = dir.join(format!("tiny_s{stage}.toml"));
    let text = tiny_experiment_text(stage, extra);
    std::fs::write(&path, &text).expect("write experiment");
    Experiment::load(&path).expect("tiny experiment is valid")
}
