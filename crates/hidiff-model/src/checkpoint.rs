//! Weight import and export.
//!
//! * Official checkpoints: `torch.save({'params': state_dict})` files
//!   (`net_g.pth`, `net_le.pth`, `net_le_dm.pth`, `net_d.pth`), read with burn-store's
//!   `PytorchStore` (Linear weights transposed by its PyTorch adapter).
//! * One safetensors file with keys `net_g.<key>`, `net_le.<key>`, ...: the golden
//!   `weights.safetensors` layout, and also **our own checkpoint format**, which adds
//!   the resolved model configuration as the metadata entry `hidiff.config`.
//!
//! Loading is strict: only regular files are opened; a `.pth` archive is verified
//! whole first (every tensor's data record present, of the declared size and
//! dtype: [`crate::pth_archive`]); every key and every shape is checked, and a
//! mismatch names the file, the missing and the unexpected keys.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use burn::module::ParamId;
use burn::tensor::{backend::Backend, DType, TensorData};
use burn_store::{
    BurnToPyTorchAdapter, ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter, PytorchStore, TensorSnapshot,
};

use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::hidiff::{HiDiff, Networks};
use crate::keymap::{KeyStyle, Network};

/// The tensors of one network by official key, float32 in PyTorch layout.
pub type StateDict = BTreeMap<String, TensorData>;

/// Metadata key holding the model configuration in our checkpoints.
pub const CONFIG_METADATA_KEY: &str = "hidiff.config";

fn format_err(path: &Path, message: impl std::fmt::Display) -> ModelError {
    ModelError::CheckpointFormat { path: path.to_path_buf(), message: message.to_string() }
}

/// Reads an official `.pth` checkpoint (`{'params': state_dict}`; a bare state dict
/// is accepted too, and leading `module.` prefixes are stripped as BasicSR does).
///
/// The archive is verified before burn-store reads it: burn-store fills a missing
/// or short data record with zeros, which would load a silently wrong model.
pub fn read_pth(path: &Path) -> Result<StateDict> {
    check_regular(path)?;
    crate::pth_archive::verify(path)
        .map_err(|problem| format_err(path, format!("incomplete checkpoint: {problem}")))?;
    // burn-store renumbers index gaps by default (`down_1.1, down_1.3` -> `down_1.0, down_1.1`),
    // which would scramble `nn.Sequential` keys: keep the official names as they are.
    let mut store = PytorchStore::from_file(path).with_top_level_key("params").map_indices_contiguous(false);
    let snaps = match store.get_all_snapshots() {
        Ok(s) => s.clone(),
        Err(first) => {
            let mut bare = PytorchStore::from_file(path).map_indices_contiguous(false);
            match bare.get_all_snapshots() {
                Ok(s) if !s.is_empty() && !s.keys().any(|k| k.starts_with("params.")) => s.clone(),
                _ => return Err(format_err(path, format!("not a readable PyTorch checkpoint ({first})"))),
            }
        }
    };
    let mut out = StateDict::new();
    for (key, snap) in snaps {
        let key = key.strip_prefix("module.").unwrap_or(&key).to_string();
        let data = snap.to_data().map_err(|e| format_err(path, format!("tensor {key}: {e:?}")))?;
        out.insert(key, to_f32(data, path, &key_name(&snap))?);
    }
    if out.is_empty() {
        return Err(format_err(path, "the checkpoint holds no tensors"));
    }
    Ok(out)
}

fn key_name(s: &TensorSnapshot) -> String {
    s.full_path()
}

fn to_f32(data: TensorData, path: &Path, key: &str) -> Result<TensorData> {
    match data.dtype {
        DType::F32 => Ok(data),
        DType::F64 | DType::F16 | DType::BF16 => Ok(data.convert::<f32>()),
        other => Err(format_err(path, format!("tensor {key} has dtype {other:?}, expected a float"))),
    }
}

/// A safetensors file split by network prefix, plus its metadata.
#[derive(Debug)]
pub struct SafetensorsWeights {
    /// `net_g` → its state dict, ...
    pub networks: BTreeMap<Network, StateDict>,
    /// The file's metadata (our checkpoints carry `hidiff.config`).
    pub metadata: HashMap<String, String>,
}

/// Reads a safetensors file whose keys are `<network>.<official key>`.
pub fn read_safetensors(path: &Path) -> Result<SafetensorsWeights> {
    check_regular(path)?;
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| format_err(path, e))?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| format_err(path, e))?;
    let mut networks: BTreeMap<Network, StateDict> = BTreeMap::new();
    for (name, view) in st.tensors() {
        let (prefix, key) = name
            .split_once('.')
            .ok_or_else(|| format_err(path, format!("tensor {name:?} has no network prefix (net_g., net_le., ...)")))?;
        let net = Network::from_name(prefix)
            .ok_or_else(|| format_err(path, format!("tensor {name:?}: unknown network prefix {prefix:?}")))?;
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(format_err(path, format!("tensor {name} has dtype {:?}, expected F32", view.dtype())));
        }
        let values: Vec<f32> =
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        networks.entry(net).or_default().insert(key.to_string(), TensorData::new(values, view.shape().to_vec()));
    }
    Ok(SafetensorsWeights { networks, metadata })
}

