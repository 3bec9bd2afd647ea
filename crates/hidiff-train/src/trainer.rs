//! Both stages on burn-train's `Learner` (`SupervisedTraining`), counted in
//! iterations like the reference.
//!
//! One `Learner` epoch is `val_freq` iterations ([`crate::plan`]); one data set
//! item is one iteration's whole mini-batch ([`crate::loader`]), so the
//! progressive patch/batch schedule and the sampler, a pure function of
//! `(seed, iteration)`, stay exact. burn runs the steps, the scheduler, the
//! optimiser (with the global clip in `TrainStep::optimize`), validation,
//! checkpoints (through [`AtomicRecorder`]) and resume (`.checkpoint(epoch)`);
//! several devices use burn's `ExecutionStrategy::multi`, whose summed gradients
//! are the devices' mean because each device's loss is scaled by 1/devices. What
//! this file adds is the setup: data checks before the first step, the run
//! folder, resume checks, the initial weights, and turning the recorded first
//! error into the result.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::module::Module;
use burn::record::Recorder;
use burn::tensor::backend::AutodiffBackend;
use burn::train::logger::FileMetricLogger;
use burn::train::metric::{IterationSpeedMetric, LearningRateMetric, LossMetric};
use burn::train::{ExecutionStrategy, Interrupter, Learner, MultiDeviceOptim, SupervisedTraining};
use hidiff_model::{HiDiff, Networks};

use crate::checkpoint::{self, AtomicRecorder, Best, Checkpoint, TrainingState};
use crate::data::{open_train, prepare_data_root, ValSet};
use crate::error::{Result, TrainError};
use crate::experiment::{Experiment, Stage};
use crate::hooks::{GradNorms, RunSignals, StageHooks, ValidationSink};
use crate::init::load_pretrained;
use crate::loader::{val_loader, EpochLoader, TrainBatcher};
use crate::lr_schedule::CosineRestartCyclicLr;
use crate::metrics_log::{MetricsLog, TrainRecord, ValRecord};
use crate::optim::{adamw_config, named_parameters};
use crate::plan::EpochPlan;
use crate::progress::{ProgressMode, TrainDisplay};
use crate::reporting::{EpochEnd, RunLog, Silent, TrainLog, ValPsnr};
use crate::run_dir;
use crate::stage::StageModule;
use crate::stage1::Stage1Model;
use crate::stage2::Stage2Model;
use crate::step::StepSettings;
use crate::validation::validate;

pub use crate::loader::noise_seed;

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
        Self {
            out: out.into(),
            data_root: None,
            resume: false,
            iterations: None,
            log_every: None,
            progress: ProgressMode::Quiet,
        }
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

/// The devices `indices` of the same kind as `first` (e.g. `cuda:0` → `cuda:N`),
/// built through burn's device ids.
pub fn devices_like<B: burn::tensor::backend::Backend>(first: &B::Device, indices: &[u16]) -> Vec<B::Device> {
    use burn::tensor::backend::{Device, DeviceId};
    let kind = first.to_id().type_id;
    indices.iter().map(|&index_id| <B::Device as Device>::from_id(DeviceId { type_id: kind, index_id })).collect()
}

/// The checkpoint to resume from, checked against this run before anything is built.
fn resume_point(exp: &Experiment, out: &std::path::Path, stage: Stage) -> Result<(Checkpoint, TrainingState)> {
    let f = &exp.file;
    run_dir::check_resume(out, exp)?;
    let Some(ck) = checkpoint::latest(out)? else {
        return Err(TrainError::Resume {
            path: out.to_path_buf(),
            message: format!("no complete checkpoint in {}", checkpoint::learner_dir(out).display()),
        });
    };
    let state = checkpoint::read_state(&ck.state)?;
    let refuse = |message: String| TrainError::Resume { path: out.to_path_buf(), message };
    if state.stage != u8::from(stage) {
        return Err(refuse(format!(
            "{} is a stage-{} checkpoint, the experiment is stage {}",
            ck.state.display(),
            state.stage,
            u8::from(stage)
        )));
    }
    if state.seed != f.manual_seed {
        return Err(refuse(format!(
            "{} has manual_seed {}, the experiment {}",
            ck.state.display(),
            state.seed,
            f.manual_seed
        )));
    }
    if state.iteration > f.train.total_iter {
        return Err(refuse(format!(
            "{} is at iteration {}, past this run's total_iter {} (give --iterations of at least {})",
            ck.state.display(),
            state.iteration,
            f.train.total_iter,
            state.iteration
        )));
    }
    Ok((ck, state))
}

