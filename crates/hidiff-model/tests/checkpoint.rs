//! Weight import/export: official `.pth`, the one-file safetensors layout, our own
//! checkpoints, and the errors for wrong input.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

use burn::backend::Flex;
use burn::tensor::Tensor;
use hidiff_model::checkpoint::{embedded_config, load_model, read_pth, WeightsPath};
use hidiff_model::{ModelConfig, ModelError, Network, Networks};

type B = Flex;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

fn cfg() -> ModelConfig {
    ModelConfig::from_file(golden().join("small_config.toml")).unwrap()
}

fn output(model: &hidiff_model::HiDiff<B>) -> Vec<f32> {
    let dev = Default::default();
    let lq = Tensor::<B, 4>::from_data(
        burn::tensor::TensorData::new(
            (0..3 * 21 * 19).map(|i| ((i * 37) % 101) as f32 / 101.0).collect::<Vec<_>>(),
            [1, 3, 21, 19],
        ),
        &dev,
    );
    model.infer(lq, None, 5).into_data().to_vec::<f32>().unwrap()
}

#[test]
fn safetensors_and_pth_load_the_same_weights() {
    let dev = Default::default();
    let a = load_model::<B>(&cfg(), &WeightsPath::OfficialDir(golden()), Networks::All, &dev).unwrap();
    let b =
        load_model::<B>(&cfg(), &WeightsPath::Safetensors(golden().join("weights.safetensors")), Networks::All, &dev)
            .unwrap();
    assert_eq!(output(&a), output(&b));
}

#[test]
fn own_format_round_trips_with_its_config() {
    let dev = Default::default();
    let cfg = cfg();
    let a = load_model::<B>(&cfg, &WeightsPath::OfficialDir(golden()), Networks::All, &dev).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    a.save_safetensors(&cfg, &file).unwrap();
    let w = WeightsPath::detect(&file).unwrap();
    let stored = embedded_config(&w).unwrap().expect("config embedded");
    assert_eq!(stored, cfg);
    let b = load_model::<B>(&stored, &w, Networks::All, &dev).unwrap();
    assert_eq!(output(&a), output(&b));
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn missing_weights_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["net_g.pth", "net_le_dm.pth"] {
        std::fs::copy(golden().join(f), dir.path().join(f)).unwrap();
    }
    let err =
        load_model::<B>(&cfg(), &WeightsPath::OfficialDir(dir.path().into()), Networks::Inference, &Default::default())
            .unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    assert!(err.to_string().contains("net_d.pth"), "{err}");
}

#[test]
fn checkpoint_of_another_architecture_lists_keys() {
    // The RealBlur golden net_d is a simple_denoise; the GoPro config expects the mixer.
    let realblur_d = golden().join("realblur/net_d.pth");
    let sd = read_pth(&realblur_d).unwrap();
    let cfg = cfg();
    let mut model = cfg.init::<B>(Networks::Inference, &Default::default());
    let err = model.load_network(Network::D, &sd, &hidiff_model::KeyStyle::of(&cfg), &realblur_d).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("net_d.pth") && msg.contains("missing keys") && msg.contains("unexpected keys"), "{msg}");
    // All 17 mixer tensors are missing and all 6 simple_denoise tensors unexpected.
    assert!(msg.contains("missing keys (17)") && msg.contains("unexpected keys (6)"), "{msg}");
    assert!(msg.contains("resmlp.0.weight"), "{msg}");
    // Same keys, other widths: shapes are named.
    let cfg_rb = ModelConfig::from_file(golden().join("realblur/small_config.toml")).unwrap();
    let err = load_model::<B>(&cfg_rb, &WeightsPath::OfficialDir(golden()), Networks::Inference, &Default::default())
        .unwrap_err();
    assert!(err.to_string().contains("net_"), "{err}");
}

#[test]
fn truncated_and_non_checkpoint_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(golden().join("net_d.pth")).unwrap();
    let truncated = dir.path().join("net_d.pth");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_pth(&truncated).unwrap_err();
    assert!(matches!(err, ModelError::CheckpointFormat { .. }), "{err}");
    assert!(err.to_string().contains(&truncated.display().to_string()));

    let text = dir.path().join("weights.safetensors");
    std::fs::write(&text, "not a checkpoint").unwrap();
    let err =
        load_model::<B>(&cfg(), &WeightsPath::Safetensors(text.clone()), Networks::Inference, &Default::default())
            .unwrap_err();
    assert!(err.to_string().contains(&text.display().to_string()), "{err}");

    let empty = dir.path().join("empty.pth");
    std::fs::write(&empty, b"").unwrap();
    assert!(read_pth(&empty).is_err());
}

#[test]
fn golden_configs_parse_and_typos_are_errors() {
    for f in ["small_config.toml", "realblur/small_config.toml"] {
        let c = ModelConfig::from_file(golden().join(f)).unwrap();
        // Writing back and reading again gives the same configuration.
        assert_eq!(ModelConfig::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }
    let text = std::fs::read_to_string(golden().join("small_config.toml")).unwrap();
    let typo = text.replace("num_refinement_blocks", "num_refinment_blocks");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("typo.toml");
    std::fs::write(&p, typo).unwrap();
    let err = ModelConfig::from_file(&p).unwrap_err().to_string();
    assert!(err.contains("num_refinment_blocks") && err.contains("typo.toml"), "{err}");
    let bad = text.replace("in_chans = 3", "in_chans = 4");
    assert!(ModelConfig::from_toml_str(&bad).unwrap_err().to_string().contains("in_chans"));
    assert!(ModelConfig::from_file(Path::new("/nonexistent/config.toml")).is_err());
}

/// A copy of the golden `net_d.pth` with the data record `victim` dropped
/// (`keep = None`) or cut to `keep` bytes: what a truncated download or a
/// hand-edited archive looks like.
fn edited_pth(dir: &Path, victim: &str, keep: Option<usize>) -> PathBuf {
    use std::io::{Read, Write};
    let src = std::fs::File::open(golden().join("net_d.pth")).unwrap();
    let mut archive = zip::ZipArchive::new(src).unwrap();
    let out = dir.join("net_d.pth");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&out).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name.ends_with(victim) {
            match keep {
                None => continue,
                Some(n) => bytes.truncate(n),
            }
        }
        writer.start_file(name, options).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
    out
}

#[test]
fn a_pth_with_a_missing_or_short_data_record_is_refused_not_zero_filled() {
    let dir = tempfile::tempdir().unwrap();
    // The untouched copy loads: the rewrite itself is faithful.
    let faithful = edited_pth(dir.path(), "/data/none", None);
    assert_eq!(read_pth(&faithful).unwrap().len(), read_pth(&golden().join("net_d.pth")).unwrap().len());
    let missing = edited_pth(dir.path(), "/data/1", None);
    let err = read_pth(&missing).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ModelError::CheckpointFormat { .. }), "{msg}");
    assert!(msg.contains("net_d.pth") && msg.contains("storage 1") && msg.contains("missing"), "{msg}");
    let short = edited_pth(dir.path(), "/data/1", Some(100));
    let msg = read_pth(&short).unwrap_err().to_string();
    assert!(msg.contains("holds 100 bytes") && msg.contains("24576"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_as_weights_and_as_configuration_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("net_d.pth");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let msg = read_pth(&fifo).unwrap_err().to_string();
    assert!(msg.contains("FIFO"), "{msg}");
    assert!(WeightsPath::detect(&fifo).unwrap_err().to_string().contains("FIFO"));
    assert!(ModelConfig::from_file(&fifo).unwrap_err().to_string().contains("FIFO"));
}
