//! One stage-2 training step through `Stage2Model`'s `TrainStep` from the golden
//! weights and inputs (GoPro variant, the stored q_sample noise injected) against
//! the official `HI_Diff_S2.optimize_parameters`, with the golden README's
//! tolerances; then the AdamW step with the global clip against a hand
//! computation in f64.

use std::collections::BTreeMap;
use std::path::PathBuf;

use burn::backend::{Autodiff, Flex};
use burn::train::TrainStep;
use hidiff_model::checkpoint::WeightsPath;
use hidiff_model::parity::CaseTensors;
use hidiff_model::{load_model, HiDiff, KeyStyle, ModelConfig, Network, Networks};
use hidiff_train::optim::{global_grad_norm, named_gradients, named_parameters, paper_adamw, scalar};
use hidiff_train::{Stage2Model, StepSettings, TrainBatch};

type B = Autodiff<Flex>;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden")
}

fn values(d: &burn::tensor::TensorData) -> Vec<f64> {
    d.to_vec::<f32>().expect("f32").into_iter().map(f64::from).collect()
}

fn rel_close(ours: f64, reference: f64, rel: f64) -> bool {
    (ours - reference).abs() <= rel * reference.abs()
}

#[test]
fn stage2_step_matches_golden_and_adamw_with_global_clip_matches_hand_computation() {
    let dir = golden();
    let dev = Default::default();
    let cfg = ModelConfig::from_file(dir.join("small_config.toml")).expect("golden config");
    let refs = CaseTensors::read(&dir.join("cases.safetensors")).expect("golden cases");
    let model: HiDiff<B> =
        load_model(&cfg, &WeightsPath::OfficialDir(dir.clone()), Networks::All, &dev).expect("golden weights");
    let stage = Stage2Model::from_model(model, StepSettings::default());
    let case = |t: &str| format!("stage2_train_forward.{t}");
    let batch = TrainBatch {
        lq: refs.tensor::<B, 4>(&case("lq"), &dev).expect("lq"),
        gt: refs.tensor::<B, 4>(&case("gt"), &dev).expect("gt"),
        noise: Some(refs.tensor::<B, 3>(&case("noise"), &dev).expect("noise")),
    };

    // Forward and backward through our TrainStep.
    let out = TrainStep::step(&stage, batch);
    let l_pix = scalar(out.item.l_pix.clone());
    let l_diff = scalar(out.item.l_pix_diff.clone().expect("stage 2 has l_pix_diff"));
    let loss = scalar(out.item.loss.clone());
    let want = |t: &str| refs.get(&case(t)).expect("stored").values[0];
    assert!(rel_close(l_pix, want("l_pix"), 1e-5), "l_pix {l_pix} vs {}", want("l_pix"));
    assert!(rel_close(l_diff, want("l_pix_diff"), 1e-5), "l_pix_diff {l_diff} vs {}", want("l_pix_diff"));
    assert!(rel_close(loss, want("l_total"), 1e-5), "loss {loss} vs {}", want("l_total"));

    // Gradients by official name, PyTorch layout, abs 1e-5.
    let style = KeyStyle::of(&cfg);
    let nets: [(Network, Vec<(String, burn::tensor::TensorData)>); 4] = [
        (Network::G, named_gradients(&stage.model.net_g, &out.grads, true)),
        (Network::LeDm, named_gradients(stage.model.net_le_dm.as_ref().expect("le_dm"), &out.grads, true)),
        (Network::D, named_gradients(stage.model.net_d.as_ref().expect("d"), &out.grads, true)),
        (Network::Le, named_gradients(stage.model.net_le.as_ref().expect("le"), &out.grads, true)),
    ];
    let mut compared = 0;
    let mut worst = 0.0f64;
    let mut sum_sq = 0.0f64;
    for (net, grads) in &nets {
        if *net == Network::Le {
            assert!(grads.is_empty(), "net_le is frozen but received {} gradients", grads.len());
            continue;
        }
        for (path, g) in grads {
            let key = case(&format!("grad.{}.{}", net.name(), style.to_official(*net, path)));
            let reference = refs.get(&key).unwrap_or_else(|_| panic!("{key} is not stored"));
            let ours = values(g);
            assert_eq!(g.shape.to_vec(), reference.shape, "{key}");
            let err = ours.iter().zip(&reference.values).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(err <= 1e-5, "{key}: max abs error {err:.3e} > 1e-5");
            worst = worst.max(err);
            sum_sq += ours.iter().map(|v| v * v).sum::<f64>();
            compared += 1;
        }
    }
    assert_eq!(compared, 232, "189 net_g + 26 net_le_dm + 17 net_d gradients");
    let norm_f64 = sum_sq.sqrt();
    let norm_dev = scalar(global_grad_norm::<B, _>(&stage, &out.grads).expect("gradients exist"));
    assert!(rel_close(norm_f64, want("grad_total_norm"), 1e-5), "grad norm {norm_f64} vs {}", want("grad_total_norm"));
    assert!(rel_close(norm_dev, want("grad_total_norm"), 1e-5), "device grad norm {norm_dev}");
    println!("l_pix {l_pix:.8} l_pix_diff {l_diff:.8} grad norm {norm_dev:.8}; worst gradient error {worst:.2e}");

    // One AdamW step with the global clip, by hand in f64 (burn layout on both sides).
    let before: BTreeMap<String, Vec<f64>> =
        named_parameters(&stage, false).into_iter().map(|(k, v)| (k, values(&v))).collect();
    let grads: BTreeMap<String, Vec<f64>> =
        named_gradients(&stage, &out.grads, false).into_iter().map(|(k, v)| (k, values(&v))).collect();
    let mut optim = paper_adamw().init::<B, Stage2Model<B>>();
    let (lr, wd, b1, b2, eps, max_norm) = (2e-4, 1e-4, 0.9, 0.999, 1e-8, 0.01);
    let stepped = TrainStep::optimize::<B, _>(stage, &mut optim, lr, out.grads);
    let after: BTreeMap<String, Vec<f64>> =
        named_parameters(&stepped, false).into_iter().map(|(k, v)| (k, values(&v))).collect();

    let coef = (max_norm / (norm_f64 + 1e-6)).min(1.0);
    assert!(coef < 0.02, "the clip is active (norm {norm_f64})");
    let adam = |p: f64, g: f64, clip: f64| {
        let g = g * clip;
        let m_hat = (1.0 - b1) * g / (1.0 - b1);
        let v_hat = (1.0 - b2) * g * g / (1.0 - b2);
        p * (1.0 - lr * wd) - lr * m_hat / (v_hat.sqrt() + eps)
    };
    let (mut checked, mut sensitive, mut frozen) = (0usize, 0usize, 0usize);
    for (name, p0) in &before {
        let p1 = &after[name];
        let Some(g) = grads.get(name) else {
            // net_le: no gradient, untouched (no weight decay either).
            assert_eq!(p0, p1, "{name} has no gradient but changed");
            frozen += 1;
            continue;
        };
        for ((&p, &q), &g) in p0.iter().zip(p1).zip(g) {
            let expected = adam(p, g, coef);
            let tol = 2.0 * f64::from(f32::EPSILON) * p.abs().max(expected.abs()) + 1e-10;
            assert!((q - expected).abs() <= tol, "{name}: {q} vs hand {expected} (p {p}, g {g})");
            // Where |g·coef| is near eps, the unclipped update is measurably different:
            // these elements would catch a missing or per-tensor clip.
            let unclipped = adam(p, g, 1.0);
            if (unclipped - expected).abs() > 100.0 * tol {
                sensitive += 1;
            }
            checked += 1;
        }
    }
    assert!(frozen > 0, "net_le parameters are present and frozen");
    assert!(sensitive > 100, "only {sensitive} elements distinguish the clipped update");
    println!("checked {checked} updated elements by hand, {sensitive} of them clip-sensitive; {frozen} frozen tensors");
}
