//! The statistics of the ablation tables: mean and sample standard deviation
//! over seeds, and paired differences with a Student-t 95 % confidence interval.

use serde::{Deserialize, Serialize};

/// Mean of `xs` (NaN when empty).
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (n − 1 in the denominator); 0 for fewer than two values.
pub fn std_dev(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// Two-sided 95 % quantiles of Student's t for 1 to 30 degrees of freedom.
const T975: [f64; 30] = [
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788, 2.1604, 2.1448,
    2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484,
    2.0452, 2.0423,
];

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (two-sided 95 %):
/// the table up to 30, the Cornish–Fisher expansion around the normal quantile
/// above (error below 1e-4 there).
pub fn t975(df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= T975.len() {
        return T975[df - 1];
    }
    let z: f64 = 1.959_963_985;
    let n = df as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

/// A mean difference with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Mean of the paired differences (dB).
    pub delta_psnr: f64,
    /// `[low, high]` of the 95 % Student-t interval of that mean.
    pub ci95: [f64; 2],
    /// Paired observations (images × seeds).
    pub n: usize,
}

/// How a difference relates to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is above zero.
    Higher,
    /// The whole interval is below zero.
    Lower,
    /// The interval contains zero: not distinguishable from no difference.
    Unclear,
}

impl Delta {
    /// The mean and 95 % interval of paired differences `d_i = a_i − b_i`
    /// (`None` when there are fewer than two pairs or the lengths differ).
    pub fn paired(a: &[f64], b: &[f64]) -> Option<Self> {
        if a.len() != b.len() || a.len() < 2 {
            return None;
        }
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let (m, s) = (mean(&d), std_dev(&d));
        let half = t975(d.len() - 1) * s / (d.len() as f64).sqrt();
        Some(Self { delta_psnr: m, ci95: [m - half, m + half], n: d.len() })
    }

    /// Whether the interval excludes zero, and on which side.
    pub fn verdict(&self) -> Verdict {
        if self.ci95[0] > 0.0 {
            Verdict::Higher
        } else if self.ci95[1] < 0.0 {
            Verdict::Lower
        } else {
            Verdict::Unclear
        }
    }

    /// `+0.42 [+0.10, +0.74] ▲` for the tables: ▲/▼ mark an interval that excludes zero.
    pub fn cell(&self) -> String {
        let mark = match self.verdict() {
            Verdict::Higher => " ▲",
            Verdict::Lower => " ▼",
            Verdict::Unclear => "",
        };
        format!("{:+.2} [{:+.2}, {:+.2}]{mark}", self.delta_psnr, self.ci95[0], self.ci95[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_table() {
        for (df, t) in [
            (1, 12.706),
            (2, 4.303),
            (3, 3.182),
            (5, 2.571),
            (10, 2.228),
            (30, 2.042),
            (31, 2.0395),
            (60, 2.0003),
            (100, 1.984),
        ] {
            assert!((t975(df) - t).abs() < 2e-3, "df {df}: {} vs {t}", t975(df));
        }
    }

    #[test]
    fn mean_and_sample_std() {
        assert!((mean(&[1.0, 2.0, 3.0]) - 2.0).abs() < 1e-12);
        assert!((std_dev(&[1.0, 2.0, 3.0]) - 1.0).abs() < 1e-12);
        assert_eq!(std_dev(&[5.0]), 0.0);
    }

    #[test]
    fn paired_interval_and_verdicts() {
        // Differences 1, 2, 3: mean 2, s = 1, half width t(2) / sqrt(3).
        let d = Delta::paired(&[11.0, 12.0, 13.0], &[10.0, 10.0, 10.0]).expect("three pairs");
        let half = 4.3027 / 3f64.sqrt();
        assert!((d.delta_psnr - 2.0).abs() < 1e-12 && (d.ci95[1] - (2.0 + half)).abs() < 1e-9, "{d:?}");
        assert_eq!(d.verdict(), Verdict::Unclear); // 2 - 2.48 < 0
        let d = Delta::paired(&[11.0, 11.1, 10.9, 11.0], &[10.0; 4]).expect("four pairs");
        assert_eq!(d.verdict(), Verdict::Higher);
        assert!(d.cell().ends_with('▲'), "{}", d.cell());
        let d = Delta::paired(&[9.0, 9.1, 8.9, 9.0], &[10.0; 4]).expect("four pairs");
        assert_eq!(d.verdict(), Verdict::Lower);
        assert!(Delta::paired(&[1.0], &[0.0]).is_none());
        assert!(Delta::paired(&[1.0, 2.0], &[0.0]).is_none());
    }
}
