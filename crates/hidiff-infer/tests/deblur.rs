//! The deblurring path equals the model's own padded inference, and the
//! self-ensemble equals the mean of its eight runs (golden small model).
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::*;
use hidiff_infer::deblur::to_host;
use hidiff_infer::{deblur_files, DeblurOptions, Dihedral, NoProgress, PlanOptions, Tiling};
use image::DynamicImage;

#[test]
fn untiled_deblur_of_an_odd_size_image_is_the_models_padded_inference() {
    let (h, w) = (37, 45); // neither a multiple of 8: reflect padding to 40 x 48
    let opts = DeblurOptions { seed: 7, ..Default::default() };
    let deblurrer = golden_deblurrer(opts);
    assert!(deblurrer.grid(h, w).is_none(), "a small image runs whole");

    // In floats: bit-identical to HiDiff::infer with the same seed.
    let lq = pattern(h, w);
    let ours = deblurrer.deblur_planar(&lq, h, w, &mut || {});
    let reference = to_host(deblurrer.model().infer(tensor(&lq, h, w), None, 7));
    assert_eq!(ours.len(), 3 * h * w);
    assert_eq!(max_abs(&ours, &reference), 0.0);
    // Another seed gives another result (the seed reaches the diffusion).
    let other = to_host(deblurrer.model().infer(tensor(&lq, h, w), None, 8));
    assert!(max_abs(&other, &reference) > 1e-6);

    // Through files: the written PNG is the reference quantised as docs/reference.md §4.8.
    let t = tempfile::tempdir().unwrap();
    let input = save(&DynamicImage::ImageRgb8(pattern_rgb8(h, w)), &t.path().join("odd.png"));
    let decoded = hidiff_infer::read_image(&input).unwrap();
    let reference = to_host(deblurrer.model().infer(tensor(&decoded.rgb, h, w), None, 7));
    let out_dir = t.path().join("out");
    let plan = PlanOptions { out_dir: out_dir.clone(), recursive: false, overwrite: false };
    let summary = deblur_files(&[input], &plan, &deblurrer, &NoProgress).unwrap();
    assert_eq!((summary.images, summary.pixels), (1, (h * w) as u64));
    let written = image::open(out_dir.join("odd.png")).unwrap().into_rgb8();
    assert_eq!(written.dimensions(), (w as u32, h as u32));
    let n = h * w;
    let expected: Vec<u8> = (0..n)
        .flat_map(|i| [reference[i], reference[n + i], reference[2 * n + i]].map(hidiff_infer::quantise::to_u8))
        .collect();
    assert_eq!(written.as_raw(), &expected);
}

#[test]
fn self_ensemble_is_the_mean_of_the_eight_transformed_runs() {
    let (h, w) = (24, 40); // not square: rotated copies are 40 x 24
    let seed = 3;
    let lq = pattern(h, w);
    let plain = golden_deblurrer(DeblurOptions { seed, tiling: Tiling::Off, ..Default::default() });
    let ensemble =
        golden_deblurrer(DeblurOptions { seed, tiling: Tiling::Off, self_ensemble: true, ..Default::default() });
    assert_eq!(ensemble.passes(h, w), 8);

    let mut passes = 0;
    let ours = ensemble.deblur_planar(&lq, h, w, &mut || passes += 1);
    assert_eq!(passes, 8);

    // The eight runs by hand, inverted on the host with explicit index arithmetic.
    let mut mean = vec![0.0f64; 3 * h * w];
    for t in Dihedral::ALL {
        let x = t.apply(tensor(&lq, h, w));
        let [_, _, th, tw] = x.dims();
        let out = to_host(plain.model().infer(x, None, seed));
        for c in 0..3 {
            for y in 0..h {
                for xx in 0..w {
                    // Where pixel (y, xx) of the original lands after `t`.
                    let (mut py, mut px, mut ph, mut pw) = (y, xx, h, w);
                    if t.flip {
                        px = pw - 1 - px;
                    }
                    for _ in 0..t.rot90 {
                        // counter-clockwise: (y, x) -> (W-1-x, y) in a W x H result
                        let (ny, nx) = (pw - 1 - px, py);
                        (py, px, ph, pw) = (ny, nx, pw, ph);
                    }
                    assert_eq!((ph, pw), (th, tw));
                    mean[(c * h + y) * w + xx] += f64::from(out[(c * th + py) * tw + px]) / 8.0;
                }
            }
        }
    }
    let mean: Vec<f32> = mean.into_iter().map(|v| v as f32).collect();
    let diff = max_abs(&ours, &mean);
    assert!(diff < 1e-5, "ensemble differs from the mean of its runs by {diff}");
    // And it is not the plain run.
    let single = plain.deblur_planar(&lq, h, w, &mut || {});
    assert!(max_abs(&ours, &single) > 1e-4);
}

#[test]
fn a_hidiff_checkpoint_carries_its_configuration() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("model.safetensors");
    let model = golden_model();
    model.save_safetensors(&golden_config(), &file).unwrap();
    let cfg = hidiff_infer::embedded_config(&file).unwrap().expect("our checkpoints embed their configuration");
    assert_eq!(cfg.transformer, golden_config().transformer);
    assert!(hidiff_infer::embedded_config(&golden_dir()).unwrap().is_none(), "official folders do not");
    let reloaded = hidiff_infer::load_for_inference::<B>(&file, &cfg, "embedded", &Default::default()).unwrap();
    let lq = pattern(16, 24);
    let a = to_host(model.infer(tensor(&lq, 16, 24), None, 0));
    let b = to_host(reloaded.infer(tensor(&lq, 16, 24), None, 0));
    assert_eq!(max_abs(&a, &b), 0.0);
}
