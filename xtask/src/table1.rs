//! Table 1 (the ablation of the prior and of the diffusion) and Figure 3 (PSNR
//! against the number of diffusion steps T), measured: every variant trained with
//! several seeds, scored per image on the in-distribution (`test`) and the
//! shifted-blur (`test_shift`) synthetic sets, summarised as mean ± standard
//! deviation over seeds and as paired per-image differences to the `no-prior`
//! model with a 95 % confidence interval; the blurry input and the oracle prior
//! (the stage-1 encoder that sees the sharp image) as reference rows.
//!
//! The paired difference of variant A to B on a set pools every (seed, image)
//! pair: `d = PSNR_A(seed, image) − PSNR_B(seed, image)`, mean and Student-t
//! interval over those `seeds × images` values ([`crate::stats::Delta`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use hidiff_report::{FolderScores, TestReport};
use serde::{Deserialize, Serialize};

use crate::args;
use crate::plot::{log2_errorbar_plot, ErrorSeries, RefLine};
use crate::pool::train_all;
use crate::profile::Settings;
use crate::report::{hardware, write_atomic, Provenance, Table};
use crate::reproduce::{describe, folder_metrics, info, table1_variants, test, Ctx};
use crate::stage::{preset_info, train_stage, train_variant, Variant};
use crate::stats::{mean, std_dev, Delta, Verdict};

/// The two synthetic test sets: `(folder, label)`.
pub const SETS: [(&str, &str); 2] = [("test", "in-distribution blur"), ("test_shift", "shifted blur")];

/// The name of the oracle row.
pub const ORACLE: &str = "oracle-prior";

/// PSNR and SSIM of one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedScore {
    pub seed: u64,
    pub psnr: f64,
    pub ssim: f64,
}

/// Mean and sample standard deviation over seeds of the set means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetStats {
    pub psnr_mean: f64,
    pub psnr_std: f64,
    pub ssim_mean: f64,
    pub ssim_std: f64,
    pub per_seed: Vec<SeedScore>,
}

/// Mean PSNR and SSIM (the blurry input: no seed involved).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PsnrSsim {
    pub psnr: f64,
    pub ssim: f64,
}

/// One value per test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerSet<T> {
    pub test: T,
    pub test_shift: T,
}

/// A row of table 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `no-prior`, `single-scale`, `hierarchical-no-diffusion`, `hierarchical` or `oracle-prior`.
    pub variant: String,
    /// Parameters used at test time (the oracle: `net_g + net_le`).
    pub params: usize,
    /// GFLOPs of one 256×256 image at test time.
    pub gflops_256: f64,
    pub test: SetStats,
    pub test_shift: SetStats,
    /// Paired difference to `no-prior` (`null` for `no-prior` itself).
    pub vs_no_prior: Option<PerSet<Delta>>,
}

/// A paper claim checked on our numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What the paper says.
    pub claim: String,
    /// `a − b` on each set.
    pub a: String,
    pub b: String,
    pub delta: PerSet<Delta>,
    /// Whether it holds at this budget.
    pub holds: bool,
    /// The sentence under the table.
    pub text: String,
}

/// The training budget, as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub iters_s1: u64,
    pub iters_s2: u64,
    pub patch: u64,
    pub batch: u64,
    pub lr: f64,
    pub train_pairs: u64,
    pub test_pairs: u64,
}

impl Budget {
    fn of(s: &Settings) -> Self {
        Self {
            iters_s1: s.iters_s1,
            iters_s2: s.iters_s2,
            patch: s.patch,
            batch: s.batch,
            lr: s.lr,
            train_pairs: s.data.train,
            test_pairs: s.data.test,
        }
    }
}

/// `results/table1.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1Json {
    pub profile: String,
    pub seeds: Vec<u64>,
    pub wall_s: f64,
    pub budget: Budget,
    /// The blurry input scored with the same protocol.
    pub input: PerSet<PsnrSsim>,
    pub rows: Vec<Row>,
    /// The paper's orderings checked on these numbers.
    pub findings: Vec<Finding>,
    pub provenance: Provenance,
}

/// One T of figure 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig3Point {
    #[serde(rename = "T")]
    pub t: u64,
    pub test: SetStats,
    pub test_shift: SetStats,
    pub vs_no_prior: PerSet<Delta>,
}

