//! Backend selection: the only place (with xtask) that picks a burn backend.
//!
//! `--device cpu` runs on burn's Flex backend (the gemm-based CPU backend of burn
//! 0.21; about 2× faster than NdArray here), `--device cuda[:N]` on burn's CUDA
//! backend when the binary was built with `--features cuda`; `--precision f16|bf16`
//! sets the device's default float dtype (see `precision.rs`).

use std::str::FromStr;

use anyhow::{bail, Result};
use burn::tensor::backend::AutodiffBackend;

pub use crate::precision::Precision;

/// A device named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceArg {
    /// The CPU (all cores, through rayon).
    Cpu,
    /// CUDA device N.
    Cuda(usize),
}

impl FromStr for DeviceArg {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda(0)),
            other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
                Some(Ok(n)) => Ok(Self::Cuda(n)),
                _ => Err(format!("unknown device {other:?}: expected cpu, cuda or cuda:N")),
            },
        }
    }
}

impl std::fmt::Display for DeviceArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceArg::Cpu => write!(f, "cpu"),
            DeviceArg::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// Work that runs on any autodiff backend; inference uses `B::InnerBackend`.
pub trait WithBackend {
    type Output;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Result<Self::Output>;
}

/// The CPU backend with autodiff.
pub type CpuBackend = burn::backend::Autodiff<burn::backend::Flex>;

/// The CUDA backend with autodiff.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Autodiff<burn::backend::Cuda>;

/// Runs `work` on the backend of `device`, in f32.
pub fn dispatch<W: WithBackend>(device: DeviceArg, work: W) -> Result<W::Output> {
    dispatch_with(device, Precision::F32, work)
}

/// Set to `1` to let the CPU run f16/bf16: slow and useless for real work, but it
/// runs the half-precision code path (dtype settings, weight casts) without a GPU,
/// which is what the tests and the CPU dry run of `cargo xtask gpu-check` need.
pub const CPU_HALF_ENV: &str = "HIDIFF_CPU_HALF";

/// Refuses a precision the device cannot run, before anything is loaded.
pub fn check_precision(device: DeviceArg, precision: Precision) -> Result<()> {
    let cpu_half = std::env::var(CPU_HALF_ENV).is_ok_and(|v| v == "1");
    if device == DeviceArg::Cpu && precision != Precision::F32 && !cpu_half {
        bail!(
            "--precision {precision} is not available on the CPU: burn's CPU backend computes in f32 here; \
             use --precision f32, or --device cuda for half precision"
        );
    }
    Ok(())
}

/// Runs `work` on the backend of `device` with `precision` as the device's default
/// float dtype (see [`crate::precision`]). On CUDA this first installs hidiff's
/// cubecl configuration (caches, autotune level, log) and the kernel counter.
pub fn dispatch_with<W: WithBackend>(device: DeviceArg, precision: Precision, work: W) -> Result<W::Output> {
    check_precision(device, precision)?;
    match device {
        DeviceArg::Cpu => {
            let device = Default::default();
            set_precision::<CpuBackend>(&device, precision)?;
            work.run::<CpuBackend>(device)
        }
        #[cfg(feature = "cuda")]
        DeviceArg::Cuda(n) => {
            let device = cuda_device(n)?;
            set_precision::<CudaBackend>(&device, precision)?;
            work.run::<CudaBackend>(device)
        }
        #[cfg(not(feature = "cuda"))]
        DeviceArg::Cuda(_) => bail!(
            "this hidiff was built without CUDA support; rebuild with `cargo build --release --features cuda --bin hidiff`"
        ),
    }
}

/// Makes CUDA device `n` usable: checks the toolkit, installs the cubecl
/// configuration and the kernel counter. Call before the first CUDA tensor.
#[cfg(feature = "cuda")]
pub fn cuda_device(n: usize) -> Result<burn::backend::cuda::CudaDevice> {
    check_cuda_environment()?;
    if !driver_library_found(std::env::var("LD_LIBRARY_PATH").ok().as_deref()) {
        eprintln!(
            "warning: the NVIDIA driver library (libcuda.so) is not in LD_LIBRARY_PATH or the usual folders; \
             if CUDA fails to start below, install the driver or add its folder to LD_LIBRARY_PATH"
        );
    }
    let installed = crate::cubecl_config::install()?;
    crate::kernel_progress::install();
    eprintln!("cubecl: {}", installed.settings.describe());
    Ok(burn::backend::cuda::CudaDevice::new(n))
}

