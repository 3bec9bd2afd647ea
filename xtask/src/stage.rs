//! Training stages of ablation variants: the experiment file of each stage,
//! derived from `experiments/quick_s{1,2}.toml`, and its reuse keyed by a hash
//! of everything that determines the result (the experiment as written, the
//! resolved model preset, the data set, the stage-1 weights it starts from).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result};

use crate::args;
use crate::profile::Settings;
use crate::reproduce::Ctx;
use crate::runner::workspace_root;

/// The model switches of an ablation variant, as `[model.overrides]` tables.
#[derive(Debug, Clone, Default)]
pub struct Variant {
    pub name: String,
    /// `transformer.prior_mode`.
    pub prior_mode: Option<String>,
    /// `diffusion.enabled`.
    pub diffusion: Option<bool>,
    /// `diffusion.timesteps`.
    pub timesteps: Option<u64>,
    /// Other `section.key = value` overrides.
    pub extra: Vec<(String, String, toml::Value)>,
}

fn set(o: &mut toml::Table, section: &str, key: &str, v: toml::Value) {
    if let toml::Value::Table(t) =
        o.entry(section.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()))
    {
        t.insert(key.to_string(), v);
    }
}

/// Sections whose switches change stage 1 (the others only change stage 2).
const STAGE1_SECTIONS: [&str; 2] = ["transformer", "latent_encoder"];

impl Variant {
    /// Whether the variant has a prior (and so a stage 2).
    pub fn has_prior(&self) -> bool {
        self.prior_mode.as_deref() != Some("none")
    }

    /// The `[model.overrides]` of stage 2 (all switches) or stage 1 (only those
    /// that change stage 1, so that variants differing in stage-2 switches share it).
    fn overrides(&self, stage: u8) -> toml::Table {
        let mut o = toml::Table::new();
        if let Some(p) = &self.prior_mode {
            set(&mut o, "transformer", "prior_mode", toml::Value::String(p.clone()));
        }
        if stage == 2 {
            if let Some(d) = self.diffusion {
                set(&mut o, "diffusion", "enabled", toml::Value::Boolean(d));
            }
            if let Some(t) = self.timesteps {
                set(&mut o, "diffusion", "timesteps", toml::Value::Integer(t as i64));
            }
        }
        for (s, k, v) in &self.extra {
            if stage == 2 || STAGE1_SECTIONS.contains(&s.as_str()) {
                set(&mut o, s, k, v.clone());
            }
        }
        o
    }

    /// A readable name of the stage-1 identity (the hash decides reuse).
    fn stage1_name(&self) -> String {
        let mut k = self.prior_mode.clone().unwrap_or_else(|| "hierarchical".into());
        for (s, key, v) in &self.extra {
            if STAGE1_SECTIONS.contains(&s.as_str()) {
                k.push_str(&format!("-{key}{v}"));
            }
        }
        k.replace(['/', ' ', '"'], "_")
    }
}

/// Stages trained and reused by this process (for the provenance of a table).
static TRAINED: AtomicUsize = AtomicUsize::new(0);
static REUSED: AtomicUsize = AtomicUsize::new(0);

/// `(trained, reused)` stages so far in this process.
pub fn stage_counts() -> (usize, usize) {
    (TRAINED.load(Ordering::Relaxed), REUSED.load(Ordering::Relaxed))
}

/// One trained stage.
#[derive(Debug, Clone)]
pub struct StageRun {
    /// Run folder.
    pub out: PathBuf,
    /// Experiment file written for it.
    pub experiment: PathBuf,
    /// The key of its inputs.
    pub hash: String,
    /// `<variant> stage <n> seed <s>`, for messages.
    pub label: String,
    /// Its training iterations.
    pub iters: u64,
}

impl StageRun {
    /// The final weights.
    pub fn weights(&self) -> PathBuf {
        self.out.join("model_latest.safetensors")
    }
    /// Marker written when the stage finished, holding its hash.
    fn done_marker(&self) -> PathBuf {
        self.out.join("xtask-done")
    }
    /// Whether an interrupted run is there to resume (it has checkpoints).
    pub fn resumes(&self) -> bool {
        self.out.join("checkpoints").is_dir()
    }
    /// Whether a finished run of exactly these inputs is there.
    pub fn is_done(&self) -> bool {
        self.weights().is_file() && std::fs::read_to_string(self.done_marker()).is_ok_and(|s| s.trim() == self.hash)
    }
}

/// FNV-1a, 64 bits: a stable hash (unlike `DefaultHasher`) for run keys.
pub fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separator, so that ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn load_template(name: &str) -> Result<(toml::Table, String)> {
    let path = workspace_root().join("experiments").join(name);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let t = text.parse::<toml::Table>().with_context(|| format!("parsing {}", path.display()))?;
    Ok((t, text))
}

fn table_mut<'a>(t: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    let v = t.entry(key.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !v.is_table() {
        *v = toml::Value::Table(toml::Table::new());
    }
    match v {
        toml::Value::Table(t) => t,
        _ => unreachable!("replaced by a table just above"),
    }
}

