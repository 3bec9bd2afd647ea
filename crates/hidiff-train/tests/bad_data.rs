//! Bad data stops training with an error naming the file, and the newest
//! checkpoint stays intact and loadable.

mod common;

use std::path::Path;

use burn::backend::{Autodiff, Flex};
use hidiff_train::checkpoint;
use hidiff_train::{train, RunOptions, TrainError};

type B = Autodiff<Flex>;

fn opts(out: &Path, data: &Path, iterations: u64, resume: bool) -> RunOptions {
    RunOptions { data_root: Some(data.to_path_buf()), resume, iterations: Some(iterations), ..RunOptions::new(out) }
}

#[test]
fn unreadable_image_mid_set_names_the_file_and_keeps_the_checkpoint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    common::tiny_dataset(&data, 5, 1);
    let exp = common::tiny_experiment(tmp.path(), 1, "");
    let out = tmp.path().join("run");
    train::<B>(&exp, &opts(&out, &data, 2, false), &[Default::default()]).expect("two good iterations");
    let ck = checkpoint::latest(&out).expect("list").expect("a checkpoint");
    assert_eq!(ck.iteration, 2);
    let before = checkpoint::read_state(&ck.state).expect("state");
    let model_bytes = std::fs::read(&ck.model).expect("model record");

    // Corrupt the middle blurry image: the header still reads (so discovery
    // passes), the pixel data do not decode.
    let bad = data.join("train/input/00002.png");
    let bytes = std::fs::read(&bad).expect("image");
    std::fs::write(&bad, &bytes[..bytes.len().min(60)]).expect("truncate");

    let err = train::<B>(&exp, &opts(&out, &data, 40, true), &[Default::default()]).expect_err("bad image");
    let message = err.to_string();
    println!("{message}");
    assert!(matches!(err, TrainError::TrainData { .. }), "{message}");
    assert!(message.contains("00002.png"), "the error names the file: {message}");
    assert!(message.contains("iteration"), "{message}");

    // The newest complete checkpoint is intact and loads.
    let newest = checkpoint::latest(&out).expect("list").expect("a checkpoint");
    let state = checkpoint::read_state(&newest.state).expect("state");
    assert!(state.iteration >= before.iteration);
    if state.iteration == before.iteration {
        assert_eq!(std::fs::read(&newest.model).expect("model"), model_bytes);
    }
    let err_again = train::<B>(&exp, &opts(&out, &data, 40, true), &[Default::default()]).expect_err("same bad image");
    assert!(err_again.to_string().contains("00002.png"), "resuming from the kept checkpoint works: {err_again}");
}

#[test]
fn missing_folder_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("empty");
    std::fs::create_dir_all(&data).expect("mkdir");
    let exp = common::tiny_experiment(tmp.path(), 1, "");
    let err =
        train::<B>(&exp, &opts(&tmp.path().join("run"), &data, 2, false), &[Default::default()]).expect_err("no data");
    let message = err.to_string();
    assert!(message.contains(&data.join("train/input").display().to_string()), "{message}");
    assert!(!tmp.path().join("run").exists(), "a data error leaves no run folder behind");
}
