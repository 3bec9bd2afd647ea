//! Protocol 3 (`evaluate_realblur.py`) stage by stage, each stage started
//! from the reference inputs, with the tolerances of the golden README.

mod common;

use common::{cases, Case, Worst};
use hidiff_metrics::realblur::{self, intensity, score, FloatImage, Warp, IDENTITY};

/// Distance in units in the last place between two finite float32 values of
/// the same sign.
fn ulps(a: f32, b: f32) -> u32 {
    a.to_bits().abs_diff(b.to_bits())
}

fn float_images(case: &Case) -> (FloatImage, FloatImage) {
    (FloatImage::from_u8(&case.gt), FloatImage::from_u8(&case.pred))
}

#[test]
fn intensity_scale_alpha_is_bit_exact() {
    for case in cases() {
        let (x, z) = float_images(&case);
        let alpha = intensity::intensity_scale(&x, &z);
        let expected = case.num("/realblur/intensity_scale_alpha") as f32;
        eprintln!("{}: alpha {alpha:e} vs {expected:e}: {} ulp", case.id, ulps(alpha, expected));
        assert_eq!(alpha.to_bits(), expected.to_bits(), "{}: alpha {alpha} vs {expected}", case.id);
    }
}

/// Per-entry tolerances for an ECC warp checkpoint: linear 2×2 part,
/// translation column, perspective row.
fn check_warp(
    id: &str,
    got: &Warp,
    expected: &Warp,
    linear: &mut Worst,
    translation: &mut Worst,
    perspective: &mut Worst,
) {
    for r in 0..2 {
        for c in 0..2 {
            linear.check(id, f64::from(got[r][c]), f64::from(expected[r][c]));
        }
        translation.check(id, f64::from(got[r][2]), f64::from(expected[r][2]));
        perspective.check(id, f64::from(got[2][r]), f64::from(expected[2][r]));
    }
    assert_eq!(got[2][2], 1.0);
}

fn ecc_after(case: &Case, iterations: usize) -> Warp {
    let (x, z) = float_images(case);
    let alpha = case.num("/realblur/intensity_scale_alpha") as f32;
    let zs = intensity::scale(&z, alpha);
    realblur::find_transform_ecc(&intensity::rgb_to_gray(&x), &intensity::rgb_to_gray(&zs), IDENTITY, iterations)
        .expect("ECC runs")
        .warp
}

#[test]
fn ecc_warp_after_one_iteration_matches_opencv() {
    let mut linear = Worst::new("ecc 1 iteration: linear part", 5e-5);
    let mut translation = Worst::new("ecc 1 iteration: translation", 5e-4);
    let mut perspective = Worst::new("ecc 1 iteration: perspective row", 5e-7);
    for case in cases() {
        let expected = case.warp("/realblur/warp_matrix_after_1_iteration");
        check_warp(&case.id, &ecc_after(&case, 1), &expected, &mut linear, &mut translation, &mut perspective);
    }
    linear.finish();
    translation.finish();
    perspective.finish();
}

#[test]
fn ecc_warp_after_two_iterations_matches_opencv() {
    // The README gives tolerances for one iteration only; after two the
    // independent float64 port measured 1.8e-6 / 8.8e-5 / 1.3e-8, so the
    // one-iteration tolerances still apply.
    let mut linear = Worst::new("ecc 2 iterations: linear part", 5e-5);
    let mut translation = Worst::new("ecc 2 iterations: translation", 5e-4);
    let mut perspective = Worst::new("ecc 2 iterations: perspective row", 5e-7);
    for case in cases() {
        let expected = case.warp("/realblur/warp_matrix_after_2_iterations");
        check_warp(&case.id, &ecc_after(&case, 2), &expected, &mut linear, &mut translation, &mut perspective);
    }
    linear.finish();
    translation.finish();
    perspective.finish();
}

#[test]
fn aligned_image_and_mask_from_the_reference_warp() {
    let mut aligned_dev = Worst::new("aligned image from reference warp (max abs)", 1e-5);
    for case in cases() {
        let (x, z) = float_images(&case);
        let alpha = case.num("/realblur/intensity_scale_alpha") as f32;
        let zs = intensity::scale(&z, alpha);
        let warp = case.warp("/realblur/warp_matrix");
        let (aligned, mask) = realblur::align(&zs, &warp, x.width, x.height);
        let (ref_aligned, ref_mask) = case.aligned_and_mask();
        let mismatches = mask.iter().zip(&ref_mask).filter(|(a, b)| a != b).count();
        assert_eq!(mismatches, 0, "{}: {mismatches} mask pixels differ", case.id);
        let valid: usize = mask.iter().map(|&m| usize::from(m)).sum();
        assert_eq!(valid as f64, case.num("/realblur/valid_mask_pixels_per_channel"), "{}", case.id);
        let max_abs = aligned.data.iter().zip(&ref_aligned).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
        aligned_dev.check(&case.id, max_abs, 0.0);
    }
    aligned_dev.finish();
}

#[test]
fn psnr_and_ssim_from_the_reference_aligned_image() {
    let mut psnr = Worst::new("masked psnr from stored aligned+mask (dB)", 1e-5);
    let mut ssim = Worst::new("masked ssim from stored aligned+mask", 1e-5);
    let mut per_channel = Worst::new("masked ssim per channel (RGB)", 1e-5);
    for case in cases() {
        let (x, _) = float_images(&case);
        let (ref_aligned, ref_mask) = case.aligned_and_mask();
        let aligned = FloatImage { data: ref_aligned, ..x.clone() };
        psnr.check(&case.id, score::masked_psnr(&x, &aligned, &ref_mask).expect("psnr"), case.num("/realblur/psnr"));
        let (s, per) = score::masked_ssim(&x, &aligned, &ref_mask).expect("ssim");
        ssim.check(&case.id, f64::from(s), case.num("/realblur/ssim"));
        for (k, v) in per.iter().enumerate() {
            per_channel.check(&case.id, f64::from(*v), case.num(&format!("/realblur/ssim_per_channel_rgb/{k}")));
        }
    }
    psnr.finish();
    ssim.finish();
    per_channel.finish();
}
