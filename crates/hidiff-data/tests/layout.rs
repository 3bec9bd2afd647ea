//! Layout discovery and each of its errors, in temporary trees (docs/reference.md §7).

mod common;

use std::fs;

use common::{flat, save, write_pairs};
use hidiff_data::{resolve, resolve_plain, DataError, DatasetKind, SizeRule, Split};

#[test]
fn gopro_train_patches_pair_in_natural_order() {
    let root = tempfile::tempdir().expect("tempdir");
    let crop = root.path().join("GoPro/crop/train");
    write_pairs(&crop, "input_crops", "target_crops", &["img10-1.png", "img2-1.png", "img2-3.png"], 16, 12);
    // Hidden files and non-images are ignored on both sides.
    fs::write(crop.join("input_crops/.DS_Store"), b"x").expect("write");
    fs::write(crop.join("target_crops/notes.txt"), b"x").expect("write");
    let set = resolve(root.path(), DatasetKind::GoPro, Split::Train).expect("resolves");
    let names: Vec<_> = set.pairs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["img2-1.png", "img2-3.png", "img10-1.png"]);
    assert_eq!(set.folders.lq, crop.join("input_crops"));
    assert_eq!(set.pairs[0].lq_size, (16, 12));
    assert_eq!(set.pairs[0].stem(), "img2-1");
}

#[test]
fn readme_variants_and_test_sets_are_found() {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    write_pairs(&r.join("GoPro/crop/val"), "input", "target", &["a.png"], 8, 8);
    write_pairs(&r.join("test/GoPro"), "input", "target", &["a.png", "b.png"], 8, 8);
    write_pairs(&r.join("test/HIDE"), "input", "target", &["h.png"], 8, 8);
    write_pairs(&r.join("test/RealBlur_J"), "input", "target", &["j.png"], 8, 8);
    write_pairs(&r.join("RealBlur/train/RealBlur_R"), "input", "target", &["r1.png", "r2.png"], 8, 8);
    write_pairs(&r.join("RealBlur/test/RealBlur_R"), "input", "target", &["rv.png"], 8, 8);

    let val = resolve(r, DatasetKind::GoPro, Split::Val).expect("README crop/val/{input,target}");
    assert_eq!(val.folders.gt, r.join("GoPro/crop/val/target"));
    assert_eq!(resolve(r, DatasetKind::GoPro, Split::Test).expect("test/GoPro").len(), 2);
    assert_eq!(resolve(r, DatasetKind::Hide, Split::Test).expect("HIDE").pairs[0].name, "h.png");
    let j = resolve(r, DatasetKind::RealBlurJ, Split::Test).expect("RealBlur_J test");
    assert_eq!(j.folders.lq, r.join("test/RealBlur_J/input"));
    assert_eq!(resolve(r, DatasetKind::RealBlurR, Split::Train).expect("RealBlur_R train").len(), 2);
    // RealBlur-trained validation uses RealBlur/test/..., and the test split falls back to it.
    assert_eq!(resolve(r, DatasetKind::RealBlurR, Split::Val).expect("val").pairs[0].name, "rv.png");
    assert_eq!(resolve(r, DatasetKind::RealBlurR, Split::Test).expect("fallback").pairs[0].name, "rv.png");

    // The configs' GoPro test folder wins over the README's.
    write_pairs(&r.join("GoPro/test"), "input", "target", &["c.png"], 8, 8);
    assert_eq!(resolve(r, DatasetKind::GoPro, Split::Test).expect("GoPro/test").pairs[0].name, "c.png");

    let plain = resolve_plain(&r.join("test/HIDE"), SizeRule::Equal).expect("plain folder");
    assert_eq!(plain.len(), 1);
}