/// Loads a checkpoint's records once before the `Learner` does (it panics on a
/// bad record), and refuses one whose tensors do not fit this configuration,
/// naming the first tensor that differs.
fn check_records<B, M>(ck: &Checkpoint, state: &TrainingState, model: &M, device: &B::Device) -> Result<()>
where
    B: AutodiffBackend,
    M: StageModule<B>,
{
    let recorder = AtomicRecorder::new();
    let bad = |path: &PathBuf, e: burn::record::RecorderError| TrainError::Checkpoint {
        path: path.clone(),
        message: format!("cannot be read as this configuration's record: {e}"),
    };
    let record: M::Record = Recorder::<B>::load(&recorder, ck.model.clone(), device).map_err(|e| bad(&ck.model, e))?;
    let loaded = model.clone().load_record(record);
    let ours = named_parameters::<B, M>(model, false);
    let theirs = named_parameters::<B, M>(&loaded, false);
    for (i, (name, data)) in ours.iter().enumerate() {
        let Some((other, saved)) = theirs.get(i) else {
            return Err(TrainError::Resume {
                path: ck.model.clone(),
                message: format!("the checkpoint lacks tensor {name}"),
            });
        };
        if other != name || saved.shape != data.shape {
            return Err(TrainError::Resume {
                path: ck.model.clone(),
                message: format!(
                    "tensor {name} has shape {:?} in this configuration, the checkpoint has {other} with shape {:?}",
                    data.shape.to_vec(),
                    saved.shape.to_vec()
                ),
            });
        }
    }
    let served: usize =
        Recorder::<B>::load(&recorder, ck.scheduler.clone(), device).map_err(|e| bad(&ck.scheduler, e))?;
    if served as u64 != state.iteration {
        return Err(TrainError::Checkpoint {
            path: ck.scheduler.clone(),
            message: format!("the schedule served {served} steps, the state says iteration {}", state.iteration),
        });
    }
    Ok(())
}

