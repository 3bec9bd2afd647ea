//! The run's side of burn-train's `Learner`: `metrics.jsonl`, progress lines,
//! the validation PSNR metric, and what happens at each epoch end (validation
//! record, `model_best`, checkpoints and `model_latest`).
//!
//! * [`TrainLog`] is a burn-train metric over the training items: on logged
//!   iterations (`print_freq`, the last one) it writes the training line of
//!   `metrics.jsonl` (the mean over the devices' parts, the learning rate from
//!   burn, the pre-clip gradient norm from the stage's hooks) and the progress line.
//! * [`ValPsnr`] is the validation PSNR as a burn-train numeric metric.
//! * [`EpochEnd`] is the `Learner`'s checkpointing strategy: it runs after each
//!   epoch's validation, writes the validation line, exports the best and latest
//!   weights from the validated module, and asks the `Learner` to save (every
//!   `save_checkpoint_freq` iterations and at the end) and to delete checkpoints
//!   beyond `keep_checkpoints`.
//! * [`Silent`] is the renderer: progress is shown by [`TrainDisplay`] (a bar on a
//!   terminal, plain lines otherwise), burn's CLI renderer would print every item.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::backend::Backend;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::state::{FormatOptions, NumericMetricState};
use burn::train::metric::store::EventStoreClient;
use burn::train::metric::{
    Metric, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry, SerializedEntry,
};
use burn::train::renderer::{
    EvaluationName, EvaluationProgress, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining, ProgressType, TrainingProgress,
};
use hidiff_model::ModelConfig;

use crate::checkpoint::{self, Best, TrainingState, FORMAT};
use crate::error::{Result, TrainError};
use crate::hooks::StageHooks;
use crate::metrics_log::{MetricsLog, TrainLogLine, TrainRecord, ValRecord};
use crate::optim::scalar;
use crate::plan::EpochPlan;
use crate::progress::TrainDisplay;
use crate::run_dir::{BEST_WEIGHTS, LATEST_WEIGHTS};
use crate::stage::{HasHiDiff, StageModule};
use crate::step::{PsnrInput, StepOutput};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a session wrote, shared by the metric thread and the training thread.
#[derive(Debug)]
pub struct RunLog {
    log: Mutex<MetricsLog>,
    /// Progress display.
    pub progress: TrainDisplay,
    /// Training lines of this session.
    pub train: Mutex<Vec<TrainRecord>>,
    /// Validation lines of this session.
    pub val: Mutex<Vec<ValRecord>>,
    /// The best validation of the run.
    pub best: Mutex<Option<Best>>,
}

impl RunLog {
    /// A session log appending to `log`.
    pub fn new(log: MetricsLog, progress: TrainDisplay, best: Option<Best>) -> Self {
        Self { log: Mutex::new(log), progress, train: Mutex::default(), val: Mutex::default(), best: Mutex::new(best) }
    }

    /// Appends a validation line (and shows it).
    ///
    /// # Errors
    /// A failed write.
    pub fn validation(&self, rec: ValRecord) -> Result<()> {
        lock(&self.log).append(&TrainLogLine::Val(rec.clone()))?;
        self.progress.val(&rec);
        lock(&self.val).push(rec);
        Ok(())
    }
}

/// Sums of the parts of the iteration being assembled.
#[derive(Debug, Default)]
struct Pending {
    parts: usize,
    loss: f64,
    l_pix: f64,
    l_pix_diff: Option<f64>,
    images: usize,
    patch: usize,
}

#[derive(Debug)]
struct TrainLogState {
    run: Arc<RunLog>,
    hooks: Arc<StageHooks>,
    plan: EpochPlan,
    parts: usize,
    pending: Pending,
    window_images: usize,
    window_start: Instant,
    session_start: Instant,
    done: u64,
    /// What the dashboard shows for this metric: the global iteration.
    shown: String,
}

/// The training lines of `metrics.jsonl`, as a burn-train metric (see the module docs).
#[derive(Debug)]
pub struct TrainLog<B: Backend> {
    state: Arc<Mutex<TrainLogState>>,
    _backend: PhantomData<fn() -> B>,
}

impl<B: Backend> Clone for TrainLog<B> {
    fn clone(&self) -> Self {
        Self { state: Arc::clone(&self.state), _backend: PhantomData }
    }
}

