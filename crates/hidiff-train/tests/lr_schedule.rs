//! The learning-rate schedule against the reference formula (docs/reference.md §4.5):
//! iteration k uses lr(k − 1) of CosineAnnealingRestartCyclicLR.

use std::f64::consts::PI;
use std::path::PathBuf;

use burn::backend::Flex;
use burn::optim::lr_scheduler::LrScheduler;
use hidiff_train::{CosineRestartCyclicLr, Experiment};

/// The paper's schedule written out by hand: flat 2e-4 up to and including
/// iteration 100001, then `1e-6 + ½·1.99e-4·(1 + cos(π (k − 1 − 100000)/200000))`.
fn expected(k: u64) -> f64 {
    let e = k - 1;
    if e <= 100_000 {
        2e-4
    } else {
        1e-6 + 0.5 * (2e-4 - 1e-6) * (1.0 + (PI * (e - 100_000) as f64 / 200_000.0).cos())
    }
}

#[test]
fn paper_schedule_matches_the_reference_at_the_checkpoints() {
    let from_file = Experiment::load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../experiments/gopro_s2.toml"))
        .expect("experiment");
    let s = CosineRestartCyclicLr::from_options(from_file.file.train.optim_total.lr, &from_file.file.train.scheduler);
    assert_eq!(s, CosineRestartCyclicLr::paper());

    let checkpoints = [1u64, 100_001, 100_002, 200_000, 300_000];
    for k in checkpoints {
        let (ours, want) = (s.lr_at_iteration(k), expected(k));
        assert!((ours - want).abs() <= 1e-18, "iteration {k}: {ours} vs {want}");
    }
    assert_eq!(s.lr_at_iteration(100_001), 2e-4, "still flat at 100001 (the off-by-one)");
    assert!(s.lr_at_iteration(100_002) < 2e-4);
    assert!(
        (s.lr_at_iteration(200_000) - (1e-6 + 0.5 * 1.99e-4 * (1.0 + (PI * 99_999.0 / 200_000.0).cos()))).abs() < 1e-18
    );
    assert!((s.lr_at_iteration(300_000) - 1e-6).abs() < 1e-13, "ends at eta_min");

    // burn's LrScheduler: the k-th step() is iteration k, and a reloaded record continues.
    let mut stepping = CosineRestartCyclicLr::paper();
    let mut seen = Vec::new();
    for k in 1..=300_000u64 {
        let lr = stepping.step();
        if checkpoints.contains(&k) {
            seen.push(lr);
        }
        if k == 150_000 {
            let record = LrScheduler::to_record::<Flex>(&stepping);
            stepping = CosineRestartCyclicLr::paper().load_record::<Flex>(record);
        }
    }
    let want: Vec<f64> = checkpoints.iter().map(|&k| expected(k)).collect();
    for (a, b) in seen.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-18, "{a} vs {b}");
    }
}
