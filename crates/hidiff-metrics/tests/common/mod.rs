//! Fixture access shared by the integration tests. The fixtures are copies of
//! `shared/golden/metrics/` (see `fixtures/README.md`); tests never read
//! outside the repository.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hidiff_metrics::realblur::Warp;
use hidiff_metrics::RgbImageU8;
use serde_json::Value;

/// `tests/fixtures/`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// One entry of `metrics_cases.json` with its images.
pub struct Case {
    pub id: String,
    pub gt_path: PathBuf,
    pub pred_path: PathBuf,
    pub gt: RgbImageU8,
    pub pred: RgbImageU8,
    pub json: Value,
}

impl Case {
    /// A number at a JSON pointer such as `/basicsr/rgb/psnr`.
    pub fn num(&self, pointer: &str) -> f64 {
        self.json
            .pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("{}: no number at {pointer}", self.id))
    }

    /// A 3×3 float32 matrix at a JSON pointer.
    pub fn warp(&self, pointer: &str) -> Warp {
        let m = self.json.pointer(pointer).unwrap_or_else(|| panic!("{}: no matrix at {pointer}", self.id));
        std::array::from_fn(|r| std::array::from_fn(|c| m[r][c].as_f64().expect("matrix entry is a number") as f32))
    }

    /// The stored RealBlur arrays: `aligned` (H×W×3 float32) and the
    /// per-pixel mask (the first of the three identical channels).
    pub fn aligned_and_mask(&self) -> (Vec<f32>, Vec<u8>) {
        let name = self.json["realblur"]["arrays"].as_str().expect("arrays name");
        let bytes = std::fs::read(fixtures().join(name)).expect("fixture readable");
        let st = safetensors::SafeTensors::deserialize(&bytes).expect("valid safetensors");
        let aligned = st.tensor("aligned").expect("aligned tensor");
        let mask = st.tensor("mask").expect("mask tensor");
        let h = self.gt.height();
        let w = self.gt.width();
        assert_eq!(aligned.shape(), &[h, w, 3]);
        assert_eq!(mask.shape(), &[h, w, 3]);
        let aligned: Vec<f32> =
            aligned.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let mask_all = mask.data();
        for px in mask_all.chunks_exact(3) {
            assert!(px[0] == px[1] && px[1] == px[2], "mask channels differ");
        }
        let mask = mask_all.iter().step_by(3).copied().collect();
        (aligned, mask)
    }
}

/// All cases of `metrics_cases.json`.
pub fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixtures().join("metrics_cases.json")).expect("json readable");
    let root: Value = serde_json::from_str(&text).expect("valid json");
    let cases = root["cases"].as_array().expect("cases array").clone();
    assert_eq!(cases.len(), 5, "the golden set has five cases");
    cases
        .into_iter()
        .map(|json| {
            let id = json["id"].as_str().expect("id").to_string();
            let gt_path = fixtures().join(json["gt"].as_str().expect("gt name"));
            let pred_path = fixtures().join(json["pred"].as_str().expect("pred name"));
            let gt = RgbImageU8::open(&gt_path).expect("gt decodes");
            let pred = RgbImageU8::open(&pred_path).expect("pred decodes");
            assert_eq!(gt.height() as u64, json["height"].as_u64().expect("height"));
            assert_eq!(gt.width() as u64, json["width"].as_u64().expect("width"));
            Case { id, gt_path, pred_path, gt, pred, json }
        })
        .collect()
}

/// Tracks the worst deviation of a quantity over all cases and prints it
/// (visible with `--nocapture`); the assertions are made per value.
pub struct Worst {
    name: &'static str,
    tolerance: f64,
    worst: f64,
    failures: Vec<String>,
}

impl Worst {
    pub fn new(name: &'static str, tolerance: f64) -> Self {
        Self { name, tolerance, worst: 0.0, failures: Vec::new() }
    }

    pub fn check(&mut self, case: &str, got: f64, expected: f64) {
        let d = (got - expected).abs();
        self.worst = self.worst.max(d);
        if d > self.tolerance || d.is_nan() {
            self.failures
                .push(format!("{case}: {} = {got} vs {expected} (|Δ| = {d:e} > {:e})", self.name, self.tolerance));
        }
    }

    /// Prints the worst deviation and panics if any value was out of tolerance.
    pub fn finish(self) {
        eprintln!("{:<45} worst |Δ| = {:.3e} (tolerance {:e})", self.name, self.worst, self.tolerance);
        assert!(self.failures.is_empty(), "{}", self.failures.join("\n"));
    }
}