fn set_precision<B: burn::tensor::backend::Backend>(device: &B::Device, precision: Precision) -> Result<()> {
    if precision == Precision::F32 {
        return Ok(());
    }
    burn::tensor::backend::set_default_float_dtype::<B>(device, precision.float_dtype())
        .map_err(|e| anyhow::anyhow!("cannot run in {precision} on {device:?}: {e}"))
}

/// Whether the NVIDIA driver library that cudarc loads at run time (`libcuda.so*`)
/// is in `ld_library_path`'s folders or the usual system ones. Only a hint: a
/// library elsewhere (found through ld.so.conf) still loads.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
pub fn driver_library_found(ld_library_path: Option<&str>) -> bool {
    let usual = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/nvidia/lib64",
        "/usr/local/nvidia/lib",
        "/usr/lib/wsl/lib",
        "/usr/local/cuda/compat",
    ];
    let dirs = ld_library_path.unwrap_or("").split(':').filter(|d| !d.is_empty()).chain(usual);
    dirs.into_iter().any(|d| {
        std::fs::read_dir(d)
            .is_ok_and(|mut r| r.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcuda.so"))))
    })
}

/// GPU memory reserved by cubecl's memory pools on `device`, MiB (`None` on the CPU).
/// The pools only grow unless cleaned up, so the largest value seen is the peak.
pub fn gpu_memory_mib(device: DeviceArg) -> Option<f64> {
    match device {
        DeviceArg::Cpu => None,
        #[cfg(feature = "cuda")]
        DeviceArg::Cuda(n) => {
            use cubecl::Runtime;
            let client = cubecl::cuda::CudaRuntime::client(&burn::backend::cuda::CudaDevice::new(n));
            client.memory_usage().ok().map(|u| u.bytes_reserved as f64 / (1024.0 * 1024.0))
        }
        #[cfg(not(feature = "cuda"))]
        DeviceArg::Cuda(_) => None,
    }
}

/// cubecl compiles kernels at run time with NVRTC, which needs the CUDA headers.
#[cfg(feature = "cuda")]
fn check_cuda_environment() -> Result<()> {
    let candidates = [std::env::var("CUDA_PATH").ok(), std::env::var("CUDA_HOME").ok(), Some("/usr/local/cuda".into())];
    let found = candidates.iter().flatten().any(|p| std::path::Path::new(p).join("include/cuda.h").is_file());
    if !found {
        bail!(
            "CUDA headers not found: NVRTC needs them to compile kernels. Set CUDA_PATH to the CUDA toolkit \
             (for example CUDA_PATH=/usr/local/cuda) so that $CUDA_PATH/include/cuda.h exists"
        );
    }
    if std::env::var("CUDA_PATH").is_err() {
        // cubecl reads CUDA_PATH; point it at the toolkit we found.
        for p in candidates.iter().flatten() {
            if std::path::Path::new(p).join("include/cuda.h").is_file() {
                // SAFETY-free: set_var is safe in edition 2021 and we are single-threaded here.
                std::env::set_var("CUDA_PATH", p);
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_devices() {
        assert_eq!("cpu".parse::<DeviceArg>(), Ok(DeviceArg::Cpu));
        assert_eq!("cuda".parse::<DeviceArg>(), Ok(DeviceArg::Cuda(0)));
        assert_eq!("cuda:3".parse::<DeviceArg>(), Ok(DeviceArg::Cuda(3)));
        assert!("tpu".parse::<DeviceArg>().is_err());
        assert!("cuda:x".parse::<DeviceArg>().is_err());
    }

    #[test]
    fn finds_the_driver_library_in_ld_library_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("/nonexistent:{}", dir.path().display());
        std::fs::write(dir.path().join("libcuda.so.1"), b"").unwrap();
        assert!(driver_library_found(Some(&path)));
    }

    #[test]
    fn refuses_half_precision_on_the_cpu() {
        // (The test process never sets HIDIFF_CPU_HALF.)
        let err = check_precision(DeviceArg::Cpu, Precision::Bf16).unwrap_err().to_string();
        assert!(err.contains("bf16") && err.contains("CPU"), "{err}");
        assert!(check_precision(DeviceArg::Cpu, Precision::F32).is_ok());
        assert!(check_precision(DeviceArg::Cuda(0), Precision::F16).is_ok());
    }
}