/// `results/fig3.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig3Json {
    pub profile: String,
    pub seeds: Vec<u64>,
    pub wall_s: f64,
    pub budget: Budget,
    pub input: PerSet<PsnrSsim>,
    pub no_prior: PerSet<SetStats>,
    pub points: Vec<Fig3Point>,
    pub provenance: Provenance,
}

/// A variant's test reports: per set, one per seed (in seed order).
struct Measured {
    params: usize,
    gflops_256: f64,
    reports: PerSet<Vec<(u64, TestReport)>>,
}

impl Measured {
    fn set(&self, set: &str) -> &[(u64, TestReport)] {
        if set == "test" {
            &self.reports.test
        } else {
            &self.reports.test_shift
        }
    }

    fn stats(&self, set: &str) -> SetStats {
        let per_seed: Vec<SeedScore> = self
            .set(set)
            .iter()
            .map(|(seed, r)| SeedScore { seed: *seed, psnr: r.paper.psnr, ssim: r.paper.ssim })
            .collect();
        let p: Vec<f64> = per_seed.iter().map(|s| s.psnr).collect();
        let q: Vec<f64> = per_seed.iter().map(|s| s.ssim).collect();
        SetStats { psnr_mean: mean(&p), psnr_std: std_dev(&p), ssim_mean: mean(&q), ssim_std: std_dev(&q), per_seed }
    }

    /// Per-image PSNRs of every seed, concatenated in seed order, images by name.
    fn per_image(&self, set: &str) -> Result<(Vec<String>, Vec<f64>)> {
        let mut names = Vec::new();
        let mut values = Vec::new();
        for (seed, r) in self.set(set) {
            for img in &r.images {
                let s = img.paper.as_ref().with_context(|| {
                    format!("{}: the paper protocol failed on {} (seed {seed}): {:?}", r.set, img.name, img.error)
                })?;
                names.push(format!("{seed}/{}", img.name));
                values.push(s.psnr);
            }
        }
        Ok((names, values))
    }
}

/// The paired difference `a − b` on `set`, checking that the pairs match.
fn paired(a: &Measured, b: &Measured, set: &str) -> Result<Delta> {
    let ((na, va), (nb, vb)) = (a.per_image(set)?, b.per_image(set)?);
    if na != nb {
        bail!("{set}: the two models were not scored on the same seeds and images");
    }
    Delta::paired(&va, &vb).with_context(|| format!("{set}: fewer than two paired images"))
}

/// `a − input` on `set`: the input's per-image PSNR repeated for every seed of `a`.
fn paired_input(a: &Measured, input: &BTreeMap<String, FolderScores>, set: &str) -> Result<Delta> {
    let (names, va) = a.per_image(set)?;
    let scores = &input[set];
    let by_name: BTreeMap<&str, f64> = scores
        .images
        .iter()
        .map(|i| (Path::new(&i.pred).file_name().and_then(|f| f.to_str()).unwrap_or(&i.pred), i.psnr))
        .collect();
    let vb = names
        .iter()
        .map(|n| {
            let image = n.split_once('/').map_or(n.as_str(), |(_, i)| i);
            by_name.get(image).copied().with_context(|| format!("{set}: no input score for {image}"))
        })
        .collect::<Result<Vec<f64>>>()?;
    Delta::paired(&va, &vb).with_context(|| format!("{set}: fewer than two paired images"))
}

/// Tests `weights` on both sets with `seed` (`oracle`: `--oracle-prior`), reusing a
/// finished test of the same weights.
fn test_both(ctx: &Ctx, weights: &Path, key: &str, seed: u64, oracle: bool) -> Result<PerSet<TestReport>> {
    let synth = ctx.ensure_synthetic()?;
    let mut extra = args!["--seed", seed];
    if oracle {
        extra.push("--oracle-prior".into());
    }
    let one = |set: &str| -> Result<TestReport> {
        let out = ctx.runs.join(format!("test-{key}")).join(set);
        let json = out.join("results.json");
        if let Ok(r) = hidiff_report::from_file::<TestReport>(&json) {
            if r.seed == seed && r.oracle_prior == oracle {
                return Ok(r);
            }
        }
        test(ctx, weights, &extra, &synth.join(set).display().to_string(), &out)
    };
    Ok(PerSet { test: one("test")?, test_shift: one("test_shift")? })
}

