//! What the stage modules and the data sets report back to a run while burn's
//! `Learner` drives them: the first error (which also stops the `Learner`
//! through its `Interrupter`), the pre-clip gradient norm of logged iterations,
//! and the validation results of the current epoch with the model they were
//! measured on.
//!
//! The stage modules carry an `Option<Arc<StageHooks>>` as a skipped module
//! field (`None` outside a run, e.g. in the golden tests), shared by all their
//! clones, forks and `valid()` copies.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use burn::train::Interrupter;

use crate::error::TrainError;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked; the data are still valid.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The first error of a run; recording it asks the `Learner` to stop.
#[derive(Default)]
pub struct RunSignals {
    first: Mutex<Option<TrainError>>,
    interrupter: Interrupter,
}

impl std::fmt::Debug for RunSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunSignals").field("first", &*lock(&self.first)).finish_non_exhaustive()
    }
}

impl RunSignals {
    /// Signals that stop `interrupter` on failure.
    pub fn new(interrupter: Interrupter) -> Self {
        Self { first: Mutex::new(None), interrupter }
    }

    /// Records `error` (the first one wins) and stops the `Learner` before its
    /// next validation or checkpoint.
    pub fn fail(&self, error: TrainError) {
        let message = error.to_string();
        let mut first = lock(&self.first);
        if first.is_none() {
            *first = Some(error);
        }
        self.interrupter.stop(Some(&message));
    }

    /// Whether an error was recorded.
    pub fn failed(&self) -> bool {
        lock(&self.first).is_some()
    }

    /// The recorded error, if any.
    pub fn take(&self) -> Option<TrainError> {
        lock(&self.first).take()
    }

    /// The interrupter handed to the `Learner`.
    pub fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }
}

/// Pre-clip global gradient norms of the iterations that are logged, measured
/// in `TrainStep::optimize` (which sees the final, device-summed gradients).
#[derive(Debug)]
pub struct GradNorms {
    /// The iteration of the next `optimize` call.
    next: AtomicU64,
    print_freq: u64,
    total: u64,
    values: Mutex<BTreeMap<u64, f64>>,
}

impl GradNorms {
    /// Norms for a session starting after `start` completed iterations.
    pub fn new(start: u64, print_freq: u64, total: u64) -> Self {
        Self { next: AtomicU64::new(start + 1), print_freq: print_freq.max(1), total, values: Mutex::default() }
    }

    /// Whether iteration `i` writes a log line.
    pub fn is_logged(&self, i: u64) -> bool {
        i.is_multiple_of(self.print_freq) || i == self.total
    }

    /// Counts one optimiser step; returns its iteration when it is logged.
    pub fn advance(&self) -> Option<u64> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        self.is_logged(i).then_some(i)
    }

    /// Stores the norm of iteration `i`.
    pub fn put(&self, i: u64, norm: f64) {
        lock(&self.values).insert(i, norm);
    }

    /// Takes the norm of iteration `i`.
    pub fn take(&self, i: u64) -> Option<f64> {
        lock(&self.values).remove(&i)
    }
}

/// Validation results of the current epoch.
#[derive(Default)]
pub struct ValidationSink {
    sums: Mutex<(f64, f64, usize)>,
    model: Mutex<Option<Box<dyn Any + Send>>>,
}

impl std::fmt::Debug for ValidationSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidationSink").field("sums", &*lock(&self.sums)).finish_non_exhaustive()
    }
}

impl ValidationSink {
    /// Adds one image's PSNR and L1; `model` makes a copy of the validated
    /// module, kept for the first image of an epoch (for `model_best` / `model_latest`).
    pub fn record(&self, psnr: f64, l1: f64, model: impl FnOnce() -> Box<dyn Any + Send>) {
        let mut sums = lock(&self.sums);
        if sums.2 == 0 {
            *lock(&self.model) = Some(model());
        }
        sums.0 += psnr;
        sums.1 += l1;
        sums.2 += 1;
    }

    /// `(mean PSNR, mean L1, images, validated model)` of the epoch, and resets.
    pub fn take(&self) -> (f64, f64, usize, Option<Box<dyn Any + Send>>) {
        let (p, l, n) = std::mem::take(&mut *lock(&self.sums));
        let model = lock(&self.model).take();
        let d = n.max(1) as f64;
        (p / d, l / d, n, model)
    }
}

/// The hooks of a run, shared by a stage module's copies.
#[derive(Debug)]
pub struct StageHooks {
    /// Errors and the interrupter.
    pub signals: std::sync::Arc<RunSignals>,
    /// Gradient norms of logged iterations.
    pub grad_norms: GradNorms,
    /// This epoch's validation.
    pub validation: ValidationSink,
}
