//! Seeded standard-normal noise made on the CPU, so that the diffusion's initial
//! state is the same on every backend for the same seed. (The official code draws
//! `randn` on the GPU with seed 100; no Rust code can reproduce that stream, so
//! parity tests inject the stored noise instead.)

use burn::tensor::{backend::Backend, Tensor, TensorData};

/// SplitMix64: a small, well-mixed 64-bit generator (Steele, Lea, Flood 2014).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
}

/// `n` standard-normal values from `seed` (Box–Muller).
pub fn standard_normal(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let (u1, u2) = (rng.next_open01(), rng.next_open01());
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f64::consts::TAU * u2;
        out.push((r * t.cos()) as f32);
        out.push((r * t.sin()) as f32);
    }
    out.truncate(n);
    out
}

/// A `[d0, d1, d2]` tensor of seeded standard-normal noise.
pub fn noise_tensor<B: Backend>(seed: u64, shape: [usize; 3], device: &B::Device) -> Tensor<B, 3> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(standard_normal(seed, n), shape), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_standard_normal_and_seeded() {
        let a = standard_normal(7, 20_000);
        let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.04, "var {var}");
        assert_eq!(a, standard_normal(7, 20_000));
        assert_ne!(a[..8], standard_normal(8, 8)[..]);
    }
}
