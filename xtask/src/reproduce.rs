//! `cargo xtask reproduce table2|table3` and `cargo xtask ablate`, and what every
//! target shares: the context, the synthetic data set, and typed calls of
//! `hidiff test/info/metrics`. Table 1 and Figure 3 are in [`crate::table1`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use hidiff_report::{FolderScores, InfoReport, TestReport};
use serde_json::json;

use crate::args;
use crate::paper;
use crate::plot::{log2_line_plot, Series};
pub use crate::profile::Profile;
use crate::report::{self, hardware, score, Provenance, Table};
use crate::runner::Hidiff;
use crate::stage::{train_variant, Variant};

/// Everything a reproduction needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub hidiff: Hidiff,
    pub profile: Profile,
    /// Data root (`--data`); the synthetic set lives in `<data>/synthetic`.
    pub data: PathBuf,
    /// Where runs go (`runs/xtask/<profile>`).
    pub runs: PathBuf,
    /// Where tables go (`results`).
    pub results: PathBuf,
    /// Given weights (table2/table3).
    pub weights: Option<PathBuf>,
    /// Whether `--data` was given by the user (real data) or is the synthetic default.
    pub real_data: bool,
    /// Training runs at once (`--jobs`, see [`crate::pool`]).
    pub jobs: usize,
}

impl Ctx {
    /// The synthetic data set's folder.
    pub fn synthetic(&self) -> PathBuf {
        self.data.join("synthetic")
    }

    /// `--device` of the `hidiff` calls.
    pub fn device(&self) -> String {
        self.hidiff.device.clone()
    }

    /// Generates the profile's synthetic data set, again when the profile asks for a
    /// different one than its folder under `runs/` holds (the `prepare` arguments are
    /// kept beside it). A set under the user's `--data` is used as it is.
    pub fn ensure_synthetic(&self) -> Result<PathBuf> {
        let dir = self.synthetic();
        // The paper profile evaluates given weights; its stand-ins are the quick set.
        let d = match self.profile {
            Profile::Paper => Profile::Quick.settings()?.data,
            p => p.settings()?.data,
        };
        let a = args![
            "prepare",
            "synthetic",
            "--out",
            dir.display(),
            "--train",
            d.train,
            "--test",
            d.test,
            "--test-shift",
            d.test,
            "--size",
            d.size,
            "--blur-length",
            d.blur_length,
            "--shift-blur-length",
            d.shift_blur_length
        ];
        let stamp = self.data.join("xtask-prepare-args.txt");
        let wanted = format!("{}\n", a.join(" "));
        let held = std::fs::read_to_string(&stamp).ok();
        let current = self.real_data || held.as_deref() == Some(wanted.as_str());
        if dir.join("hidiff-synthetic.json").is_file() && current {
            return Ok(dir);
        }
        if held.is_some() || dir.exists() {
            let why = "the set there is incomplete or not the profile's";
            eprintln!("[xtask] generating the synthetic data set in {} again: {why}", dir.display());
        } else {
            eprintln!("[xtask] generating the default synthetic data set in {}", dir.display());
        }
        self.hidiff.run(&a)?;
        if !self.real_data {
            crate::report::write_atomic(&stamp, wanted.as_bytes())?;
        }
        Ok(dir)
    }
}

/// `hidiff test` of weights on a folder (`extra`: model options, `--seed`,
/// `--oracle-prior`); returns the typed report.
pub fn test(ctx: &Ctx, weights: &Path, extra: &[String], set: &str, out: &Path) -> Result<TestReport> {
    let json = out.join("results.json");
    let mut a = args![
        "test",
        "--weights",
        weights.display(),
        "--data",
        ctx.data.display(),
        "--set",
        set,
        "--out",
        out.display(),
        "--json",
        json.display(),
        "--device",
        ctx.device()
    ];
    a.extend(extra.iter().cloned());
    ctx.hidiff.run(&a)?;
    Ok(hidiff_report::from_file(&json)?)
}

/// `hidiff metrics --json` over a folder pair with a protocol.
pub fn folder_metrics(ctx: &Ctx, protocol: &str, gt: &Path, pred: &Path) -> Result<FolderScores> {
    ctx.hidiff.json(
        &args!["metrics", "--protocol", protocol, "--gt-dir", gt.display(), "--pred-dir", pred.display(), "--json"],
        "the output of `hidiff metrics --json`",
    )
}

/// `hidiff info --json` of a trained checkpoint.
pub fn info(ctx: &Ctx, weights: &Path) -> Result<InfoReport> {
    ctx.hidiff.json(&args!["info", "--weights", weights.display(), "--json"], "the output of `hidiff info --json`")
}

