//! `hidiff prepare synthetic`: the flags reach the generated set's marker, and bad
//! values are refused before anything is written.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::path::Path;
use std::process::{Command, Output};

fn prepare(cwd: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["prepare", "synthetic", "--out", "set", "--train", "1", "--test", "1", "--test-shift", "1"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--size", "32x32"]);
    Command::new(env!("CARGO_BIN_EXE_hidiff")).args(&args).current_dir(cwd).output().expect("hidiff starts")
}

#[test]
fn blur_lengths_reach_the_marker_and_bad_ones_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let o = prepare(t.path(), &["--blur-length", "1..4", "--shift-blur-length", "2.5"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let marker: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("set/hidiff-synthetic.json")).unwrap()).unwrap();
    assert_eq!(marker["config"]["blur"]["length"], serde_json::json!([1.0, 4.0]));
    assert_eq!(marker["config"]["shift_blur"]["length"], serde_json::json!([2.5, 2.5]));
    assert_eq!(marker["config"]["min_size"], serde_json::json!([32, 32]));

    for (flag, value, says) in [
        ("--blur-length", "4..1", "runs backwards"),
        ("--shift-blur-length", "1..x", "`x`"),
        ("--blur-length", "1..300", "length must be an ordered range within [0, 256]"),
    ] {
        let u = tempfile::tempdir().unwrap();
        let o = prepare(u.path(), &[flag, value]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(if says.contains("256") { 1 } else { 2 }), "{flag} {value}: {err}");
        assert!(err.contains(says) && !err.contains("panicked"), "{flag} {value}: {err}");
        assert!(!u.path().join("set").exists(), "{flag} {value}: nothing may be written");
    }
}
