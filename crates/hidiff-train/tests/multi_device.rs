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
    let opts = |out: &str, n: u64| RunOptions {
        data_root: Some(data.clone()),
        iterations: Some(n),
        ..RunOptions::new(tmp.path().join(out))
    };
    let dev = Default::default();
    let two = train::<B>(&per_device, &opts("two", 3), &[dev, dev]).expect("two devices");
    let one = train::<B>(&doubled, &opts("one", 3), &[dev]).expect("one device");
    assert_eq!(two.train_log.len(), 3);
    for (a, b) in two.train_log.iter().zip(&one.train_log) {
        assert_eq!((a.batch, a.patch), (b.batch, b.patch), "the same global batches");
        let close = |x: f64, y: f64, rel: f64| (x - y).abs() <= rel * y.abs();
        assert!(close(a.loss, b.loss, 1e-4), "iteration {}: loss {} vs {}", a.iter, a.loss, b.loss);
        // A sum instead of a mean would double the norm.
        assert!(
            close(a.grad_norm, b.grad_norm, 1e-3),
            "iteration {}: grad norm {} vs {}",
            a.iter,
            a.grad_norm,
            b.grad_norm
        );
    }
    assert!((two.train_log[0].loss - one.train_log[0].loss).abs() <= 1e-6 * one.train_log[0].loss);

    // One step: the weights agree. Each device's L1 mean over half the batch, halved,
    // sums to the full batch's mean up to f32 summation order, so the gradients agree
    // to their last bits. AdamW's first step moves a weight by lr·g/(|g| + eps) (+ the
    // decay), which is ±lr wherever the clipped |g| is well above eps = 1e-8: there
    // the weights agree to f32 rounding (4 ulp). Where the clipped |g| is near eps the
    // step depends on g's last bits; measured: 268 of 341143 weights, worst 3.7e-7
    // (3.7e-4·lr). So: at most 0.1% of the weights beyond 4 ulp, none beyond 1% of a step.
    // (A sum instead of a mean would not show here, AdamW and the clip being nearly
    // scale-invariant; it doubles the logged pre-clip norm, checked above.)
    let lr = 1e-3f32;
    let two = train::<B>(&per_device, &opts("two_1", 1), &[dev, dev]).expect("two devices, one step");
    let one = train::<B>(&doubled, &opts("one_1", 1), &[dev]).expect("one device, one step");
    assert_eq!((two.end_iteration, one.end_iteration), (1, 1));
    let wa = read_safetensors(&tmp.path().join("two_1/model_latest.safetensors")).expect("weights");
    let wb = read_safetensors(&tmp.path().join("one_1/model_latest.safetensors")).expect("weights");
    let (mut worst, mut compared, mut over_ulp) = (0.0f32, 0usize, 0usize);
    for (net, sd) in &wa.networks {
        for (key, a) in sd {
            let b = &wb.networks[net][key];
            let (a, b) = (a.to_vec::<f32>().expect("f32"), b.to_vec::<f32>().expect("f32"));
            for (x, y) in a.iter().zip(&b) {
                let err = (x - y).abs();
                over_ulp += usize::from(err > 4.0 * f32::EPSILON * x.abs());
                worst = worst.max(err);
                compared += 1;
            }
        }
    }
    println!("one step, 2×3 vs 6 images: worst weight difference {worst:.2e}, {over_ulp} above 4 ulp, over {compared} weights");
    assert!(compared > 1000, "{compared} weights");
    assert!(worst <= 1e-2 * lr, "worst weight difference {worst:.3e} exceeds 1% of a step");
    assert!(over_ulp * 1000 <= compared, "{over_ulp} of {compared} weights differ by more than 4 ulp");
}
