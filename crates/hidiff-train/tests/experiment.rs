//! Experiment files: strictness and the shipped files.

mod common;

use std::path::PathBuf;

use hidiff_train::{Experiment, Stage, TrainError};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn unknown_keys_are_errors_naming_the_key_and_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (needle, replacement, key) in [
        ("manual_seed = 5", "manual_seed = 5\nmanual_sed = 4", "manual_sed"),
        ("lr = 1e-3", "lr = 1e-3\nlrr = 2", "lrr"),
        ("val_freq = 2", "val_freq = 2\nsave_img = true", "save_img"),
    ] {
        let text = common::tiny_experiment_text(1, "").replace(needle, replacement);
        let path = tmp.path().join("bad.toml");
        std::fs::write(&path, text).expect("write");
        let err = Experiment::load(&path).expect_err("unknown key");
        let message = err.to_string();
        assert!(matches!(err, TrainError::Experiment { .. }), "{message}");
        assert!(message.contains(key), "names the key {key}: {message}");
        assert!(message.contains(&path.display().to_string()), "names the file: {message}");
    }
    // Unknown model overrides are rejected by the model crate's strict parser.
    let text = common::tiny_experiment_text(1, "")
        .replace("[datasets.train]", "[model.overrides.transformer]\ndimm = 4\n\n[datasets.train]");
    let path = tmp.path().join("bad_override.toml");
    std::fs::write(&path, text).expect("write");
    let message = Experiment::load(&path).expect_err("unknown override").to_string();
    assert!(message.contains("dimm") && message.contains("bad_override.toml"), "{message}");
}

#[test]
fn overrides_apply_and_values_are_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = common::tiny_experiment_text(1, "").replace(
        "[datasets.train]",
        "[model.overrides.transformer]\ndim = 12\nheads = [1, 2, 2, 4]\n\n[datasets.train]",
    );
    let path = tmp.path().join("ok.toml");
    std::fs::write(&path, text).expect("write");
    let e = Experiment::load(&path).expect("valid");
    assert_eq!(e.model.transformer.dim, 12);
    assert_eq!(e.model.transformer.embed_dim, 8, "other values stay from the file");

    let text = common::tiny_experiment_text(1, "").replace("gt_sizes = [32, 40]", "gt_sizes = [32, 44]");
    std::fs::write(&path, text).expect("write");
    let message = Experiment::load(&path).expect_err("44 is not a multiple of 8").to_string();
    assert!(message.contains("44"), "{message}");
}

#[test]
fn shipped_experiments_load_and_mirror_the_official_options() {
    let dir = repo().join("experiments");
    let mut n = 0;
    for name in [
        "gopro_s1",
        "gopro_s2",
        "realblur_j_s1",
        "realblur_j_s2",
        "realblur_r_s1",
        "realblur_r_s2",
        "quick_s1",
        "quick_s2",
    ] {
        let e = Experiment::load(dir.join(format!("{name}.toml"))).unwrap_or_else(|err| panic!("{name}: {err}"));
        let f = &e.file;
        let stage = if name.ends_with("s1") { Stage::One } else { Stage::Two };
        assert_eq!(f.stage, stage, "{name}");
        if !name.starts_with("quick") {
            assert_eq!(f.manual_seed, 100);
            assert_eq!(f.train.total_iter, 300_000);
            assert_eq!((f.train.optim_total.lr, f.train.optim_total.weight_decay), (2e-4, 1e-4));
            assert_eq!((f.train.optim_total.betas, f.train.optim_total.eps), ([0.9, 0.999], 1e-8));
            assert_eq!(f.train.scheduler.periods, vec![100_000, 200_000]);
            assert_eq!(f.train.scheduler.eta_mins, vec![2e-4, 1e-6]);
            assert_eq!(f.train.grad_clip_max_norm, 0.01);
            assert_eq!(e.schedule(), hidiff_data::ProgressiveSchedule::paper());
            assert_eq!((f.val.val_freq, f.logger.save_checkpoint_freq, f.logger.print_freq), (4000, 4000, 1000));
            let preset = if name.starts_with("gopro") { "gopro" } else { "realblur" };
            assert_eq!(e.model, hidiff_model::ModelConfig::preset(preset).expect("preset"), "{name}");
        }
        if stage == Stage::Two {
            assert!(
                f.path.pretrain_network_g.is_some() && f.path.pretrain_network_le.is_some(),
                "{name} starts from stage 1"
            );
        }
        n += 1;
    }
    assert_eq!(n, 8);
}
