//! The measurements quoted in `docs/deblur.md`, on the CPU (burn's Flex backend).
//!
//! ```text
//! cargo run -p hidiff-infer --example measure -- tiling IMAGE MODEL TILE OVERLAP
//! cargo run -p hidiff-infer --example measure -- speed MODEL SIZE [REPEATS]
//! ```
//!
//! `MODEL` is `golden` (the small golden model with its official `.pth` weights) or
//! a preset name (`gopro`, ...; random initial weights). `tiling` prints the PSNR of
//! the tiled output against the whole-image output for a shared prior and for a
//! prior per tile; `speed` prints seconds per megapixel of one untiled inference
//! of a `SIZE × SIZE` image (median of the repeats after one warm-up run).

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::backend::Flex;
use burn::module::Module;
use hidiff_infer::{load_for_inference, read_image, DeblurOptions, Deblurrer, TilePrior, TileSpec, Tiling};
use hidiff_model::{ModelConfig, Networks};

type B = Flex;

fn model(name: &str) -> hidiff_model::HiDiff<B> {
    let dev = Default::default();
    if name == "golden" {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hidiff-model/tests/fixtures/golden");
        let cfg = ModelConfig::from_file(dir.join("small_config.toml")).expect("golden config");
        load_for_inference::<B>(&dir, &cfg, "golden", &dev).expect("golden weights")
    } else {
        let cfg = ModelConfig::preset(name).expect("a preset name or `golden`");
        cfg.init::<B>(Networks::Inference, &dev).to_device(&dev)
    }
}

fn psnr(a: &[f32], b: &[f32]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(x.clamp(0.0, 1.0)) - f64::from(y.clamp(0.0, 1.0))).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

fn tiling(image: &Path, name: &str, tile: usize, overlap: usize) {
    let img = read_image(image).expect("readable image");
    let (h, w) = (img.height as usize, img.width as usize);
    // Materialised once (`to_device`), so that every clone has the same weights.
    let m = model(name);
    let run = |tiling, tile_prior| {
        let d =
            Deblurrer::new(m.clone(), Default::default(), DeblurOptions { tiling, tile_prior, ..Default::default() })
                .expect("options");
        let t = Instant::now();
        let out = d.deblur_planar(&img.rgb, h, w, &mut || {});
        (out, t.elapsed().as_secs_f64(), d.grid(h, w).map_or(1, |g| g.len()))
    };
    let (whole, tw, _) = run(Tiling::Off, TilePrior::Shared);
    let spec = TileSpec { size: tile, overlap };
    let (shared, ts, n) = run(Tiling::Always(spec), TilePrior::Shared);
    let (per_tile, _, _) = run(Tiling::Always(spec), TilePrior::PerTile);
    println!(
        "{} {w}x{h}, model {name}, tile {tile} overlap {overlap} ({n} tiles): shared prior {:.2} dB, prior per tile {:.2} dB (whole {tw:.1} s, tiled {ts:.1} s)",
        image.display(),
        psnr(&shared, &whole),
        psnr(&per_tile, &whole)
    );
}

fn speed(name: &str, size: usize, repeats: usize) {
    let d =
        Deblurrer::new(model(name), Default::default(), DeblurOptions { tiling: Tiling::Off, ..Default::default() })
            .expect("options");
    let input: Vec<f32> = (0..3 * size * size).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
    let _ = d.deblur_planar(&input, size, size, &mut || {});
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            let _ = d.deblur_planar(&input, size, size, &mut || {});
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let mp = (size * size) as f64 / 1e6;
    println!(
        "model {name}, {size}x{size}: {median:.3} s per image, {:.2} s per megapixel (median of {repeats})",
        median / mp
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("tiling") => tiling(
            Path::new(arg(1).expect("IMAGE")),
            arg(2).unwrap_or("golden"),
            arg(3).map_or(256, |s| s.parse().expect("TILE")),
            arg(4).map_or(32, |s| s.parse().expect("OVERLAP")),
        ),
        Some("speed") => speed(
            arg(1).unwrap_or("golden"),
            arg(2).map_or(256, |s| s.parse().expect("SIZE")),
            arg(3).map_or(3, |s| s.parse().expect("REPEATS")),
        ),
        _ => eprintln!("usage: measure tiling IMAGE MODEL TILE OVERLAP | measure speed MODEL SIZE [REPEATS]"),
    }
}
