//! Every number of a model configuration is checked where it enters: NaN, zero,
//! negative and absurd values are errors naming the key, never zero-channel
//! layers, 0/0 schedules or allocations of terabytes.

use std::path::PathBuf;

use hidiff_model::{ModelConfig, ModelError};

fn golden_text() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden/small_config.toml");
    std::fs::read_to_string(p).expect("golden config")
}

/// The golden configuration with `line` (as written in the file) replaced.
fn edited(from: &str, to: &str) -> Result<ModelConfig, ModelError> {
    let text = golden_text();
    assert!(text.contains(from), "{from:?} is not in the golden config");
    ModelConfig::from_toml_str(&text.replacen(from, to, 1))
}

#[test]
fn the_golden_configuration_is_valid() {
    let cfg = ModelConfig::from_toml_str(&golden_text()).expect("valid");
    assert!(cfg.generation.is_some() && cfg.train.is_some());
}

#[test]
fn nan_zero_and_huge_numbers_are_refused_with_the_key() {
    let cases = [
        ("ffn_expansion_factor = 2.66", "ffn_expansion_factor = nan", "transformer.ffn_expansion_factor"),
        ("ffn_expansion_factor = 2.66", "ffn_expansion_factor = 0.0", "transformer.ffn_expansion_factor"),
        ("ffn_expansion_factor = 2.66", "ffn_expansion_factor = 0.01", "0 hidden units"),
        ("ffn_expansion_factor = 2.66", "ffn_expansion_factor = inf", "transformer.ffn_expansion_factor"),
        ("linear_start = 0.1", "linear_start = 0.0", "linear_start"),
        ("linear_start = 0.1", "linear_start = -0.5", "linear_start"),
        ("linear_end = 0.99", "linear_end = nan", "linear_end"),
        ("linear_end = 0.99", "linear_end = 0.05", "linear_start"),
        ("timesteps = 8", "timesteps = 100000000", "diffusion.timesteps"),
        ("inner_channel = 64", "inner_channel = 0", "denoiser.inner_channel"),
        ("inner_channel = 64", "inner_channel = 1000000000", "denoiser.inner_channel"),
        ("layerscale_value = 0.001", "layerscale_value = nan", "denoiser.layerscale_value"),
        ("patch_expansion = 0.5", "patch_expansion = -1.0", "latent_encoder.patch_expansion"),
        ("channel_expansion = 4", "channel_expansion = 0", "latent_encoder.channel_expansion"),
        ("num_refinement_blocks = 1", "num_refinement_blocks = 100000", "num_refinement_blocks"),
        ("window_size = 8", "window_size = 0", "window_size"),
        ("scale = 1", "scale = 4", "test.scale"),
    ];
    for (from, to, key) in cases {
        let err = edited(from, to).expect_err(to);
        let msg = err.to_string();
        assert!(msg.contains(key), "{to}: {msg}");
    }
}

#[test]
fn a_train_section_without_generation_is_an_experiment_option_not_a_model_one() {
    let text = golden_text();
    let at = text.find("[generation]").expect("golden has [generation]");
    let msg = ModelConfig::from_toml_str(&text[..at]).expect_err("[train] alone").to_string();
    assert!(msg.contains("[train]") && msg.contains("experiment"), "{msg}");
    let model_only = &text[..text.find("[train]").expect("golden has [train]")];
    assert!(ModelConfig::from_toml_str(model_only).is_ok());
    let msg = ModelConfig::from_toml_str(&format!("{model_only}\n[logger]\nx = 1\n")).expect_err("unknown").to_string();
    assert!(msg.contains("logger"), "{msg}");
}

#[test]
fn a_configuration_round_trips_through_its_text() {
    let cfg = ModelConfig::from_toml_str(&golden_text()).expect("valid");
    assert_eq!(ModelConfig::from_toml_str(&cfg.to_toml_string()).expect("round trip"), cfg);
    let preset = ModelConfig::quick();
    let text = preset.to_toml_string();
    assert!(!text.contains("[train]"), "{text}");
    assert_eq!(ModelConfig::from_toml_str(&text).expect("round trip"), preset);
}
