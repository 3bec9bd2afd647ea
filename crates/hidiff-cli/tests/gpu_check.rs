//! The GPU kit (`cargo xtask gpu-check`) without a GPU: assembled around this
//! package's CPU `hidiff`, then its `run.sh` run end to end as a CPU dry run with
//! tiny sizes. The half-precision steps run too (burn's CPU backend in bf16/f16,
//! allowed by `HIDIFF_CPU_HALF=1`), so the weight casts and dtype settings of
//! `--precision` are exercised here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden")
}

fn step<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["steps"]
        .as_array()
        .expect("a steps array")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

fn make_torch_bench(dir: &Path) -> PathBuf {
    let b = dir.join("torch-bench");
    std::fs::create_dir_all(b.join("official")).expect("create the stand-in folder");
    std::fs::write(b.join("bench_torch.py"), "print('reference')\n").expect("write the stand-in script");
    std::fs::write(b.join("official/Transformer_arch.py"), "# stand-in\n").expect("write the stand-in module");
    b
}

#[test]
fn kit_assembles_and_its_cpu_dry_run_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let kit_dir = dir.path().join("gpu-kit");
    let kit = xtask::gpu_check::assemble(&xtask::gpu_check::KitOptions {
        out: kit_dir.clone(),
        hidiff: PathBuf::from(env!("CARGO_BIN_EXE_hidiff")),
        golden: golden(),
        torch_bench: Some(make_torch_bench(dir.path())),
        xz_level: 0,
    })
    .expect("assemble the kit");
    for f in [
        "hidiff.xz",
        "run.sh",
        "manifest.json",
        "golden/cases.safetensors",
        "bench/bench_torch.py",
        "bench/official/Transformer_arch.py",
    ] {
        assert!(kit_dir.join(f).is_file(), "the kit lacks {f}");
    }
    assert!(!kit_dir.join("hidiff").exists(), "only the compressed binary travels");
    let [raw, stripped, xz] = kit.binary_bytes;
    assert!(stripped <= raw && xz < stripped, "{:?}", kit.binary_bytes);
    assert!(kit.total_bytes < xtask::gpu_check::MAX_KIT_BYTES && kit.has_torch_bench);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(kit_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["xz_bytes"].as_u64(), Some(xz));

    // A second kit replaces the first; a folder that is not a kit is refused.
    std::fs::write(kit_dir.join("stale"), "x").unwrap();
    let mut o = xtask::gpu_check::KitOptions {
        out: kit_dir.clone(),
        hidiff: PathBuf::from(env!("CARGO_BIN_EXE_hidiff")),
        golden: golden(),
        torch_bench: None,
        xz_level: 0,
    };
    xtask::gpu_check::assemble(&o).expect("replace the kit");
    assert!(!kit_dir.join("stale").exists() && !kit_dir.join("bench").exists());
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes"), "keep").unwrap();
    o.out = dir.path().join("mine");
    assert!(xtask::gpu_check::assemble(&o).is_err());
    assert_eq!(std::fs::read_to_string(dir.path().join("mine/notes")).unwrap(), "keep");

    // The device side, on the CPU with tiny sizes.
    let out = dir.path().join("out");
    let run = Command::new("bash")
        .arg(kit_dir.join("run.sh"))
        .env("OUT", &out)
        .env("TMPDIR", dir.path())
        .env("HOME", dir.path())
        .env("GPU_CHECK_DEVICE", "cpu")
        .env("GPU_CHECK_BUDGET_S", "600")
        .env("GPU_CHECK_PRESET", "quick")
        .env("GPU_CHECK_SMALL", "32x32")
        .env("GPU_CHECK_SIZES", "32x32")
        .env("GPU_CHECK_TRAIN", "1x32")
        .env("GPU_CHECK_ITERS", "1")
        .env("GPU_CHECK_IMAGE", "32x32")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(out.join("gpu-check.json")).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    assert_eq!(report["device"], "cpu");
    assert!(std::fs::read_to_string(out.join("run.log")).unwrap().contains("== cold"));

    let expected = [
        "info",
        "unpack",
        "cold",
        "warm",
        "parity",
        "synth",
        "deblur_cpu",
        "deblur_dev",
        "cuda_vs_cpu",
        "infer_f32",
        "infer_bf16",
        "train",
        "half_bf16",
        "half_f16",
        "infer_f16",
        "cold_balanced",
    ];
    for name in expected {
        let s = step(&report, name);
        assert_eq!(s["rc"], 0, "step {name} failed: {}", s["tail"]);
        assert_eq!(s["timed_out"], false);
    }
    assert!(
        report["steps"].as_array().expect("a steps array").iter().all(|s| s["name"] != "torch"),
        "torch runs on the GPU only"
    );

    // Bench reports: the first call timed apart; no kernel counts on the CPU.
    let cold = &step(&report, "cold")["result"];
    let row = &cold["rows"][0];
    assert_eq!(row["part"], "stage-2 inference");
    assert!(row["cold_start_ms"].as_f64().unwrap() > 0.0 && row["median_ms"].as_f64().unwrap() > 0.0, "{row}");
    assert!(cold["kernels_compiled"].is_null() && row["peak_gpu_mib"].is_null(), "{cold}");
    let train = &step(&report, "train")["result"]["rows"];
    assert_eq!(train.as_array().unwrap().len(), 1, "--no-infer times the training step only: {train}");
    assert_eq!(train[0]["shape"], "1x3x32x32");
    let bf16 = &step(&report, "infer_bf16")["result"]["rows"][0];
    assert_eq!(bf16["precision"], "bf16");

    // Parity passes on the CPU; the same device twice gives identical images (PSNR +inf, null in JSON).
    assert!(step(&report, "parity")["tail"].as_str().unwrap().contains("PASS"));
    let same = &step(&report, "cuda_vs_cpu")["result"];
    assert!(same["mean"]["psnr"].is_null() && same["mean"]["ssim"].as_f64() > Some(0.99999), "{same}");
    assert_eq!(same["images"].as_array().unwrap().len(), 4);
    // bf16 and f16 really ran in half precision: close to f32 but not identical.
    for name in ["half_bf16", "half_f16"] {
        let r = &step(&report, name)["result"];
        let psnr = r["mean"]["psnr"].as_f64().unwrap_or_else(|| panic!("{name}: {r}"));
        // Measured on burn's CPU backend: bf16 51.4 dB, f16 60.1 dB (docs/performance.md).
        assert!(psnr.is_finite() && psnr > 35.0, "{name}: {psnr} dB");
    }
}
