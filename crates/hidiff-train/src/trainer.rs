//! The training loop of both stages, counted in iterations like the reference.
//!
//! # Why a loop of our own instead of burn-train's `SupervisedTraining`
//!
//! The stage modules are burn-train [`TrainStep`] / [`burn::train::InferenceStep`]
//! implementations and the optimiser, clip and scheduler are burn's; only the
//! loop around them is ours, because the `Learner` (0.21) cannot express three
//! things the reference needs:
//!
//! 1. **Per-iteration batches.** The progressive schedule changes patch *and*
//!    batch size by iteration, and the sampler is a pure function of
//!    `(seed, iteration)`. burn's data loader restarts its indices every epoch and
//!    prefetches on worker threads, so a data set cannot know the global
//!    iteration of the item it is asked for.
//! 2. **Data errors.** `Dataset::get` returns an `Option`; an unreadable image
//!    can only end an epoch early or panic in a worker, never reach the caller
//!    as an error naming the file with the last checkpoint untouched.
//! 3. **Independent cadences.** The `Learner` validates and checkpoints only at
//!    epoch ends; the reference logs, validates and checkpoints on separate
//!    iteration counts, and exact resume needs the iteration (hence the sampler
//!    and noise state) in the checkpoint, not an epoch number.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::module::Module;
use burn::optim::lr_scheduler::LrScheduler;
use burn::tensor::backend::AutodiffBackend;
use burn::train::TrainStep;
use hidiff_model::noise::noise_tensor;
use hidiff_model::{HiDiff, Networks};

use crate::checkpoint::{self, Best, TrainingState, FORMAT};
use crate::data::{open_train, prepare_data_root, Prefetcher, ValSet};
use crate::error::{Result, TrainError};
use crate::experiment::{Experiment, Stage};
use crate::init::load_pretrained;
use crate::lr_schedule::CosineRestartCyclicLr;
use crate::metrics_log::{MetricsLog, TrainRecord, ValRecord};
use crate::multi_device::step_data_parallel;
use crate::optim::{adamw_config, global_grad_norm, scalar};
use crate::progress::{Progress, ProgressMode};
use crate::run_dir::{self, BEST_WEIGHTS, LATEST_WEIGHTS};
use crate::stage::StageModule;
use crate::stage1::Stage1Model;
use crate::stage2::Stage2Model;
use crate::step::{StepSettings, TrainBatch};
use crate::validation::{validate, ValResult};

/// Serialises seeding and drawing of the initial weights (see `run`).
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// The command line's part of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run folder.
    pub out: PathBuf,
    /// The data root (`--data`); `None` uses `datasets` and generates the
    /// default synthetic set when the experiment asks for it.
    pub data_root: Option<PathBuf>,
    /// Continue the run in `out` from its newest checkpoint.
    pub resume: bool,
    /// Overrides `train.total_iter`.
    pub iterations: Option<u64>,
    /// Overrides `logger.print_freq`.
    pub log_every: Option<u64>,
    /// How progress is shown.
    pub progress: ProgressMode,
}

impl RunOptions {
    /// A fresh, quiet run into `out` with the experiment's own settings.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self { out: out.into(), data_root: None, resume: false, iterations: None, log_every: None, progress: ProgressMode::Quiet }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// The stage.
    pub stage: Stage,
    /// Iterations completed before this session (0 unless resumed).
    pub start_iteration: u64,
    /// Iterations completed at the end.
    pub end_iteration: u64,
    /// Training log lines written in this session.
    pub train_log: Vec<TrainRecord>,
    /// Validations of this session.
    pub validations: Vec<ValRecord>,
    /// The best validation of the whole run.
    pub best: Option<Best>,
    /// Wall time of this session, seconds.
    pub seconds: f64,
    /// The run folder.
    pub out: PathBuf,
}

