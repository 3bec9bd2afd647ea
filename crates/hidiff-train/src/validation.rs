//! Validation as the reference's `nondist_validation` does it: whole images one at
//! a time through the stage's test pass, the output quantised like BasicSR's
//! `tensor2img` (clamp to [0, 1], ×255 in float32, round half to even, uint8), and
//! BasicSR `calculate_psnr` (all channels, no border crop) averaged over images.
//! The mean L1 of the float output against the target is reported beside it.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use burn::train::InferenceStep;
use hidiff_data::EvalPair;
use hidiff_metrics::basicsr::calculate_psnr;
use hidiff_metrics::RgbImageU8;
use serde::{Deserialize, Serialize};

use crate::data::ValSet;
use crate::error::Result;
use crate::step::{ValBatch, ValOutput};

/// The result of one validation pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValResult {
    /// Mean BasicSR PSNR (dB) of the 8-bit outputs.
    pub psnr: f64,
    /// Mean `|out − gt|` of the float outputs (the training loss on whole images).
    pub l1: f64,
    /// Images validated.
    pub images: usize,
}

/// `tensor2img` of one CHW float image: an interleaved 8-bit RGB buffer.
pub fn quantize_chw(chw: &[f32], height: usize, width: usize) -> Vec<u8> {
    let plane = height * width;
    let mut out = Vec::with_capacity(3 * plane);
    for p in 0..plane {
        for c in 0..3 {
            let v = (chw[c * plane + p].clamp(0.0, 1.0) * 255.0f32).round_ties_even();
            out.push(v as u8);
        }
    }
    out
}

/// `(BasicSR PSNR of the 8-bit output, mean |out − gt| of the float output)` of
/// one restored image `[1, 3, H, W]` against its pair.
///
/// # Errors
/// An output whose size differs from the pair's.
pub fn measure<B: Backend>(output: Tensor<B, 4>, pair: &EvalPair) -> Result<(f64, f64)> {
    let [_, _, height, width] = output.dims();
    let values: Vec<f32> = output.into_data().convert::<f32>().into_vec().expect("float output");
    let gt = hidiff_data::image_io::to_chw_f32(&pair.gt);
    let l1 = values.iter().zip(&gt).map(|(a, b)| f64::from((a - b).abs())).sum::<f64>() / values.len().max(1) as f64;
    let restored = RgbImageU8::from_raw(width, height, quantize_chw(&values, height, width))?;
    let target = RgbImageU8::from_raw(pair.gt.width() as usize, pair.gt.height() as usize, pair.gt.as_raw().clone())?;
    Ok((calculate_psnr(&restored, &target, 0, false)?, l1))
}

/// Runs `model` over every pair of `set` and averages the metrics (the
/// validation before the first iteration; the `Learner` runs the others).
///
/// # Errors
/// An unreadable validation image (naming it) or a metric error.
pub fn validate<B: Backend, M>(model: &M, set: &ValSet, device: &B::Device) -> Result<ValResult>
where
    M: InferenceStep<Input = ValBatch<B>, Output = ValOutput<B>>,
{
    let (mut psnr, mut l1) = (0.0, 0.0);
    for i in 0..set.len() {
        let pair: EvalPair = set.get(i)?;
        let item = pair.to_item();
        let shape = [1, 3, item.height, item.width];
        let lq = Tensor::<B, 4>::from_data(TensorData::new(item.lq, shape), device);
        let gt = Tensor::<B, 4>::from_data(TensorData::new(item.gt, shape), device);
        let out = model.step(ValBatch { lq, gt, reference: None }).output;
        let (p, l) = measure(out, &pair)?;
        psnr += p;
        l1 += l;
    }
    let n = set.len().max(1) as f64;
    Ok(ValResult { psnr: psnr / n, l1: l1 / n, images: set.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_clamps_rounds_and_interleaves() {
        // 3 channels of 1×2 pixels: R = [a, b], G = [c, d], B = [e, f]; 0.25·255 = 63.75.
        let chw = [0.0, 2.0 / 255.0, -0.2, 1.7, 0.25, 1.0];
        assert_eq!(quantize_chw(&chw, 1, 2), vec![0, 0, 64, 2, 255, 255]);
        // NumPy's round: half to even.
        assert_eq!(2.5f32.round_ties_even(), 2.0);
    }
}
