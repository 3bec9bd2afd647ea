//! Protocol 2 (`evaluate_gopro_hide.m`: MATLAB `psnr` and volumetric `ssim`)
//! against every golden case: PSNR within 1e-5 dB, SSIM within 1e-6.

mod common;

use common::{cases, Worst};
use hidiff_metrics::{evaluate_pair, matlab, Protocol};

#[test]
fn psnr_and_volumetric_ssim_match_every_case() {
    let mut psnr = Worst::new("matlab psnr (dB)", 1e-5);
    let mut ssim = Worst::new("matlab ssim (3-D)", 1e-6);
    for case in cases() {
        let s = evaluate_pair(Protocol::GoPro, &case.gt, &case.pred).expect("evaluate_pair");
        psnr.check(&case.id, s.psnr, case.num("/matlab/psnr"));
        ssim.check(&case.id, s.ssim, case.num("/matlab/ssim"));
        // The volumetric SSIM is far from the per-channel 2-D one.
        let per_channel = case.num("/matlab/informative_NOT_protocol/per_channel_2d_ssim_mean");
        assert!((s.ssim - per_channel).abs() > 0.05, "{}: looks like a per-channel SSIM", case.id);
        // `psnr(input, gt)` is BasicSR's RGB PSNR formula.
        assert_eq!(s.psnr.to_bits(), case.num("/basicsr/rgb/psnr").to_bits(), "{}", case.id);
    }
    psnr.finish();
    ssim.finish();
}

#[test]
fn identical_images_give_infinite_psnr_and_unit_ssim() {
    let case = &cases()[1];
    assert_eq!(matlab::psnr(&case.gt, &case.gt).expect("psnr"), f64::INFINITY);
    assert!((matlab::ssim(&case.gt, &case.gt).expect("ssim") - 1.0).abs() < 1e-12);
}
