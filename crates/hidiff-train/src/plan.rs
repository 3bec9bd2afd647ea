//! How a run counted in iterations maps onto burn-train's epochs.
//!
//! The reference validates every `val_freq` iterations; the `Learner` validates
//! and checkpoints at epoch ends. So one `Learner` epoch is the iterations up to
//! the next multiple of `val_freq` (or to `total_iter`): epoch ends fall exactly
//! on the iterations where the reference validates. A resumed run continues with
//! the epoch after the checkpoint's, from the checkpoint's iteration, so
//! `val_freq` may change on resume.

/// The epochs of one session of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochPlan {
    /// The first epoch of this session (1, or the checkpoint's epoch + 1).
    pub first_epoch: usize,
    /// Iterations completed before this session.
    pub start_iteration: u64,
    /// `val.val_freq` (≥ 1).
    pub val_freq: u64,
    /// `train.total_iter`.
    pub total: u64,
}

impl EpochPlan {
    /// The last iteration of the `j`-th epoch of this session (`j` ≥ 1).
    fn end_of(&self, j: u64) -> u64 {
        let k = self.start_iteration / self.val_freq + j;
        k.saturating_mul(self.val_freq).min(self.total)
    }

    /// Number of epochs this session runs (0 when the run is complete).
    pub fn epochs(&self) -> usize {
        if self.start_iteration >= self.total {
            return 0;
        }
        // Multiples of val_freq in (start, total), plus the epoch ending at total.
        let multiples = (self.total - 1) / self.val_freq - self.start_iteration / self.val_freq;
        multiples as usize + 1
    }

    /// The last epoch of this session (the `Learner`'s `num_epochs`).
    pub fn last_epoch(&self) -> usize {
        self.first_epoch - 1 + self.epochs()
    }

    /// `(first iteration, number of iterations)` of `epoch` (0 iterations outside the session).
    pub fn iterations(&self, epoch: usize) -> (u64, u64) {
        if epoch < self.first_epoch || epoch > self.last_epoch() {
            return (self.total + 1, 0);
        }
        let j = (epoch - self.first_epoch) as u64 + 1;
        let start = if j == 1 { self.start_iteration } else { self.end_of(j - 1) };
        (start + 1, self.end_of(j) - start)
    }

    /// The last iteration of `epoch`.
    pub fn end_iteration(&self, epoch: usize) -> u64 {
        let (first, count) = self.iterations(epoch);
        first + count - 1
    }

    /// The most iterations any epoch of this session has (the data set length per device).
    pub fn max_epoch_len(&self) -> u64 {
        self.val_freq.min(self.total.saturating_sub(self.start_iteration)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_end_on_multiples_of_val_freq_and_on_total() {
        let p = EpochPlan { first_epoch: 1, start_iteration: 0, val_freq: 4, total: 10 };
        assert_eq!(p.epochs(), 3);
        assert_eq!([1, 2, 3].map(|e| p.iterations(e)), [(1, 4), (5, 4), (9, 2)]);
        assert_eq!(p.end_iteration(3), 10);
        // Resumed at 4 (end of epoch 1) with val_freq 3: ends 6, 9, 10.
        let r = EpochPlan { first_epoch: 2, start_iteration: 4, val_freq: 3, total: 10 };
        assert_eq!((r.epochs(), r.last_epoch()), (3, 4));
        assert_eq!([2, 3, 4].map(|e| r.end_iteration(e)), [6, 9, 10]);
        assert_eq!(r.iterations(1), (11, 0));
        let done = EpochPlan { first_epoch: 4, start_iteration: 10, val_freq: 3, total: 10 };
        assert_eq!(done.epochs(), 0);
        let exact = EpochPlan { first_epoch: 1, start_iteration: 0, val_freq: 2, total: 4 };
        assert_eq!((exact.epochs(), exact.end_iteration(2)), (2, 4));
    }
}
