//! Protocol 1 (BasicSR `calculate_psnr` / `calculate_ssim`) against every
//! golden case: PSNR within 1e-5 dB, SSIM within 1e-6.

mod common;

use common::{cases, Worst};
use hidiff_metrics::basicsr::{calculate_psnr, calculate_ssim, calculate_ssim_channels};
use hidiff_metrics::{evaluate_pair, Protocol};

const PSNR_TOL: f64 = 1e-5;
const SSIM_TOL: f64 = 1e-6;

#[test]
fn rgb_psnr_and_ssim_match_every_case() {
    let mut psnr = Worst::new("basicsr rgb psnr (dB)", PSNR_TOL);
    let mut ssim = Worst::new("basicsr rgb ssim", SSIM_TOL);
    let mut channels = Worst::new("basicsr rgb ssim per channel (BGR)", SSIM_TOL);
    for case in cases() {
        // BasicSR's roles: img = pred, img2 = gt.
        psnr.check(
            &case.id,
            calculate_psnr(&case.pred, &case.gt, 0, false).expect("psnr"),
            case.num("/basicsr/rgb/psnr"),
        );
        ssim.check(
            &case.id,
            calculate_ssim(&case.pred, &case.gt, 0, false).expect("ssim"),
            case.num("/basicsr/rgb/ssim"),
        );
        let per = calculate_ssim_channels(&case.pred, &case.gt, 0, false).expect("ssim per channel");
        for (k, v) in per.iter().enumerate() {
            channels.check(&case.id, *v, case.num(&format!("/basicsr/rgb/ssim_per_channel_bgr/{k}")));
        }
        // The protocol entry point gives the same numbers.
        let s = evaluate_pair(Protocol::BasicSr, &case.gt, &case.pred).expect("evaluate_pair");
        assert_eq!(s.psnr, calculate_psnr(&case.pred, &case.gt, 0, false).expect("psnr"));
        assert_eq!(s.ssim, calculate_ssim(&case.pred, &case.gt, 0, false).expect("ssim"));
    }
    psnr.finish();
    ssim.finish();
    channels.finish();
}

#[test]
fn y_channel_psnr_and_ssim_match_every_case() {
    let mut psnr = Worst::new("basicsr y psnr (dB)", PSNR_TOL);
    let mut ssim = Worst::new("basicsr y ssim", SSIM_TOL);
    for case in cases() {
        let s = evaluate_pair(Protocol::BasicSrY, &case.gt, &case.pred).expect("evaluate_pair");
        psnr.check(&case.id, s.psnr, case.num("/basicsr/y/psnr"));
        ssim.check(&case.id, s.ssim, case.num("/basicsr/y/ssim"));
        // A BGR/RGB mix-up would land on the informative wrong value instead.
        let wrong = case.num("/basicsr/informative_NOT_protocol/y_channel_if_RGB_order_were_passed/psnr");
        assert!((s.psnr - wrong).abs() > 1e-3, "{}: Y computed in the wrong channel order", case.id);
    }
    psnr.finish();
    ssim.finish();
}

#[test]
fn psnr_and_ssim_are_symmetric_in_rgb_mode() {
    for case in cases().iter().take(2) {
        let ab = evaluate_pair(Protocol::BasicSr, &case.gt, &case.pred).expect("a, b");
        let ba = evaluate_pair(Protocol::BasicSr, &case.pred, &case.gt).expect("b, a");
        assert_eq!(ab.psnr, ba.psnr);
        assert!((ab.ssim - ba.ssim).abs() < 1e-15);
    }
}

#[test]
fn crop_border_removes_pixels() {
    let case = &cases()[0];
    let full = calculate_psnr(&case.pred, &case.gt, 0, false).expect("psnr");
    let cropped = calculate_psnr(&case.pred, &case.gt, 4, false).expect("psnr");
    assert_ne!(full, cropped);
    let too_much = calculate_ssim(&case.pred, &case.gt, 43, false);
    assert!(too_much.is_err(), "96 - 2·43 = 10 < 11 must be refused");
}