/// The table-1 variants (see docs/reproduce.md).
pub fn table1_variants() -> Vec<Variant> {
    let v = |name: &str, prior: &str, diffusion: Option<bool>| Variant {
        name: name.into(),
        prior_mode: Some(prior.into()),
        diffusion,
        ..Default::default()
    };
    vec![
        v("no-prior", "none", None),
        v("single-scale", "single-scale", None),
        v("hierarchical-no-diffusion", "hierarchical", Some(false)),
        v("hierarchical", "hierarchical", None),
    ]
}

/// `(prior, diffusion)` columns of a variant.
pub fn describe(v: &Variant) -> (String, String) {
    let prior = v.prior_mode.as_deref().unwrap_or("hierarchical");
    let diffusion = match (prior, v.diffusion) {
        ("none", _) => "-".to_string(),
        (_, Some(false)) => "off (prior = LE_DM)".to_string(),
        _ => format!("on (T = {})", v.timesteps.unwrap_or(8)),
    };
    (prior.to_string(), diffusion)
}

/// Runs a list of variants (first seed of the profile) and tests each on the
/// in-distribution and the shifted-blur synthetic test sets (`cargo xtask ablate`).
pub fn run_variants(ctx: &Ctx, name: &str, title: &str, variants: &[Variant]) -> Result<Vec<(TestReport, TestReport)>> {
    let settings = ctx.profile.settings()?;
    let seed = settings.seeds[0];
    let start = Instant::now();
    let synth = ctx.ensure_synthetic()?;
    let mut table = Table::new(&[
        "variant",
        "prior",
        "diffusion",
        "params",
        "GFLOPs (256²)",
        "in-distribution PSNR / SSIM",
        "shifted blur PSNR / SSIM",
    ]);
    let mut rows = Vec::new();
    let mut out = Vec::new();
    crate::pool::train_all(ctx, &variants.iter().map(|v| (v.clone(), seed)).collect::<Vec<_>>())?;
    for (i, v) in variants.iter().enumerate() {
        eprintln!("[xtask] variant {}/{}: {}", i + 1, variants.len(), v.name);
        let (run, _) = train_variant(ctx, v, seed)?;
        let inf = info(ctx, &run.weights())?;
        let test_out = ctx.runs.join(format!("test-{}-{}", v.name, &run.hash[..12]));
        let seed_arg = args!["--seed", seed];
        let sets = [("test", "test"), ("test_shift", "test_shift")];
        let [a, b] = sets.map(|(folder, sub)| {
            test(ctx, &run.weights(), &seed_arg, &synth.join(folder).display().to_string(), &test_out.join(sub))
        });
        let (a, b) = (a?, b?);
        let (prior, diffusion) = describe(v);
        table.push(vec![
            v.name.clone(),
            prior,
            diffusion,
            inf.parameters_inference.to_string(),
            format!("{:.2}", inf.gflops_inference),
            score(Some((a.paper.psnr, a.paper.ssim))),
            score(Some((b.paper.psnr, b.paper.ssim))),
        ]);
        rows.push(json!({
            "variant": v.name, "params": inf.parameters_inference, "gflops_256": inf.gflops_inference,
            "test": a.paper, "test_shift": b.paper
        }));
        out.push((a, b));
    }
    let prov = Provenance {
        profile: ctx.profile.name().into(),
        data: format!(
            "synthetic stand-ins in {} (in-distribution: test/, shifted blur: test_shift/); not GoPro/RealBlur",
            synth.display()
        ),
        device: ctx.device(),
        hardware: hardware(),
        wall_time_s: start.elapsed().as_secs_f64(),
        notes: vec![
            format!(
                "model preset `quick`; stage 1 {} iterations, stage 2 {}, patch {}, batch {}, lr {}, one seed ({seed}): \
                 no error bars (table1 and fig3 train several)",
                settings.iters_s1, settings.iters_s2, settings.patch, settings.batch, settings.lr
            ),
            "PSNR/SSIM with the MATLAB GoPro/HIDE protocol (3-D SSIM) on 8-bit outputs".into(),
        ],
    };
    report::write(&ctx.results, name, title, &table, &prov, &json!(rows))?;
    Ok(out)
}

/// The model options `hidiff test` needs for given weights: a golden-style folder
/// brings its `small_config.toml`; official release folders need a preset.
fn weights_model_args(weights: &Path, preset: &str) -> Vec<String> {
    if weights.is_dir() && weights.join("small_config.toml").is_file() {
        args!["--config", weights.join("small_config.toml").display()]
    } else if weights.is_dir() {
        args!["--preset", preset]
    } else {
        vec![]
    }
}

