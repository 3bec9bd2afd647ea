//! `hidiff bench --json`: latencies of inference and training.

use serde::{Deserialize, Serialize};

/// One measured row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    /// What was timed (`stage-2 inference`, `transformer (net_g)`, ...).
    pub part: String,
    /// The backend (`flex`, `ndarray`, `cuda (...)`).
    pub backend: String,
    /// `f32`, `f16` or `bf16`.
    pub precision: String,
    /// The input shape, e.g. `1x3x256x256`.
    pub shape: String,
    /// Median milliseconds of the timed runs.
    pub median_ms: f64,
    /// Fastest timed run.
    pub min_ms: f64,
    /// Images per second (training rows).
    #[serde(deserialize_with = "crate::json::required")]
    pub per_second: Option<f64>,
    /// Peak resident memory of the process so far.
    #[serde(deserialize_with = "crate::json::required")]
    pub peak_rss_mib: Option<f64>,
    /// Milliseconds of the first, untimed run of this part in this process
    /// (kernel compilation and autotuning included on GPUs).
    #[serde(deserialize_with = "crate::json::required")]
    pub cold_start_ms: Option<f64>,
    /// Largest GPU memory reserved by cubecl's pools during this part (CUDA only).
    #[serde(deserialize_with = "crate::json::required")]
    pub peak_gpu_mib: Option<f64>,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// Where the configuration came from.
    pub config: String,
    /// Parameters at inference.
    pub parameters_inference: usize,
    /// GFLOPs of one 256×256 inference.
    pub gflops_256: f64,
    /// CPU threads.
    pub threads: usize,
    /// GPU kernels compiled during the run, when the backend reports it.
    #[serde(deserialize_with = "crate::json::required")]
    pub kernels_compiled: Option<u64>,
    /// Kernels loaded from the persistent PTX cache (CUDA only).
    #[serde(deserialize_with = "crate::json::required")]
    pub kernels_from_cache: Option<u64>,
    /// Autotune keys tuned (CUDA only).
    #[serde(deserialize_with = "crate::json::required")]
    pub autotune_keys: Option<u64>,
    /// cubecl's cache folder and autotune level (CUDA only).
    #[serde(deserialize_with = "crate::json::required")]
    pub cubecl: Option<String>,
    /// The rows.
    pub rows: Vec<BenchRow>,
}
