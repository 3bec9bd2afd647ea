//! Writing the synthetic data set in the GoPro layout, deterministically and in parallel.
//!
//! ```text
//! out_dir/
//!   train/{input,target}/00000.png ...     blur of `SyntheticConfig::blur`
//!   test/{input,target}/...                same statistics, held-out photographs
//!   test_shift/{input,target}/...          `SyntheticConfig::shift_blur`
//!   hidiff-synthetic.json                  written last: the set is complete
//! ```

use std::fs;
use std::path::Path;
use std::time::Instant;

use image::RgbImage;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::canvas::Canvas;
use super::config::{BlurConfig, SyntheticConfig};
use super::noise::{add_noise, uniform_in};
use super::photos::{sample_photo, PhotoPool};
use super::procedural::procedural;
use super::psf::Psf;
use super::shake::CameraMotion;
use super::trajectory::{Trajectory, TrajectoryParams};
use super::uniform::blur_uniform;
use crate::error::{DataError, Result};
use crate::image_io::write_png;
use crate::layout::FolderPair;
use crate::progress::{NoProgress, Progress, StageCounter};
use crate::seeding::{stream, Domain};

/// The marker file whose presence means a generated set is complete.
pub const MARKER_FILE: &str = "hidiff-synthetic.json";

/// The file that marks a folder as this generator's, written before the first
/// image: [`generate`] fills only a new or empty folder or one carrying it (or a
/// complete set's [`MARKER_FILE`]), so it never overwrites or deletes a user's
/// numbered images.
pub const OWNER_FILE: &str = ".hidiff-synthetic-owner";

/// The three generated splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyntheticSplit {
    /// `train/`.
    Train,
    /// `test/`: training blur statistics, held-out photographs.
    Test,
    /// `test_shift/`: shifted blur statistics, held-out photographs.
    TestShift,
}

impl SyntheticSplit {
    /// All splits, in generation order.
    pub const ALL: [Self; 3] = [Self::Train, Self::Test, Self::TestShift];

    /// The folder name.
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Test => "test",
            Self::TestShift => "test_shift",
        }
    }

    fn id(self) -> u64 {
        match self {
            Self::Train => 0,
            Self::Test => 1,
            Self::TestShift => 2,
        }
    }

    fn pool(self) -> PhotoPool {
        if self == Self::Train {
            PhotoPool::Train
        } else {
            PhotoPool::Test
        }
    }

    fn blur(self, config: &SyntheticConfig) -> &BlurConfig {
        if self == Self::TestShift {
            &config.shift_blur
        } else {
            &config.blur
        }
    }

    fn count(self, config: &SyntheticConfig) -> usize {
        match self {
            Self::Train => config.train,
            Self::Test => config.test,
            Self::TestShift => config.test_shift,
        }
    }
}

/// Which blur model made a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlurMode {
    /// One PSF for the whole image.
    Uniform,
    /// The average of warped frames (spatially varying).
    NonUniform,
}

/// How one pair was made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairInfo {
    /// The blur model.
    pub mode: BlurMode,
    /// Trajectory length in pixels.
    pub length: f64,
    /// Anxiety of the trajectory.
    pub anxiety: f64,
    /// Fraction of the trajectory recorded.
    pub exposure: f64,
    /// The photograph the sharp image was cut from, or `None` if procedural.
    pub photo: Option<&'static str>,
    /// PSF side (uniform mode) or number of frames averaged (non-uniform mode).
    pub support: usize,
}

/// One generated pair, 8-bit RGB.
#[derive(Clone, Debug)]
pub struct SyntheticPair {
    /// The blurry, noisy image.
    pub lq: RgbImage,
    /// The sharp image.
    pub gt: RgbImage,
    /// How it was made.
    pub info: PairInfo,
}

/// How the blur of one pair was drawn.
enum Blur {
    Uniform(Psf),
    NonUniform(CameraMotion),
}

/// A size from `min` to `max` in steps of 8.
fn draw_side<R: Rng + ?Sized>(rng: &mut R, min: u32, max: u32) -> usize {
    (min + 8 * rng.gen_range(0..=(max - min) / 8)) as usize
}

