//! Progress of long jobs (patch generation, data synthesis, folder scoring,
//! deblurring), reported through one trait so that no library draws on a
//! terminal: the CLI implements [`Progress`] with progress bars, tests record
//! the events, [`NoProgress`] ignores them.
//!
//! A job is a list of *items* (images, image pairs, patches), possibly in
//! several labelled stages; an item may take several *steps* (model passes:
//! tiles times self-ensemble members). The training loop's display is not a
//! job of this kind: it lives in `hidiff-train` (`progress::TrainDisplay`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Receives the progress of a job. Every method has an empty default; calls may
/// come from several threads at once (items finish in completion order).
pub trait Progress: Sync {
    /// A job, or one stage of it, starts: `total` items of `work` units in all
    /// (pixels; 0 when not counted), under a short `label` such as
    /// `train patches` or `images`. A second `start` begins the next stage.
    fn start(&self, _label: &str, _total: usize, _work: u64) {}
    /// Before an item, with the number of steps it takes (1 when not divided).
    fn item_start(&self, _item: &Path, _steps: usize) {}
    /// After each step of the item in progress.
    fn step_done(&self) {}
    /// After an item, with its share of the stage's `work`.
    fn item_done(&self, _item: &Path, _work: u64) {}
    /// After the last item of the job.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Adapts a closure called after every item with `(label, done, total)` of
/// the current stage.
pub struct ProgressFn<F> {
    callback: F,
    stage: std::sync::Mutex<String>,
    total: AtomicUsize,
    done: AtomicUsize,
}

impl<F> std::fmt::Debug for ProgressFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressFn")
            .field("total", &self.total.load(Ordering::SeqCst))
            .field("done", &self.done.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&str, usize, usize) + Sync> ProgressFn<F> {
    /// Wraps `callback(label, done, total)`.
    pub fn new(callback: F) -> Self {
        Self { callback, stage: std::sync::Mutex::new(String::new()), total: 0.into(), done: 0.into() }
    }

    fn label(&self) -> String {
        self.stage.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl<F: Fn(&str, usize, usize) + Sync> Progress for ProgressFn<F> {
    fn start(&self, label: &str, total: usize, _work: u64) {
        if let Ok(mut stage) = self.stage.lock() {
            label.clone_into(&mut stage);
        }
        self.total.store(total, Ordering::SeqCst);
        self.done.store(0, Ordering::SeqCst);
    }

    fn item_done(&self, _item: &Path, _work: u64) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        (self.callback)(&self.label(), done, self.total.load(Ordering::SeqCst));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closure_sees_each_stage_counted_from_one() {
        let seen = std::sync::Mutex::new(Vec::new());
        let p = ProgressFn::new(|label: &str, done, total| {
            seen.lock().expect("lock").push((label.to_string(), done, total));
        });
        p.start("a", 2, 0);
        p.item_done(Path::new("x"), 0);
        p.item_done(Path::new("y"), 0);
        p.start("b", 1, 10);
        p.item_start(Path::new("z"), 3);
        p.step_done();
        p.item_done(Path::new("z"), 10);
        p.finish();
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen, vec![("a".into(), 1, 2), ("a".into(), 2, 2), ("b".into(), 1, 1)]);
    }
}