#[test]
fn missing_folder_names_every_candidate() {
    let root = tempfile::tempdir().expect("tempdir");
    // Only one side of the pair exists: still missing.
    fs::create_dir_all(root.path().join("GoPro/crop/train/input_crops")).expect("mkdir");
    let err = resolve(root.path(), DatasetKind::GoPro, Split::Train).expect_err("must fail");
    match &err {
        DataError::MissingFolder { tried, .. } => {
            assert!(tried.contains(&root.path().join("GoPro/crop/train/target_crops")));
            assert!(tried.contains(&root.path().join("GoPro/crop/train/target")));
        }
        other => panic!("expected MissingFolder, got {other:?}"),
    }
    assert!(err.to_string().contains("target_crops"), "{err}");
    let err = resolve_plain(&root.path().join("nowhere"), SizeRule::Equal).expect_err("must fail");
    assert!(matches!(err, DataError::MissingFolder { .. }));
}

#[test]
fn unpaired_files_are_listed_by_name() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("test/HIDE");
    write_pairs(&dir, "input", "target", &["both.png"], 8, 8);
    save(&flat(8, 8, 1), &dir.join("input/only_in.png"));
    save(&flat(8, 8, 1), &dir.join("target/only_out.png"));
    let err = resolve(root.path(), DatasetKind::Hide, Split::Test).expect_err("must fail");
    match &err {
        DataError::Unpaired { only_lq, only_gt, .. } => {
            assert_eq!(only_lq, &["only_in.png".to_string()]);
            assert_eq!(only_gt, &["only_out.png".to_string()]);
        }
        other => panic!("expected Unpaired, got {other:?}"),
    }
    assert!(err.to_string().contains("only_in.png") && err.to_string().contains("only_out.png"), "{err}");
}

#[test]
fn size_mismatch_is_an_error_for_training_but_gt_may_cover_lq_for_test() {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    save(&flat(16, 16, 1), &r.join("RealBlur/train/RealBlur_J/input/x.png"));
    save(&flat(18, 16, 1), &r.join("RealBlur/train/RealBlur_J/target/x.png"));
    let err = resolve(r, DatasetKind::RealBlurJ, Split::Train).expect_err("must fail");
    match &err {
        DataError::PairSizeMismatch { lq_size, gt_size, gt, .. } => {
            assert_eq!((*lq_size, *gt_size), ((16, 16), (18, 16)));
            assert!(gt.ends_with("target/x.png"));
        }
        other => panic!("expected PairSizeMismatch, got {other:?}"),
    }
    // Test split: a larger gt is cropped later, a smaller one is an error.
    save(&flat(16, 16, 1), &r.join("test/RealBlur_J/input/x.png"));
    save(&flat(18, 17, 1), &r.join("test/RealBlur_J/target/x.png"));
    assert!(resolve(r, DatasetKind::RealBlurJ, Split::Test).is_ok());
    save(&flat(15, 17, 1), &r.join("test/RealBlur_J/target/x.png"));
    let err = resolve(r, DatasetKind::RealBlurJ, Split::Test).expect_err("gt narrower than lq");
    assert!(matches!(err, DataError::PairSizeMismatch { .. }), "{err:?}");
}

#[test]
fn unreadable_image_names_its_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("test/HIDE");
    write_pairs(&dir, "input", "target", &["good.png"], 8, 8);
    fs::write(dir.join("input/bad.png"), b"this is not a png").expect("write");
    save(&flat(8, 8, 1), &dir.join("target/bad.png"));
    let err = resolve(root.path(), DatasetKind::Hide, Split::Test).expect_err("must fail");
    match &err {
        DataError::UnreadableImage { path, .. } => assert!(path.ends_with("input/bad.png")),
        other => panic!("expected UnreadableImage, got {other:?}"),
    }
}

#[test]
fn empty_set_and_missing_split_are_errors() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(root.path().join("test/HIDE/input")).expect("mkdir");
    fs::create_dir_all(root.path().join("test/HIDE/target")).expect("mkdir");
    let err = resolve(root.path(), DatasetKind::Hide, Split::Test).expect_err("must fail");
    assert!(matches!(err, DataError::EmptySet { .. }), "{err:?}");
    let err = resolve(root.path(), DatasetKind::Hide, Split::Train).expect_err("HIDE has no train split");
    assert!(matches!(err, DataError::NoSuchSplit { .. }), "{err:?}");
    assert_eq!("RealBlur_J".parse::<DatasetKind>().expect("parses"), DatasetKind::RealBlurJ);
    assert!("gopro2".parse::<DatasetKind>().is_err());
}
