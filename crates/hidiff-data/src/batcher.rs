//! The burn `Batcher` that stacks [`PairItem`]s into `[B, 3, H, W]` tensors.

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::dataset::PairItem;

/// Stacks pair items into tensors. Items of different sizes (test images with
/// batch > 1) are cropped to the smallest common height and width from the
/// top-left corner; training patches and batch-1 evaluation never are.
#[derive(Clone, Copy, Debug, Default)]
pub struct PairBatcher;

/// A batch of pairs on a device.
#[derive(Clone, Debug)]
pub struct PairTensors<B: Backend> {
    /// Blurry images, `[B, 3, H, W]` in `[0, 1]`.
    pub lq: Tensor<B, 4>,
    /// Sharp images, `[B, 3, H, W]` in `[0, 1]`.
    pub gt: Tensor<B, 4>,
    /// The source file names.
    pub names: Vec<String>,
}

/// Appends the top-left `height × width` window of a CHW plane stack.
fn push_window(src: &[f32], src_h: usize, src_w: usize, height: usize, width: usize, out: &mut Vec<f32>) {
    if (src_h, src_w) == (height, width) {
        out.extend_from_slice(src);
        return;
    }
    for c in 0..3 {
        for r in 0..height {
            let at = (c * src_h + r) * src_w;
            out.extend_from_slice(&src[at..at + width]);
        }
    }
}

impl<B: Backend> Batcher<B, PairItem, PairTensors<B>> for PairBatcher {
    /// # Shapes
    /// items of `3 × h_i × w_i` → `lq`, `gt`: `[B, 3, min h_i, min w_i]`.
    fn batch(&self, items: Vec<PairItem>, device: &B::Device) -> PairTensors<B> {
        let height = items.iter().map(|i| i.height).min().unwrap_or(0);
        let width = items.iter().map(|i| i.width).min().unwrap_or(0);
        let shape = [items.len(), 3, height, width];
        let mut lq = Vec::with_capacity(shape.iter().product());
        let mut gt = Vec::with_capacity(shape.iter().product());
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            push_window(&item.lq, item.height, item.width, height, width, &mut lq);
            push_window(&item.gt, item.height, item.width, height, width, &mut gt);
            names.push(item.name);
        }
        PairTensors {
            lq: Tensor::from_data(TensorData::new(lq, shape), device),
            gt: Tensor::from_data(TensorData::new(gt, shape), device),
            names,
        }
    }
}
