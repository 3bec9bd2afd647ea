//! Exact resume: N iterations straight equal N/2, stop, resume to N — the same
//! losses bit for bit and the same final weights — on the golden small model
//! and a tiny synthetic set, through a change of the progressive patch size.

mod common;

use std::path::Path;

use burn::backend::{Autodiff, Flex};
use hidiff_model::checkpoint::read_safetensors;
use hidiff_train::checkpoint;
use hidiff_train::metrics_log::MetricsLog;
use hidiff_train::{train, RunOptions, TrainError};

type B = Autodiff<Flex>;

fn run(
    exp: &hidiff_train::Experiment,
    out: &Path,
    data: &Path,
    iterations: u64,
    resume: bool,
) -> hidiff_train::Result<hidiff_train::TrainSummary> {
    let opts = RunOptions {
        data_root: Some(data.to_path_buf()),
        resume,
        iterations: Some(iterations),
        ..RunOptions::new(out)
    };
    train::<B>(exp, &opts, &[Default::default()])
}

#[test]
fn interrupted_and_resumed_run_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    common::tiny_dataset(&data, 5, 2);
    let exp = common::tiny_experiment(tmp.path(), 2, "");

    let straight = tmp.path().join("straight");
    let s = run(&exp, &straight, &data, 4, false).expect("straight run");
    assert_eq!((s.start_iteration, s.end_iteration), (0, 4));

    let split = tmp.path().join("split");
    run(&exp, &split, &data, 2, false).expect("first half");
    let halfway = read_safetensors(&split.join("model_latest.safetensors")).expect("weights at iteration 2");
    // Without --resume a used folder is refused, naming it.
    let err = run(&exp, &split, &data, 4, false).expect_err("non-empty --out");
    assert!(matches!(err, TrainError::OutputNotEmpty(_)), "{err}");
    assert!(err.to_string().contains("--resume"), "{err}");
    let r = run(&exp, &split, &data, 4, true).expect("resumed half");
    assert_eq!((r.start_iteration, r.end_iteration), (2, 4));

    let a = MetricsLog::read_train(&straight).expect("log");
    let b = MetricsLog::read_train(&split).expect("log");
    assert_eq!(a.len(), 4);
    assert_eq!(b.len(), 4, "the resumed log continues the first one");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.iter, y.iter);
        assert_eq!(x.loss.to_bits(), y.loss.to_bits(), "iteration {}: loss {} vs {}", x.iter, x.loss, y.loss);
        assert_eq!(x.l_pix.to_bits(), y.l_pix.to_bits(), "iteration {}", x.iter);
        assert_eq!(x.l_pix_diff.map(f64::to_bits), y.l_pix_diff.map(f64::to_bits), "iteration {}", x.iter);
        assert_eq!(x.grad_norm.to_bits(), y.grad_norm.to_bits(), "iteration {}", x.iter);
        assert_eq!(x.lr, y.lr);
        assert_eq!((x.patch, x.batch), (y.patch, y.batch));
    }
    // It trains: every step has gradients, and the weights move.
    assert!(a.iter().all(|r| r.grad_norm > 0.0), "no gradient reached the parameters");
    // The progressive schedule switched patch and batch across the interruption.
    assert_eq!((a[0].patch, a[0].batch, a[3].patch, a[3].batch), (32, 3, 40, 2));
    assert!(a[1].loss != a[2].loss);
    let va = MetricsLog::read_val(&straight).expect("val log");
    let vb = MetricsLog::read_val(&split).expect("val log");
    assert_eq!(va.len(), 2);
    assert_eq!(va, vb);

    let wa = read_safetensors(&straight.join("model_latest.safetensors")).expect("weights");
    let wb = read_safetensors(&split.join("model_latest.safetensors")).expect("weights");
    assert_eq!(wa.networks.len(), 4, "stage 2 exports all four networks");
    assert_eq!(wa.networks, wb.networks, "final weights differ");
    assert_ne!(halfway.networks, wa.networks, "iterations 3 and 4 changed nothing");
    // Checkpoints: the newest two are kept, each complete.
    let kept: Vec<u64> = checkpoint::list(&split).expect("list").into_iter().map(|c| c.iteration).collect();
    assert_eq!(kept, vec![2, 4]);
    assert!(split.join("model_best.safetensors").is_file());
}

#[test]
fn resume_refuses_a_changed_experiment_and_a_folder_without_checkpoint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    common::tiny_dataset(&data, 4, 1);
    let exp = common::tiny_experiment(tmp.path(), 1, "");
    let out = tmp.path().join("run");
    let err = run(&exp, &out, &data, 2, true).expect_err("nothing to resume");
    assert!(err.to_string().contains("cannot resume"), "{err}");

    run(&exp, &out, &data, 2, false).expect("first part");
    let mut changed = exp.clone();
    changed.file.train.optim_total.lr = 5e-4;
    let err = run(&changed, &out, &data, 4, true).expect_err("changed lr");
    assert!(err.to_string().contains("[train]"), "{err}");
    assert!(err.to_string().contains("train.optim_total.lr: 0.001 (saved) vs 0.0005"), "names the field: {err}");
    // Length and logging may change.
    let mut longer = exp.clone();
    longer.file.logger.print_freq = 2;
    run(&longer, &out, &data, 3, true).expect("resume with other logging");
}

#[test]
fn resume_refuses_other_tensors_and_an_impossible_iteration_before_the_first_step() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    common::tiny_dataset(&data, 4, 1);
    // The experiment names a model file whose content changes between the runs:
    // the experiment files are equal, the tensors are not.
    let config = tmp.path().join("model.toml");
    let original = std::fs::read_to_string(common::small_config()).expect("golden config");
    std::fs::write(&config, &original).expect("copy config");
    let text = common::tiny_experiment_text(1, "")
        .replace(&common::small_config().display().to_string(), &config.display().to_string());
    let path = tmp.path().join("exp.toml");
    std::fs::write(&path, text).expect("write experiment");
    let exp = hidiff_train::Experiment::load(&path).expect("experiment");
    let out = tmp.path().join("run");
    run(&exp, &out, &data, 2, false).expect("first part");
    let log_before = std::fs::read(out.join("metrics.jsonl")).expect("log");

    std::fs::write(&config, original.replace("ffn_expansion_factor = 2.66", "ffn_expansion_factor = 3.0"))
        .expect("edit");
    let wider = hidiff_train::Experiment::load(&path).expect("experiment");
    let err = run(&wider, &out, &data, 4, true).expect_err("other tensor shapes");
    let message = err.to_string();
    assert!(matches!(err, TrainError::Resume { .. }), "{message}");
    assert!(message.contains("tensor ") && message.contains("shape ["), "names the tensor and the shapes: {message}");
    assert_eq!(std::fs::read(out.join("metrics.jsonl")).expect("log"), log_before, "refused before the first step");

    // A state at iteration u64::MAX is refused with the numbers, without wrapping around.
    let ck = checkpoint::latest(&out).expect("list").expect("a checkpoint");
    let state = std::fs::read_to_string(&ck.state).expect("state");
    std::fs::write(&ck.state, state.replace("\"iteration\": 2", &format!("\"iteration\": {}", u64::MAX)))
        .expect("edit");
    let err = run(&exp, &out, &data, 4, true).expect_err("impossible iteration");
    let message = err.to_string();
    assert!(message.contains(&u64::MAX.to_string()) && message.contains("total_iter 4"), "{message}");
    assert_eq!(std::fs::read(out.join("metrics.jsonl")).expect("log"), log_before);
}
