//! The smallest version of `cargo xtask reproduce` (profile `smoke`: a few
//! iterations on a tiny synthetic set, two seeds), run against this package's
//! `hidiff` binary so that the runner and the JSON contract cannot silently break.

use std::path::PathBuf;

use xtask::reproduce::{self, Ctx, Profile};
use xtask::runner::Hidiff;
use xtask::table1::{Fig3Json, Table1Json, ORACLE};

fn ctx(dir: &std::path::Path, weights: Option<PathBuf>) -> Ctx {
    ctx_with(dir, weights, PathBuf::from(env!("CARGO_BIN_EXE_hidiff")), 1)
}

fn ctx_with(dir: &std::path::Path, weights: Option<PathBuf>, exe: PathBuf, jobs: usize) -> Ctx {
    Ctx {
        hidiff: Hidiff { exe, device: "cpu".into() },
        profile: Profile::Smoke,
        data: dir.join("datasets"),
        runs: dir.join("runs"),
        results: dir.join("results"),
        weights,
        real_data: false,
        jobs,
    }
}

fn finite(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

#[test]
fn table1_and_fig3_smoke_runs_write_their_results() {
    let dir = tempfile::tempdir().unwrap();
    // Two training processes at once (the CPU default on 2 cores), each writing a log.
    let c = ctx_with(dir.path(), None, PathBuf::from(env!("CARGO_BIN_EXE_hidiff")), 2);
    xtask::table1::table1(&c).expect("table1 smoke run");
    let md = std::fs::read_to_string(dir.path().join("results/table1.md")).unwrap();
    for v in ["blurry input", "no-prior", "single-scale", "hierarchical-no-diffusion", "| hierarchical |", ORACLE] {
        assert!(md.contains(v), "table1.md lacks {v}:\n{md}");
    }
    assert!(md.contains("What these numbers say") && md.contains("diffusion prior helps"), "{md}");
    let text = std::fs::read_to_string(dir.path().join("results/table1.json")).unwrap();
    let t: Table1Json = serde_json::from_str(&text).expect("table1.json follows the contract");
    let seeds = Profile::Smoke.settings().unwrap().seeds;
    assert_eq!(t.seeds, seeds);
    let names: Vec<&str> = t.rows.iter().map(|r| r.variant.as_str()).collect();
    assert_eq!(names, ["no-prior", "single-scale", "hierarchical-no-diffusion", "hierarchical", ORACLE]);
    assert!(finite(t.input.test.psnr) && finite(t.input.test_shift.psnr));
    for r in &t.rows {
        assert_eq!(r.test.per_seed.iter().map(|s| s.seed).collect::<Vec<_>>(), seeds, "{}", r.variant);
        assert!(finite(r.test.psnr_mean) && finite(r.test_shift.psnr_mean) && r.test.psnr_std >= 0.0, "{r:?}");
        assert!(r.params > 0 && r.gflops_256 > 0.0, "{r:?}");
        match (&r.vs_no_prior, r.variant.as_str()) {
            (None, "no-prior") => {}
            (Some(d), _) => {
                // Pairs: every seed × every test image.
                assert_eq!(d.test.n, seeds.len() * 2, "{r:?}");
                assert!(d.test.ci95[0] <= d.test.delta_psnr && d.test.delta_psnr <= d.test.ci95[1], "{d:?}");
            }
            other => panic!("vs_no_prior of {other:?}"),
        }
    }
    // The no-prior variant is smaller than the hierarchical model.
    assert!(t.rows[0].params < t.rows[3].params);
    // The findings are computed for every claim, each with its own verdict.
    assert_eq!(t.findings.len(), 5, "{:?}", t.findings);
    assert!(t.findings.iter().all(|f| md.contains(&f.text)));
    // A renamed field breaks the contract instead of reading as 0.
    let broken = text.replacen("\"psnr_mean\"", "\"psnr_avg\"", 1);
    assert!(serde_json::from_str::<Table1Json>(&broken).is_err());

    // fig3 reuses table1's stage 1 and no-prior runs and writes the plot.
    let before = std::fs::read_dir(dir.path().join("runs")).unwrap().count();
    xtask::table1::fig3(&c).expect("fig3 smoke run");
    let after = std::fs::read_dir(dir.path().join("runs")).unwrap().count();
    // New: per seed and T a stage-2 run (+ its experiment file and its log) and a test folder.
    assert_eq!(after - before, seeds.len() * 2 * 4, "stage 1 and no-prior must be reused");
    let f: Fig3Json =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/fig3.json")).unwrap()).unwrap();
    assert_eq!(f.points.iter().map(|p| p.t).collect::<Vec<_>>(), [1, 2]);
    assert!(f.points.iter().all(|p| p.test.per_seed.len() == seeds.len() && finite(p.test.psnr_mean)));
    assert_eq!(f.no_prior.test, t.rows[0].test, "the same no-prior runs");
    let png = std::fs::metadata(dir.path().join("results/fig3.png")).unwrap();
    assert!(png.len() > 5_000);
    let svg = std::fs::read_to_string(dir.path().join("results/fig3.svg")).unwrap();
    assert!(svg.contains("PSNR") && svg.contains("blurry input") && svg.contains("no prior"));
}

#[test]
fn a_failing_parallel_stage_names_itself_and_its_log_and_marks_nothing_done() {
    let dir = tempfile::tempdir().unwrap();
    // A hidiff whose `train` fails after a line of output; everything else is the real one.
    let fake = dir.path().join("hidiff-failing-train");
    let real = env!("CARGO_BIN_EXE_hidiff");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = train ]; then echo 'boom: out of patience' >&2; exit 3; fi\nexec '{real}' \"$@\"\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = ctx_with(dir.path(), None, fake, 2);
    let e = format!("{:#}", xtask::table1::table1(&c).expect_err("every stage fails"));
    assert!(e.contains("training ") && e.contains(" stage 1 seed "), "{e}");
    assert!(e.contains("boom: out of patience") && e.contains(".log"), "{e}");
    // No run is marked finished, so the next call trains them all again.
    let done: Vec<_> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("xtask-done").exists())
        .collect();
    assert!(done.is_empty(), "{done:?}");
    // No process was started after the first failure.
    let logs = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
        .count();
    // (The second worker may not have started before the first failure.)
    assert!((1..=2).contains(&logs), "one log per started process: {logs}");
}

