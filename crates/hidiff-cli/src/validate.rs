//! Checks of command-line values shared by the subcommands, run before anything
//! is loaded, decoded or written: sizes, budgets, training-step shapes, and the
//! paths a command writes against the paths it reads.

use std::path::Path;

use anyhow::{bail, Result};

/// The largest image side `--size` accepts (sizes are `u32` everywhere an image
/// is stored; the cost arithmetic itself is in `f64` and cannot wrap).
pub const MAX_SIDE: u64 = u32::MAX as u64;

/// Parses `HxW` (`x` or `X`; both sides positive, at most [`MAX_SIDE`]). The one
/// size syntax of every command; lists of sizes separate them with commas.
pub fn parse_hw(s: &str) -> std::result::Result<(usize, usize), String> {
    let (h, w) = s.trim().split_once(['x', 'X']).ok_or_else(|| format!("expected HxW (e.g. 256x256), got {s:?}"))?;
    let side = |v: &str, what: &str| -> std::result::Result<usize, String> {
        let n: u64 = v.trim().parse().map_err(|_| format!("the {what} in {s:?} is not a whole number"))?;
        if n == 0 || n > MAX_SIDE {
            return Err(format!("the {what} in {s:?} must lie in [1, {MAX_SIDE}]"));
        }
        usize::try_from(n).map_err(|_| format!("the {what} in {s:?} does not fit this machine's integers"))
    };
    Ok((side(h, "height")?, side(w, "width")?))
}

/// Parses a positive, finite number of megapixels or gigabytes.
pub fn parse_positive(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("expected a positive number, got {s:?}")),
    }
}

/// The training step of `hidiff bench`: a patch the model can take (a multiple of
/// its window of 8, so that pixel-unshuffle and the three downsamplings divide
/// it), a batch and counts within sane bounds, a JSON path that is not an input.
pub fn bench_step(patch: usize, batch: usize, iters: usize, json: Option<&Path>, config: Option<&Path>) -> Result<()> {
    if patch == 0 || !patch.is_multiple_of(8) || patch > 4096 {
        bail!("--patch {patch} must be a multiple of 8 (the model's window) between 8 and 4096");
    }
    if batch == 0 || batch > 1024 {
        bail!("--batch {batch} must lie in [1, 1024]");
    }
    if iters == 0 {
        bail!("--iters must be at least 1");
    }
    if let Some(json) = json {
        hidiff_io::check_output_file(json, config)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_size_rule() {
        assert_eq!(parse_hw("256x192"), Ok((256, 192)));
        assert_eq!(parse_hw(" 8X16 "), Ok((8, 16)));
        for bad in ["256,256", "0x8", "8x0", "256", "-8x8", "axb", "4294967296x8"] {
            assert!(parse_hw(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_hw("4294967295x1"), Ok((4_294_967_295, 1)));
    }

    #[test]
    fn bench_shapes() {
        assert!(bench_step(7, 8, 5, None, None).is_err());
        assert!(bench_step(0, 8, 5, None, None).is_err());
        assert!(bench_step(128, 0, 5, None, None).is_err());
        assert!(bench_step(128, 8, 0, None, None).is_err());
        assert!(bench_step(128, 8, 5, None, None).is_ok());
    }
}
