//! The protocol choice and the one entry point every caller uses,
//! [`evaluate_pair`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::image_u8::RgbImageU8;
use crate::realblur::{self, Warp};
use crate::{basicsr, matlab};

/// An evaluation protocol of HI-Diff (docs/reference.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// BasicSR `calculate_psnr`/`calculate_ssim` on RGB, `crop_border 0`
    /// (what HI-Diff's `test.py` and validation log).
    #[serde(rename = "basicsr")]
    BasicSr,
    /// BasicSR with `test_y_channel: true` (BT.601 luma).
    #[serde(rename = "basicsr-y")]
    BasicSrY,
    /// `evaluate_gopro_hide.m`: MATLAB `psnr` and volumetric `ssim`; the
    /// paper's GoPro and HIDE numbers.
    #[serde(rename = "gopro")]
    GoPro,
    /// `evaluate_realblur.py`: ECC alignment, masked PSNR/SSIM; the paper's
    /// RealBlur-J/-R numbers.
    #[serde(rename = "realblur")]
    RealBlur,
}

impl Protocol {
    /// All protocols, in documentation order.
    pub const ALL: [Protocol; 4] = [Protocol::BasicSr, Protocol::BasicSrY, Protocol::GoPro, Protocol::RealBlur];

    /// The protocol's name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::BasicSr => "basicsr",
            Protocol::BasicSrY => "basicsr-y",
            Protocol::GoPro => "gopro",
            Protocol::RealBlur => "realblur",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`Protocol::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol '{0}' (expected one of: basicsr, basicsr-y, gopro, realblur)")]
pub struct ParseProtocolError(pub String);

impl FromStr for Protocol {
    type Err = ParseProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Protocol::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| ParseProtocolError(s.to_string()))
    }
}

/// RealBlur's intermediate quantities, kept for diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealBlurDiagnostics {
    /// Intensity-matching scale applied to the prediction.
    pub alpha: f32,
    /// ECC correlation coefficient.
    pub rho: f64,
    /// ECC homography (row-major, `WARP_INVERSE_MAP`).
    pub warp_matrix: Warp,
    /// Valid pixels after alignment (per channel).
    pub valid_pixels: usize,
}

/// PSNR (dB) and SSIM of one pair under one protocol.
///
/// Identical images have `psnr = +∞`, which JSON cannot hold: it is written
/// as `null` and read back as `+∞`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// PSNR in dB.
    #[serde(with = "hidiff_report::psnr_json")]
    pub psnr: f64,
    /// SSIM.
    pub ssim: f64,
    /// RealBlur diagnostics (only for [`Protocol::RealBlur`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realblur: Option<RealBlurDiagnostics>,
}

/// Evaluates the prediction `pred` against the ground truth `gt`.
///
/// The roles follow the scripts: BasicSR `img = pred, img2 = gt`; MATLAB
/// `psnr(pred, gt)`, `ssim(pred, gt)`; RealBlur `proc((gt, pred))`, which
/// warps `pred` onto `gt` (the only protocol where the order matters).
pub fn evaluate_pair(protocol: Protocol, gt: &RgbImageU8, pred: &RgbImageU8) -> Result<Scores> {
    RgbImageU8::check_same_size(gt, pred)?;
    let simple = |psnr, ssim| Scores { psnr, ssim, realblur: None };
    Ok(match protocol {
        Protocol::BasicSr | Protocol::BasicSrY => {
            let y = protocol == Protocol::BasicSrY;
            simple(basicsr::calculate_psnr(pred, gt, 0, y)?, basicsr::calculate_ssim(pred, gt, 0, y)?)
        }
        Protocol::GoPro => simple(matlab::psnr(pred, gt)?, matlab::ssim(pred, gt)?),
        Protocol::RealBlur => {
            let r = realblur::evaluate(gt, pred)?;
            Scores {
                psnr: r.psnr,
                ssim: r.ssim,
                realblur: Some(RealBlurDiagnostics {
                    alpha: r.alpha,
                    rho: r.rho,
                    warp_matrix: r.warp_matrix,
                    valid_pixels: r.valid_pixels,
                }),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_round_trip_through_str_and_serde() {
        for p in Protocol::ALL {
            assert_eq!(p.name().parse::<Protocol>(), Ok(p));
            let json = serde_json::to_string(&p).expect("serialisable");
            assert_eq!(json, format!("\"{}\"", p.name()));
            assert_eq!(serde_json::from_str::<Protocol>(&json).expect("parsable"), p);
        }
        assert!("BasicSR".parse::<Protocol>().is_err());
    }

    #[test]
    fn infinite_psnr_survives_json() {
        let s = Scores { psnr: f64::INFINITY, ssim: 1.0, realblur: None };
        let json = serde_json::to_string(&s).expect("serialisable");
        assert_eq!(json, r#"{"psnr":null,"ssim":1.0}"#);
        assert_eq!(serde_json::from_str::<Scores>(&json).expect("parsable"), s);
    }
}