/// Pair `index` of `split`: a pure function of `(config, split, index)`.
///
/// # Errors
/// [`DataError::InvalidConfig`] if `config` does not validate.
pub fn synthesize_pair(config: &SyntheticConfig, split: SyntheticSplit, index: usize) -> Result<SyntheticPair> {
    config.validate()?;
    Ok(synthesize_valid(config, split, index))
}

fn synthesize_valid(config: &SyntheticConfig, split: SyntheticSplit, index: usize) -> SyntheticPair {
    let mut rng = stream(config.seed, Domain::Synthetic, split.id(), index as u64);
    let height = draw_side(&mut rng, config.min_size[0], config.max_size[0]);
    let width = draw_side(&mut rng, config.min_size[1], config.max_size[1]);
    let blur_config = split.blur(config);
    let mode =
        if rng.gen::<f64>() < blur_config.uniform_probability { BlurMode::Uniform } else { BlurMode::NonUniform };
    let params = TrajectoryParams {
        samples: blur_config.trajectory_samples,
        length: uniform_in(&mut rng, blur_config.length),
        anxiety: uniform_in(&mut rng, blur_config.anxiety),
    };
    let exposure = uniform_in(&mut rng, blur_config.exposure);
    let trajectory = Trajectory::random(&params, &mut rng);
    let (blur, margin, support) = match mode {
        BlurMode::Uniform => {
            let psf = Psf::from_path(&trajectory.points, exposure);
            let (margin, size) = (psf.radius() + 1, psf.size());
            (Blur::Uniform(psf), margin, size)
        }
        BlurMode::NonUniform => {
            let motion = CameraMotion::random(
                &trajectory,
                exposure,
                blur_config.max_rotation_deg,
                blur_config.max_zoom,
                width,
                height,
                &mut rng,
            );
            let (margin, frames) = (motion.margin(), motion.frames());
            (Blur::NonUniform(motion), margin, frames)
        }
    };
    let (padded_w, padded_h) = (width + 2 * margin, height + 2 * margin);
    let photo = if rng.gen::<f64>() < config.photo_probability {
        sample_photo(&mut rng, split.pool(), padded_w, padded_h)
    } else {
        None
    };
    let photo_name = photo.as_ref().map(|(_, name)| *name);
    let sharp = match photo {
        Some((canvas, _)) => canvas,
        None => procedural(&mut rng, padded_w, padded_h),
    };
    let gt = sharp.crop(margin, margin, width, height).to_rgb8();
    let linear = sharp.to_linear();
    let blurred: Canvas = match &blur {
        Blur::Uniform(psf) => blur_uniform(&linear, psf, margin),
        Blur::NonUniform(motion) => motion.render(&linear, margin),
    };
    let mut lq = blurred.to_gamma();
    add_noise(&mut lq, &config.noise, &mut rng);
    SyntheticPair {
        lq: lq.to_rgb8(),
        gt,
        info: PairInfo { mode, length: params.length, anxiety: params.anxiety, exposure, photo: photo_name, support },
    }
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateReport {
    /// Pairs written to `train/`, `test/`, `test_shift/`.
    pub pairs: [usize; 3],
    /// Wall time in seconds.
    pub seconds: f64,
}

/// The content of [`MARKER_FILE`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// `hidiff-data <version>`.
    pub generator: String,
    /// The configuration the set was generated with.
    pub config: SyntheticConfig,
    /// Pairs per split (`train`, `test`, `test_shift`).
    pub pairs: [usize; 3],
}

