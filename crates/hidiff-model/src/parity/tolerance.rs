//! Tolerances of the parity check, as the golden READMEs state them.

use crate::config::DiffusionKind;

/// How far a reimplementation may deviate from one reference tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// `max |a - b| <= x`.
    Abs(f64),
    /// `max |a - b| <= x * max |ref|`.
    RelMax(f64),
    /// Every element: `|a - b| <= x * |ref|` (reported as the max abs error
    /// against the bound of the worst element).
    RelEach(f64),
    /// `max |a - b| <= abs + rel * max |ref|`.
    AbsRel(f64, f64),
}

impl Tolerance {
    /// `(max abs error, bound)` for these values; for `RelEach` the pair of the
    /// element closest to its own bound.
    pub fn measure(&self, reference: &[f64], ours: &[f64]) -> (f64, f64) {
        let max_ref = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let max_abs = reference.iter().zip(ours).fold(0.0f64, |m, (r, o)| {
            let d = (r - o).abs();
            if d.is_nan() {
                f64::INFINITY
            } else {
                m.max(d)
            }
        });
        match *self {
            Tolerance::Abs(x) => (max_abs, x),
            Tolerance::RelMax(x) => (max_abs, x * max_ref),
            Tolerance::AbsRel(a, r) => (max_abs, a + r * max_ref),
            Tolerance::RelEach(x) => reference
                .iter()
                .zip(ours)
                .map(|(r, o)| ((r - o).abs(), x * r.abs()))
                .max_by(|a, b| {
                    let ra = if a.1 > 0.0 {
                        a.0 / a.1
                    } else if a.0 > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    };
                    let rb = if b.1 > 0.0 {
                        b.0 / b.1
                    } else if b.0 > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    };
                    ra.total_cmp(&rb)
                })
                .unwrap_or((0.0, 0.0)),
        }
    }
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tolerance::Abs(x) => write!(f, "abs {x:.0e}"),
            Tolerance::RelMax(x) => write!(f, "{x:.0e}·max|ref|"),
            Tolerance::RelEach(x) => write!(f, "rel {x:.0e}"),
            Tolerance::AbsRel(a, r) => write!(f, "{a:.0e}+{r:.0e}·max|ref|"),
        }
    }
}

/// The tolerance of each kind of tensor for one golden variant.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Diffusion buffers: computed in f64 and cast, so equal up to float32 rounding.
    pub schedule: Tolerance,
    /// Single network outputs and final images.
    pub network: Tolerance,
    /// Reverse-loop intermediates.
    pub loop_step: Tolerance,
    /// The first reverse step's raw x0 (amplified ~174× in the GoPro schedule).
    pub first_x0_raw: Tolerance,
    /// The first reverse step's clamped x0.
    pub first_x0_clamped: Tolerance,
    /// Final priors of the reverse loop.
    pub prior: Tolerance,
    /// Loss values.
    pub loss: Tolerance,
    /// Gradient norms.
    pub grad_norm: Tolerance,
    /// Parameter gradients.
    pub gradient: Tolerance,
}

impl Tolerances {
    /// The tolerances of the golden README of this diffusion kind.
    pub fn for_kind(kind: DiffusionKind) -> Self {
        match kind {
            // golden/README.md, "Suggested tolerances": network outputs and images
            // 1e-5 (measured float32-vs-float64 spread <= 5e-7); loop intermediates and
            // priors 1e-4 (the first step multiplies errors by ~174: x0_raw relative 1e-5
            // of its max, x0_clamped 5e-4); losses and norms relative 1e-5; gradients 1e-5.
            DiffusionKind::Local => Self {
                schedule: Tolerance::RelEach(1e-6),
                network: Tolerance::Abs(1e-5),
                loop_step: Tolerance::Abs(1e-4),
                first_x0_raw: Tolerance::RelMax(1e-5),
                first_x0_clamped: Tolerance::Abs(5e-4),
                prior: Tolerance::Abs(1e-4),
                loss: Tolerance::RelMax(1e-5),
                grad_norm: Tolerance::RelMax(1e-5),
                gradient: Tolerance::Abs(1e-5),
            },
            // golden/realblur/README.md: every forward tensor 1e-5 (worst measured spread
            // 1.4e-6; x0 estimates have no 174x amplification here), losses 1e-6, norms
            // relative 1e-5, gradients 1e-7 + 1e-4 * max|ref| per tensor (several
            // gradients are ~1e-6 in magnitude, so a plain 1e-5 would test nothing).
            DiffusionKind::Ldm => Self {
                schedule: Tolerance::RelEach(1e-6),
                network: Tolerance::Abs(1e-5),
                loop_step: Tolerance::Abs(1e-5),
                first_x0_raw: Tolerance::Abs(1e-5),
                first_x0_clamped: Tolerance::Abs(1e-5),
                prior: Tolerance::Abs(1e-5),
                loss: Tolerance::Abs(1e-6),
                grad_norm: Tolerance::RelMax(1e-5),
                gradient: Tolerance::AbsRel(1e-7, 1e-4),
            },
        }
    }
}
