//! Parity with the official implementation on a golden folder (`small_config.toml`,
//! `net_*.pth`, `cases.safetensors`), case by case, under the tolerances the
//! golden READMEs state. Used by the test suite and by `hidiff parity`.

mod tensors;
mod tolerance;

use std::path::Path;

use burn::tensor::{backend::AutodiffBackend, backend::Backend, Tensor, TensorData};

use crate::checkpoint::{load_model, WeightsPath};
use crate::config::ModelConfig;
use crate::diffusion::StepTrace;
use crate::error::{ModelError, Result};
use crate::grads::{named_gradients, total_norm};
use crate::hidiff::{HiDiff, Networks};
use crate::keymap::{KeyStyle, Network};
use crate::ops::pad_to_multiple;

pub use tensors::{CaseTensors, Dim, RefTensor};
pub use tolerance::{Tolerance, Tolerances};

/// The cases of the golden format, in the order they are checked.
pub const CASES: [&str; 11] = [
    "schedule",
    "transformer_with_prior",
    "le_stage1",
    "le_dm",
    "denoiser_step",
    "sampling",
    "stage1_forward",
    "stage1_test_padded",
    "stage2_inference_padded",
    "batch2",
    "stage2_train_forward",
];

/// One compared tensor.
#[derive(Debug, Clone)]
pub struct TensorCheck {
    pub key: String,
    pub max_abs: f64,
    pub bound: f64,
    pub tolerance: Tolerance,
}

impl TensorCheck {
    pub fn passed(&self) -> bool {
        self.max_abs <= self.bound && self.max_abs.is_finite()
    }
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub case: String,
    /// Every compared tensor (empty when skipped).
    pub checks: Vec<TensorCheck>,
    /// Why the case was skipped, if it was.
    pub skipped: Option<String>,
}

impl CaseReport {
    /// Passed (or skipped).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(TensorCheck::passed)
    }
    /// The check closest to (or furthest past) its bound.
    pub fn worst(&self) -> Option<&TensorCheck> {
        self.checks.iter().max_by(|a, b| (a.max_abs / a.bound).total_cmp(&(b.max_abs / b.bound)))
    }
}

/// Compares `ours` with the reference `key` under `tol`; a shape mismatch fails.
fn compare(refs: &CaseTensors, key: &str, ours: &[f64], shape: &[usize], tol: Tolerance) -> Result<TensorCheck> {
    let r = refs.get(key)?;
    if r.shape.iter().product::<usize>() != shape.iter().product::<usize>() || r.values.len() != ours.len() {
        return Ok(TensorCheck { key: key.into(), max_abs: f64::INFINITY, bound: 0.0, tolerance: tol });
    }
    let (max_abs, bound) = tol.measure(&r.values, ours);
    Ok(TensorCheck { key: key.into(), max_abs, bound, tolerance: tol })
}

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> (Vec<f64>, Vec<usize>) {
    let shape = t.dims().to_vec();
    let v = t.into_data().convert::<f32>().to_vec::<f32>().expect("float tensor");
    (v.into_iter().map(|x| x as f64).collect(), shape)
}

/// Collects checks of one case.
struct Case<'a> {
    refs: &'a CaseTensors,
    name: &'static str,
    checks: Vec<TensorCheck>,
}