/// Generates the set described by `config` into `out_dir` (new, empty, or one
/// this generator filled before: [`OWNER_FILE`]), overwriting earlier generated files, removing stale ones (higher numbers, temporary files) and
/// writing [`MARKER_FILE`] last. Pairs are made in parallel; the result depends
/// only on `config`.
///
/// # Errors
/// An invalid configuration or a failed write, naming the file.
pub fn generate(config: &SyntheticConfig, out_dir: &Path, progress: &dyn Progress) -> Result<GenerateReport> {
    config.validate()?;
    let start = Instant::now();
    if !out_dir.join(MARKER_FILE).is_file() {
        hidiff_io::guard::check_fillable_folder(out_dir, OWNER_FILE, "hidiff prepare synthetic")?;
    }
    fs::create_dir_all(out_dir).map_err(|e| DataError::io("cannot create", out_dir, e))?;
    let owner = out_dir.join(OWNER_FILE);
    fs::write(&owner, b"written by hidiff prepare synthetic\n")
        .map_err(|e| DataError::io("cannot write", &owner, e))?;
    let marker_path = out_dir.join(MARKER_FILE);
    if marker_path.exists() {
        fs::remove_file(&marker_path).map_err(|e| DataError::io("cannot remove", &marker_path, e))?;
    }
    let mut pairs = [0; 3];
    for (slot, split) in SyntheticSplit::ALL.into_iter().enumerate() {
        let count = split.count(config);
        let folders = FolderPair::plain(&out_dir.join(split.dir_name()));
        for dir in [&folders.lq, &folders.gt] {
            fs::create_dir_all(dir).map_err(|e| DataError::io("cannot create", dir, e))?;
            remove_stale(dir, count)?;
        }
        let counter = StageCounter::start(split.dir_name(), count, progress);
        (0..count).into_par_iter().try_for_each(|i| {
            let pair = synthesize_valid(config, split, i);
            let name = format!("{i:05}.png");
            write_png(&pair.lq, &folders.lq.join(&name))?;
            let gt = folders.gt.join(&name);
            write_png(&pair.gt, &gt)?;
            counter.tick(&gt);
            Ok::<(), DataError>(())
        })?;
        pairs[slot] = count;
    }
    progress.finish();
    let marker =
        Marker { generator: format!("hidiff-data {}", env!("CARGO_PKG_VERSION")), config: config.clone(), pairs };
    let json = serde_json::to_string_pretty(&marker)
        .map_err(|source| DataError::Marker { path: marker_path.clone(), source })?;
    fs::write(&marker_path, json).map_err(|e| DataError::io("cannot write", &marker_path, e))?;
    Ok(GenerateReport { pairs, seconds: start.elapsed().as_secs_f64() })
}

/// Removes generated files numbered `count` or more, and leftover temporary files.
fn remove_stale(dir: &Path, count: usize) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| DataError::io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| DataError::io("cannot list", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale_number = name
            .strip_suffix(".png")
            .filter(|stem| !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|stem| stem.parse::<usize>().ok())
            .is_some_and(|n| n >= count);
        let leftover = name.starts_with('.') && name.contains(".png.tmp");
        if stale_number || leftover {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| DataError::io("cannot remove", &path, e))?;
        }
    }
    Ok(())
}

/// The marker of a complete set in `dir`, if there is one.
///
/// # Errors
/// A marker that exists but cannot be read or parsed.
pub fn read_marker(dir: &Path) -> Result<Option<Marker>> {
    let path = dir.join(MARKER_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(|e| DataError::io("cannot read", &path, e))?;
    serde_json::from_str(&text).map(Some).map_err(|source| DataError::Marker { path, source })
}

/// What [`ensure_dataset`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum EnsureOutcome {
    /// A complete set was already there (its marker).
    Existing(Box<Marker>),
    /// The set was generated now.
    Generated(GenerateReport),
}

/// Generates `config`'s set into `dir` unless a complete one (a readable
/// [`MARKER_FILE`]) is already there; an existing set is kept even if it was
/// made with another configuration.
///
/// # Errors
/// As [`generate`] and [`read_marker`].
pub fn ensure_dataset(config: &SyntheticConfig, dir: &Path, progress: &dyn Progress) -> Result<EnsureOutcome> {
    match read_marker(dir)? {
        Some(marker) => Ok(EnsureOutcome::Existing(Box::new(marker))),
        None => generate(config, dir, progress).map(EnsureOutcome::Generated),
    }
}

/// [`ensure_dataset`] with the default configuration and no progress output.
///
/// # Errors
/// As [`generate`] and [`read_marker`].
pub fn ensure_default_dataset(dir: &Path) -> Result<EnsureOutcome> {
    ensure_dataset(&SyntheticConfig::default(), dir, &NoProgress)
}