fn int(v: u64) -> toml::Value {
    toml::Value::Integer(v as i64)
}

/// The experiment of one stage: the quick template with the variant's switches,
/// the profile's schedule, the seed and the stage-1 weights to start from.
fn experiment(s: &Settings, v: &Variant, stage: u8, seed: u64, init: Option<&Path>) -> Result<toml::Table> {
    let (mut t, _) = load_template(if stage == 1 { "quick_s1.toml" } else { "quick_s2.toml" })?;
    let iters = if stage == 1 { s.iters_s1 } else { s.iters_s2 };
    let name = if stage == 1 { v.stage1_name() } else { v.name.clone() };
    t.insert("name".into(), toml::Value::String(format!("{name}_s{stage}_seed{seed}")));
    t.insert("manual_seed".into(), int(seed));
    table_mut(&mut t, "model").insert("overrides".into(), toml::Value::Table(v.overrides(stage)));
    {
        let train = table_mut(&mut t, "train");
        train.insert("total_iter".into(), int(iters));
        table_mut(train, "optim_total").insert("lr".into(), toml::Value::Float(s.lr));
        let sched = table_mut(train, "scheduler");
        sched.insert("periods".into(), toml::Value::Array(vec![int(iters)]));
        sched.insert("eta_mins".into(), toml::Value::Array(vec![toml::Value::Float(s.lr * 0.01)]));
    }
    {
        let ds = table_mut(&mut t, "datasets");
        let tr = table_mut(ds, "train");
        tr.insert("iters".into(), toml::Value::Array(vec![int(iters)]));
        tr.insert("gt_sizes".into(), toml::Value::Array(vec![int(s.patch)]));
        tr.insert("mini_batch_sizes".into(), toml::Value::Array(vec![int(s.batch)]));
        table_mut(ds, "val").insert("max_pairs".into(), int(s.val_pairs));
    }
    {
        let val = table_mut(&mut t, "val");
        val.insert("val_freq".into(), int(iters));
        val.insert("val_at_start".into(), toml::Value::Boolean(false));
    }
    {
        let logger = table_mut(&mut t, "logger");
        logger.insert("print_freq".into(), int((iters / 10).max(1)));
        logger.insert("save_checkpoint_freq".into(), int(iters.div_ceil(2).max(1)));
    }
    match init {
        Some(w) => {
            let p = table_mut(&mut t, "path");
            let abs = w.canonicalize().unwrap_or_else(|_| w.to_path_buf()).display().to_string();
            p.insert("pretrain_network_g".into(), toml::Value::String(abs.clone()));
            p.insert("pretrain_network_le".into(), toml::Value::String(abs));
        }
        None => {
            t.remove("path");
        }
    }
    Ok(t)
}

/// `hidiff info` of the `quick` model preset the variants are built on.
pub fn preset_info(ctx: &Ctx) -> Result<hidiff_report::InfoReport> {
    ctx.hidiff.json(&args!["info", "--preset", "quick", "--json"], "the output of `hidiff info --preset quick --json`")
}

/// The resolved `quick` model preset as TOML (part of every run key).
pub fn preset_toml(ctx: &Ctx) -> Result<String> {
    Ok(preset_info(ctx)?.model_toml)
}

/// Where a stage's run goes and the key of its inputs, with its experiment file
/// written; nothing is trained. `init`: the stage-1 run a stage 2 starts from.
pub fn plan_stage(ctx: &Ctx, v: &Variant, stage: u8, seed: u64, init: Option<&StageRun>) -> Result<StageRun> {
    let s = ctx.profile.settings()?;
    let exp = experiment(&s, v, stage, seed, init.map(|r| r.weights()).as_deref())?;
    let text = toml::to_string_pretty(&exp)?;
    let synth = ctx.synthetic().join("hidiff-synthetic.json");
    let data_id = std::fs::read(&synth).with_context(|| format!("reading {}", synth.display()))?;
    let preset = preset_toml(ctx)?;
    let parent = init.map_or(String::new(), |r| r.hash.clone());
    let hash = format!("{:016x}", fnv1a64(&[text.as_bytes(), preset.as_bytes(), &data_id, parent.as_bytes()]));
    let name = if stage == 1 { v.stage1_name() } else { v.name.replace(['/', ' '], "_") };
    let out = ctx.runs.join(format!("s{stage}-{name}-seed{seed}-{}", &hash[..12]));
    std::fs::create_dir_all(&ctx.runs).with_context(|| format!("creating {}", ctx.runs.display()))?;
    let experiment = out.with_extension("toml");
    crate::report::write_atomic(&experiment, text.as_bytes())?;
    let label = format!("{} stage {stage} seed {seed}", if stage == 1 { v.stage1_name() } else { v.name.clone() });
    Ok(StageRun { out, experiment, hash, label, iters: if stage == 1 { s.iters_s1 } else { s.iters_s2 } })
}

