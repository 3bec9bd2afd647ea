//! Backend selection: the only place (with xtask) that picks a burn backend.
//!
//! `--device cpu` runs on burn's Flex backend (the gemm-based CPU backend of burn
//! 0.21; about 2× faster than NdArray here), `--device cuda[:N]` on burn's CUDA
//! backend when the binary was built with `--features cuda`.

use std::str::FromStr;

use anyhow::{bail, Result};
use burn::tensor::backend::AutodiffBackend;

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

/// Runs `work` on the backend of `device`.
pub fn dispatch<W: WithBackend>(device: DeviceArg, work: W) -> Result<W::Output> {
    match device {
        DeviceArg::Cpu => work.run::<CpuBackend>(Default::default()),
        #[cfg(feature = "cuda")]
        DeviceArg::Cuda(n) => {
            check_cuda_environment()?;
            work.run::<CudaBackend>(burn::backend::cuda::CudaDevice::new(n))
        }
        #[cfg(not(feature = "cuda"))]
        DeviceArg::Cuda(_) => bail!(
            "this hidiff was built without CUDA support; rebuild with `cargo build --release --features cuda --bin hidiff`"
        ),
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
}