impl SafetensorsWeights {
    /// The model configuration stored in our checkpoints, if any.
    pub fn config(&self, path: &Path) -> Result<Option<ModelConfig>> {
        match self.metadata.get(CONFIG_METADATA_KEY) {
            None => Ok(None),
            Some(text) => ModelConfig::from_toml_str(text).map(Some).map_err(|e| match e {
                ModelError::Config { message, .. } | ModelError::Invalid(message) => ModelError::Config {
                    path: path.to_path_buf(),
                    message: format!("embedded configuration: {message}"),
                },
                other => other,
            }),
        }
    }
}

impl<B: Backend> HiDiff<B> {
    /// Does this model have network `net`?
    pub fn has_network(&self, net: Network) -> bool {
        match net {
            Network::G => true,
            Network::Le => self.net_le.is_some(),
            Network::LeDm => self.net_le_dm.is_some(),
            Network::D => self.net_d.is_some(),
        }
    }

    fn snapshots(&self, net: Network) -> Vec<TensorSnapshot> {
        let adapter = || Some(Box::new(BurnToPyTorchAdapter) as Box<dyn burn_store::ModuleAdapter>);
        match net {
            Network::G => self.net_g.collect(None, adapter(), false),
            Network::Le => self.net_le.as_ref().map(|m| m.collect(None, adapter(), false)).unwrap_or_default(),
            Network::LeDm => self.net_le_dm.as_ref().map(|m| m.collect(None, adapter(), false)).unwrap_or_default(),
            Network::D => self.net_d.as_ref().map(|m| m.collect(None, adapter(), false)).unwrap_or_default(),
        }
    }

    /// Official keys and PyTorch shapes of network `net`, in our module order.
    pub fn official_shapes(&self, net: Network, style: &KeyStyle) -> Vec<(String, Vec<usize>)> {
        self.snapshots(net).into_iter().map(|s| (style.to_official(net, &s.full_path()), s.shape.to_vec())).collect()
    }

    /// The state dict of network `net`, official keys, PyTorch layout.
    pub fn state_dict(&self, net: Network, style: &KeyStyle) -> StateDict {
        self.snapshots(net)
            .into_iter()
            .map(|s| {
                let key = style.to_official(net, &s.full_path());
                let data = s.to_data().expect("in-memory parameters are always readable");
                (key, data.convert::<f32>())
            })
            .collect()
    }

    /// Loads network `net` from an official state dict, strictly. `source` names the
    /// file in error messages.
    pub fn load_network(&mut self, net: Network, sd: &StateDict, style: &KeyStyle, source: &Path) -> Result<()> {
        let mismatch =
            |missing: Vec<String>, unexpected: Vec<String>, shape_errors: Vec<String>| ModelError::CheckpointMismatch {
                path: source.to_path_buf(),
                network: net.name().to_string(),
                missing,
                unexpected,
                shape_errors,
            };
        if !self.has_network(net) {
            return Err(mismatch(
                vec![],
                sd.keys().cloned().collect(),
                vec![format!("this configuration has no {}", net.name())],
            ));
        }
        // Check names and shapes first, so that a wrong file never half-loads.
        let expected: BTreeMap<String, Vec<usize>> = self.official_shapes(net, style).into_iter().collect();
        let missing: Vec<String> = expected.keys().filter(|k| !sd.contains_key(*k)).cloned().collect();
        let unexpected: Vec<String> = sd.keys().filter(|k| !expected.contains_key(*k)).cloned().collect();
        let shape_errors: Vec<String> = expected
            .iter()
            .filter_map(|(k, shape)| {
                let got = sd.get(k)?.shape.to_vec();
                (&got != shape).then(|| format!("{k}: checkpoint {got:?}, model {shape:?}"))
            })
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() || !shape_errors.is_empty() {
            return Err(mismatch(missing, unexpected, shape_errors));
        }
        let snaps: Vec<TensorSnapshot> = sd
            .iter()
            .map(|(key, data)| {
                let path: Vec<String> = style.to_ours(net, key).split('.').map(str::to_string).collect();
                TensorSnapshot::from_data(data.clone(), path, vec![], ParamId::new())
            })
            .collect();
        let adapter = || Some(Box::new(PyTorchToBurnAdapter) as Box<dyn burn_store::ModuleAdapter>);
        let result = match net {
            Network::G => self.net_g.apply(snaps, None, adapter(), false),
            Network::Le => self.net_le.as_mut().map(|m| m.apply(snaps, None, adapter(), false)).expect("checked"),
            Network::LeDm => self.net_le_dm.as_mut().map(|m| m.apply(snaps, None, adapter(), false)).expect("checked"),
            Network::D => self.net_d.as_mut().map(|m| m.apply(snaps, None, adapter(), false)).expect("checked"),
        };
        if !result.missing.is_empty() || !result.unused.is_empty() || !result.errors.is_empty() {
            return Err(mismatch(
                result.missing.iter().map(|(p, _)| style.to_official(net, p)).collect(),
                result.unused.iter().map(|p| style.to_official(net, p)).collect(),
                result.errors.iter().map(|e| format!("{e:?}")).collect(),
            ));
        }
        Ok(())
    }