/// Trains (or reuses) and tests a variant for every seed; the oracle row when `oracle`.
fn measure(ctx: &Ctx, v: &Variant, seeds: &[u64], oracle: bool, progress: &mut StepClock) -> Result<Measured> {
    let mut reports = PerSet { test: Vec::new(), test_shift: Vec::new() };
    let mut cost = None;
    for &seed in seeds {
        progress.step(&format!("{} seed {seed}", if oracle { ORACLE } else { &v.name }));
        let weights = if oracle { train_stage(ctx, v, 1, seed, None)? } else { train_variant(ctx, v, seed)?.0 };
        if cost.is_none() {
            let inf = info(ctx, &weights.weights())?;
            cost = Some(if oracle {
                (inf.parameters_stage1, 2.0 * (inf.gmac.net_g + inf.gmac.net_le))
            } else {
                (inf.parameters_inference, inf.gflops_inference)
            });
        }
        let name = if oracle { ORACLE } else { &v.name };
        let key = format!("{name}-seed{seed}-{}", &weights.hash[..12]);
        let r = test_both(ctx, &weights.weights(), &key, seed, oracle)?;
        reports.test.push((seed, r.test));
        reports.test_shift.push((seed, r.test_shift));
    }
    let (params, gflops_256) = cost.context("no seeds")?;
    Ok(Measured { params, gflops_256, reports })
}

/// Elapsed time and an estimate of what is left, printed per step.
struct StepClock {
    start: Instant,
    done: usize,
    total: usize,
}

impl StepClock {
    fn step(&mut self, what: &str) {
        let el = self.start.elapsed().as_secs_f64();
        let eta = if self.done > 0 {
            format!(", about {:.0} s left", el / self.done as f64 * (self.total - self.done) as f64)
        } else {
            String::new()
        };
        self.done += 1;
        eprintln!("[xtask] {}/{}: {what} ({el:.0} s elapsed{eta})", self.done, self.total);
    }
}

/// The blurry input scored per image on both sets.
fn input_scores(ctx: &Ctx) -> Result<(BTreeMap<String, FolderScores>, PerSet<PsnrSsim>)> {
    let synth = ctx.ensure_synthetic()?;
    let mut m = BTreeMap::new();
    for (set, _) in SETS {
        let d = synth.join(set);
        m.insert(set.to_string(), folder_metrics(ctx, "gopro", &d.join("target"), &d.join("input"))?);
    }
    let ps = |s: &str| PsnrSsim { psnr: m[s].mean.psnr, ssim: m[s].mean.ssim };
    let summary = PerSet { test: ps("test"), test_shift: ps("test_shift") };
    Ok((m, summary))
}

fn pm(s: &SetStats) -> String {
    format!("{:.2} ± {:.2}", s.psnr_mean, s.psnr_std)
}

fn pm_ssim(s: &SetStats) -> String {
    format!("{:.4} ± {:.4}", s.ssim_mean, s.ssim_std)
}

fn verdict_words(d: &Delta) -> &'static str {
    match d.verdict() {
        Verdict::Higher => "above zero",
        Verdict::Lower => "below zero",
        Verdict::Unclear => "not distinguishable from zero",
    }
}

fn finding(claim: &str, a: &str, b: &str, delta: PerSet<Delta>, holds: bool, detail: String) -> Finding {
    let reversed = [&delta.test, &delta.test_shift].iter().any(|d| d.verdict() == Verdict::Lower);
    let verdict = match (holds, reversed) {
        (true, _) => "**holds**",
        (false, true) => "**does not hold** (a difference below zero)",
        (false, false) => "**is not shown** (no difference distinguishable from zero where it is claimed)",
    };
    let text = format!("{claim}: {verdict} at this budget. {detail}");
    Finding { claim: claim.into(), a: a.into(), b: b.into(), delta, holds, text }
}

fn both(d: &PerSet<Delta>) -> String {
    format!(
        "in distribution {} dB ({}), shifted blur {} dB ({})",
        d.test.cell(),
        verdict_words(&d.test),
        d.test_shift.cell(),
        verdict_words(&d.test_shift)
    )
}

