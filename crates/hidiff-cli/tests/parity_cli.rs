//! `hidiff parity` and `hidiff info` from the command line: all PASS on both golden
//! folders, and clear errors (non-zero exit, no panic) on bad input.

use std::path::PathBuf;
use std::process::Command;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden")
}

fn hidiff(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hidiff")).args(args).output().expect("hidiff starts");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn parity_passes_on_both_golden_folders() {
    for dir in [golden(), golden().join("realblur")] {
        let (ok, stdout, stderr) = hidiff(&["parity", "--golden", dir.to_str().unwrap()]);
        assert!(ok, "{stdout}\n{stderr}");
        assert!(!stdout.contains("FAIL"), "{stdout}");
        let passes = stdout.lines().filter(|l| l.ends_with("PASS")).count();
        assert!(passes >= 10, "{stdout}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn parity_reports_bad_folders_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Missing everything.
    let (ok, _, err) = hidiff(&["parity", "--golden", d.to_str().unwrap()]);
    assert!(!ok && err.contains("small_config.toml") && !err.contains("panicked"), "{err}");
    // Unknown configuration key.
    let cfg = std::fs::read_to_string(golden().join("small_config.toml"))
        .unwrap()
        .replace("embed_dim = 8\ngroup", "embed_dimm = 8\ngroup");
    std::fs::write(d.join("small_config.toml"), cfg).unwrap();
    std::fs::copy(golden().join("cases.safetensors"), d.join("cases.safetensors")).unwrap();
    let (ok, _, err) = hidiff(&["parity", "--golden", d.to_str().unwrap()]);
    assert!(!ok && err.contains("embed_dimm"), "{err}");
    // A checkpoint of another architecture.
    std::fs::copy(golden().join("small_config.toml"), d.join("small_config.toml")).unwrap();
    for f in ["net_g.pth", "net_le.pth", "net_le_dm.pth"] {
        std::fs::copy(golden().join(f), d.join(f)).unwrap();
    }
    std::fs::copy(golden().join("realblur/net_d.pth"), d.join("net_d.pth")).unwrap();
    let (ok, _, err) = hidiff(&["parity", "--golden", d.to_str().unwrap()]);
    assert!(!ok && err.contains("net_d.pth") && err.contains("missing keys"), "{err}");
    // A truncated checkpoint.
    let bytes = std::fs::read(golden().join("net_d.pth")).unwrap();
    std::fs::write(d.join("net_d.pth"), &bytes[..bytes.len() / 3]).unwrap();
    let (ok, _, err) = hidiff(&["parity", "--golden", d.to_str().unwrap()]);
    assert!(!ok && err.contains("net_d.pth") && !err.contains("panicked"), "{err}");
    // A missing tensor in the cases file is reported by name, not as a panic.
    std::fs::copy(golden().join("net_d.pth"), d.join("net_d.pth")).unwrap();
    std::fs::write(d.join("cases.safetensors"), b"garbage").unwrap();
    let (ok, _, err) = hidiff(&["parity", "--golden", d.to_str().unwrap()]);
    assert!(!ok && err.contains("cases.safetensors") && !err.contains("panicked"), "{err}");
}

#[test]
fn info_prints_paper_counts() {
    let (ok, out, err) = hidiff(&["info", "--preset", "gopro", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["parameters_inference"], 28_486_900);
    assert!((v["gflops_inference"].as_f64().unwrap() - 285.2).abs() < 0.1);
    let (ok, _, err) = hidiff(&["info", "--preset", "nope"]);
    assert!(!ok && err.contains("unknown preset"), "{err}");
}