/// The seed of the `q_sample` noise of iteration `i` (a pure function, so that
/// a resumed run draws the same noise).
pub fn noise_seed(seed: u64, iteration: u64) -> u64 {
    (seed ^ 0x005E_ED0F_D1FF_u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ iteration.wrapping_mul(0xD1B5_4A32_D192_ED03)
}

/// Trains the experiment's stage on `devices` (one, or several of one kind for
/// data parallelism; the first is the main device).
///
/// # Errors
/// Experiment, data, weight, checkpoint and I/O errors, each naming its file.
pub fn train<B: AutodiffBackend>(exp: &Experiment, opts: &RunOptions, devices: &[B::Device]) -> Result<TrainSummary> {
    match exp.file.stage {
        Stage::One => run::<B, Stage1Model<B>>(exp, opts, devices),
        Stage::Two => run::<B, Stage2Model<B>>(exp, opts, devices),
    }
}

/// The experiment with the command-line overrides applied and checked.
fn effective(exp: &Experiment, opts: &RunOptions) -> Result<Experiment> {
    let mut file = exp.file.clone();
    if let Some(n) = opts.iterations {
        file.train.total_iter = n;
    }
    if let Some(k) = opts.log_every {
        file.logger.print_freq = k;
    }
    let e = Experiment::from_file(file, &exp.source)?;
    if e.file.train.total_iter > e.file.max_iterations() {
        return Err(TrainError::Experiment {
            path: exp.source.clone(),
            message: format!(
                "{} iterations exceed the learning-rate schedule (periods sum to {}; iteration k uses lr(k-1))",
                e.file.train.total_iter,
                e.file.max_iterations() - 1
            ),
        });
    }
    Ok(e)
}

fn run<B: AutodiffBackend, M: StageModule<B> + Sync>(exp: &Experiment, opts: &RunOptions, devices: &[B::Device]) -> Result<TrainSummary> {
    let started = Instant::now();
    let exp = effective(exp, opts)?;
    let f = &exp.file;
    let device = devices.first().cloned().ok_or_else(|| TrainError::Unsupported("no device given".into()))?;
    let out = opts.out.clone();

    if !opts.resume && run_dir::is_used(&out)? {
        return Err(TrainError::OutputNotEmpty(out));
    }
    // Data first, so that a data error leaves no run folder behind.
    let root = prepare_data_root(f, opts.data_root.as_deref())?;
    let schedule = exp.schedule();
    let sampler = Arc::new(open_train(f, &schedule, &root, devices.len())?);
    let val_set = ValSet::open(f, &root)?;

    // The run folder and where to start.
    let resume_from = if opts.resume {
        run_dir::check_resume(&out, &exp)?;
        let Some((_, dir)) = checkpoint::latest(&out)? else {
            return Err(TrainError::Resume {
                path: out.clone(),
                message: format!("no complete checkpoint in {}", out.join(checkpoint::CHECKPOINT_DIR).display()),
            });
        };
        let state = checkpoint::read_state(&dir)?;
        if state.stage != u8::from(M::STAGE) || state.seed != f.manual_seed {
            return Err(TrainError::Resume { path: dir, message: "the checkpoint belongs to another stage or seed".into() });
        }
        Some((dir, state))
    } else {
        run_dir::create(&out, &exp)?;
        None
    };
    let start = resume_from.as_ref().map_or(0, |(_, s)| s.iteration);
    let total = f.train.total_iter;
    let progress = Progress::new(opts.progress, &format!("{} s{}", f.name, u8::from(M::STAGE)), start, total);

    // Model, optimiser, schedule.
    // burn's initialisers draw from one process-wide generator: hold it while
    // seeding and drawing, so that concurrent runs in one process (tests) cannot
    // interleave their draws.
    let init_guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    B::seed(&device, f.manual_seed);
    // Materialise the lazily initialised parameters now, in a fixed order, so that
    // later clones (validation, checkpoints, devices) share them. `fork`, not
    // `to_device`: on an autodiff backend `to_device` turns every parameter into a
    // non-leaf node, after which no parameter receives a gradient.
    let mut hidiff: HiDiff<B> = exp.model.init::<B>(Networks::All, &device).fork(&device);
    if resume_from.is_none() {
        for line in load_pretrained(&mut hidiff, &exp.model, &f.path)? {
            progress.line(&format!("initialised {line}"));
        }
    }
    drop(init_guard);
    let settings = StepSettings::from_experiment(f);
    let mut model = M::build(hidiff, settings);
    let mut optim = adamw_config(&f.train.optim_total).init::<B, M>();
    let mut best = None;
    if let Some((dir, state)) = &resume_from {
        (model, optim) = checkpoint::load::<B, M, _>(dir, model, optim, &device)?;
        best = state.best;
        progress.line(&format!("resumed from {} (iteration {})", dir.display(), state.iteration));
    }
    let mut scheduler = CosineRestartCyclicLr::from_options(f.train.optim_total.lr, &f.train.scheduler).with_served(start);
    let mut log = MetricsLog::open(&out, resume_from.as_ref().map(|(_, s)| s.iteration))?;
    let tokens = model.hidiff().net_g_tokens();

    let mut summary = TrainSummary {
        stage: M::STAGE,
        start_iteration: start,
        end_iteration: start,
        train_log: vec![],
        validations: vec![],
        best,
        seconds: 0.0,
        out: out.clone(),
    };
    let validate_now = |model: &M, i: u64, summary: &mut TrainSummary, log: &mut MetricsLog| -> Result<ValResult> {
        let valid = model.valid();
        let inner_device = valid.devices().into_iter().next().unwrap_or_default();
        let r = validate::<B::InnerBackend, _>(&valid, &val_set, &inner_device)?;
        let rec = ValRecord { kind: "val".into(), iter: i, val_psnr: r.psnr, val_l1: r.l1, images: r.images };
        log.append(&rec)?;
        progress.val(&rec);
        summary.validations.push(rec);
        Ok(r)
    };
    if start == 0 && f.val.val_at_start {
        validate_now(&model, 0, &mut summary, &mut log)?;
    }

    let mut prefetch = Prefetcher::start(Arc::clone(&sampler), start + 1, total.max(start + 1), 2);
    let (mut window_images, mut window_time, mut train_time, mut done) = (0usize, 0.0f64, 0.0f64, 0u64);
    for i in start + 1..=total {
        let t0 = Instant::now();
        let batch = prefetch.next(i)?;
        let [b, _, p, _] = batch.shape;
        let lr = scheduler.step();
        let (lq, gt) = batch.into_tensors::<B>(&device);
        let noise = (M::STAGE == Stage::Two).then(|| noise_tensor::<B>(noise_seed(f.manual_seed, i), [b, tokens.0, tokens.1], &device));
        let output = step_data_parallel::<B, M>(&model, TrainBatch { lq, gt, noise }, devices);
        let log_now = i % f.logger.print_freq == 0 || i == total;
        let grad_norm = if log_now { global_grad_norm::<B, M>(&model, &output.grads) } else { None };
        model = TrainStep::optimize::<B, _>(model, &mut optim, lr, output.grads);
        if log_now {
            let item = output.item;
            let loss = scalar(item.loss);
            if !loss.is_finite() {
                return Err(TrainError::NonFinite { iteration: i, loss });
            }
            let l_pix = scalar(item.l_pix);
            let l_pix_diff = item.l_pix_diff.map(scalar);
            let grad_norm = grad_norm.map(scalar).unwrap_or(0.0);
            let dt = t0.elapsed().as_secs_f64();
            window_images += b;
            window_time += dt;
            train_time += dt;
            done += 1;
            let rec = TrainRecord {
                kind: "train".into(),
                iter: i,
                loss,
                l_pix,
                l_pix_diff,
                lr,
                grad_norm,
                patch: p,
                batch: b,
                images_per_s: window_images as f64 / window_time.max(1e-9),
            };
            log.append(&rec)?;
            progress.train(&rec, (total - i) as f64 * train_time / done as f64);
            summary.train_log.push(rec);
            (window_images, window_time) = (0, 0.0);
        } else {
            let dt = t0.elapsed().as_secs_f64();
            window_images += b;
            window_time += dt;
            train_time += dt;
            done += 1;
        }
        progress.tick(i);
        summary.end_iteration = i;

        if i % f.val.val_freq == 0 || i == total {
            let r = validate_now(&model, i, &mut summary, &mut log)?;
            if best.is_none_or(|b: Best| r.psnr > b.psnr) {
                best = Some(Best { psnr: r.psnr, iteration: i });
                model.hidiff().save_safetensors(&exp.model, &out.join(BEST_WEIGHTS))?;
            }
            summary.best = best;
        }
        if i % f.logger.save_checkpoint_freq == 0 || i == total {
            let state = TrainingState {
                format: FORMAT,
                stage: u8::from(M::STAGE),
                iteration: i,
                scheduler: LrScheduler::to_record::<B>(&scheduler),
                seed: f.manual_seed,
                best,
            };
            let dir = checkpoint::save::<B, M, _>(&out, &state, &model, &optim, f.logger.keep_checkpoints)?;
            model.hidiff().save_safetensors(&exp.model, &out.join(LATEST_WEIGHTS))?;
            progress.line(&format!("checkpoint {}", dir.display()));
        }
    }
    progress.finish();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