impl<B: Backend> TrainLog<B> {
    /// The log of a session over `parts` devices.
    pub fn new(run: Arc<RunLog>, hooks: Arc<StageHooks>, plan: EpochPlan, parts: usize) -> Self {
        let now = Instant::now();
        let state = TrainLogState {
            run,
            hooks,
            plan,
            parts: parts.max(1),
            pending: Pending::default(),
            window_images: 0,
            window_start: now,
            session_start: now,
            done: 0,
            shown: String::new(),
        };
        Self { state: Arc::new(Mutex::new(state)), _backend: PhantomData }
    }
}

impl TrainLogState {
    fn update<B: Backend>(&mut self, item: &StepOutput<B>, meta: &MetricMetadata) -> Result<()> {
        let epoch = meta.global_progress.items_processed;
        let k = meta.iteration.unwrap_or(1).max(1);
        let (first, _) = self.plan.iterations(epoch);
        let iteration = first + ((k - 1) / self.parts) as u64;
        let logged = self.hooks.grad_norms.is_logged(iteration);
        let global_batch = item.batch * self.parts;
        self.shown = format!("{iteration} of {} (patch {}, batch {global_batch})", self.plan.total, item.patch);
        let p = &mut self.pending;
        p.parts += 1;
        p.images += item.batch;
        p.patch = item.patch;
        if logged {
            p.loss += scalar(item.loss.clone());
            p.l_pix += scalar(item.l_pix.clone());
            if let Some(d) = &item.l_pix_diff {
                *p.l_pix_diff.get_or_insert(0.0) += scalar(d.clone());
            }
        }
        if p.parts < self.parts {
            return Ok(());
        }
        let p = std::mem::take(&mut self.pending);
        self.window_images += p.images;
        self.done += 1;
        self.run.progress.tick(iteration);
        if !logged {
            return Ok(());
        }
        let n = self.parts as f64;
        let loss = p.loss / n;
        if !loss.is_finite() {
            return Err(TrainError::NonFinite { iteration, loss });
        }
        let window = self.window_start.elapsed().as_secs_f64().max(1e-9);
        let rec = TrainRecord {
            iter: iteration,
            loss,
            l_pix: p.l_pix / n,
            l_pix_diff: p.l_pix_diff.map(|d| d / n),
            lr: meta.lr.unwrap_or(f64::NAN),
            grad_norm: self.hooks.grad_norms.take(iteration).unwrap_or(f64::NAN),
            patch: p.patch,
            batch: p.images,
            images_per_s: self.window_images as f64 / window,
        };
        lock(&self.run.log).append(&TrainLogLine::Train(rec.clone()))?;
        let per_iteration = self.session_start.elapsed().as_secs_f64() / self.done as f64;
        self.run.progress.train(&rec, self.plan.total.saturating_sub(iteration) as f64 * per_iteration);
        lock(&self.run.train).push(rec);
        self.window_images = 0;
        self.window_start = Instant::now();
        Ok(())
    }
}

impl<B: Backend> Metric for TrainLog<B> {
    type Input = StepOutput<B>;

    /// The dashboard's line for this metric: the global iteration, with the
    /// progressive patch and batch of the moment.
    fn name(&self) -> MetricName {
        Arc::new("Global iteration".to_string())
    }

    fn update(&mut self, item: &StepOutput<B>, meta: &MetricMetadata) -> SerializedEntry {
        let mut state = lock(&self.state);
        if let Err(e) = state.update(item, meta) {
            state.hooks.signals.fail(e);
        }
        SerializedEntry::new(state.shown.clone(), state.shown.clone())
    }

    fn clear(&mut self) {}
}

/// Validation PSNR (BasicSR, 8-bit outputs) as a burn-train numeric metric.
#[derive(Clone, Default)]
pub struct ValPsnr {
    state: NumericMetricState,
}

impl std::fmt::Debug for ValPsnr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ValPsnr")
    }
}

impl Metric for ValPsnr {
    type Input = PsnrInput;

    fn name(&self) -> MetricName {
        Arc::new("PSNR".to_string())
    }

    fn update(&mut self, item: &PsnrInput, _meta: &MetricMetadata) -> SerializedEntry {
        self.state.update(item.0.unwrap_or(f64::NAN), 1, FormatOptions::new(self.name()).unit("dB").precision(3))
    }

    fn clear(&mut self) {
        self.state.reset();
    }

    fn attributes(&self) -> burn::train::metric::MetricAttributes {
        NumericAttributes { unit: Some("dB".into()), higher_is_better: true }.into()
    }
}

impl Numeric for ValPsnr {
    fn value(&self) -> NumericEntry {
        self.state.current_value()
    }

    fn running_value(&self) -> NumericEntry {
        self.state.running_value()
    }
}

