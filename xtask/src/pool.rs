//! Training many stages at once. On a CPU the quick model's tensors are too small
//! for two threads to help one run much (400 stage-1 iterations: 17.0 s on one
//! thread, 14.4 s on two), while two single-threaded runs side by side take
//! 14.7 s together: `--jobs` processes of `cores / jobs` threads each nearly double
//! the work done per minute on 2 cores (docs/reproduce.md, "Parallel runs").

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use anyhow::{anyhow, Result};

use crate::reproduce::Ctx;
use crate::stage::{plan_stage, run_stage, Launch, StageRun, Variant};

/// A stage-2 iteration costs about this many stage-1 iterations (measured on the
/// quick model: 113 against 83 ms); only used to estimate the time left.
const STAGE2_COST: f64 = 1.4;

/// One stage to train, and the stage it starts from.
#[derive(Debug, Clone)]
struct Job {
    run: StageRun,
    parent: Option<usize>,
    cost: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
}

/// The stages of every `(variant, seed)` (stage 1, then stage 2 when the variant
/// has a prior), each once: variants sharing a stage 1 share its job. Finished runs
/// are left out.
fn plan(ctx: &Ctx, wanted: &[(Variant, u64)]) -> Result<Vec<Job>> {
    let mut jobs: Vec<Job> = Vec::new();
    // Each run once; a finished one is no job (and no parent to wait for).
    let mut index: HashMap<PathBuf, Option<usize>> = HashMap::new();
    let mut add = |run: StageRun, parent: Option<usize>, cost: f64, jobs: &mut Vec<Job>| -> Option<usize> {
        *index.entry(run.out.clone()).or_insert_with(|| {
            (!run.is_done()).then(|| {
                jobs.push(Job { run, parent, cost });
                jobs.len() - 1
            })
        })
    };
    for (v, seed) in wanted {
        let s1 = plan_stage(ctx, v, 1, *seed, None)?;
        let i1 = add(s1.clone(), None, s1.iters as f64, &mut jobs);
        if v.has_prior() {
            let s2 = plan_stage(ctx, v, 2, *seed, Some(&s1))?;
            let cost = s2.iters as f64 * STAGE2_COST;
            add(s2, i1, cost, &mut jobs);
        }
    }
    Ok(jobs)
}

/// Which ready job to start first: the one most work waits on (its own and its
/// stage 2s').
fn priority(jobs: &[Job], i: usize) -> f64 {
    jobs[i].cost + jobs.iter().filter(|j| j.parent == Some(i)).map(|j| j.cost).sum::<f64>()
}

/// How many processes to run and how many threads each gets, for `pending` jobs.
pub fn split(jobs: usize, cores: usize, pending: usize) -> (usize, usize) {
    let workers = jobs.min(pending).max(1);
    (workers, (cores / workers).max(1))
}

/// Trains every stage that `wanted` needs and that is not finished yet, `ctx.jobs`
/// at a time, each process with `cores / jobs` threads and its output in
/// `<run>.log`; stage 2 waits for its stage 1. With `--jobs 1` this does nothing:
/// the callers then train each stage in turn, output on the terminal.
///
/// # Errors
/// The first failing stage, with the end of its log; the stages already running
/// are finished first, none is started after it.
pub fn train_all(ctx: &Ctx, wanted: &[(Variant, u64)]) -> Result<()> {
    if ctx.jobs <= 1 {
        return Ok(());
    }
    let jobs = plan(ctx, wanted)?;
    if jobs.is_empty() {
        return Ok(());
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let (workers, threads) = split(ctx.jobs, cores, jobs.len());
    let total_cost: f64 = jobs.iter().map(|j| j.cost).sum();
    eprintln!(
        "[xtask] training {} stage{}, {workers} at a time with {threads} thread{} each (--jobs); \
         each one's output goes to its <run>.log",
        jobs.len(),
        if jobs.len() == 1 { "" } else { "s" },
        if threads == 1 { "" } else { "s" }
    );
    let start = Instant::now();
    struct Shared {
        state: Vec<State>,
        error: Option<anyhow::Error>,
    }
    let shared = Mutex::new(Shared { state: vec![State::Waiting; jobs.len()], error: None });
    // The work of the jobs in state `s`.
    let cost_in = |state: &[State], s: State| -> f64 {
        jobs.iter().zip(state).filter(|(_, &t)| t == s).map(|(j, _)| j.cost).sum()
    };
    let wake = Condvar::new();
    let poisoned = || anyhow!("a training thread panicked");
    let worker = || -> Result<()> {
        loop {
            // Take the first waiting job whose stage 1 is done, or wait for one to be.
            let i = {
                let mut g = shared.lock().map_err(|_| poisoned())?;
                loop {
                    if g.error.is_some() {
                        return Ok(());
                    }
                    // Stage 1s first (they unlock the stage 2s), the longest first.
                    let ready = (0..jobs.len())
                        .filter(|&i| {
                            g.state[i] == State::Waiting && jobs[i].parent.is_none_or(|p| g.state[p] == State::Done)
                        })
                        .max_by(|&a, &b| priority(&jobs, a).total_cmp(&priority(&jobs, b)).then(b.cmp(&a)));
                    if let Some(i) = ready {
                        g.state[i] = State::Running;
                        break i;
                    }
                    if !g.state.contains(&State::Waiting) {
                        return Ok(());
                    }
                    g = wake.wait(g).map_err(|_| poisoned())?;
                }
            };
            let job = &jobs[i];
            let log = job.run.out.with_extension("log");
            let verb = if job.run.resumes() { "resuming" } else { "training" };
            eprintln!("[xtask] {}: {verb} in {} (log {})", job.run.label, job.run.out.display(), log.display());
            let t = Instant::now();
            let result = run_stage(ctx, &job.run, &Launch { threads: Some(threads), log: Some(log) });
            let mut g = shared.lock().map_err(|_| poisoned())?;
            match result {
                Ok(summary) => {
                    g.state[i] = State::Done;
                    // The stages still running count as half done.
                    let el = start.elapsed().as_secs_f64();
                    let progress = cost_in(&g.state, State::Done) + cost_in(&g.state, State::Running) / 2.0;
                    let left = el / progress * (total_cost - progress);
                    eprintln!(
                        "[xtask] {}: {summary}; {:.0} s ({}/{} stages, {el:.0} s elapsed, about {left:.0} s left)",
                        job.run.label,
                        t.elapsed().as_secs_f64(),
                        g.state.iter().filter(|&&t| t == State::Done).count(),
                        jobs.len()
                    );
                }
                Err(e) => {
                    g.error.get_or_insert(e.context(format!("training {}", job.run.label)));
                }
            }
            wake.notify_all();
        }
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(worker)).collect();
        for h in handles {
            match h.join() {
                Ok(r) => r?,
                Err(_) => return Err(poisoned()),
            }
        }
        Ok::<(), anyhow::Error>(())
    })?;
    let error = shared.into_inner().map_err(|_| poisoned())?.error;
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_gives_every_core_a_job_and_never_zero() {
        assert_eq!(split(2, 2, 9), (2, 1));
        assert_eq!(split(2, 16, 9), (2, 8));
        assert_eq!(split(16, 16, 3), (3, 5));
        assert_eq!(split(4, 2, 9), (4, 1));
        assert_eq!(split(0, 2, 0), (1, 2));
    }
}