#[test]
fn table2_runs_official_golden_weights_on_stand_ins() {
    let dir = tempfile::tempdir().unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden");
    reproduce::table2(&ctx(dir.path(), Some(golden))).expect("table2 with golden weights");
    let md = std::fs::read_to_string(dir.path().join("results/table2.md")).unwrap();
    assert!(md.contains("HI-Diff (paper) | 33.33 / 0.9640"), "{md}");
    assert!(md.contains("stand-in"), "{md}");
    // hidiff's own row: a number in every column, not N/A or NaN.
    let ours = md.lines().find(|l| l.starts_with("| hidiff (")).expect("our row");
    let cells: Vec<&str> = ours.trim_matches('|').split('|').map(str::trim).skip(1).collect();
    assert_eq!(cells.len(), 4, "{ours}");
    for cell in cells {
        let (psnr, ssim) = cell.split_once(" / ").unwrap_or_else(|| panic!("{cell:?} in {ours}"));
        let (psnr, ssim): (f64, f64) = (psnr.parse().unwrap(), ssim.parse().unwrap());
        assert!(finite(psnr) && psnr < 100.0 && (0.0..=1.0).contains(&ssim), "{ours}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/table2.json")).unwrap()).unwrap();
    let data = json["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    assert!(data.iter().all(|d| d["psnr"].as_f64().is_some_and(finite)), "{json}");
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
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("bench-cpu-f32.json")).unwrap()).unwrap();
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["median_ms"].as_f64().unwrap() > 0.0));
    // The first call is timed apart in every row; kernels are counted on CUDA only.
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["cold_start_ms"].as_f64().unwrap() > 0.0), "{json}");
    assert!(json["kernels_compiled"].is_null() && json["rows"][0]["peak_gpu_mib"].is_null(), "{json}");
    assert!(md.contains("first call ms"), "{md}");
    let report: hidiff_report::BenchReport =
        hidiff_report::from_file(&dir.path().join("bench-cpu-f32.json")).expect("the typed bench report");
    assert!(report.rows.iter().all(|r| r.median_ms > 0.0));
}
