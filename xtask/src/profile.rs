//! How much a reproduction runs: the profiles and their settings, each valid or
//! refused at once.

use anyhow::{bail, Result};

/// How much to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A few iterations on a tiny data set: proves the pipeline (CI).
    Smoke,
    /// The `quick` model on the synthetic data, CPU, the default (table 1 in ≤ 15 min on 2 cores).
    Quick,
    /// The same model trained longer, for effect sizes with less noise (see docs/reproduce.md).
    Long,
    /// The paper's configurations on the real data under `--data`: only the evaluation of
    /// given weights (table2, table3) is automated; training takes days on GPUs.
    Paper,
}

/// The size of the synthetic data set a profile generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticSize {
    /// Training pairs.
    pub train: u64,
    /// Pairs in `test/` and in `test_shift/` each.
    pub test: u64,
    /// `HxW` or `HxW..HxW`.
    pub size: &'static str,
    /// Blur path length of `train/` and `test/` in pixels, `MIN..MAX`.
    pub blur_length: &'static str,
    /// Blur path length of `test_shift/` in pixels, `MIN..MAX`.
    pub shift_blur_length: &'static str,
}

/// The blur of the training profiles' data: 3–12 % of their 32-pixel patches (the default
/// set's 6–24 px covers 20–75 % of one, which the quick model cannot learn in minutes;
/// docs/reproduce.md, "The data").
const BLUR_LENGTH: &str = "1..4";
/// The shifted blur: twice as long, non-uniform only (the `test_shift/` defaults otherwise).
const SHIFT_BLUR_LENGTH: &str = "2..8";

/// The training and evaluation settings of a CPU profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Stage-1 iterations.
    pub iters_s1: u64,
    /// Stage-2 iterations.
    pub iters_s2: u64,
    /// Training patch side.
    pub patch: u64,
    /// Mini-batch.
    pub batch: u64,
    /// Peak learning rate (one cosine cycle down to 1 % of it).
    pub lr: f64,
    /// Training seeds: every variant is trained once per seed.
    pub seeds: Vec<u64>,
    /// Validation pairs during training.
    pub val_pairs: u64,
    /// The synthetic data set.
    pub data: SyntheticSize,
}

impl Profile {
    /// Parses a profile name.
    ///
    /// # Errors
    /// An unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "smoke" => Ok(Self::Smoke),
            "quick" => Ok(Self::Quick),
            "long" => Ok(Self::Long),
            "paper" => Ok(Self::Paper),
            other => bail!("unknown profile {other:?}: expected quick, long, paper or smoke"),
        }
    }

    /// The profile's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Smoke => "smoke",
            Self::Quick => "quick",
            Self::Long => "long",
            Self::Paper => "paper",
        }
    }

    /// The training settings, or why this profile trains nothing.
    ///
    /// # Errors
    /// [`Profile::Paper`]: the paper's schedules (300k iterations per stage on GoPro)
    /// are not run by `xtask`.
    pub fn settings(self) -> Result<Settings> {
        // Measured (docs/reproduce.md, "How the quick budget was chosen"): patch 32, batch 4,
        // lr 3e-3 and the width-16 preset learn the most per second (lr 1e-3 or 6e-3, no
        // clipping, patch 64 or width 32 do no better). Stage 2 starts ~4 dB below its stage-1
        // model (the untrained LE_DM and denoiser replace the oracle prior) and keeps gaining
        // to 600 iterations (full model on seed 1: 34.03 / 34.30 / 34.64 dB after 300 / 450 /
        // 600 from a 1200-iteration stage 1; a shorter stage 1 of 800 or 1000 does worse).
        // 1200 + 600 with two stages at a time (`--jobs`) is table 1 in 13 min on 2 cores.
        match self {
            Self::Smoke => Ok(Settings {
                iters_s1: 2,
                iters_s2: 2,
                patch: 32,
                batch: 2,
                lr: 1e-3,
                seeds: vec![1, 2],
                val_pairs: 2,
                data: SyntheticSize {
                    train: 8,
                    test: 2,
                    size: "64x64",
                    blur_length: BLUR_LENGTH,
                    shift_blur_length: SHIFT_BLUR_LENGTH,
                },
            }),
            Self::Quick => Ok(Settings {
                iters_s1: 1200,
                iters_s2: 600,
                patch: 32,
                batch: 4,
                lr: 3e-3,
                seeds: vec![1, 2, 3],
                val_pairs: 4,
                data: SyntheticSize {
                    train: 256,
                    test: 16,
                    size: "128x128",
                    blur_length: BLUR_LENGTH,
                    shift_blur_length: SHIFT_BLUR_LENGTH,
                },
            }),
            Self::Long => Ok(Settings {
                iters_s1: 2000,
                iters_s2: 1000,
                patch: 32,
                batch: 4,
                lr: 3e-3,
                seeds: vec![1, 2, 3, 4, 5],
                val_pairs: 8,
                data: SyntheticSize {
                    train: 256,
                    test: 32,
                    size: "128x128..192x192",
                    blur_length: BLUR_LENGTH,
                    shift_blur_length: SHIFT_BLUR_LENGTH,
                },
            }),
            Self::Paper => bail!(
                "the paper profile trains nothing: the paper's schedules (300k iterations per stage on GoPro) take days \
                 on GPUs; run experiments/gopro_s1.toml and gopro_s2.toml with `hidiff train` (docs/training.md) and \
                 evaluate the result with `cargo xtask reproduce table2 --profile paper --data DIR --weights W`"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_training_profile_is_valid_and_paper_is_refused() {
        for p in [Profile::Smoke, Profile::Quick, Profile::Long] {
            let s = p.settings().expect("a training profile");
            assert!(s.iters_s1 > 0 && s.iters_s2 > 0 && s.batch > 0 && s.lr > 0.0, "{p:?}");
            assert!(s.patch >= 16 && s.patch % 8 == 0, "{p:?}: patch {}", s.patch);
            assert!(!s.seeds.is_empty() && s.val_pairs > 0 && s.data.test >= 2, "{p:?}");
            assert_eq!(Profile::parse(p.name()).expect("round trip"), p);
        }
        let e = Profile::Paper.settings().expect_err("paper trains nothing").to_string();
        assert!(e.contains("gopro_s1.toml"), "{e}");
        assert!(Profile::parse("fast").is_err());
    }
}