/// The paper's orderings and the learning goal, checked on the measured numbers.
fn findings(m: &BTreeMap<String, Measured>, input: &BTreeMap<String, FolderScores>) -> Result<Vec<Finding>> {
    let get = |n: &str| m.get(n).with_context(|| format!("variant {n} was not measured"));
    let d = |a: &str, b: &str| -> Result<PerSet<Delta>> {
        Ok(PerSet { test: paired(get(a)?, get(b)?, "test")?, test_shift: paired(get(a)?, get(b)?, "test_shift")? })
    };
    let mut out = Vec::new();

    let hier = get("hierarchical")?;
    let vs_input =
        PerSet { test: paired_input(hier, input, "test")?, test_shift: paired_input(hier, input, "test_shift")? };
    let goal = vs_input.test.delta_psnr >= 2.0 && vs_input.test.verdict() == Verdict::Higher;
    let claim = "The full model beats the blurry input by at least 2 dB on the in-distribution set (this project's \
                 learning goal)";
    let mut f = finding(claim, "hierarchical", "blurry input", vs_input.clone(), goal, String::new());
    f.text = format!(
        "{claim}: **{}** at this budget. hierarchical − input: {}.",
        if goal { "met" } else { "not met" },
        both(&vs_input)
    );
    out.push(f);

    let prior = d("hierarchical", "no-prior")?;
    let holds = prior.test.verdict() == Verdict::Higher && prior.test_shift.verdict() == Verdict::Higher;
    out.push(finding(
        "A prior helps (paper: HI-Diff beats the Transformer without prior)",
        "hierarchical",
        "no-prior",
        prior.clone(),
        holds,
        format!("hierarchical − no-prior: {}.", both(&prior)),
    ));

    let diff = d("hierarchical", "hierarchical-no-diffusion")?;
    let holds = diff.test.verdict() == Verdict::Higher && diff.test_shift.verdict() == Verdict::Higher;
    out.push(finding(
        "The diffusion prior helps (paper: the diffused prior beats the prior of LE_DM alone)",
        "hierarchical",
        "hierarchical-no-diffusion",
        diff.clone(),
        holds,
        format!("hierarchical − hierarchical-no-diffusion: {}.", both(&diff)),
    ));

    let hs = d("hierarchical", "single-scale")?;
    let holds = hs.test_shift.verdict() == Verdict::Higher && hs.test_shift.delta_psnr > hs.test.delta_psnr;
    out.push(finding(
        "Hierarchical integration helps most on the shifted blur (paper: its gain over a single-scale prior is \
         largest where the blur differs from training)",
        "hierarchical",
        "single-scale",
        hs.clone(),
        holds,
        format!(
            "hierarchical − single-scale: {}; the gain is {} on the shifted blur than in distribution.",
            both(&hs),
            if hs.test_shift.delta_psnr > hs.test.delta_psnr { "larger" } else { "not larger" }
        ),
    ));

    if m.contains_key(ORACLE) {
        let o = d(ORACLE, "no-prior")?;
        let h = d("hierarchical", "no-prior")?;
        let share = |h: &Delta, o: &Delta| {
            if o.delta_psnr > 0.0 {
                format!("{:.0} %", 100.0 * h.delta_psnr / o.delta_psnr)
            } else {
                "n/a (the oracle does not beat no-prior)".into()
            }
        };
        let holds = o.test.verdict() == Verdict::Higher;
        out.push(finding(
            "The prior can carry information at this budget (the oracle prior, from the sharp image, beats no prior)",
            ORACLE,
            "no-prior",
            o.clone(),
            holds,
            format!(
                "oracle − no-prior: {}. The full model recovers {} (in distribution) and {} (shifted) of the oracle's gain.",
                both(&o),
                share(&h.test, &o.test),
                share(&h.test_shift, &o.test_shift)
            ),
        ));
    }
    Ok(out)
}

fn provenance(ctx: &Ctx, s: &Settings, start: Instant, extra: Vec<String>) -> Provenance {
    let (trained, reused) = crate::stage::stage_counts();
    let mut notes = vec![
        format!(
            "training stages: {trained} trained by this run, {reused} uses of finished ones (a shared stage 1 counts \
             once per variant; their time is not in the wall time, and their finished tests are reused too)"
        ),
        format!(
            "model preset `quick` (not the paper size); stage 1 {} iterations, stage 2 {}, patch {}, batch {}, lr {} \
             (one cosine cycle), seeds {:?}",
            s.iters_s1, s.iters_s2, s.patch, s.batch, s.lr, s.seeds
        ),
        "PSNR/SSIM with the MATLAB GoPro/HIDE protocol (3-D SSIM) on 8-bit outputs; the diffusion noise of the test is \
         seeded with the training seed"
            .into(),
        "± is the sample standard deviation over seeds of the per-seed set means; Δ is the paired per-image PSNR \
         difference to no-prior pooled over seeds × images, with its 95 % Student-t interval; ▲/▼ mark intervals \
         that exclude zero"
            .into(),
    ];
    notes.extend(extra);
    Provenance {
        profile: ctx.profile.name().into(),
        data: format!(
            "synthetic stand-ins in {} ({} training pairs; in-distribution test/ and shifted-blur test_shift/ with {} \
             pairs each); not GoPro/RealBlur",
            ctx.synthetic().display(),
            s.data.train,
            s.data.test
        ),
        device: ctx.device(),
        hardware: hardware(),
        wall_time_s: start.elapsed().as_secs_f64(),
        notes,
    }
}