/// The `Learner`'s checkpointing strategy, run after every epoch's validation
/// (see the module docs).
pub struct EpochEnd<B: AutodiffBackend, M: StageModule<B>> {
    run_dir: PathBuf,
    run: Arc<RunLog>,
    hooks: Arc<StageHooks>,
    plan: EpochPlan,
    model_config: ModelConfig,
    seed: u64,
    save_every: u64,
    keep: usize,
    /// Epochs with a checkpoint on disk, oldest first.
    saved: Vec<usize>,
    _types: PhantomData<fn() -> (B, M)>,
}

impl<B: AutodiffBackend, M: StageModule<B>> std::fmt::Debug for EpochEnd<B, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochEnd")
            .field("run_dir", &self.run_dir)
            .field("plan", &self.plan)
            .field("saved", &self.saved)
            .finish_non_exhaustive()
    }
}

impl<B: AutodiffBackend, M: StageModule<B>> EpochEnd<B, M> {
    /// The strategy of a session; `saved` lists the epochs of the checkpoints already on disk.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        run_dir: PathBuf,
        run: Arc<RunLog>,
        hooks: Arc<StageHooks>,
        plan: EpochPlan,
        model_config: ModelConfig,
        seed: u64,
        save_every: u64,
        keep: usize,
        saved: Vec<usize>,
    ) -> Self {
        Self {
            run_dir,
            run,
            hooks,
            plan,
            model_config,
            seed,
            save_every: save_every.max(1),
            keep: keep.max(1),
            saved,
            _types: PhantomData,
        }
    }

    fn finish(&mut self, epoch: usize) -> Result<Vec<CheckpointingAction>> {
        let end = self.plan.end_iteration(epoch);
        let (psnr, l1, images, model) = self.hooks.validation.take();
        let model = model.and_then(|m| m.downcast::<M::InnerModule>().ok());
        self.run.validation(ValRecord { iter: end, val_psnr: psnr, val_l1: l1, images })?;
        let best = {
            let mut best = lock(&self.run.best);
            if images > 0 && best.is_none_or(|b| psnr > b.psnr) {
                *best = Some(Best { psnr, iteration: end });
                if let Some(m) = &model {
                    m.hidiff().save_safetensors(&self.model_config, &self.run_dir.join(BEST_WEIGHTS))?;
                }
            }
            *best
        };
        let (first, _) = self.plan.iterations(epoch);
        let previous = first - 1;
        if end != self.plan.total && end / self.save_every == previous / self.save_every {
            return Ok(vec![]);
        }
        let state =
            TrainingState { format: FORMAT, stage: u8::from(M::STAGE), iteration: end, epoch, seed: self.seed, best };
        checkpoint::write_state(&self.run_dir, &state)?;
        if let Some(m) = &model {
            m.hidiff().save_safetensors(&self.model_config, &self.run_dir.join(LATEST_WEIGHTS))?;
        }
        self.run.progress.line(&format!("checkpoint at iteration {end} (epoch {epoch})"));
        let mut actions = vec![CheckpointingAction::Save];
        self.saved.push(epoch);
        while self.saved.len() > self.keep {
            let old = self.saved.remove(0);
            checkpoint::forget(&self.run_dir, old)?;
            actions.push(CheckpointingAction::Delete(old));
        }
        Ok(actions)
    }
}

impl<B: AutodiffBackend, M: StageModule<B>> CheckpointingStrategy for EpochEnd<B, M> {
    fn checkpointing(&mut self, epoch: usize, _store: &EventStoreClient) -> Vec<CheckpointingAction> {
        if self.hooks.signals.failed() {
            return vec![];
        }
        self.finish(epoch).unwrap_or_else(|e| {
            self.hooks.signals.fail(e);
            vec![]
        })
    }
}

/// A renderer that shows nothing (progress goes through [`TrainDisplay`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl MetricsRendererTraining for Silent {
    fn update_train(&mut self, _state: MetricState) {}
    fn update_valid(&mut self, _state: MetricState) {}
    fn render_train(&mut self, _item: TrainingProgress, _progress: Vec<ProgressType>) {}
    fn render_valid(&mut self, _item: TrainingProgress, _progress: Vec<ProgressType>) {}
    fn on_train_end(
        &mut self,
        _summary: Option<burn::train::LearnerSummary>,
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for Silent {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
    fn render_test(&mut self, _item: EvaluationProgress, _progress: Vec<ProgressType>) {}
}

impl MetricsRenderer for Silent {
    fn manual_close(&mut self) {}
    fn register_metric(&mut self, _definition: burn::train::metric::MetricDefinition) {}
}