/// One column of tables 2 and 3: the (PSNR, SSIM) of our row, the test report,
/// and what was used.
struct Column {
    scores: (f64, f64),
    report: TestReport,
    used: String,
}

/// One test column: real set under `--data` when present, else its synthetic stand-in.
fn column(ctx: &Ctx, weights: &Path, model: &[String], set: &str, out: &Path) -> Result<Column> {
    if ctx.real_data {
        let report = test(ctx, weights, model, set, &out.join(set))?;
        return Ok(Column { scores: (report.paper.psnr, report.paper.ssim), report, used: set.into() });
    }
    // Stand-ins: GoPro/HIDE-like sets use the in-distribution synthetic blur and the
    // MATLAB protocol; RealBlur-like sets the shifted blur and the ECC protocol.
    let synth = ctx.ensure_synthetic()?;
    let realblur = set.starts_with("realblur");
    let folder = synth.join(if realblur { "test_shift" } else { "test" });
    let report = test(ctx, weights, model, &folder.display().to_string(), &out.join(set))?;
    let scores = if realblur {
        let pred = out.join(set).join("visualization").join(&report.set);
        let m = folder_metrics(ctx, "realblur", &folder.join("target"), &pred)?;
        (m.mean.psnr, m.mean.ssim)
    } else {
        (report.paper.psnr, report.paper.ssim)
    };
    let used = format!("synthetic {} (stand-in for {set})", if realblur { "test_shift" } else { "test" });
    Ok(Column { scores, report, used })
}

/// Tables 2 and 3: given weights on the paper's test sets (or stand-ins).
fn comparison(
    ctx: &Ctx,
    name: &str,
    title: &str,
    sets: &[(&str, &str)],
    paper_rows: &[paper::PaperRow],
    preset: &str,
) -> Result<()> {
    let start = Instant::now();
    let mut notes = Vec::new();
    let (weights, model) = match &ctx.weights {
        Some(w) => (w.clone(), weights_model_args(w, preset)),
        None => {
            // No weights given: our own hierarchical model of the profile (table1's first seed).
            let settings = ctx.profile.settings().context("without --weights, table2/table3 train a model")?;
            let v = table1_variants().pop().context("the hierarchical variant")?;
            notes.push(format!(
                "no --weights given: our `{}` hierarchical model trained on the synthetic data (table1's, seed {})",
                ctx.profile.name(),
                settings.seeds[0]
            ));
            (train_variant(ctx, &v, settings.seeds[0])?.0.weights(), vec![])
        }
    };
    let mut header = vec!["method"];
    header.extend(sets.iter().map(|(label, _)| *label));
    let mut table = Table::new(&header);
    for r in paper_rows {
        let mut row = vec![r.method.to_string()];
        row.extend(r.scores.iter().map(|s| score(*s)));
        table.push(row);
    }
    let mut ours = vec![format!("hidiff ({})", weights.display())];
    let mut data = Vec::new();
    for (label, set) in sets {
        let c = column(ctx, &weights, &model, set, &ctx.runs.join(name))?;
        if !c.scores.0.is_finite() || !c.scores.1.is_finite() {
            bail!(
                "{label}: hidiff's score is not a finite number ({:?}); see {}",
                c.scores,
                ctx.runs.join(name).display()
            );
        }
        ours.push(score(Some(c.scores)));
        notes.push(format!("{label}: {}", c.used));
        data.push(json!({"set": label, "used": c.used, "psnr": c.scores.0, "ssim": c.scores.1, "report": c.report}));
    }
    table.push(ours);
    notes.push(
        "protocols: GoPro/HIDE the MATLAB script's PSNR and 3-D SSIM; RealBlur the ECC-aligned masked PSNR/SSIM of \
         evaluate_realblur.py"
            .into(),
    );
    if !ctx.real_data {
        notes.push("synthetic stand-ins: our numbers are not comparable with the paper's columns".into());
    }
    let prov = Provenance {
        profile: ctx.profile.name().into(),
        data: if ctx.real_data { ctx.data.display().to_string() } else { "synthetic stand-ins".into() },
        device: ctx.device(),
        hardware: hardware(),
        wall_time_s: start.elapsed().as_secs_f64(),
        notes,
    };
    report::write(&ctx.results, name, title, &table, &prov, &json!(data))?;
    Ok(())
}

