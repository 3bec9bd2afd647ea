//! `cargo xtask bench`: `hidiff bench` with its table and JSON written to `results/`.

use anyhow::Result;

use crate::args;
use crate::runner::Hidiff;

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub sizes: String,
    pub precision: String,
    pub iters: usize,
    pub preset: String,
    pub cpu_backend: String,
    pub batch: usize,
    pub patch: usize,
}

/// Runs the benchmark and writes `results/bench-<device>-<precision>.{md,json}`.
pub fn run(h: &Hidiff, o: &BenchOptions, results: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(results)?;
    let tag = format!("{}-{}", h.device.replace(':', ""), o.precision);
    let json = results.join(format!("bench-{tag}.json"));
    let md = h.output(&args![
        "bench",
        "--device",
        h.device,
        "--preset",
        o.preset,
        "--size",
        o.sizes,
        "--precision",
        o.precision,
        "--iters",
        o.iters,
        "--cpu-backend",
        o.cpu_backend,
        "--batch",
        o.batch,
        "--patch",
        o.patch,
        "--json",
        json.display()
    ])?;
    let md_path = results.join(format!("bench-{tag}.md"));
    crate::report::write_atomic(
        &md_path,
        format!("# hidiff bench\n\n{md}\n- hardware: {}\n", crate::report::hardware()).as_bytes(),
    )?;
    println!("{md}");
    println!("wrote {} and {}", md_path.display(), json.display());
    Ok(())
}
