//! Derivation of independent random streams from one user seed.
//!
//! Every random decision (which image, which crop, which blur) is drawn from a
//! ChaCha8 generator keyed by `(seed, domain, a, b)`: the 32-byte key is those four
//! numbers, so distinct tuples give independent streams and results never depend
//! on thread scheduling or on what was drawn before. This is what makes
//! `TrainSampler::batch(iteration)` a pure function and `generate` parallel and
//! reproducible.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; keeps the streams of different uses apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Domain {
    /// The shuffle of one sampler epoch (`a` = epoch).
    Epoch = 1,
    /// Per-iteration draws of the sampler: subset and common offset (`a` = iteration).
    Iteration = 2,
    /// Per-sample crop and augmentation (`a` = global sample index).
    Sample = 3,
    /// One synthetic pair (`a` = split, `b` = index).
    Synthetic = 4,
}

/// The generator of stream `(seed, domain, a, b)`.
pub(crate) fn stream(seed: u64, domain: Domain, a: u64, b: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    for (chunk, word) in key.chunks_exact_mut(8).zip([seed, domain as u64, a, b]) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}
