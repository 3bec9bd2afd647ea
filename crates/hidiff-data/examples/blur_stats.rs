use hidiff_data::synthetic::{synthesize_pair, SyntheticConfig, SyntheticSplit};
use std::time::Instant;
fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let mse = a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>() / a.as_raw().len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10()
}
fn main() {
    let c = SyntheticConfig::default();
    for split in SyntheticSplit::ALL {
        let t = Instant::now();
        let mut v: Vec<(f64, String)> = (0..100).map(|i| { let p = synthesize_pair(&c, split, i).unwrap(); (psnr(&p.lq, &p.gt), format!("{:?} len {:.1} exp {:.2} photo {:?} support {}", p.info.mode, p.info.length, p.info.exposure, p.info.photo, p.info.support)) }).collect();
        let el = t.elapsed().as_secs_f64();
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        let mean = v.iter().map(|x| x.0).sum::<f64>() / v.len() as f64;
        println!("{split:?}: {el:.2}s/100 single-thread; mean {mean:.2} min {:.2} median {:.2} max {:.2}", v[0].0, v[50].0, v[99].0);
        for x in v.iter().rev().take(4) { println!("   {:.1} {}", x.0, x.1); }
    }
}
