//! Progress of long jobs (patch generation, synthesis): reported through
//! [`hidiff_io::Progress`], the one progress trait of the workspace.

use std::path::Path;

pub use hidiff_io::{NoProgress, Progress, ProgressFn};

/// Starts one stage of a job and reports each finished item of it.
pub(crate) struct StageCounter<'a> {
    report: &'a dyn Progress,
}

impl<'a> StageCounter<'a> {
    /// Starts a stage of `total` items.
    pub(crate) fn start(stage: &str, total: usize, report: &'a dyn Progress) -> Self {
        report.start(stage, total, 0);
        Self { report }
    }

    /// Marks `item` finished (called from worker threads).
    pub(crate) fn tick(&self, item: &Path) {
        self.report.item_done(item, 0);
    }
}
