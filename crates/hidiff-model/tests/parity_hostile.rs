//! A golden folder with an empty or odd-shaped tensor is an error naming the
//! tensor, never an out-of-bounds index or a shape panic inside the model.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

use burn::backend::{Autodiff, Flex};
use hidiff_model::parity;

type B = Autodiff<Flex>;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

/// A copy of the golden folder whose `cases.safetensors` holds `key` as an F32
/// (or, for `i64`, I64) tensor of `shape` filled with zeros.
fn golden_with(dir: &Path, key: &str, shape: Vec<usize>, i64: bool) {
    for f in ["small_config.toml", "net_g.pth", "net_le.pth", "net_le_dm.pth", "net_d.pth"] {
        std::fs::copy(golden().join(f), dir.join(f)).unwrap();
    }
    let bytes = std::fs::read(golden().join("cases.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let elem = if i64 { 8 } else { 4 };
    let zeros = vec![0u8; shape.iter().product::<usize>() * elem];
    let mut views: Vec<(String, safetensors::tensor::TensorView<'_>)> =
        st.tensors().into_iter().filter(|(name, _)| name != key).collect();
    let dtype = if i64 { safetensors::Dtype::I64 } else { safetensors::Dtype::F32 };
    views.push((key.to_string(), safetensors::tensor::TensorView::new(dtype, shape, &zeros).unwrap()));
    let out = safetensors::serialize(views, &None).unwrap();
    std::fs::write(dir.join("cases.safetensors"), out).unwrap();
}

fn parity_error(key: &str, shape: Vec<usize>, i64: bool) -> String {
    let t = tempfile::tempdir().unwrap();
    golden_with(t.path(), key, shape, i64);
    let err = parity::run::<B>(t.path(), &Default::default()).expect_err("a bad golden tensor must be an error");
    err.to_string()
}

#[test]
fn empty_and_odd_shaped_inputs_are_named() {
    let msg = parity_error("transformer_with_prior.lq", vec![1, 3, 0, 48], false);
    assert!(msg.contains("transformer_with_prior.lq") && msg.contains("[1, 3, 0, 48]"), "{msg}");
    let msg = parity_error("transformer_with_prior.lq", vec![1, 4, 40, 48], false);
    assert!(msg.contains("transformer_with_prior.lq"), "{msg}");
    let msg = parity_error("transformer_with_prior.lq", vec![1, 3, 37, 48], false);
    assert!(msg.contains("multiples of 8"), "{msg}");
    let msg = parity_error("transformer_with_prior.prior", vec![1, 5, 32], false);
    assert!(msg.contains("transformer_with_prior.prior"), "{msg}");
}

#[test]
fn an_empty_index_tensor_is_named() {
    let msg = parity_error("denoiser_step.t_index", vec![0], true);
    assert!(msg.contains("denoiser_step.t_index") && msg.contains("empty"), "{msg}");
}
