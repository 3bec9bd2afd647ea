//! `cargo xtask` refuses bad requests at once, before it builds anything.

use std::process::Command;

fn xtask(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().expect("xtask runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_misspelt_target_fails_before_building() {
    let (ok, err) = xtask(&["reproduce", "tabel1"]);
    assert!(!ok);
    assert!(err.contains("unknown target \"tabel1\""), "{err}");
    assert!(!err.contains("building hidiff"), "{err}");
}

#[test]
fn the_paper_profile_refuses_training_targets_before_building() {
    let (ok, err) = xtask(&["reproduce", "table1", "--profile", "paper", "--data", "/nonexistent"]);
    assert!(!ok);
    assert!(err.contains("trains nothing") && err.contains("gopro_s1.toml"), "{err}");
    assert!(!err.contains("building hidiff"), "{err}");
    let (ok, err) = xtask(&["reproduce", "fig3", "--profile", "slow"]);
    assert!(!ok && err.contains("unknown profile"), "{err}");
}