impl<'a> Case<'a> {
    fn new(refs: &'a CaseTensors, name: &'static str) -> Self {
        Self { refs, name, checks: Vec::new() }
    }
    fn key(&self, t: &str) -> String {
        format!("{}.{t}", self.name)
    }
    /// An image input `[b, 3, h, w]` with `h, w` at least the model's window
    /// (reflect padding needs more pixels than it adds), and multiples of it in
    /// the cases that do not pad; `batch` pins `b`.
    fn image<B: Backend>(&self, t: &str, m: &HiDiff<B>, batch: Option<usize>, dev: &B::Device) -> Result<Tensor<B, 4>> {
        let b = batch.map_or(Dim::AtLeast(1), Dim::Exactly);
        let x: Tensor<B, 4> = self.refs.tensor_shaped(
            &self.key(t),
            [b, Dim::Exactly(3), Dim::AtLeast(m.window), Dim::AtLeast(m.window)],
            dev,
        )?;
        let pads = self.name.ends_with("_padded") || self.name == "batch2";
        let [_, _, h, w] = x.dims();
        if !pads && (h % m.window != 0 || w % m.window != 0) {
            return Err(ModelError::CheckpointFormat {
                path: self.refs.path().to_path_buf(),
                message: format!(
                    "tensor \"{}\" is {h}x{w}; case {} does not pad, so both must be multiples of {}",
                    self.key(t),
                    self.name,
                    m.window
                ),
            });
        }
        Ok(x)
    }
    /// A prior-token input `[b, n, c]` of the model's token grid and width.
    fn tokens<B: Backend>(
        &self,
        t: &str,
        m: &HiDiff<B>,
        batch: Option<usize>,
        dev: &B::Device,
    ) -> Result<Tensor<B, 3>> {
        let (n, c) = m.net_g_tokens();
        let b = batch.map_or(Dim::AtLeast(1), Dim::Exactly);
        self.refs.tensor_shaped(&self.key(t), [b, Dim::Exactly(n), Dim::Exactly(c)], dev)
    }
    /// The `lq` and `gt` images of a case, of one shape.
    fn pair<B: Backend>(&self, m: &HiDiff<B>, dev: &B::Device) -> Result<(Tensor<B, 4>, Tensor<B, 4>)> {
        let lq = self.image("lq", m, None, dev)?;
        let gt = self.image("gt", m, Some(lq.dims()[0]), dev)?;
        if gt.dims() != lq.dims() {
            return Err(shape_mismatch(self.refs, self.name, "gt", &gt.dims(), &lq.dims()));
        }
        Ok((lq, gt))
    }
    fn check<B: Backend, const D: usize>(&mut self, t: &str, ours: Tensor<B, D>, tol: Tolerance) -> Result<()> {
        let (v, s) = values(ours);
        self.check_values(t, &v, &s, tol)
    }
    fn check_values(&mut self, t: &str, v: &[f64], s: &[usize], tol: Tolerance) -> Result<()> {
        let key = self.key(t);
        self.checks.push(compare(self.refs, &key, v, s, tol)?);
        Ok(())
    }
    /// Checks `t` only if the reference has it (debug tensors, variant-specific ones).
    fn check_opt<B: Backend, const D: usize>(&mut self, t: &str, ours: Tensor<B, D>, tol: Tolerance) -> Result<()> {
        if self.refs.has(&self.key(t)) {
            self.check(t, ours, tol)?;
        }
        Ok(())
    }
    fn done(self) -> CaseReport {
        CaseReport { case: self.name.to_string(), checks: self.checks, skipped: None }
    }
}

/// A golden input whose shape disagrees with its partner's.
fn shape_mismatch(refs: &CaseTensors, case: &str, t: &str, got: &[usize], want: &[usize]) -> ModelError {
    ModelError::CheckpointFormat {
        path: refs.path().to_path_buf(),
        message: format!("tensor \"{case}.{t}\" has shape {got:?}, but its case's lq has {want:?}"),
    }
}

/// Name of step `i`'s tensors: `step7` (T ≤ 10, GoPro files) or `step07` (RealBlur files).
fn step_name(refs: &CaseTensors, case: &str, i: usize) -> String {
    let two = format!("step{i:02}");
    if refs.has_case(&format!("{case}.{two}")) {
        two
    } else {
        format!("step{i}")
    }
}

/// Checks every tensor of one reverse step.
fn check_step<B: Backend>(case: &mut Case<'_>, tols: &Tolerances, step: &StepTrace<B>, last: usize) -> Result<()> {
    let s = step_name(case.refs, case.name, step.index);
    let first = step.index == last;
    case.check_opt(&format!("{s}.eps"), step.model_out.clone(), tols.loop_step)?;
    case.check_opt(&format!("{s}.x0_pred"), step.model_out.clone(), tols.loop_step)?;
    let raw_tol = if first { tols.first_x0_raw } else { tols.loop_step };
    case.check_opt(&format!("{s}.x0_raw"), step.x0_raw.clone(), raw_tol)?;
    let clamped_tol = if first { tols.first_x0_clamped } else { tols.loop_step };
    case.check_opt(&format!("{s}.x0_clamped"), step.x0.clone(), clamped_tol)?;
    case.check_opt(&format!("{s}.x_out"), step.x_out.clone(), tols.loop_step)?;
    Ok(())
}

