//! Data parallelism over several devices of one machine, the way the official
//! runs use 4 GPUs with DDP: every device gets its own mini-batch of the
//! configured (per-device) size, the gradients are **averaged** (DDP's all-reduce
//! mean), then the global clip and one optimiser step run on the first device.
//!
//! The mechanics are those of burn-train's `MultiDevicesTrainStep` (0.21): the
//! module is `fork`ed to each device, each device runs [`TrainStep::step`] on
//! its own thread, and the gradients are moved to the main device with
//! `GradientsParams::to_device`. burn-train's strategy itself (`ExecutionStrategy::multi`)
//! sums the gradients, which would change the effective learning rate of the
//! clip-free parts of the update, and lives inside its `Learner` loop, which the
//! progressive schedule rules out (see `trainer`).

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use burn::train::{TrainOutput, TrainStep};

use crate::stage::StageModule;
use crate::step::{StepOutput, TrainBatch};

/// Moves every gradient of the module's parameters out of `parts` into one
/// [`GradientsParams`] holding their mean.
struct Average<'a> {
    parts: &'a mut [GradientsParams],
    out: GradientsParams,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Average<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let n = self.parts.len() as f64;
        let mut sum: Option<Tensor<B::InnerBackend, D>> = None;
        for part in self.parts.iter_mut() {
            if let Some(g) = part.remove::<B::InnerBackend, D>(param.id) {
                sum = Some(match sum {
                    Some(s) => s + g,
                    None => g,
                });
            }
        }
        if let Some(s) = sum {
            self.out.register::<B::InnerBackend, D>(param.id, s.div_scalar(n));
        }
    }
}

/// The mean of per-device gradients (all already on one device).
pub fn average_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(module: &M, mut parts: Vec<GradientsParams>) -> GradientsParams {
    let mut v = Average { parts: &mut parts, out: GradientsParams::new() };
    module.visit::<Average<'_>>(&mut v);
    v.out
}

fn split<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>, parts: usize) -> Vec<Tensor<B, D>> {
    let n = t.dims()[0];
    assert!(n.is_multiple_of(parts), "a batch of {n} does not split over {parts} devices");
    t.split(n / parts, 0)
}

/// One training step over `devices` (the first is the main device, where `model`,
/// `batch`, the returned gradients and losses live). The batch is split evenly
/// along its first axis; the losses returned are the means over the devices.
///
/// # Panics
/// If the batch does not split evenly (the sampler always draws a multiple).
pub fn step_data_parallel<B, M>(model: &M, batch: TrainBatch<B>, devices: &[B::Device]) -> TrainOutput<StepOutput<B>>
where
    B: AutodiffBackend,
    M: StageModule<B> + Sync,
{
    if devices.len() <= 1 {
        return TrainStep::step(model, batch);
    }
    let main = &devices[0];
    let d = devices.len();
    let lq = split(batch.lq, d);
    let gt = split(batch.gt, d);
    let noise: Vec<Option<Tensor<B, 3>>> = match batch.noise {
        Some(n) => split(n, d).into_iter().map(Some).collect(),
        None => vec![None; d],
    };
    let outputs: Vec<(GradientsParams, StepOutput<B>)> = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .iter()
            .zip(lq.into_iter().zip(gt).zip(noise))
            .map(|(dev, ((lq, gt), noise))| {
                s.spawn(move || {
                    let local = model.clone().fork(dev);
                    let part = TrainBatch { lq: lq.to_device(dev), gt: gt.to_device(dev), noise: noise.map(|n| n.to_device(dev)) };
                    let out = TrainStep::step(&local, part);
                    let grads = out.grads.to_device::<B, M>(main, &local);
                    let item = StepOutput {
                        loss: out.item.loss.to_device(main),
                        l_pix: out.item.l_pix.to_device(main),
                        l_pix_diff: out.item.l_pix_diff.map(|t| t.to_device(main)),
                    };
                    (grads, item)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a device step panicked")).collect()
    });
    let (grads, items): (Vec<_>, Vec<_>) = outputs.into_iter().unzip();
    let mean = |ts: Vec<Tensor<B, 1>>| Tensor::cat(ts, 0).mean();
    let item = StepOutput {
        loss: mean(items.iter().map(|i| i.loss.clone()).collect()),
        l_pix: mean(items.iter().map(|i| i.l_pix.clone()).collect()),
        l_pix_diff: items[0].l_pix_diff.is_some().then(|| mean(items.iter().filter_map(|i| i.l_pix_diff.clone()).collect())),
    };
    TrainOutput { grads: average_gradients::<B, M>(model, grads), item }
}

/// The devices `indices` of the same kind as `first` (e.g. `cuda:0` → `cuda:N`),
/// built through burn's device ids.
pub fn devices_like<B: burn::tensor::backend::Backend>(first: &B::Device, indices: &[u16]) -> Vec<B::Device> {
    use burn::tensor::backend::{Device, DeviceId};
    let kind = first.to_id().type_id;
    indices.iter().map(|&index_id| <B::Device as Device>::from_id(DeviceId { type_id: kind, index_id })).collect()
}
