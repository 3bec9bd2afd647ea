//! The golden `cases.safetensors`: named reference tensors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::error::{ModelError, Result};

/// One reference tensor as stored (float32 or int64 values widened to f64 for comparison).
#[derive(Debug, Clone)]
pub struct RefTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
}

/// One expected dimension of a golden input tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Exactly this size.
    Exactly(usize),
    /// At least this size (and at least 1).
    AtLeast(usize),
}

/// All tensors of a cases file.
#[derive(Debug)]
pub struct CaseTensors {
    path: PathBuf,
    map: HashMap<String, RefTensor>,
}

impl CaseTensors {
    /// Reads a safetensors file of F32 and I64 tensors.
    pub fn read(path: &Path) -> Result<Self> {
        hidiff_io::check_regular_file(path)?;
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| ModelError::CheckpointFormat { path: path.to_path_buf(), message: e.to_string() })?;
        let mut map = HashMap::new();
        for (name, view) in st.tensors() {
            let values: Vec<f64> = match view.dtype() {
                safetensors::Dtype::F32 => {
                    view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64).collect()
                }
                safetensors::Dtype::I64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f64)
                    .collect(),
                other => {
                    return Err(ModelError::CheckpointFormat {
                        path: path.to_path_buf(),
                        message: format!("tensor {name} has unsupported dtype {other:?}"),
                    })
                }
            };
            map.insert(name, RefTensor { shape: view.shape().to_vec(), values });
        }
        Ok(Self { path: path.to_path_buf(), map })
    }

    /// The file these tensors came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Does the file contain this tensor?
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Is any tensor of case `case` present?
    pub fn has_case(&self, case: &str) -> bool {
        let prefix = format!("{case}.");
        self.map.keys().any(|k| k.starts_with(&prefix))
    }

    /// A reference tensor, or an error naming the missing key.
    pub fn get(&self, key: &str) -> Result<&RefTensor> {
        self.map.get(key).ok_or_else(|| ModelError::CheckpointFormat {
            path: self.path.clone(),
            message: format!("required tensor {key:?} is missing"),
        })
    }

    /// The first value of a stored tensor (a time index, or a time tensor whose
    /// values are all equal), checked to be a non-negative integer below `limit`;
    /// an empty tensor is an error, not an out-of-bounds index.
    pub fn index(&self, key: &str, limit: usize) -> Result<usize> {
        let r = self.get(key)?;
        match r.values.first() {
            Some(v) if v.fract() == 0.0 && *v >= 0.0 && *v < limit as f64 => Ok(*v as usize),
            Some(v) => Err(self.bad(format!("tensor {key:?} starts with {v}, expected an integer in [0, {limit})"))),
            None => Err(self.bad(format!("tensor {key:?} is empty (shape {:?}), expected an index", r.shape))),
        }
    }

    /// A stored float tensor as a burn tensor of rank `D` whose dimensions fit
    /// `expected` (each an exact size or a minimum), so that an empty or
    /// odd-shaped golden tensor is an error instead of a panic inside the model.
    pub fn tensor_shaped<B: Backend, const D: usize>(
        &self,
        key: &str,
        expected: [Dim; D],
        device: &B::Device,
    ) -> Result<Tensor<B, D>> {
        let r = self.get(key)?;
        let fits = r.shape.len() == D
            && r.shape.iter().zip(&expected).all(|(&got, want)| match *want {
                Dim::Exactly(n) => got == n,
                Dim::AtLeast(n) => got >= n.max(1),
            });
        if !fits {
            return Err(self.bad(format!("tensor {key:?} has shape {:?}, expected {expected:?}", r.shape)));
        }
        self.tensor(key, device)
    }

    fn bad(&self, message: String) -> ModelError {
        ModelError::CheckpointFormat { path: self.path.clone(), message }
    }

    /// A stored float tensor as a burn tensor of rank `D` (no dimension may be 0).
    pub fn tensor<B: Backend, const D: usize>(&self, key: &str, device: &B::Device) -> Result<Tensor<B, D>> {
        let r = self.get(key)?;
        if r.shape.len() != D || r.shape.contains(&0) {
            return Err(ModelError::CheckpointFormat {
                path: self.path.clone(),
                message: format!("tensor {key:?} has shape {:?}, expected rank {D} and no empty dimension", r.shape),
            });
        }
        let v: Vec<f32> = r.values.iter().map(|&x| x as f32).collect();
        Ok(Tensor::from_data(TensorData::new(v, r.shape.clone()), device))
    }
}
