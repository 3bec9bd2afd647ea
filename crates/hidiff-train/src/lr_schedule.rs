//! BasicSR's `CosineAnnealingRestartCyclicLR` with the reference's off-by-one
//! (docs/reference.md §4.5).
//!
//! With cumulative periods `P`, scheduler epoch `e` falls in cycle
//! `idx = min{k : e ≤ P[k]}` starting at `s = P[idx−1]` (0 for the first), and
//!
//! `lr(e) = eta_min[idx] + w[idx]·½·(base − eta_min[idx])·(1 + cos(π (e − s) / period[idx]))`.
//!
//! BasicSR's loop steps the scheduler only from iteration 2 on, so **iteration
//! k (1-based) trains with `lr(k − 1)`**: the paper's run is flat at 2e-4 for
//! iterations 1..=100001, then follows the cosine down to about 1e-6.

use burn::optim::lr_scheduler::LrScheduler;
use burn::optim::LearningRate;
use burn::tensor::backend::Backend;

use crate::experiment::SchedulerOptions;

/// The schedule, as a burn [`LrScheduler`] whose k-th `step()` returns the
/// learning rate of iteration k.
#[derive(Debug, Clone, PartialEq)]
pub struct CosineRestartCyclicLr {
    base_lr: f64,
    periods: Vec<u64>,
    restart_weights: Vec<f64>,
    eta_mins: Vec<f64>,
    cumulative: Vec<u64>,
    /// Iterations already served (the `step()` calls so far).
    served: u64,
}

impl CosineRestartCyclicLr {
    /// A schedule with base learning rate `base_lr`.
    ///
    /// # Panics
    /// If the three lists differ in length or are empty (experiments are checked
    /// before this is built).
    pub fn new(base_lr: f64, periods: Vec<u64>, restart_weights: Vec<f64>, eta_mins: Vec<f64>) -> Self {
        assert!(
            !periods.is_empty() && periods.len() == restart_weights.len() && periods.len() == eta_mins.len(),
            "periods, restart_weights and eta_mins must have the same non-zero length"
        );
        let cumulative = periods
            .iter()
            .scan(0u64, |acc, p| {
                *acc += p;
                Some(*acc)
            })
            .collect();
        Self { base_lr, periods, restart_weights, eta_mins, cumulative, served: 0 }
    }

    /// The schedule of an experiment's `[train.scheduler]` with its base `lr`.
    pub fn from_options(base_lr: f64, o: &SchedulerOptions) -> Self {
        Self::new(base_lr, o.periods.clone(), o.restart_weights.clone(), o.eta_mins.clone())
    }

    /// The paper's schedule: base 2e-4, periods [100000, 200000], weights [1, 1],
    /// eta_mins [2e-4, 1e-6].
    pub fn paper() -> Self {
        Self::new(2e-4, vec![100_000, 200_000], vec![1.0, 1.0], vec![2e-4, 1e-6])
    }

    /// `lr(e)` of the PyTorch scheduler at its epoch `e`. Epochs past the last
    /// cycle (where BasicSR would fail) keep the last cycle's floor.
    pub fn lr_at_epoch(&self, e: u64) -> f64 {
        let Some(idx) = self.cumulative.iter().position(|&p| e <= p) else {
            return self.eta_mins[self.eta_mins.len() - 1];
        };
        let start = if idx == 0 { 0 } else { self.cumulative[idx - 1] };
        let eta_min = self.eta_mins[idx];
        let phase = (e - start) as f64 / self.periods[idx] as f64;
        eta_min
            + self.restart_weights[idx] * 0.5 * (self.base_lr - eta_min) * (1.0 + (std::f64::consts::PI * phase).cos())
    }

    /// The learning rate of 1-based iteration `k`: `lr(k − 1)`.
    pub fn lr_at_iteration(&self, k: u64) -> f64 {
        self.lr_at_epoch(k.saturating_sub(1))
    }

    /// Iterations served so far.
    pub fn served(&self) -> u64 {
        self.served
    }

    /// Continues after `served` iterations (resume).
    pub fn with_served(mut self, served: u64) -> Self {
        self.served = served;
        self
    }
}

impl LrScheduler for CosineRestartCyclicLr {
    type Record<B: Backend> = usize;

    fn step(&mut self) -> LearningRate {
        self.served += 1;
        self.lr_at_iteration(self.served)
    }

    fn to_record<B: Backend>(&self) -> usize {
        self.served as usize
    }

    fn load_record<B: Backend>(self, record: usize) -> Self {
        self.with_served(record as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_iterations() {
        let mut s = CosineRestartCyclicLr::new(1.0, vec![4, 4], vec![1.0, 0.5], vec![0.5, 0.0]);
        let lrs: Vec<f64> = (0..6).map(|_| s.step()).collect();
        // Iterations 1..=5 are epochs 0..=4 of the first (flat, eta_min = base... here 0.5..1) cycle.
        assert_eq!(lrs[0], 1.0);
        assert_eq!(lrs[0], s.lr_at_epoch(0));
        assert_eq!(lrs[5], s.lr_at_epoch(5));
        assert_eq!(s.served(), 6);
    }
}
