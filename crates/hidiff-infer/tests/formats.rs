//! Gray, RGBA, 16-bit and JPEG inputs come back in their own layout: same size,
//! colour type and bit depth, alpha untouched, values quantised as docs/reference.md §4.8.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod common;

use std::path::Path;

use common::*;
use hidiff_infer::deblur::to_host;
use hidiff_infer::quantise::{to_u16, to_u8};
use hidiff_infer::{deblur_files, read_image, DeblurOptions, Deblurrer, NoProgress, PlanOptions};
use image::{ColorType, DynamicImage, ImageBuffer, Luma, LumaA, Rgb, Rgba};

const H: usize = 29;
const W: usize = 34;

fn deblur_one(d: &Deblurrer<B>, input: &Path, out_dir: &Path) -> DynamicImage {
    let plan = PlanOptions { out_dir: out_dir.to_path_buf(), recursive: false, overwrite: false };
    deblur_files(&[input.to_path_buf()], &plan, d, &NoProgress).expect("deblurs");
    image::open(out_dir.join(input.file_name().unwrap())).expect("output readable")
}

/// The model output of a decoded file, planar.
fn reference(d: &Deblurrer<B>, input: &Path) -> Vec<f32> {
    let img = read_image(input).unwrap();
    to_host(d.model().infer(tensor(&img.rgb, H, W), None, d.options().seed))
}

#[test]
fn every_layout_round_trips_its_format() {
    let t = tempfile::tempdir().unwrap();
    let d = golden_deblurrer(DeblurOptions::default());
    let p = pattern(H, W);
    let n = H * W;
    let (w, h) = (W as u32, H as u32);
    let alpha8: Vec<u8> = (0..n).map(|i| (i * 13 % 256) as u8).collect();
    let alpha16: Vec<u16> = (0..n).map(|i| (i * 3001 % 65536) as u16).collect();
    let q8 = |v: f32| (v * 255.0).round() as u8;
    let q16 = |v: f32| (v * 65535.0).round() as u16;

    let gray8 = DynamicImage::ImageLuma8(
        ImageBuffer::<Luma<u8>, _>::from_raw(w, h, (0..n).map(|i| q8(p[i])).collect()).unwrap(),
    );
    let rgba8 = DynamicImage::ImageRgba8(
        ImageBuffer::<Rgba<u8>, _>::from_raw(
            w,
            h,
            (0..n).flat_map(|i| [q8(p[i]), q8(p[n + i]), q8(p[2 * n + i]), alpha8[i]]).collect(),
        )
        .unwrap(),
    );
    let rgb16 = DynamicImage::ImageRgb16(
        ImageBuffer::<Rgb<u16>, _>::from_raw(
            w,
            h,
            (0..n).flat_map(|i| [q16(p[i]), q16(p[n + i]), q16(p[2 * n + i])]).collect(),
        )
        .unwrap(),
    );
    let graya16 = DynamicImage::ImageLumaA16(
        ImageBuffer::<LumaA<u16>, _>::from_raw(w, h, (0..n).flat_map(|i| [q16(p[n + i]), alpha16[i]]).collect())
            .unwrap(),
    );

    // 8-bit gray: gray out = mean of the three output channels, quantised.
    let input = save(&gray8, &t.path().join("gray8.png"));
    let out = deblur_one(&d, &input, &t.path().join("o1"));
    assert_eq!((out.color(), out.width(), out.height()), (ColorType::L8, w, h));
    let r = reference(&d, &input);
    let want: Vec<u8> = (0..n).map(|i| to_u8((r[i] + r[n + i] + r[2 * n + i]) / 3.0)).collect();
    assert_eq!(out.as_bytes(), &want[..]);

    // 8-bit RGBA: alpha copied bit for bit.
    let input = save(&rgba8, &t.path().join("rgba8.png"));
    let out = deblur_one(&d, &input, &t.path().join("o2"));
    assert_eq!((out.color(), out.width(), out.height()), (ColorType::Rgba8, w, h));
    let out = out.into_rgba8();
    assert_eq!(out.pixels().map(|p| p[3]).collect::<Vec<_>>(), alpha8);
    let r = reference(&d, &input);
    assert_eq!(out.pixels().map(|p| p[1]).collect::<Vec<_>>(), (0..n).map(|i| to_u8(r[n + i])).collect::<Vec<_>>());

    // 16-bit RGB: written at 16 bits with the 65535 peak (not 8-bit values scaled up).
    let input = save(&rgb16, &t.path().join("rgb16.png"));
    let out = deblur_one(&d, &input, &t.path().join("o3"));
    assert_eq!((out.color(), out.width(), out.height()), (ColorType::Rgb16, w, h));
    let out = out.into_rgb16();
    let r = reference(&d, &input);
    let got: Vec<u16> = out.pixels().map(|p| p[2]).collect();
    assert_eq!(got, (0..n).map(|i| to_u16(r[2 * n + i])).collect::<Vec<_>>());
    assert!(got.iter().any(|v| v % 257 != 0), "16-bit precision is kept");

    // 16-bit gray + alpha.
    let input = save(&graya16, &t.path().join("graya16.png"));
    let out = deblur_one(&d, &input, &t.path().join("o4"));
    assert_eq!((out.color(), out.width(), out.height()), (ColorType::La16, w, h));
    assert_eq!(out.into_luma_alpha16().pixels().map(|p| p[1]).collect::<Vec<_>>(), alpha16);

    // JPEG stays JPEG (8-bit RGB) under its own name.
    let input = save(&DynamicImage::ImageRgb8(pattern_rgb8(H, W)), &t.path().join("photo.jpg"));
    let out_dir = t.path().join("o5");
    let out = deblur_one(&d, &input, &out_dir);
    assert_eq!((out.color(), out.width(), out.height()), (ColorType::Rgb8, w, h));
    let bytes = std::fs::read(out_dir.join("photo.jpg")).unwrap();
    assert_eq!(image::guess_format(&bytes).unwrap(), image::ImageFormat::Jpeg);
}
