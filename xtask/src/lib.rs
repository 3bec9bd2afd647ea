//! The task runner of the hidiff workspace (matklad's cargo-xtask pattern): it
//! reproduces the paper's tables and figures, runs ablation sweeps and benchmarks
//! by driving the `hidiff` binary, and writes `results/`; `gpu-check` assembles
//! the kit that the GPU machine runs.

pub mod bench;
pub mod gpu_check;
pub mod paper;
pub mod plot;
pub mod pool;
pub mod profile;
pub mod report;
pub mod reproduce;
pub mod runner;
pub mod stage;
pub mod stats;
pub mod table1;