fn run<B: AutodiffBackend, M: StageModule<B>>(
    exp: &Experiment,
    opts: &RunOptions,
    devices: &[B::Device],
) -> Result<TrainSummary> {
    let started = Instant::now();
    let exp = effective(exp, opts)?;
    let f = &exp.file;
    let device = devices.first().cloned().ok_or_else(|| TrainError::Unsupported("no device given".into()))?;
    let parts = devices.len();
    let out = opts.out.clone();

    if !opts.resume && run_dir::is_used(&out)? {
        return Err(TrainError::OutputNotEmpty(out));
    }
    // Data first (every pair opened, headers decoded, sizes checked), so that a
    // data error names its file before the first step and leaves no run folder.
    let root = prepare_data_root(f, opts.data_root.as_deref())?;
    let schedule = exp.schedule();
    let sampler = Arc::new(open_train(f, &schedule, &root, parts)?);
    let val_set = Arc::new(ValSet::open(f, &root)?);

    let resume_from = if opts.resume {
        Some(resume_point(&exp, &out, M::STAGE)?)
    } else {
        run_dir::create(&out, &exp)?;
        None
    };
    let start = resume_from.as_ref().map_or(0, |(_, s)| s.iteration);
    let total = f.train.total_iter;
    let dashboard = crate::progress::dashboard(opts.progress, std::io::stdout().is_terminal());
    // With burn-train's dashboard on the terminal, our own display stays quiet.
    let display = if dashboard { ProgressMode::Quiet } else { opts.progress };
    let progress = TrainDisplay::new(display, &format!("{} s{}", f.name, u8::from(M::STAGE)), start, total);

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
    let tokens = hidiff.net_g_tokens();
    let settings = StepSettings { loss_scale: 1.0 / parts as f64, ..StepSettings::from_experiment(f) };
    let signals = Arc::new(RunSignals::new(Interrupter::new()));
    let hooks = Arc::new(StageHooks {
        signals: Arc::clone(&signals),
        grad_norms: GradNorms::new(start, f.logger.print_freq, total),
        validation: ValidationSink::default(),
    });
    let model = M::build(hidiff, settings).with_hooks(Arc::clone(&hooks));
    if let Some((ck, state)) = &resume_from {
        check_records::<B, M>(ck, state, &model, &device)?;
        progress.line(&format!("resuming from {} (iteration {})", ck.state.display(), state.iteration));
    }
    let optim = adamw_config(&f.train.optim_total).init::<B, M>();
    let scheduler = CosineRestartCyclicLr::from_options(f.train.optim_total.lr, &f.train.scheduler);

    let log = MetricsLog::open(&out, resume_from.as_ref().map(|(_, s)| s.iteration))?;
    let run_log = Arc::new(RunLog::new(log, progress, resume_from.as_ref().and_then(|(_, s)| s.best)));
    if start == 0 && f.val.val_at_start {
        let valid = model.valid();
        let inner_device = valid.devices().into_iter().next().unwrap_or_default();
        let r = validate::<B::InnerBackend, _>(&valid, &val_set, &inner_device)?;
        run_log.validation(ValRecord { iter: 0, val_psnr: r.psnr, val_l1: r.l1, images: r.images })?;
    }

    let plan = EpochPlan {
        first_epoch: resume_from.as_ref().map_or(1, |(ck, _)| ck.epoch + 1),
        start_iteration: start,
        val_freq: f.val.val_freq.max(1),
        total,
    };
    if plan.epochs() > 0 {
        let batcher = TrainBatcher { stage: M::STAGE, seed: f.manual_seed, tokens };
        let train_loader = EpochLoader::<B>::build(sampler, plan, parts, batcher, Arc::clone(&signals), &device);
        let inner_device = model.valid().devices().into_iter().next().unwrap_or_default();
        let valid_loader = val_loader::<B::InnerBackend>(val_set, Arc::clone(&signals), &inner_device);
        let saved = checkpoint::list(&out)?.into_iter().map(|c| c.epoch).collect();
        let strategy = EpochEnd::<B, M>::new(
            out.clone(),
            Arc::clone(&run_log),
            Arc::clone(&hooks),
            plan,
            exp.model.clone(),
            f.manual_seed,
            f.logger.save_checkpoint_freq,
            f.logger.keep_checkpoints,
            saved,
        );
        let execution = if parts > 1 {
            ExecutionStrategy::multi(devices.to_vec(), MultiDeviceOptim::OptimMainDevice)
        } else {
            ExecutionStrategy::single(device.clone())
        };
        let training = SupervisedTraining::new(checkpoint::learner_dir(&out), train_loader, valid_loader)
            .with_file_checkpointer(AtomicRecorder::new())
            .with_checkpointing_strategy(strategy)
            .with_metric_logger(FileMetricLogger::new(out.join(run_dir::BURN_LOGS)));
        #[cfg(feature = "tui")]
        let training = if dashboard {
            training.renderer(burn::train::renderer::tui::TuiMetricsRendererWrapper::new(
                signals.interrupter(),
                resume_from.as_ref().map(|(ck, _)| ck.epoch),
            ))
        } else {
            training.renderer(Silent)
        };
        #[cfg(not(feature = "tui"))]
        let training = training.renderer(Silent);
        let mut training = training
            .with_application_logger(None)
            .with_interrupter(signals.interrupter())
            .with_training_strategy(execution.into())
            .metric_train(TrainLog::<B>::new(Arc::clone(&run_log), Arc::clone(&hooks), plan, parts))
            .metric_train_numeric(LossMetric::<B>::new())
            .metric_train_numeric(LearningRateMetric::new())
            .metric_train_numeric(IterationSpeedMetric::new())
            .metric_valid_numeric(ValPsnr::default())
            .num_epochs(plan.last_epoch());
        if let Some((ck, _)) = &resume_from {
            training = training.checkpoint(ck.epoch);
        }
        let _result = training.launch(Learner::new(model, optim, scheduler));
    }
    run_log.progress.finish();
    if let Some(e) = signals.take() {
        return Err(e);
    }
    if signals.interrupter().should_stop() {
        return Err(TrainError::Checkpoint {
            path: checkpoint::learner_dir(&out),
            message: signals.interrupter().get_message().unwrap_or_else(|| "training was interrupted".into()),
        });
    }
    let train_log = std::mem::take(&mut *run_log.train.lock().unwrap_or_else(|e| e.into_inner()));
    let validations = std::mem::take(&mut *run_log.val.lock().unwrap_or_else(|e| e.into_inner()));
    let best = *run_log.best.lock().unwrap_or_else(|e| e.into_inner());
    let latest = checkpoint::latest(&out)?;
    let end_iteration = latest.as_ref().map_or(start, |c| c.iteration.max(start));
    // burn-train's dashboard resets the interrupter when the run ends, so a stop
    // from it is seen here: the last epoch always writes a checkpoint.
    if end_iteration < total {
        let what = match latest {
            Some(c) => format!(
                "the last checkpoint is at iteration {} of {total}; `hidiff train --resume` with the same --out \
                 continues from it",
                c.iteration
            ),
            None => format!(
                "it stopped before its first checkpoint, so there is nothing to resume; run it again with \
                 another --out (this one holds only its logs) [{end_iteration} of {total} iterations]"
            ),
        };
        return Err(TrainError::Stopped { out, what });
    }
    Ok(TrainSummary {
        stage: M::STAGE,
        start_iteration: start,
        end_iteration,
        train_log,
        validations,
        best,
        seconds: started.elapsed().as_secs_f64(),
        out,
    })
}