/// Runs every case of `dir` that the file contains. `B` must be an autodiff
/// backend: the stage-2 training case checks gradients.
pub fn run<B: AutodiffBackend>(dir: &Path, device: &B::Device) -> Result<Vec<CaseReport>> {
    let cfg = ModelConfig::from_file(dir.join("small_config.toml"))?;
    let refs = CaseTensors::read(&dir.join("cases.safetensors"))?;
    let model: HiDiff<B> = load_model(&cfg, &WeightsPath::OfficialDir(dir.to_path_buf()), Networks::All, device)?;
    let tols = Tolerances::for_kind(cfg.diffusion.kind());
    let inner = burn::module::AutodiffModule::valid(&model);
    let dev = device.clone();
    let idev = inner.net_g.output.weight.device();
    let mut reports = Vec::new();
    for name in CASES {
        if !refs.has_case(name) {
            reports.push(CaseReport {
                case: name.into(),
                checks: vec![],
                skipped: Some("not in this golden folder".into()),
            });
            continue;
        }
        let report = match name {
            "schedule" => schedule_case(&refs, &inner, &tols)?,
            "stage2_train_forward" => train_case(&refs, &cfg, &model, &tols, &dev)?,
            _ => forward_case(&refs, name, &inner, &tols, &idev)?,
        };
        reports.push(report);
    }
    Ok(reports)
}

fn schedule_case<B: Backend>(refs: &CaseTensors, model: &HiDiff<B>, tols: &Tolerances) -> Result<CaseReport> {
    let mut case = Case::new(refs, "schedule");
    for (name, values) in model.diffusion.schedule.named() {
        if refs.has(&format!("schedule.{name}")) {
            let v: Vec<f64> = values.iter().map(|&x| x as f64).collect();
            case.check_values(name, &v, &[v.len()], tols.schedule)?;
        }
    }
    Ok(case.done())
}

fn forward_case<B: Backend>(
    refs: &CaseTensors,
    name: &'static str,
    m: &HiDiff<B>,
    tols: &Tolerances,
    dev: &B::Device,
) -> Result<CaseReport> {
    let mut case = Case::new(refs, name);
    let net = tols.network;
    match name {
        "transformer_with_prior" => {
            let lq = case.image("lq", m, None, dev)?;
            let b = lq.dims()[0];
            let out = m.net_g.forward(lq, Some(case.tokens("prior", m, Some(b), dev)?));
            case.check("output", out, net)?;
        }
        "le_stage1" => {
            let le = m.net_le.as_ref().expect("loaded with all networks");
            let lq = case.image("lq", m, None, dev)?;
            let gt = case.image("gt", m, Some(lq.dims()[0]), dev)?;
            if gt.dims() != lq.dims() {
                return Err(shape_mismatch(refs, name, "gt", &gt.dims(), &lq.dims()));
            }
            let z = le.forward_pair(lq, gt);
            case.check("z", z, net)?;
        }
        "le_dm" => {
            let le = m.net_le_dm.as_ref().expect("configuration has a prior");
            case.check("c", le.forward(case.image("lq", m, None, dev)?), net)?;
        }
        "denoiser_step" => {
            let t_index = refs.index("denoiser_step.t_index", m.diffusion.timesteps())?;
            let time = refs.index("denoiser_step.time", usize::MAX)?;
            let expected = m.diffusion.time_value(t_index);
            if time != expected {
                case.checks.push(TensorCheck {
                    key: format!("denoiser_step.time: stored {time}, our rule gives {expected}"),
                    max_abs: f64::INFINITY,
                    bound: 0.0,
                    tolerance: Tolerance::Abs(0.0),
                });
            }
            let d = m.net_d.as_ref().expect("configuration has a denoiser");
            let x = case.tokens("x", m, None, dev)?;
            let c = case.tokens("c", m, Some(x.dims()[0]), dev)?;
            let out = d.forward(x, c, expected);
            case.check("output", out, net)?;
        }
        "sampling" => {
            let d = m.net_d.as_ref().expect("configuration has a denoiser");
            let last = m.diffusion.timesteps() - 1;
            let mut steps = Vec::new();
            let c = case.tokens("c", m, None, dev)?;
            let noise = case.tokens("noise", m, Some(c.dims()[0]), dev)?;
            let out = m.diffusion.sample_traced(d, c, noise, |s| steps.push(s.clone()));
            for s in &steps {
                check_step(&mut case, tols, s, last)?;
            }
            case.check("output", out, tols.prior)?;
        }
        "stage1_forward" => {
            let (lq, gt) = case.pair(m, dev)?;
            let (out, z) = m.stage1_forward(lq, gt);
            case.check("output", out, net)?;
            if let Some(z) = z {
                case.check_opt("z", z, net)?;
            }
        }
        "stage1_test_padded" => {
            let (lq, gt) = case.pair(m, dev)?;
            let out = m.stage1_test(lq, gt);
            case.check("output", out, net)?;
        }
        "stage2_inference_padded" | "batch2" => {
            let lq: Tensor<B, 4> = case.image("lq", m, None, dev)?;
            let noise: Tensor<B, 3> = case.tokens("noise", m, Some(lq.dims()[0]), dev)?;
            let padded = pad_to_multiple(lq.clone(), m.window);
            case.check_opt("lq_padded", padded.clone(), Tolerance::Abs(0.0))?;
            if let Some((c, prior)) = m.stage2_prior(padded, Some(noise.clone())) {
                case.check_opt("c", c, net)?;
                case.check_opt("prior", prior, tols.prior)?;
            }
            case.check("output", m.infer(lq, Some(noise), 0), net)?;
        }
        other => unreachable!("unknown forward case {other}"),
    }
    Ok(case.done())
}