fn provenance_md(p: &Provenance) -> String {
    let mut md = format!(
        "\n- profile: **{}**\n- data: {}\n- device: {}\n- hardware: {}\n- wall time: {:.0} s\n",
        p.profile, p.data, p.device, p.hardware, p.wall_time_s
    );
    for n in &p.notes {
        md.push_str(&format!("- {n}\n"));
    }
    md
}

fn write_results<T: Serialize>(ctx: &Ctx, name: &str, md: &str, json: &T) -> Result<()> {
    std::fs::create_dir_all(&ctx.results).with_context(|| format!("creating {}", ctx.results.display()))?;
    let (md_path, json_path) = (ctx.results.join(format!("{name}.md")), ctx.results.join(format!("{name}.json")));
    write_atomic(&md_path, md.as_bytes())?;
    write_atomic(&json_path, serde_json::to_string_pretty(json)?.as_bytes())?;
    println!("{md}");
    println!("wrote {} and {}", md_path.display(), json_path.display());
    Ok(())
}

/// Table 1: the ablation of the prior and of the diffusion, with seeds, paired
/// differences, the blurry input and the oracle prior.
pub fn table1(ctx: &Ctx) -> Result<()> {
    let s = ctx.profile.settings()?;
    let start = Instant::now();
    ctx.ensure_synthetic()?;
    let (input, input_summary) = input_scores(ctx)?;
    let variants = table1_variants();
    train_all(ctx, &cross(&variants, &s.seeds))?;
    let mut progress = StepClock { start, done: 0, total: (variants.len() + 1) * s.seeds.len() };
    let mut measured = BTreeMap::new();
    for v in &variants {
        measured.insert(v.name.clone(), measure(ctx, v, &s.seeds, false, &mut progress)?);
    }
    let hier = variants.iter().find(|v| v.name == "hierarchical").context("the hierarchical variant")?;
    measured.insert(ORACLE.to_string(), measure(ctx, hier, &s.seeds, true, &mut progress)?);

    let base = &measured["no-prior"];
    let mut rows = Vec::new();
    let mut table = Table::new(&[
        "variant",
        "prior",
        "diffusion",
        "params",
        "GFLOPs (256²)",
        "in-distr. PSNR",
        "in-distr. SSIM",
        "Δ PSNR vs no-prior [95 % CI]",
        "shifted PSNR",
        "shifted SSIM",
        "Δ PSNR vs no-prior [95 % CI]",
    ]);
    let (it, is) = (&input_summary.test, &input_summary.test_shift);
    let dash = || "-".to_string();
    let vs_input_np =
        PerSet { test: paired_input(base, &input, "test")?, test_shift: paired_input(base, &input, "test_shift")? };
    table.push(vec![
        "blurry input".into(),
        dash(),
        dash(),
        dash(),
        dash(),
        format!("{:.2}", it.psnr),
        format!("{:.4}", it.ssim),
        format!("no-prior − input: {}", vs_input_np.test.cell()),
        format!("{:.2}", is.psnr),
        format!("{:.4}", is.ssim),
        format!("no-prior − input: {}", vs_input_np.test_shift.cell()),
    ]);
    let mut names: Vec<String> = variants.iter().map(|v| v.name.clone()).collect();
    names.push(ORACLE.into());
    for name in &names {
        let m = &measured[name];
        let vs = if name == "no-prior" {
            None
        } else {
            Some(PerSet { test: paired(m, base, "test")?, test_shift: paired(m, base, "test_shift")? })
        };
        let (prior, diffusion) = match variants.iter().find(|v| &v.name == name) {
            Some(v) => describe(v),
            None => ("hierarchical, from LE(sharp, blurry)".into(), "- (stage-1 prior)".into()),
        };
        let (ts, ss) = (m.stats("test"), m.stats("test_shift"));
        table.push(vec![
            name.clone(),
            prior,
            diffusion,
            m.params.to_string(),
            format!("{:.2}", m.gflops_256),
            pm(&ts),
            pm_ssim(&ts),
            vs.as_ref().map_or("(baseline)".into(), |d| d.test.cell()),
            pm(&ss),
            pm_ssim(&ss),
            vs.as_ref().map_or("(baseline)".into(), |d| d.test_shift.cell()),
        ]);
        rows.push(Row {
            variant: name.clone(),
            params: m.params,
            gflops_256: m.gflops_256,
            test: ts,
            test_shift: ss,
            vs_no_prior: vs,
        });
    }
    let found = findings(&measured, &input)?;
    let prov = provenance(
        ctx,
        &s,
        start,
        vec![
            "the oracle row is the stage-1 model with the prior of the encoder that sees the sharp image (`hidiff test \
             --oracle-prior`): an upper bound of what a prior carries here, not a deblurring result"
                .into(),
            "the variants are this project's definitions (docs/reproduce.md); the paper's Table 1 values could not be \
             retrieved, so only ours are shown"
                .into(),
        ],
    );
    let mut md =
        format!("# Table 1 — ablation: diffusion prior and hierarchical integration\n\n{}\n", table.markdown());
    md.push_str("\n## What these numbers say\n\n");
    for f in &found {
        md.push_str(&format!("- {}\n", f.text));
    }
    md.push_str(&provenance_md(&prov));
    let json = Table1Json {
        profile: ctx.profile.name().into(),
        seeds: s.seeds.clone(),
        wall_s: start.elapsed().as_secs_f64(),
        budget: Budget::of(&s),
        input: input_summary,
        rows,
        findings: found,
        provenance: prov,
    };
    write_results(ctx, "table1", &md, &json)
}

