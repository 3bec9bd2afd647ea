//! The contract is strict: what the producer writes reads back identically, and a
//! missing or renamed field is an error that names the source.

use hidiff_report::{from_str, read_train_log, BenchReport, BenchRow, InfoReport, TestReport};

fn info_json() -> serde_json::Value {
    serde_json::json!({
        "config": "preset quick",
        "parameters": {"net_g": 1000, "net_le": 10, "net_le_dm": 20, "net_d": 30},
        "parameters_inference": 1050,
        "parameters_stage1": 1010,
        "size": [256, 256],
        "gmac": {"net_g": 1.5, "net_le_dm": 0.1, "net_d_all_steps": 0.2, "net_le": 0.1},
        "gflops_inference": 3.6,
        "timesteps": 8,
        "model_toml": "[transformer]\ndim = 16\n"
    })
}

#[test]
fn info_round_trips_and_a_renamed_field_is_an_error() {
    let info: InfoReport = from_str(&info_json().to_string(), "info").expect("valid report");
    assert_eq!(info.parameters_inference, 1050);
    assert_eq!(serde_json::to_value(&info).expect("serialisable"), info_json());

    let mut renamed = info_json();
    let obj = renamed.as_object_mut().expect("object");
    let v = obj.remove("parameters_inference").expect("present");
    obj.insert("params_inference".into(), v);
    let err = from_str::<InfoReport>(&renamed.to_string(), "the output of `hidiff info`").expect_err("must fail");
    assert!(err.to_string().contains("hidiff info"), "{err}");
    let source = std::error::Error::source(&err).expect("has a source").to_string();
    assert!(source.contains("missing field `parameters_inference`"), "{source}");
}

#[test]
fn test_report_psnr_null_is_infinite_and_missing_paper_is_an_error() {
    let image = serde_json::json!({
        "name": "a.png", "output": "out/a.png", "size": [16, 16],
        "paper": {"psnr": null, "ssim": 1.0}, "basicsr": {"psnr": 30.0, "ssim": 0.9}, "seconds": 0.1
    });
    let mut report = serde_json::json!({
        "set": "test", "input_dir": "in", "target_dir": "gt", "protocol": "gopro", "oracle_prior": false,
        "paper": {"psnr": 30.0, "ssim": 0.9}, "basicsr": {"psnr": 29.0, "ssim": 0.8}, "failed": 0, "seed": 1,
        "self_ensemble": false, "pixels": 256, "model_seconds": 0.1, "images": [image]
    });
    let r: TestReport = from_str(&report.to_string(), "test").expect("valid report");
    let paper = r.images[0].paper.as_ref().expect("scored");
    assert!(paper.psnr.is_infinite() && paper.psnr > 0.0);

    report["images"][0].as_object_mut().expect("object").remove("paper");
    let err = from_str::<TestReport>(&report.to_string(), "test").expect_err("missing paper must fail");
    assert!(std::error::Error::source(&err).expect("source").to_string().contains("paper"));
}

#[test]
fn bench_optional_numbers_must_still_be_present() {
    let row = BenchRow {
        part: "stage-2 inference".into(),
        backend: "flex".into(),
        precision: "f32".into(),
        shape: "1x3x32x32".into(),
        median_ms: 2.0,
        min_ms: 1.5,
        per_second: None,
        peak_rss_mib: Some(100.0),
        cold_start_ms: None,
        peak_gpu_mib: None,
    };
    let report = BenchReport {
        config: "quick".into(),
        parameters_inference: 5,
        gflops_256: 1.0,
        threads: 2,
        kernels_compiled: None,
        kernels_from_cache: None,
        autotune_keys: None,
        cubecl: None,
        rows: vec![row],
    };
    let mut v = serde_json::to_value(&report).expect("serialisable");
    let back: BenchReport = from_str(&v.to_string(), "bench").expect("round trip");
    assert_eq!(back, report);
    v.as_object_mut().expect("object").remove("kernels_compiled");
    assert!(from_str::<BenchReport>(&v.to_string(), "bench").is_err());
}

#[test]
fn train_log_names_the_bad_line() {
    let dir = std::env::temp_dir().join(format!("hidiff-report-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("metrics.jsonl");
    let good = r#"{"kind":"train","iter":1,"loss":0.1,"l_pix":0.1,"lr":0.001,"grad_norm":1.0,"patch":32,"batch":2,"images_per_s":3.0}
{"kind":"val","iter":1,"val_psnr":25.0,"val_l1":0.05,"images":2}
"#;
    std::fs::write(&path, good).expect("write");
    let log = read_train_log(&path).expect("valid log");
    assert_eq!((log.train.len(), log.val.len()), (1, 1));
    assert_eq!(log.last_val().map(|v| v.val_psnr), Some(25.0));
    std::fs::write(&path, format!("{good}{{\"kind\":\"val\",\"iter\":2,\"psnr\":25.0}}\n")).expect("write");
    let err = read_train_log(&path).expect_err("renamed field");
    assert!(err.to_string().contains("line 3"), "{err}");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