/// How a stage's `hidiff train` runs.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// `RAYON_NUM_THREADS` of the process (its default, all cores, when `None`).
    pub threads: Option<usize>,
    /// Its output goes to this file (appended) instead of the terminal.
    pub log: Option<PathBuf>,
}

/// Runs folders this process trained (found finished again later, they are not "reused").
fn trained_here() -> &'static Mutex<HashSet<PathBuf>> {
    static SET: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    SET.get_or_init(Default::default)
}

/// Trains a planned stage (resuming an interrupted run) and marks it finished; returns
/// a one-line summary of its validation PSNR and speed.
pub fn run_stage(ctx: &Ctx, run: &StageRun, how: &Launch) -> Result<String> {
    let resume = run.resumes();
    let mut a = args![
        "train",
        "--config",
        run.experiment.display(),
        "--data",
        ctx.data.display(),
        "--out",
        run.out.display(),
        "--device",
        ctx.device()
    ];
    if resume {
        a.push("--resume".into());
    }
    ctx.hidiff.run_with(&a, how.threads, how.log.as_deref())?;
    TRAINED.fetch_add(1, Ordering::Relaxed);
    trained_here().lock().map_err(|_| anyhow::anyhow!("a training thread panicked"))?.insert(run.out.clone());
    // The training log is part of the contract: read it typed, so a renamed field fails here.
    let log = hidiff_report::read_train_log(&run.out.join("metrics.jsonl"))?;
    let summary = match (log.last_val(), log.mean_images_per_s()) {
        (Some(val), Some(speed)) => {
            format!("validation PSNR {:.2} dB after {} iterations, {speed:.1} images/s", val.val_psnr, val.iter)
        }
        _ => "no validation in its log".to_string(),
    };
    crate::report::write_atomic(&run.done_marker(), format!("{}\n", run.hash).as_bytes())?;
    Ok(summary)
}

/// Trains one stage of `v` with `seed` unless a finished run of the same inputs
/// exists; resumes an interrupted one. `init`: the stage-1 run a stage 2 starts from.
pub fn train_stage(ctx: &Ctx, v: &Variant, stage: u8, seed: u64, init: Option<&StageRun>) -> Result<StageRun> {
    let run = plan_stage(ctx, v, stage, seed, init)?;
    if run.is_done() {
        // Trained a moment ago by `crate::pool::train_all`: not a reuse of an earlier run.
        if !trained_here().lock().is_ok_and(|s| s.contains(&run.out)) {
            REUSED.fetch_add(1, Ordering::Relaxed);
            eprintln!("[xtask] {}: reusing {}", run.label, run.out.display());
        }
        return Ok(run);
    }
    let verb = if run.resumes() { "resuming" } else { "training" };
    eprintln!("[xtask] {}: {verb} in {}", run.label, run.out.display());
    let summary = run_stage(ctx, &run, &Launch::default())?;
    eprintln!("[xtask] {}: {summary}", run.label);
    Ok(run)
}

/// Trains a variant with `seed`: stage 1 (shared by every variant with the same
/// stage-1 switches), then stage 2 when it has a prior. Returns the final stage
/// and the stage-1 run.
pub fn train_variant(ctx: &Ctx, v: &Variant, seed: u64) -> Result<(StageRun, StageRun)> {
    let s1 = train_stage(ctx, v, 1, seed, None)?;
    if !v.has_prior() {
        return Ok((s1.clone(), s1));
    }
    let s2 = train_stage(ctx, v, 2, seed, Some(&s1))?;
    Ok((s2, s1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        crate::profile::Profile::Smoke.settings().expect("smoke")
    }

    #[test]
    fn stage1_ignores_stage2_switches_and_stage2_keeps_them() {
        let v = Variant {
            name: "T4".into(),
            prior_mode: Some("hierarchical".into()),
            timesteps: Some(4),
            ..Default::default()
        };
        let s1 = experiment(&settings(), &v, 1, 7, None).expect("stage 1");
        let s2 = experiment(&settings(), &v, 2, 7, Some(Path::new("/w.safetensors"))).expect("stage 2");
        let o1 = &s1["model"]["overrides"];
        assert!(o1.get("diffusion").is_none(), "{o1}");
        assert_eq!(s2["model"]["overrides"]["diffusion"]["timesteps"].as_integer(), Some(4));
        assert_eq!(s1["manual_seed"].as_integer(), Some(7));
        assert_eq!(s2["path"]["pretrain_network_g"].as_str(), Some("/w.safetensors"));
        assert!(s1.get("path").is_none());
        let other = Variant { timesteps: Some(8), ..v.clone() };
        let t1 = toml::to_string(&experiment(&settings(), &other, 1, 7, None).expect("stage 1")).expect("toml");
        assert_eq!(t1, toml::to_string(&s1).expect("toml"), "stage 1 must not depend on T");
    }

    #[test]
    fn fnv_is_stable_and_separates_parts() {
        assert_eq!(fnv1a64(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a64(&[b"ab", b"c"]), fnv1a64(&[b"a", b"bc"]));
        assert_eq!(fnv1a64(&[b"quick"]), fnv1a64(&[b"quick"]));
    }
}
