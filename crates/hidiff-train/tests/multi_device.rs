//! Data parallelism: two devices with the per-device batch k train like one
//! device with batch 2k (gradients averaged as DDP does), up to float rounding.
//! On the CPU both "devices" are the Flex device, which exercises the fork,
//! split, per-thread step and averaging path exactly as with two GPUs.

mod common;

use burn::backend::{Autodiff, Flex};
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
    let opts = |out: &str| RunOptions { data_root: Some(data.clone()), iterations: Some(3), ..RunOptions::new(tmp.path().join(out)) };
    let dev = Default::default();
    let two = train::<B>(&per_device, &opts("two"), &[dev, dev]).expect("two devices");
    let one = train::<B>(&doubled, &opts("one"), &[dev]).expect("one device");
    assert_eq!(two.train_log.len(), 3);
    for (a, b) in two.train_log.iter().zip(&one.train_log) {
        assert_eq!((a.batch, a.patch), (b.batch, b.patch), "the same global batches");
        let close = |x: f64, y: f64, rel: f64| (x - y).abs() <= rel * y.abs();
        assert!(close(a.loss, b.loss, 1e-4), "iteration {}: loss {} vs {}", a.iter, a.loss, b.loss);
        assert!(close(a.grad_norm, b.grad_norm, 1e-3), "iteration {}: grad norm {} vs {}", a.iter, a.grad_norm, b.grad_norm);
    }
    assert!((two.train_log[0].loss - one.train_log[0].loss).abs() <= 1e-6 * one.train_log[0].loss);
}
