//! Random camera-shake trajectories after Boracchi & Foi, "Modeling the
//! performance of image restoration from motion blur" (IEEE TIP 2012), the model
//! DeblurGAN uses to synthesise blur (`motion_blur/generate_trajectory.py`).
//!
//! A point moves at constant speed; at every step its velocity receives a
//! Gaussian kick (`gaussian_shake`), a pull back towards the start
//! (`centripetal`), and rarely a near reversal (a "big shake"); the random and
//! centripetal terms and the big-shake probability scale with the `anxiety`.
//! Per trajectory, as in DeblurGAN: `centripetal ~ 0.7·U`, big-shake
//! probability `~ 0.2·U` (times the anxiety), `gaussian_shake ~ 10·U`, initial
//! direction `~ U[0, 2π)`.
//!
//! The model is not scale-free (the pull grows with the distance travelled), so
//! the path is simulated at DeblurGAN's scale, length 60 on a 64-pixel canvas,
//! and then scaled to the requested length in pixels.

use std::f64::consts::PI;

use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Path length at which the model is simulated (DeblurGAN's `max_len`).
pub const REFERENCE_LENGTH: f64 = 60.0;

/// Parameters of one trajectory.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajectoryParams {
    /// Number of positions along the path (DeblurGAN's `iters`, 2000).
    pub samples: usize,
    /// Total path length in pixels.
    pub length: f64,
    /// The anxiety (DeblurGAN's `expl`; it draws it from 0.003..0.01).
    pub anxiety: f64,
}

/// The random coefficients drawn once per trajectory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShakeTerms {
    /// Strength of the pull towards the start, `0.7·U`.
    pub centripetal: f64,
    /// Big-shake probability per step before the anxiety factor, `0.2·U`.
    pub big_shake_probability: f64,
    /// Strength of the Gaussian kicks, `10·U`.
    pub gaussian_shake: f64,
    /// Initial direction in radians.
    pub initial_angle: f64,
}

impl ShakeTerms {
    /// Draws the coefficients as DeblurGAN does.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            centripetal: 0.7 * rng.gen::<f64>(),
            big_shake_probability: 0.2 * rng.gen::<f64>(),
            gaussian_shake: 10.0 * rng.gen::<f64>(),
            initial_angle: 2.0 * PI * rng.gen::<f64>(),
        }
    }
}

/// A sampled camera path: equally spaced positions `(x, y)` in pixels, starting at the origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// The positions, at equal time (and arc-length) steps.
    pub points: Vec<[f64; 2]>,
    /// How many big shakes happened.
    pub big_shakes: usize,
    /// The coefficients used.
    pub terms: ShakeTerms,
}

/// Complex multiplication on `[re, im]` pairs.
fn cmul(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
}

impl Trajectory {
    /// Simulates one trajectory (at least 2 samples are used).
    pub fn random<R: Rng + ?Sized>(params: &TrajectoryParams, rng: &mut R) -> Self {
        let terms = ShakeTerms::random(rng);
        let n = params.samples.max(2);
        let step = REFERENCE_LENGTH / (n - 1) as f64;
        let expl = params.anxiety.max(0.0);
        let dir = [terms.initial_angle.cos(), terms.initial_angle.sin()];
        let speed0 = if expl > 0.0 { expl } else { step };
        let mut v = [dir[0] * speed0, dir[1] * speed0];
        let mut x = vec![[0.0f64; 2]; n];
        let mut big_shakes = 0;
        for t in 0..n - 1 {
            let mut dv = [0.0, 0.0];
            if rng.gen::<f64>() < terms.big_shake_probability * expl {
                // A kick of twice the velocity, pointing backwards within ±0.5 rad.
                let angle = PI + (rng.gen::<f64>() - 0.5);
                let kick = cmul([2.0 * v[0], 2.0 * v[1]], [angle.cos(), angle.sin()]);
                dv = kick;
                big_shakes += 1;
            }
            let gx: f64 = rng.sample(StandardNormal);
            let gy: f64 = rng.sample(StandardNormal);
            for k in 0..2 {
                let g = if k == 0 { gx } else { gy };
                dv[k] += expl * (terms.gaussian_shake * g - terms.centripetal * x[t][k]) * step;
            }
            v = [v[0] + dv[0], v[1] + dv[1]];
            let norm = v[0].hypot(v[1]);
            if norm > 0.0 {
                v = [v[0] / norm * step, v[1] / norm * step];
            } else {
                v = [dir[0] * step, dir[1] * step];
            }
            x[t + 1] = [x[t][0] + v[0], x[t][1] + v[1]];
        }
        let scale = params.length / REFERENCE_LENGTH;
        let points = x.into_iter().map(|[a, b]| [a * scale, b * scale]).collect();
        Self { points, big_shakes, terms }
    }

    /// The path length (sum of the step lengths).
    pub fn length(&self) -> f64 {
        self.points.windows(2).map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1])).sum()
    }

    /// The position at fraction `tau ∈ [0, 1]` of the path, linearly interpolated.
    pub fn position_at(&self, tau: f64) -> [f64; 2] {
        let last = self.points.len() - 1;
        let t = tau.clamp(0.0, 1.0) * last as f64;
        let i = (t.floor() as usize).min(last.saturating_sub(1));
        let f = t - i as f64;
        let (a, b) = (self.points[i], self.points[(i + 1).min(last)]);
        [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
    }
}
