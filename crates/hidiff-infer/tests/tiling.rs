//! Tiled against untiled output on the golden small model: the shared global
//! prior keeps tiles within a measured bound of the whole-image result, and beats
//! a prior per tile. The numbers printed here are the ones in `docs/deblur.md`.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use common::*;
use hidiff_infer::{DeblurOptions, TilePrior, TileSpec, Tiling};

fn run(h: usize, w: usize, tiling: Tiling, tile_prior: TilePrior) -> (Vec<f32>, usize) {
    let d = golden_deblurrer(DeblurOptions { seed: 1, tiling, tile_prior, ..Default::default() });
    let mut passes = 0;
    let out = d.deblur_planar(&pattern(h, w), h, w, &mut || passes += 1);
    (out, passes)
}

#[test]
fn tiles_with_a_shared_prior_agree_with_the_whole_image() {
    let (h, w) = (176, 150);
    let (whole, passes) = run(h, w, Tiling::Off, TilePrior::Shared);
    assert_eq!(passes, 1);
    let mut report = Vec::new();
    for overlap in [16, 32] {
        let spec = TileSpec { size: 64, overlap };
        let (shared, n) = run(h, w, Tiling::Always(spec), TilePrior::Shared);
        let (per_tile, _) = run(h, w, Tiling::Always(spec), TilePrior::PerTile);
        assert!(n > 4, "the image is split ({n} tiles)");
        let (ps, pp) = (psnr(&shared, &whole), psnr(&per_tile, &whole));
        report
            .push(format!("tile 64 overlap {overlap}: {n} tiles, shared prior {ps:.2} dB, prior per tile {pp:.2} dB"));
        assert!(ps > pp, "sharing the prior must help: {ps} vs {pp}");
        assert!(ps > 40.0, "tiled output too far from the whole image: {ps:.2} dB");
    }
    // A prior from a downscaled copy (what images above the prior's pixel budget get).
    let d = golden_deblurrer(DeblurOptions {
        seed: 1,
        tiling: Tiling::Always(TileSpec { size: 64, overlap: 32 }),
        prior_max_pixels: 100 * 100, // 176 x 150 -> factor 2
        ..Default::default()
    });
    let small_prior = d.deblur_planar(&pattern(h, w), h, w, &mut || {});
    let pd = psnr(&small_prior, &whole);
    report.push(format!("tile 64 overlap 32, prior from a 2x-downscaled copy: {pd:.2} dB"));
    assert!(pd > 35.0, "{pd}");
    println!("{}", report.join("\n"));
}
