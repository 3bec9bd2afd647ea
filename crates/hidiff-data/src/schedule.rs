//! The progressive patch/batch schedule (docs/reference.md §4.5).
//!
//! In TOML it is a plain list of stages, checked when it is read:
//!
//! ```toml
//! [[schedule]]
//! until_iter = 20000
//! patch = 128
//! batch = 16
//! ```

use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// One stage: iterations up to and including `until_iter` use this patch and batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStage {
    /// Last (1-based, inclusive) iteration of the stage.
    pub until_iter: u64,
    /// Side of the square training patch.
    pub patch: usize,
    /// Mini-batch size (per GPU in the reference).
    pub batch: usize,
}

/// A validated list of stages with strictly increasing `until_iter` and positive
/// sizes. Iterations after the last stage keep the last stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<ScheduleStage>", into = "Vec<ScheduleStage>")]
pub struct ProgressiveSchedule {
    stages: Vec<ScheduleStage>,
}

impl ProgressiveSchedule {
    /// Checks and wraps `stages`.
    ///
    /// # Errors
    /// [`DataError::InvalidConfig`] for an empty list, a zero patch or batch, or
    /// `until_iter` values that do not strictly increase.
    pub fn new(stages: Vec<ScheduleStage>) -> Result<Self, DataError> {
        let bad = |msg: String| Err(DataError::InvalidConfig(format!("progressive schedule: {msg}")));
        if stages.is_empty() {
            return bad("no stages".into());
        }
        for (i, s) in stages.iter().enumerate() {
            if s.patch == 0 || s.batch == 0 {
                return bad(format!("stage {i} has patch {} and batch {}; both must be positive", s.patch, s.batch));
            }
            if i > 0 && s.until_iter <= stages[i - 1].until_iter {
                return bad(format!("until_iter must increase, but stage {i} ends at {}", s.until_iter));
            }
        }
        Ok(Self { stages })
    }

    /// The paper's GoPro schedule (docs/reference.md §4.5: `mini_batch_sizes`
    /// `[16,10,8,4,2,2]`, `gt_sizes` `[128,160,192,256,320,384]`, `iters`
    /// `[20k,20k,20k,20k,20k,200k]`).
    pub fn paper() -> Self {
        let table = [
            (20_000, 128, 16),
            (40_000, 160, 10),
            (60_000, 192, 8),
            (80_000, 256, 4),
            (100_000, 320, 2),
            (300_000, 384, 2),
        ];
        Self { stages: table.map(|(until_iter, patch, batch)| ScheduleStage { until_iter, patch, batch }).to_vec() }
    }

    /// One stage forever.
    pub fn constant(patch: usize, batch: usize) -> Result<Self, DataError> {
        Self::new(vec![ScheduleStage { until_iter: u64::MAX, patch, batch }])
    }

    /// The stages.
    pub fn stages(&self) -> &[ScheduleStage] {
        &self.stages
    }

    /// The stage of 1-based `iteration`.
    pub fn stage_at(&self, iteration: u64) -> ScheduleStage {
        let last = self.stages[self.stages.len() - 1];
        self.stages.iter().copied().find(|s| iteration <= s.until_iter).unwrap_or(last)
    }

    /// The largest patch: the loader's crop size (384 in the paper).
    pub fn max_patch(&self) -> usize {
        self.stages.iter().map(|s| s.patch).max().unwrap_or(0)
    }

    /// The largest batch: pairs drawn per iteration before subsetting (16 in the paper).
    pub fn max_batch(&self) -> usize {
        self.stages.iter().map(|s| s.batch).max().unwrap_or(0)
    }
}

impl Default for ProgressiveSchedule {
    fn default() -> Self {
        Self::paper()
    }
}

impl TryFrom<Vec<ScheduleStage>> for ProgressiveSchedule {
    type Error = DataError;

    fn try_from(stages: Vec<ScheduleStage>) -> Result<Self, DataError> {
        Self::new(stages)
    }
}

impl From<ProgressiveSchedule> for Vec<ScheduleStage> {
    fn from(schedule: ProgressiveSchedule) -> Self {
        schedule.stages
    }
}
