//! Protocol 3 end to end: `proc((gt, pred))` from the two PNG files, within
//! each case's `end_to_end_tolerance` (ECC is chaotic on real pairs; see the
//! golden README).

mod common;

use common::cases;
use hidiff_metrics::{evaluate_pair, Protocol};

#[test]
fn end_to_end_psnr_and_ssim_within_case_tolerances() {
    let mut failures = Vec::new();
    for case in cases() {
        let s = evaluate_pair(Protocol::RealBlur, &case.gt, &case.pred).expect("RealBlur evaluation");
        let tol_psnr = case.num("/realblur/end_to_end_tolerance/psnr_db");
        let tol_ssim = case.num("/realblur/end_to_end_tolerance/ssim");
        let (ref_psnr, ref_ssim) = (case.num("/realblur/psnr"), case.num("/realblur/ssim"));
        let (dp, ds) = ((s.psnr - ref_psnr).abs(), (s.ssim - ref_ssim).abs());
        let diag = s.realblur.as_ref().expect("RealBlur diagnostics");
        let ref_warp = case.warp("/realblur/warp_matrix");
        let warp_dev = diag
            .warp_matrix
            .iter()
            .flatten()
            .zip(ref_warp.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        eprintln!(
            "{:<30} |Δpsnr| = {dp:.2e} dB (tol {tol_psnr:e}), |Δssim| = {ds:.2e} (tol {tol_ssim:e}), \
             max |Δwarp| = {warp_dev:.2e}, |Δrho| = {:.2e}",
            case.id,
            (diag.rho - case.num("/realblur/ecc_rho")).abs()
        );
        assert_eq!(diag.alpha.to_bits(), (case.num("/realblur/intensity_scale_alpha") as f32).to_bits());
        if dp > tol_psnr || ds > tol_ssim {
            failures.push(format!("{}: psnr {} vs {ref_psnr}, ssim {} vs {ref_ssim}", case.id, s.psnr, s.ssim));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