/// Table 2: a GoPro-trained model on GoPro, HIDE, RealBlur-R, RealBlur-J.
pub fn table2(ctx: &Ctx) -> Result<()> {
    let sets: Vec<(&str, &str)> =
        paper::TABLE2_SETS.iter().copied().zip(["gopro", "hide", "realblur-r", "realblur-j"]).collect();
    comparison(ctx, "table2", "Table 2 — trained on GoPro (PSNR / SSIM)", &sets, &paper::TABLE2, "gopro")
}

/// Table 3: RealBlur-trained models on RealBlur-R and RealBlur-J.
pub fn table3(ctx: &Ctx) -> Result<()> {
    let sets: Vec<(&str, &str)> = paper::TABLE3_SETS.iter().copied().zip(["realblur-r", "realblur-j"]).collect();
    comparison(ctx, "table3", "Table 3 — trained on RealBlur (PSNR / SSIM)", &sets, &paper::TABLE3, "realblur-j")
}

/// `cargo xtask ablate --sweep FILE`: a grid of switches.
///
/// ```toml
/// name = "my_sweep"
/// [axes]
/// "transformer.prior_mode" = ["single-scale", "hierarchical"]
/// "diffusion.timesteps" = [4, 8]
/// ```
pub fn ablate(ctx: &Ctx, sweep: &Path) -> Result<()> {
    let text = std::fs::read_to_string(sweep).with_context(|| format!("reading {}", sweep.display()))?;
    let t: toml::Table = text.parse().with_context(|| format!("parsing {}", sweep.display()))?;
    for k in t.keys() {
        if k != "name" && k != "axes" {
            bail!("{}: unknown key {k:?} (expected name and [axes])", sweep.display());
        }
    }
    let name = t.get("name").and_then(|v| v.as_str()).unwrap_or("ablation").to_string();
    let axes =
        t.get("axes").and_then(|v| v.as_table()).with_context(|| format!("{}: missing [axes]", sweep.display()))?;
    let mut grid: Vec<Vec<(String, String, toml::Value)>> = vec![vec![]];
    for (key, values) in axes {
        let (section, k) = key
            .split_once('.')
            .with_context(|| format!("axis {key:?} must be section.key, e.g. diffusion.timesteps"))?;
        let values = values.as_array().with_context(|| format!("axis {key:?} must list its values"))?;
        grid = grid
            .into_iter()
            .flat_map(|g| {
                values.iter().map(move |v| {
                    let mut g = g.clone();
                    g.push((section.to_string(), k.to_string(), v.clone()));
                    g
                })
            })
            .collect();
    }
    let variants: Vec<Variant> = grid
        .into_iter()
        .map(|g| {
            let name = g
                .iter()
                .map(|(_, k, v)| format!("{k}={}", v.to_string().trim_matches('"')))
                .collect::<Vec<_>>()
                .join(",");
            let mut v = Variant { name: name.replace(['/', ' '], "_"), ..Default::default() };
            for (s, k, val) in g {
                match (s.as_str(), k.as_str()) {
                    ("transformer", "prior_mode") => v.prior_mode = val.as_str().map(str::to_string),
                    ("diffusion", "enabled") => v.diffusion = val.as_bool(),
                    ("diffusion", "timesteps") => v.timesteps = val.as_integer().map(|t| t as u64),
                    _ => v.extra.push((s, k, val)),
                }
            }
            v
        })
        .collect();
    let rows = run_variants(ctx, &name, &format!("Ablation sweep {name}"), &variants)?;
    // One plot per numeric axis.
    for (key, values) in axes {
        let Some(vals) = values.as_array() else { continue };
        if !vals.iter().all(|v| v.is_integer()) {
            continue;
        }
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .zip(&variants)
            .filter_map(|(r, v)| {
                let k = key.split('.').nth(1)?;
                let x = v
                    .extra
                    .iter()
                    .find(|(_, kk, _)| kk == k)
                    .and_then(|(_, _, val)| val.as_integer())
                    .or(if k == "timesteps" { v.timesteps.map(|t| t as i64) } else { None })?;
                Some((x as f64, r.0.paper.psnr))
            })
            .collect();
        if !pts.is_empty() {
            let stem = format!("{name}_{}", key.replace('.', "_"));
            log2_line_plot(
                &[Series { label: "in-distribution".into(), points: pts }],
                &format!("PSNR vs {key}"),
                key,
                "PSNR (dB)",
                &ctx.results.join(format!("{stem}.png")),
                &ctx.results.join(format!("{stem}.svg")),
            )?;
        }
    }
    Ok(())
}
