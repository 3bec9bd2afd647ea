//! Times every protocol on a synthetic 1280×720 pair (the GoPro frame size):
//! a textured image and a copy shifted by a fraction of a pixel and blurred,
//! which gives ECC real work to do.
//!
//! Run with `cargo bench -p hidiff-metrics --bench protocols`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hidiff_metrics::{evaluate_pair, Protocol, RgbImageU8};

const WIDTH: usize = 1280;
const HEIGHT: usize = 720;

/// A deterministic hash in `[0, 1)`, used as texture noise.
fn noise(x: usize, y: usize, c: usize) -> f64 {
    let mut h = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (c as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 32;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth structure plus fine noise, in `[0, 255]`.
fn texture(x: f64, y: f64, c: usize) -> f64 {
    let phase = c as f64 * 0.9;
    let v = 128.0
        + 55.0 * (x * 0.031 + y * 0.017 + phase).sin()
        + 35.0 * (x * 0.13 + phase).sin() * (y * 0.11 - phase).cos()
        + 20.0 * ((x + y) * 0.41).sin();
    v.clamp(0.0, 255.0)
}

fn make_pair() -> (RgbImageU8, RgbImageU8) {
    let mut gt = Vec::with_capacity(WIDTH * HEIGHT * 3);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            for c in 0..3 {
                let v = texture(x as f64, y as f64, c) + 12.0 * (noise(x, y, c) - 0.5);
                gt.push(v.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    // The prediction: the texture sampled 0.4 px right and 0.3 px up, blurred
    // by a 3×3 box, with a little different noise.
    let mut pred = Vec::with_capacity(WIDTH * HEIGHT * 3);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            for c in 0..3 {
                let mut acc = 0.0;
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        acc += texture(x as f64 + 0.4 + f64::from(dx), y as f64 - 0.3 + f64::from(dy), c);
                    }
                }
                let v = acc / 9.0 + 6.0 * (noise(x + 7, y + 3, c) - 0.5);
                pred.push(v.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let gt = RgbImageU8::from_raw(WIDTH, HEIGHT, gt).expect("valid buffer");
    let pred = RgbImageU8::from_raw(WIDTH, HEIGHT, pred).expect("valid buffer");
    (gt, pred)
}

fn protocols(c: &mut Criterion) {
    let (gt, pred) = make_pair();
    let mut group = c.benchmark_group("protocols_1280x720");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for protocol in Protocol::ALL {
        group.bench_function(protocol.name(), |b| {
            b.iter(|| evaluate_pair(protocol, black_box(&gt), black_box(&pred)).expect("evaluation succeeds"))
        });
    }
    group.finish();
}

criterion_group!(benches, protocols);
criterion_main!(benches);
