//! The smallest version of `cargo xtask reproduce` (profile `smoke`: a few
//! iterations on a tiny synthetic set), run against this package's `hidiff`
//! binary so that the runner cannot silently break.

use std::path::PathBuf;

use xtask::reproduce::{self, Ctx, Profile};
use xtask::runner::Hidiff;

fn ctx(dir: &std::path::Path, weights: Option<PathBuf>) -> Ctx {
    Ctx {
        hidiff: Hidiff { exe: PathBuf::from(env!("CARGO_BIN_EXE_hidiff")), device: "cpu".into() },
        profile: Profile::Smoke,
        data: dir.join("datasets"),
        runs: dir.join("runs"),
        results: dir.join("results"),
        weights,
        real_data: false,
    }
}

#[test]
fn table1_and_fig3_smoke_runs_write_their_results() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path(), None);
    reproduce::table1(&c).expect("table1 smoke run");
    let md = std::fs::read_to_string(dir.path().join("results/table1.md")).unwrap();
    for v in ["no-prior", "single-scale", "hierarchical-no-diffusion", "| hierarchical |"] {
        assert!(md.contains(v), "table1.md lacks {v}:\n{md}");
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/table1.json")).unwrap()).unwrap();
    let rows = json["data"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        let psnr = r["test"]["paper"]["psnr"].as_f64().unwrap();
        assert!(psnr.is_finite() && psnr > 0.0, "{r}");
        assert!(r["params"].as_u64().unwrap() > 0);
    }
    // The no-prior variant is smaller than the hierarchical model.
    assert!(rows[0]["params"].as_u64() < rows[3]["params"].as_u64());

    // fig3 reuses table1's stage 1 and writes the plot.
    reproduce::fig3(&c).expect("fig3 smoke run");
    let png = std::fs::metadata(dir.path().join("results/fig3.png")).unwrap();
    assert!(png.len() > 5_000);
    assert!(std::fs::read_to_string(dir.path().join("results/fig3.svg")).unwrap().contains("PSNR"));
}

#[test]
fn table2_runs_official_golden_weights_on_stand_ins() {
    let dir = tempfile::tempdir().unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden");
    reproduce::table2(&ctx(dir.path(), Some(golden))).expect("table2 with golden weights");
    let md = std::fs::read_to_string(dir.path().join("results/table2.md")).unwrap();
    assert!(md.contains("HI-Diff (paper) | 33.33 / 0.9640"), "{md}");
    assert!(md.contains("stand-in"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/table2.json")).unwrap()).unwrap();
    assert_eq!(json["data"].as_array().unwrap().len(), 4);
}

#[test]
fn bench_cpu_smoke_writes_table() {
    let dir = tempfile::tempdir().unwrap();
    let h = Hidiff { exe: PathBuf::from(env!("CARGO_BIN_EXE_hidiff")), device: "cpu".into() };
    let o = xtask::bench::BenchOptions {
        sizes: "32x32".into(),
        precision: "f32".into(),
        iters: 1,
        preset: "quick".into(),
        cpu_backend: "flex".into(),
        batch: 1,
        patch: 32,
    };
    xtask::bench::run(&h, &o, dir.path()).expect("bench smoke run");
    let md = std::fs::read_to_string(dir.path().join("bench-cpu-f32.md")).unwrap();
    for part in ["stage-2 inference", "transformer (net_g)", "diffusion", "train step"] {
        assert!(md.contains(part), "{md}");
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("bench-cpu-f32.json")).unwrap()).unwrap();
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["median_ms"].as_f64().unwrap() > 0.0));
    // The first call is timed apart in every row; kernels are counted on CUDA only.
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["cold_start_ms"].as_f64().unwrap() > 0.0), "{json}");
    assert!(json["kernels_compiled"].is_null() && json["rows"][0]["peak_gpu_mib"].is_null(), "{json}");
    assert!(md.contains("first call ms"), "{md}");
}
