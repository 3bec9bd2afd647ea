//! Progress reporting of long jobs (patch generation, synthesis) through a callback.

use std::sync::atomic::{AtomicUsize, Ordering};

/// One progress event: `done` of `total` items of `stage` are finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// A short label of the stage, e.g. `train patches` or `test_shift`.
    pub stage: &'static str,
    /// Items finished so far in this stage.
    pub done: usize,
    /// Items in this stage.
    pub total: usize,
}

/// The callback type: called from worker threads, once per finished item and once
/// with `done == 0` when a stage starts.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// A callback that ignores every event.
pub fn no_progress(_: Progress) {}

/// Counts finished items of one stage and reports each to the callback.
pub(crate) struct StageCounter<'a> {
    stage: &'static str,
    total: usize,
    done: AtomicUsize,
    report: ProgressFn<'a>,
}

impl<'a> StageCounter<'a> {
    /// Starts a stage and reports `0 / total`.
    pub(crate) fn start(stage: &'static str, total: usize, report: ProgressFn<'a>) -> Self {
        report(Progress { stage, done: 0, total });
        Self { stage, total, done: AtomicUsize::new(0), report }
    }

    /// Marks one item finished.
    pub(crate) fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.report)(Progress { stage: self.stage, done, total: self.total });
    }
}
