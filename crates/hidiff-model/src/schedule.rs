//! The diffusion buffers, computed in float64 and cast once to float32 exactly as
//! the official code registers them (docs/reference.md §4.1; golden RealBlur README,
//! "Diffusion schedule").

use crate::config::{DiffusionConfig, DiffusionKind};

/// How betas are spaced between `linear_start` and `linear_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BetaSchedule {
    /// `linspace(start, end, T)` (the repository's own "linear", GoPro).
    Linear,
    /// `linspace(sqrt(start), sqrt(end), T)²` (the `ldm` package's "linear", RealBlur).
    SqrtLinear,
}

/// All float32 buffers of the diffusion, indexed by step `i` in `0..T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub betas: Vec<f32>,
    pub alphas_cumprod: Vec<f32>,
    pub alphas_cumprod_prev: Vec<f32>,
    pub sqrt_alphas_cumprod: Vec<f32>,
    pub sqrt_one_minus_alphas_cumprod: Vec<f32>,
    pub log_one_minus_alphas_cumprod: Vec<f32>,
    pub sqrt_recip_alphas_cumprod: Vec<f32>,
    pub sqrt_recipm1_alphas_cumprod: Vec<f32>,
    pub posterior_variance: Vec<f32>,
    pub posterior_log_variance_clipped: Vec<f32>,
    pub posterior_mean_coef1: Vec<f32>,
    pub posterior_mean_coef2: Vec<f32>,
}

/// NumPy's `linspace(start, end, n)` in float64: `start + i * step`, the last value
/// set to `end` exactly.
fn linspace(start: f64, end: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    let step = (end - start) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
    v[n - 1] = end;
    v
}

fn f32s(v: impl Iterator<Item = f64>) -> Vec<f32> {
    v.map(|x| x as f32).collect()
}

impl Schedule {
    /// The schedule of a diffusion configuration.
    pub fn from_config(cfg: &DiffusionConfig) -> Self {
        let kind = match cfg.kind() {
            DiffusionKind::Local => BetaSchedule::Linear,
            DiffusionKind::Ldm => BetaSchedule::SqrtLinear,
        };
        Self::new(kind, cfg.timesteps, cfg.linear_start, cfg.linear_end)
    }

    /// Buffers for `t` steps between `start` and `end`.
    pub fn new(kind: BetaSchedule, t: usize, start: f64, end: f64) -> Self {
        let betas: Vec<f64> = match kind {
            BetaSchedule::Linear => linspace(start, end, t),
            BetaSchedule::SqrtLinear => linspace(start.sqrt(), end.sqrt(), t).into_iter().map(|b| b * b).collect(),
        };
        let alphas: Vec<f64> = betas.iter().map(|b| 1.0 - b).collect();
        let mut ac = Vec::with_capacity(t);
        let mut prod = 1.0f64;
        for a in &alphas {
            prod *= a;
            ac.push(prod);
        }
        let ac_prev: Vec<f64> = std::iter::once(1.0).chain(ac[..t - 1].iter().copied()).collect();
        let post_var: Vec<f64> = (0..t).map(|i| betas[i] * (1.0 - ac_prev[i]) / (1.0 - ac[i])).collect();
        Schedule {
            betas: f32s(betas.iter().copied()),
            alphas_cumprod: f32s(ac.iter().copied()),
            alphas_cumprod_prev: f32s(ac_prev.iter().copied()),
            sqrt_alphas_cumprod: f32s(ac.iter().map(|a| a.sqrt())),
            sqrt_one_minus_alphas_cumprod: f32s(ac.iter().map(|a| (1.0 - a).sqrt())),
            log_one_minus_alphas_cumprod: f32s(ac.iter().map(|a| (1.0 - a).ln())),
            sqrt_recip_alphas_cumprod: f32s(ac.iter().map(|a| (1.0 / a).sqrt())),
            sqrt_recipm1_alphas_cumprod: f32s(ac.iter().map(|a| (1.0 / a - 1.0).sqrt())),
            posterior_variance: f32s(post_var.iter().copied()),
            posterior_log_variance_clipped: f32s(post_var.iter().map(|v| v.max(1e-20).ln())),
            posterior_mean_coef1: f32s((0..t).map(|i| betas[i] * ac_prev[i].sqrt() / (1.0 - ac[i]))),
            posterior_mean_coef2: f32s((0..t).map(|i| (1.0 - ac_prev[i]) * alphas[i].sqrt() / (1.0 - ac[i]))),
        }
    }

    /// Number of steps T.
    pub fn len(&self) -> usize {
        self.betas.len()
    }

    /// Always false: a schedule has at least one step.
    pub fn is_empty(&self) -> bool {
        self.betas.is_empty()
    }

    /// The buffers by their official names (for parity checks and `hidiff info`).
    pub fn named(&self) -> Vec<(&'static str, &[f32])> {
        vec![
            ("betas", &self.betas),
            ("alphas_cumprod", &self.alphas_cumprod),
            ("alphas_cumprod_prev", &self.alphas_cumprod_prev),
            ("sqrt_alphas_cumprod", &self.sqrt_alphas_cumprod),
            ("sqrt_one_minus_alphas_cumprod", &self.sqrt_one_minus_alphas_cumprod),
            ("log_one_minus_alphas_cumprod", &self.log_one_minus_alphas_cumprod),
            ("sqrt_recip_alphas_cumprod", &self.sqrt_recip_alphas_cumprod),
            ("sqrt_recipm1_alphas_cumprod", &self.sqrt_recipm1_alphas_cumprod),
            ("posterior_variance", &self.posterior_variance),
            ("posterior_log_variance_clipped", &self.posterior_log_variance_clipped),
            ("posterior_mean_coef1", &self.posterior_mean_coef1),
            ("posterior_mean_coef2", &self.posterior_mean_coef2),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // the reference's printed float32 values, digit for digit
    fn paper_schedule_matches_reference_table() {
        // Reference 4.1, float32 values for T = 8, 0.1 .. 0.99.
        let s = Schedule::new(BetaSchedule::Linear, 8, 0.1, 0.99);
        assert_eq!(s.sqrt_recip_alphas_cumprod[7], 173.962219f32);
        assert_eq!(s.sqrt_recipm1_alphas_cumprod[7], 173.959351f32);
        assert_eq!(s.posterior_mean_coef1[0], 1.0);
        assert_eq!(s.posterior_mean_coef2[0], 0.0);
        assert_eq!(s.alphas_cumprod[7], 3.30438088e-05f32);
    }

    #[test]
    fn one_step_schedule_keeps_start() {
        let s = Schedule::new(BetaSchedule::Linear, 1, 0.1, 0.99);
        assert_eq!(s.betas, vec![0.1f32]);
        assert_eq!(s.posterior_mean_coef1, vec![1.0f32]);
    }
}
