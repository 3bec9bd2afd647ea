//! Data parallelism through burn-train's multi-device strategy: two devices with
//! the per-device batch k train like one device with batch 2k (gradients
//! averaged as DDP does), up to float rounding. On the CPU both "devices" are
//! the Flex device, which exercises burn's split loader, per-device worker
//! threads and gradient accumulation exactly as with two GPUs.

mod common;

use burn::backend::{Autodiff, Flex};
use hidiff_model::checkpoint::read_safetensors;
use hidiff_train::{train, RunOptions};

type B = Autodiff<Flex>;

#[test]
fn two_devices_match_one_device_with_the_doubled_batch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    common::tiny_dataset(&data, 6, 1);
    let per_device = common::tiny_experiment(tmp.path(), 2, "");
    let doubled = {
        let mut e = per_device.clone();
        e.file.datasets.train.mini_batch_sizes = vec![6, 4];
        e
    };
    let opts = |out: &str, n: u64| RunOptions { data_root: Some(data.clone()), iterations: Some(n), ..RunOptions::new(tmp.path().join(out)) };
    let dev = Default::default();
    let two = train::<B>(&per_device, &opts("two", 3), &[dev, dev]).expect("two devices");
    let one = train::<B>(&doubled, &opts("one", 3), &[dev]).expect("one device");
    assert_eq!(two.train_log.len(), 3);
    for (a, b) in two.train_log.iter().zip(&one.train_log) {
        assert_eq!((a.batch, a.patch), (b.batch, b.patch), "the same global batches");
        let close = |x: f64, y: f64, rel: f64| (x - y).abs() <= rel * y.abs();
        assert!(close(a.loss, b.loss, 1e-4), "iteration {}: loss {} vs {}", a.iter, a.loss, b.loss);
        // A sum instead of a mean would double the norm.
        assert!(close(a.grad_norm, b.grad_norm, 1e-3), "iteration {}: grad norm {} vs {}", a.iter, a.grad_norm, b.grad_norm);
    }
    assert!((two.train_log[0].loss - one.train_log[0].loss).abs() <= 1e-6 * one.train_log[0].loss);

    // One step: the weights agree. Each device's L1 mean over half the batch, halved,
    // sums to the full batch's mean up to f32 summation order (relative ~1e-6 on the
    // gradients); AdamW's first step moves every weight by at most lr (1e-3) times
    // g/(|g| + eps), whose relative change is of the same order. So the weights may
    // differ by ~1e-6·lr plus one f32 rounding of the weight: 1e-8 absolute (+ 1 ulp).
    let two = train::<B>(&per_device, &opts("two_1", 1), &[dev, dev]).expect("two devices, one step");
    let one = train::<B>(&doubled, &opts("one_1", 1), &[dev]).expect("one device, one step");
    assert_eq!((two.end_iteration, one.end_iteration), (1, 1));
    let wa = read_safetensors(&tmp.path().join("two_1/model_latest.safetensors")).expect("weights");
    let wb = read_safetensors(&tmp.path().join("one_1/model_latest.safetensors")).expect("weights");
    let (mut worst, mut compared) = (0.0f32, 0usize);
    for (net, sd) in &wa.networks {
        for (key, a) in sd {
            let b = &wb.networks[net][key];
            let (a, b) = (a.to_vec::<f32>().expect("f32"), b.to_vec::<f32>().expect("f32"));
            for (x, y) in a.iter().zip(&b) {
                let err = (x - y).abs();
                assert!(err <= 1e-8 + f32::EPSILON * x.abs(), "{net:?} {key}: {x} vs {y}");
                worst = worst.max(err);
                compared += 1;
            }
        }
    }
    println!("one step, 2×3 vs 6 images: worst weight difference {worst:.2e} over {compared} weights");
    assert!(compared > 1000, "{compared} weights");
}