/// The variant of Figure 3's point `t`: the preset's own T is table 1's
/// `hierarchical` model (its runs are reused), the others retrain stage 2 with `t` steps.
fn fig3_variant(t: u64, preset_t: u64) -> Result<Variant> {
    if t == preset_t {
        return table1_variants().pop().context("the hierarchical variant");
    }
    Ok(Variant {
        name: format!("T{t}"),
        prior_mode: Some("hierarchical".into()),
        timesteps: Some(t),
        ..Default::default()
    })
}

/// Every variant with every seed.
fn cross(variants: &[Variant], seeds: &[u64]) -> Vec<(Variant, u64)> {
    variants.iter().flat_map(|v| seeds.iter().map(move |&s| (v.clone(), s))).collect()
}

/// The T values of figure 3 for a profile.
pub fn fig3_steps(ctx: &Ctx) -> Vec<u64> {
    if ctx.profile == crate::profile::Profile::Smoke {
        vec![1, 2]
    } else {
        vec![1, 2, 4, 8, 16, 32]
    }
}

/// Figure 3: PSNR against the number of diffusion steps T (stage 2 retrained per
/// T from the shared stage 1; the preset's T is table 1's `hierarchical` run), with the seed spread as error bars and the blurry
/// input and the no-prior model as reference lines.
pub fn fig3(ctx: &Ctx) -> Result<()> {
    let s = ctx.profile.settings()?;
    let start = Instant::now();
    ctx.ensure_synthetic()?;
    let (input, input_summary) = input_scores(ctx)?;
    let ts = fig3_steps(ctx);
    let mut progress = StepClock { start, done: 0, total: (ts.len() + 1) * s.seeds.len() };
    let no_prior_v = table1_variants().into_iter().next().context("the no-prior variant")?;
    let preset_t = preset_info(ctx)?.timesteps as u64;
    let t_variants = ts.iter().map(|&t| fig3_variant(t, preset_t)).collect::<Result<Vec<_>>>()?;
    let mut all = vec![no_prior_v.clone()];
    all.extend(t_variants.iter().cloned());
    train_all(ctx, &cross(&all, &s.seeds))?;
    let base = measure(ctx, &no_prior_v, &s.seeds, false, &mut progress)?;
    let mut points = Vec::new();
    let mut table =
        Table::new(&["T", "in-distr. PSNR", "Δ vs no-prior [95 % CI]", "shifted PSNR", "Δ vs no-prior [95 % CI]"]);
    for (&t, v) in ts.iter().zip(&t_variants) {
        let m = measure(ctx, v, &s.seeds, false, &mut progress)?;
        let vs = PerSet { test: paired(&m, &base, "test")?, test_shift: paired(&m, &base, "test_shift")? };
        let (a, b) = (m.stats("test"), m.stats("test_shift"));
        table.push(vec![t.to_string(), pm(&a), vs.test.cell(), pm(&b), vs.test_shift.cell()]);
        points.push(Fig3Point { t, test: a, test_shift: b, vs_no_prior: vs });
    }
    let no_prior = PerSet { test: base.stats("test"), test_shift: base.stats("test_shift") };
    table.push(vec![
        "no prior".into(),
        pm(&no_prior.test),
        "(baseline)".into(),
        pm(&no_prior.test_shift),
        "(baseline)".into(),
    ]);
    table.push(vec![
        "blurry input".into(),
        format!("{:.2}", input_summary.test.psnr),
        paired_input(&base, &input, "test").map(|d| format!("no-prior − input: {}", d.cell()))?,
        format!("{:.2}", input_summary.test_shift.psnr),
        paired_input(&base, &input, "test_shift").map(|d| format!("no-prior − input: {}", d.cell()))?,
    ]);

    let series: Vec<ErrorSeries> = SETS
        .iter()
        .map(|(set, label)| ErrorSeries {
            label: format!("HI-Diff, {label} (mean ± sd over {} seeds)", s.seeds.len()),
            points: points
                .iter()
                .map(|p| {
                    let st = if *set == "test" { &p.test } else { &p.test_shift };
                    (p.t as f64, st.psnr_mean, st.psnr_std)
                })
                .collect(),
        })
        .collect();
    let refs = vec![
        RefLine { label: "blurry input, in-distribution".into(), y: input_summary.test.psnr, color: 0 },
        RefLine { label: "no prior, in-distribution".into(), y: no_prior.test.psnr_mean, color: 2 },
        RefLine { label: "blurry input, shifted".into(), y: input_summary.test_shift.psnr, color: 1 },
        RefLine { label: "no prior, shifted".into(), y: no_prior.test_shift.psnr_mean, color: 3 },
    ];
    std::fs::create_dir_all(&ctx.results).with_context(|| format!("creating {}", ctx.results.display()))?;
    let (png, svg) = (ctx.results.join("fig3.png"), ctx.results.join("fig3.svg"));
    log2_errorbar_plot(
        &series,
        &refs,
        &format!("PSNR vs diffusion steps T ({} profile)", ctx.profile.name()),
        "diffusion iterations T",
        "PSNR (dB)",
        &png,
        &svg,
    )?;
    let best = |set: &str| {
        points
            .iter()
            .max_by(|a, b| {
                let (x, y) = if set == "test" { (&a.test, &b.test) } else { (&a.test_shift, &b.test_shift) };
                x.psnr_mean.total_cmp(&y.psnr_mean)
            })
            .map_or(0, |p| p.t)
    };
    let distinct = |set: &str| {
        points
            .iter()
            .filter(|p| {
                (if set == "test" { &p.vs_no_prior.test } else { &p.vs_no_prior.test_shift }).verdict()
                    == Verdict::Higher
            })
            .map(|p| p.t.to_string())
            .collect::<Vec<_>>()
    };
    let said = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { format!("T = {}", v.join(", ")) };
    let prov = provenance(ctx, &s, start, vec![]);
    let mut md = format!(
        "# Figure 3 — PSNR against the number of diffusion iterations T\n\n![fig3](fig3.png)\n\n{}\n",
        table.markdown()
    );
    md.push_str(&format!(
        "\n## What these numbers say\n\n- Highest mean PSNR: T = {} in distribution, T = {} on the shifted blur.\n\
         - T values whose gain over no prior is distinguishable from zero (95 % CI above zero): {} in distribution; {} \
         on the shifted blur.\n",
        best("test"),
        best("test_shift"),
        said(distinct("test")),
        said(distinct("test_shift"))
    ));
    md.push_str(&provenance_md(&prov));
    let json = Fig3Json {
        profile: ctx.profile.name().into(),
        seeds: s.seeds.clone(),
        wall_s: start.elapsed().as_secs_f64(),
        budget: Budget::of(&s),
        input: input_summary,
        no_prior,
        points,
        provenance: prov,
    };
    write_results(ctx, "fig3", &md, &json)?;
    println!("wrote {} and {}", png.display(), svg.display());
    Ok(())
}