fn train_case<B: AutodiffBackend>(
    refs: &CaseTensors,
    cfg: &ModelConfig,
    m: &HiDiff<B>,
    tols: &Tolerances,
    dev: &B::Device,
) -> Result<CaseReport> {
    let mut case = Case::new(refs, "stage2_train_forward");
    let (lq, gt) = case.pair(m, dev)?;
    let noise = case.tokens("noise", m, Some(lq.dims()[0]), dev)?;
    let last = m.diffusion.timesteps() - 1;
    let mut steps = Vec::new();
    let fwd = m.stage2_train_forward_traced(lq, gt.clone(), noise, |s| steps.push(s.clone()));
    for s in &steps {
        check_step(&mut case, tols, s, last)?;
    }
    case.check_opt("prior_z", fwd.prior_z.clone(), tols.network)?;
    case.check_opt("prior_d", fwd.prior_d.clone(), tols.network)?;
    case.check_opt("prior_noisy", fwd.prior_noisy.clone(), tols.network)?;
    case.check_opt("prior", fwd.prior.clone(), tols.prior)?;
    case.check("output", fwd.output.clone(), tols.network)?;
    let (l_pix, l_diff) = fwd.losses(gt);
    let total = l_pix.clone() + l_diff.clone();
    case.check("l_pix", l_pix, tols.loss)?;
    case.check("l_pix_diff", l_diff, tols.loss)?;
    case.check_opt("l_total", total.clone(), tols.loss)?;
    let mut grads = total.backward();
    let style = KeyStyle::of(cfg);
    let mut all: Vec<TensorData> = Vec::new();
    let per_net: Vec<(Network, Vec<(String, TensorData)>)> = vec![
        (Network::G, net_grads(&m.net_g, &mut grads)),
        (Network::D, m.net_d.as_ref().map(|d| net_grads(d, &mut grads)).unwrap_or_default()),
        (Network::LeDm, m.net_le_dm.as_ref().map(|d| net_grads(d, &mut grads)).unwrap_or_default()),
    ];
    let le_grads = m.net_le.as_ref().map(|d| net_grads(d, &mut grads)).unwrap_or_default();
    for (net, list) in &per_net {
        let norm = total_norm(list.iter().map(|(_, g)| g));
        let norm_key = format!("grad_norm.{}", net.name());
        if refs.has(&case.key(&norm_key)) {
            case.check_values(&norm_key, &[norm], &[1], tols.grad_norm)?;
        }
        for (path, g) in list {
            let key = format!("grad.{}.{}", net.name(), style.to_official(*net, path));
            if refs.has(&format!("stage2_train_forward.{key}")) {
                let v: Vec<f64> = g.to_vec::<f32>().expect("float").into_iter().map(|x| x as f64).collect();
                case.check_values(&key, &v, &g.shape.to_vec(), tols.gradient)?;
            }
            all.push(g.clone());
        }
    }
    let total_norm_v = total_norm(all.iter());
    case.check_values("grad_total_norm", &[total_norm_v], &[1], tols.grad_norm)?;
    // net_le is frozen: no gradient may reach it.
    if !le_grads.is_empty() {
        case.checks.push(TensorCheck {
            key: "net_le received gradients (it must be frozen)".into(),
            max_abs: f64::INFINITY,
            bound: 0.0,
            tolerance: Tolerance::Abs(0.0),
        });
    }
    Ok(case.done())
}

/// The gradients of one network, taken out of `grads`, by path in PyTorch layout.
fn net_grads<B: AutodiffBackend, M: burn::module::AutodiffModule<B>>(
    module: &M,
    grads: &mut B::Gradients,
) -> Vec<(String, TensorData)> {
    let params = burn::optim::GradientsParams::from_module(grads, module);
    named_gradients(module, &params, true)
}
