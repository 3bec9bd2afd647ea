//! Patch generation on a made-up 1280×720 GoPro tree (docs/reference.md §4.7).

mod common;

use std::sync::Mutex;

use common::{decode_position, lq_of, position_pattern, save};
use hidiff_data::gopro_patches::{centre_offset, patch_offsets, patch_windows};
use hidiff_data::{generate_gopro_patches, resolve, DatasetKind, PatchConfig, ProgressFn, Split};

#[test]
fn offsets_match_the_reference_for_gopro_frames() {
    assert_eq!(patch_offsets(720, 512, 256), Some(vec![0, 208]));
    assert_eq!(patch_offsets(1280, 512, 256), Some(vec![0, 256, 512, 768]));
    assert_eq!(patch_offsets(512, 512, 256), Some(vec![0]));
    assert_eq!(patch_offsets(1024, 512, 256), Some(vec![0, 256, 512]));
    assert_eq!(patch_offsets(500, 512, 256), None);
    let windows = patch_windows(1280, 720, &PatchConfig::default()).expect("fits");
    let got: Vec<_> = windows.iter().map(|w| (w.k, w.top, w.left)).collect();
    let expected =
        [(1, 0, 0), (2, 0, 256), (3, 0, 512), (4, 0, 768), (5, 208, 0), (6, 208, 256), (7, 208, 512), (8, 208, 768)];
    assert_eq!(got, expected);
    assert_eq!(centre_offset(1280, 720, 256), Some((232, 512)));
}

#[test]
fn a_small_gopro_tree_gives_eight_named_patches_per_frame_and_centre_val_crops() {
    let root = tempfile::tempdir().expect("tempdir");
    let gopro = root.path().join("GoPro");
    let frame = position_pattern(1280, 720);
    for stem in ["GOPR0372_07_00_000047", "GOPR0372_07_00_000048"] {
        save(&lq_of(&frame), &gopro.join(format!("train/input/{stem}.png")));
        save(&frame, &gopro.join(format!("train/target/{stem}.png")));
    }
    save(&lq_of(&frame), &gopro.join("test/GoPro/input/GOPR0384_11_00_000001.png"));
    save(&frame, &gopro.join("test/GoPro/target/GOPR0384_11_00_000001.png"));

    let events = Mutex::new(Vec::<(String, usize, usize)>::new());
    let record =
        ProgressFn::new(|stage: &str, done, total| events.lock().expect("lock").push((stage.into(), done, total)));
    let report = generate_gopro_patches(root.path(), &PatchConfig::default(), &record).expect("patches");
    assert_eq!((report.train_sources, report.train_written, report.val_written, report.skipped), (2, 16, 1, 0));
    let events = events.into_inner().expect("lock");
    assert!(events.contains(&("train patches".into(), 2, 2)), "{events:?}");
    assert!(events.contains(&("val crops".into(), 1, 1)), "{events:?}");

    let offsets = [(0, 0), (0, 256), (0, 512), (0, 768), (208, 0), (208, 256), (208, 512), (208, 768)];
    for (k, (top, left)) in offsets.iter().enumerate() {
        let name = format!("GOPR0372_07_00_000048-{}.png", k + 1);
        let gt = image::open(gopro.join("crop/train/target_crops").join(&name)).expect("patch exists").into_rgb8();
        let lq = image::open(gopro.join("crop/train/input_crops").join(&name)).expect("patch exists").into_rgb8();
        assert_eq!(gt.dimensions(), (512, 512));
        assert_eq!(decode_position(gt.get_pixel(0, 0)), (*left, *top), "{name}");
        assert_eq!(decode_position(gt.get_pixel(511, 511)), (left + 511, top + 511), "{name}");
        assert_eq!(lq, lq_of(&gt), "{name}: input and target patches must be cut at the same place");
    }
    let val = image::open(gopro.join("crop/val/target_crops/GOPR0384_11_00_000001.png")).expect("val crop").into_rgb8();
    assert_eq!(val.dimensions(), (256, 256));
    assert_eq!(decode_position(val.get_pixel(0, 0)), (512, 232));

    // The generated folders are what the GoPro train/val layouts resolve to.
    assert_eq!(resolve(root.path(), DatasetKind::GoPro, Split::Train).expect("train").len(), 16);
    assert_eq!(resolve(root.path(), DatasetKind::GoPro, Split::Val).expect("val").len(), 1);

    // A second run keeps every existing file; with `overwrite` it rewrites them.
    let again = generate_gopro_patches(root.path(), &PatchConfig::default(), &hidiff_data::NoProgress).expect("rerun");
    assert_eq!((again.train_written, again.val_written, again.skipped), (0, 0, 17));
    let forced = PatchConfig { overwrite: true, ..PatchConfig::default() };
    let again = generate_gopro_patches(root.path(), &forced, &hidiff_data::NoProgress).expect("rerun");
    assert_eq!((again.train_written, again.val_written, again.skipped), (16, 1, 0));
}

#[test]
fn a_frame_smaller_than_a_patch_is_an_error() {
    let root = tempfile::tempdir().expect("tempdir");
    let gopro = root.path().join("GoPro");
    let small = position_pattern(600, 400);
    save(&small, &gopro.join("train/input/a.png"));
    save(&small, &gopro.join("train/target/a.png"));
    save(&small, &gopro.join("test/input/a.png"));
    save(&small, &gopro.join("test/target/a.png"));
    let err =
        generate_gopro_patches(root.path(), &PatchConfig::default(), &hidiff_data::NoProgress).expect_err("too small");
    assert!(matches!(err, hidiff_data::DataError::ImageTooSmall { needed: 512, .. }), "{err:?}");
}
