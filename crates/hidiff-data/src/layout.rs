//! Where each data set lives on disk (docs/reference.md §7).
//!
//! `root` is always the `datasets/` folder. For every data set and split the
//! folder used by the official configs is tried first, then the variant shown in
//! the official `datasets/README.md`; the first pair of folders that exists wins.
//!
//! | kind | split | folders tried (under `root`) |
//! | --- | --- | --- |
//! | GoPro | train | `GoPro/crop/train/{input_crops,target_crops}`, `GoPro/crop/train/{input,target}` |
//! | GoPro | val | `GoPro/crop/val/{input_crops,target_crops}`, `GoPro/crop/val/{input,target}` |
//! | GoPro | test | `GoPro/test/{input,target}`, `test/GoPro/{input,target}` |
//! | HIDE | test | `test/HIDE/{input,target}` |
//! | RealBlur-J/R | train | `RealBlur/train/RealBlur_J/{input,target}` |
//! | RealBlur-J/R | val | `RealBlur/test/RealBlur_J/{input,target}`, `test/RealBlur_J/{input,target}` |
//! | RealBlur-J/R | test | `test/RealBlur_J/{input,target}`, `RealBlur/test/RealBlur_J/{input,target}` |
//! | synthetic | train / val, test | `synthetic/train/...`, `synthetic/test/...` (or `train/`, `test/` when `root` is the synthetic folder itself) |
//! | synthetic-shift | test | `synthetic/test_shift/...`, `test_shift/...` |

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{DataError, Result};
use crate::pairs::{PairSet, SizeRule};

/// A deblurring data set known to the reference (plus the synthetic one of this crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// GoPro (Nah et al. 2017): training patches, validation crops, test frames.
    GoPro,
    /// HIDE (Shen et al. 2019): test only.
    Hide,
    /// RealBlur-J (Rim et al. 2020), JPEG camera output.
    RealBlurJ,
    /// RealBlur-R, RAW camera output.
    RealBlurR,
    /// The synthetic camera-shake set of [`crate::synthetic`].
    Synthetic,
    /// Its test set with shifted blur statistics (`test_shift/`): test only.
    SyntheticShift,
}

impl DatasetKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 6] =
        [Self::GoPro, Self::Hide, Self::RealBlurJ, Self::RealBlurR, Self::Synthetic, Self::SyntheticShift];

    /// The short command-line name (`gopro`, `hide`, `realblur-j`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::GoPro => "gopro",
            Self::Hide => "hide",
            Self::RealBlurJ => "realblur-j",
            Self::RealBlurR => "realblur-r",
            Self::Synthetic => "synthetic",
            Self::SyntheticShift => "synthetic-shift",
        }
    }

    /// The folder name the reference uses for the test set (`GoPro`, `HIDE`, `RealBlur_J`, ...).
    pub fn folder_name(self) -> &'static str {
        match self {
            Self::GoPro => "GoPro",
            Self::Hide => "HIDE",
            Self::RealBlurJ => "RealBlur_J",
            Self::RealBlurR => "RealBlur_R",
            Self::Synthetic => "synthetic",
            Self::SyntheticShift => "test_shift",
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| DataError::InvalidConfig(format!("unknown data set `{s}`")))
    }
}

/// Which part of a data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// Training pairs (random crops).
    Train,
    /// Validation during training (whole images, gt cropped to lq).
    Val,
    /// Test pairs (whole images, gt cropped to lq).
    Test,
}