    /// Saves every network this model has into one safetensors file with the
    /// configuration as metadata, atomically (written beside, then renamed).
    pub fn save_safetensors(&self, cfg: &ModelConfig, path: &Path) -> Result<()> {
        let style = KeyStyle::of(cfg);
        let mut owned: Vec<(String, Vec<u8>, Vec<usize>)> = Vec::new();
        for net in Network::ALL.into_iter().filter(|n| self.has_network(*n)) {
            for (key, data) in self.state_dict(net, &style) {
                let bytes: Vec<u8> =
                    data.to_vec::<f32>().expect("converted to f32").iter().flat_map(|v| v.to_le_bytes()).collect();
                owned.push((format!("{}.{key}", net.name()), bytes, data.shape.to_vec()));
            }
        }
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = owned
            .iter()
            .map(|(k, bytes, shape)| {
                let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .expect("shape and byte length agree");
                (k.clone(), view)
            })
            .collect();
        let mut meta = HashMap::new();
        meta.insert(CONFIG_METADATA_KEY.to_string(), cfg.to_toml_string());
        meta.insert("hidiff.format".to_string(), "1".to_string());
        let bytes = safetensors::serialize(views, &Some(meta)).map_err(|e| format_err(path, e))?;
        write_atomically(path, &bytes)
    }
}

/// Writes `bytes` to `path` atomically through [`hidiff_io::write_atomic`] (the one
/// implementation of the workspace). Kept for the crates that still call it here;
/// new code calls `hidiff_io::write_atomic` directly.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    hidiff_io::write_atomic(path, bytes).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })
}

/// Refuses anything but an existing regular file (a FIFO would block the read
/// forever), without opening it.
fn check_regular(path: &Path) -> Result<()> {
    match hidiff_io::check_regular_file(path) {
        Ok(_) => Ok(()),
        Err(hidiff_io::Error::NotFound { path }) => {
            Err(ModelError::Io { path, source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file") })
        }
        Err(other) => Err(other.into()),
    }
}

/// Where weights come from.
#[derive(Debug, Clone)]
pub enum WeightsPath {
    /// A folder with official `net_*.pth` files.
    OfficialDir(PathBuf),
    /// One safetensors file (ours or the golden layout).
    Safetensors(PathBuf),
}

impl WeightsPath {
    /// A folder means official `.pth` files; a file means safetensors.
    pub fn detect(path: &Path) -> Result<Self> {
        if path.is_dir() {
            Ok(Self::OfficialDir(path.to_path_buf()))
        } else if path.exists() {
            check_regular(path)?;
            Ok(Self::Safetensors(path.to_path_buf()))
        } else {
            Err(ModelError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            })
        }
    }
}

/// Builds a model from `cfg` and loads its networks strictly: every network the
/// model has must be present in the source. For official folders, `net_le.pth`
/// is required only with [`Networks::All`].
pub fn load_model<B: Backend>(
    cfg: &ModelConfig,
    weights: &WeightsPath,
    networks: Networks,
    device: &B::Device,
) -> Result<HiDiff<B>> {
    let style = KeyStyle::of(cfg);
    let mut model = cfg.init::<B>(networks, device);
    match weights {
        WeightsPath::OfficialDir(dir) => {
            let present: Vec<Network> = Network::ALL.into_iter().filter(|n| model.has_network(*n)).collect();
            for net in present {
                let file = dir.join(format!("{}.pth", net.name()));
                let sd = read_pth(&file)?;
                model.load_network(net, &sd, &style, &file)?;
            }
        }
        WeightsPath::Safetensors(file) => {
            let w = read_safetensors(file)?;
            let present: Vec<Network> = Network::ALL.into_iter().filter(|n| model.has_network(*n)).collect();
            for net in present {
                let sd = w.networks.get(&net).ok_or_else(|| ModelError::CheckpointMismatch {
                    path: file.clone(),
                    network: net.name().to_string(),
                    missing: vec![format!("every {}.* tensor", net.name())],
                    unexpected: vec![],
                    shape_errors: vec![],
                })?;
                model.load_network(net, sd, &style, file)?;
            }
        }
    }
    Ok(model)
}

/// Reads the configuration embedded in one of our checkpoints (None for official
/// folders and golden-style files without it).
pub fn embedded_config(weights: &WeightsPath) -> Result<Option<ModelConfig>> {
    match weights {
        WeightsPath::OfficialDir(_) => Ok(None),
        WeightsPath::Safetensors(file) => read_safetensors(file)?.config(file),
    }
}