impl Split {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
        }
    }

    /// The size rule the reference applies: equal sizes for training (BasicSR's
    /// `paired_random_crop` raises otherwise), gt cropped to lq for val and test.
    pub fn size_rule(self) -> SizeRule {
        match self {
            Self::Train => SizeRule::Equal,
            Self::Val | Self::Test => SizeRule::GtCoversLq,
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A blurry-input folder and its sharp-target folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderPair {
    /// Blurry images (`input`, `input_crops`).
    pub lq: PathBuf,
    /// Sharp images (`target`, `target_crops`).
    pub gt: PathBuf,
}

impl FolderPair {
    /// `dir/input` and `dir/target`.
    pub fn plain(dir: &Path) -> Self {
        Self { lq: dir.join("input"), gt: dir.join("target") }
    }

    /// `dir/input_crops` and `dir/target_crops` (the patch folders of the configs).
    pub fn crops(dir: &Path) -> Self {
        Self { lq: dir.join("input_crops"), gt: dir.join("target_crops") }
    }

    /// Whether both folders exist.
    pub fn exists(&self) -> bool {
        self.lq.is_dir() && self.gt.is_dir()
    }
}

/// The folders where `kind`'s `split` may live under `root`, most authoritative first.
pub fn candidate_folders(root: &Path, kind: DatasetKind, split: Split) -> Result<Vec<FolderPair>> {
    use DatasetKind as K;
    use Split as S;
    let realblur = |name: &str, split: Split| -> Vec<FolderPair> {
        let train = root.join("RealBlur").join("train").join(name);
        let own_test = root.join("RealBlur").join("test").join(name);
        let shared_test = root.join("test").join(name);
        match split {
            S::Train => vec![FolderPair::plain(&train)],
            S::Val => vec![FolderPair::plain(&own_test), FolderPair::plain(&shared_test)],
            S::Test => vec![FolderPair::plain(&shared_test), FolderPair::plain(&own_test)],
        }
    };
    let found = match (kind, split) {
        (K::GoPro, S::Train | S::Val) => {
            let dir = root.join("GoPro").join("crop").join(split.name());
            vec![FolderPair::crops(&dir), FolderPair::plain(&dir)]
        }
        (K::GoPro, S::Test) => {
            vec![
                FolderPair::plain(&root.join("GoPro").join("test")),
                FolderPair::plain(&root.join("test").join("GoPro")),
            ]
        }
        (K::Hide, S::Test) => vec![FolderPair::plain(&root.join("test").join("HIDE"))],
        (K::RealBlurJ | K::RealBlurR, _) => realblur(kind.folder_name(), split),
        (K::Synthetic, _) => {
            let sub = if split == S::Train { "train" } else { "test" };
            vec![FolderPair::plain(&root.join("synthetic").join(sub)), FolderPair::plain(&root.join(sub))]
        }
        (K::SyntheticShift, S::Test) => {
            vec![
                FolderPair::plain(&root.join("synthetic").join("test_shift")),
                FolderPair::plain(&root.join("test_shift")),
            ]
        }
        (K::Hide | K::SyntheticShift, S::Train | S::Val) => {
            return Err(DataError::NoSuchSplit { kind: kind.to_string(), split: split.to_string() })
        }
    };
    Ok(found)
}

/// The first existing folder pair of [`candidate_folders`].
pub fn locate(root: &Path, kind: DatasetKind, split: Split) -> Result<FolderPair> {
    let candidates = candidate_folders(root, kind, split)?;
    match candidates.iter().find(|c| c.exists()) {
        Some(found) => Ok(found.clone()),
        None => Err(DataError::MissingFolder {
            what: format!("{kind} {split}"),
            tried: candidates.into_iter().flat_map(|c| [c.lq, c.gt]).collect(),
        }),
    }
}

/// The image pairs of `kind`'s `split` under `root`, checked with the split's
/// [`Split::size_rule`].
pub fn resolve(root: &Path, kind: DatasetKind, split: Split) -> Result<PairSet> {
    let folders = locate(root, kind, split)?;
    PairSet::discover(&folders, split.size_rule())
}

/// The image pairs of any `dir/{input,target}` folder.
pub fn resolve_plain(dir: &Path, rule: SizeRule) -> Result<PairSet> {
    let folders = FolderPair::plain(dir);
    if !folders.exists() {
        return Err(DataError::MissingFolder { what: "paired".into(), tried: vec![folders.lq, folders.gt] });
    }
    PairSet::discover(&folders, rule)
}
