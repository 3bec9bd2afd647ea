//! `hidiff prepare`: the GoPro training patches and validation crops
//! (docs/reference.md §4.7), or the synthetic camera-shake data set.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use hidiff_data::synthetic::{generate, SyntheticConfig};
use hidiff_data::{generate_gopro_patches, PatchConfig, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Arguments of `hidiff prepare`.
#[derive(clap::Args, Debug)]
pub struct PrepareArgs {
    #[command(subcommand)]
    pub what: PrepareCommand,
}

/// What to prepare.
#[derive(clap::Subcommand, Debug)]
pub enum PrepareCommand {
    /// Generate the synthetic data set: train/, test/ and test_shift/ pairs.
    Synthetic(SyntheticArgs),
    /// Cut GoPro/train into 512x512 patches and GoPro/test into 256x256 validation crops.
    Gopro(GoproArgs),
}

/// Arguments of `hidiff prepare synthetic`.
#[derive(clap::Args, Debug)]
pub struct SyntheticArgs {
    /// Output folder (gets train/, test/, test_shift/ with input/ and target/).
    #[arg(long, default_value = "datasets/synthetic")]
    pub out: PathBuf,
    /// A TOML file with a full configuration (unknown keys are errors); the flags below override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Training pairs [default: 256].
    #[arg(long)]
    pub train: Option<usize>,
    /// Test pairs with the training blur statistics [default: 64].
    #[arg(long)]
    pub test: Option<usize>,
    /// Test pairs with shifted blur statistics [default: 64].
    #[arg(long)]
    pub test_shift: Option<usize>,
    /// Image size HxW, or a range HxW..HxW (sizes are drawn in steps of 8) [default: 128x128..256x256].
    #[arg(long)]
    pub size: Option<SizeRange>,
    /// Seed of every random draw [default: 2023].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Blur path length of train/ and test/ in pixels, `MIN..MAX` or one value [default: 6..24].
    #[arg(long, value_name = "MIN..MAX")]
    pub blur_length: Option<LengthRange>,
    /// Blur path length of test_shift/ in pixels, `MIN..MAX` or one value [default: 14..32].
    #[arg(long, value_name = "MIN..MAX")]
    pub shift_blur_length: Option<LengthRange>,
}

/// Arguments of `hidiff prepare gopro`.
#[derive(clap::Args, Debug)]
pub struct GoproArgs {
    /// The datasets folder that holds GoPro/train and GoPro/test.
    #[arg(long, default_value = "datasets")]
    pub root: PathBuf,
    /// Rewrite patches that already exist (by default they are kept, so a run can be resumed).
    #[arg(long)]
    pub overwrite: bool,
}

/// `HxW` or `HxW..HxW`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeRange {
    /// Smallest `[height, width]`.
    pub min: [u32; 2],
    /// Largest `[height, width]`.
    pub max: [u32; 2],
}

/// `HxW` by the CLI's one size rule, as `[height, width]`.
fn parse_hw(s: &str) -> Result<[u32; 2]> {
    let (h, w) = crate::validate::parse_hw(s).map_err(anyhow::Error::msg)?;
    Ok([u32::try_from(h)?, u32::try_from(w)?])
}

/// `MIN..MAX` or one value (then both ends), each end read by `one`.
fn parse_range<T: Copy>(s: &str, one: impl Fn(&str) -> Result<T>) -> Result<[T; 2]> {
    match s.split_once("..") {
        Some((lo, hi)) => Ok([one(lo)?, one(hi)?]),
        None => Ok([one(s)?; 2]),
    }
}

impl FromStr for SizeRange {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let [min, max] = parse_range(s, parse_hw)?;
        let range = Self { min, max };
        if range.min[0] > range.max[0] || range.min[1] > range.max[1] {
            bail!("size range `{s}` runs backwards");
        }
        Ok(range)
    }
}

/// A blur path length range in pixels: `MIN..MAX` or one value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LengthRange(pub [f64; 2]);

impl FromStr for LengthRange {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let px = |v: &str| -> Result<f64> {
            let x: f64 = v.trim().parse().with_context(|| format!("`{v}` in `{s}` is not a number of pixels"))?;
            if !x.is_finite() || x < 0.0 {
                bail!("blur length `{s}` must be finite and non-negative");
            }
            Ok(x)
        };
        let range = parse_range(s, px)?;
        if range[0] > range[1] {
            bail!("blur length range `{s}` runs backwards");
        }
        Ok(Self(range))
    }
}

/// Runs `hidiff prepare`.
pub fn run(args: &PrepareArgs) -> Result<()> {
    match &args.what {
        PrepareCommand::Synthetic(a) => synthetic(a),
        PrepareCommand::Gopro(a) => gopro(a),
    }
}

fn synthetic(args: &SyntheticArgs) -> Result<()> {
    let mut config = match &args.config {
        Some(path) => {
            hidiff_io::check_regular_file(path)?;
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<SyntheticConfig>(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => SyntheticConfig::default(),
    };
    if let Some(n) = args.train {
        config.train = n;
    }
    if let Some(n) = args.test {
        config.test = n;
    }
    if let Some(n) = args.test_shift {
        config.test_shift = n;
    }
    if let Some(range) = args.size {
        config.min_size = range.min;
        config.max_size = range.max;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    if let Some(LengthRange(length)) = args.blur_length {
        config.blur.length = length;
    }
    if let Some(LengthRange(length)) = args.shift_blur_length {
        config.shift_blur.length = length;
    }
    config.validate().context("synthetic data set configuration")?;
    let bars = Bars::new()?;
    let report = generate(&config, &args.out, &bars)
        .with_context(|| format!("generating the synthetic data set in {}", args.out.display()))?;
    let [train, test, shift] = report.pairs;
    eprintln!(
        "wrote {train} train, {test} test and {shift} test_shift pairs to {} in {:.1} s (seed {})",
        args.out.display(),
        report.seconds,
        config.seed
    );
    Ok(())
}

fn gopro(args: &GoproArgs) -> Result<()> {
    let config = PatchConfig { overwrite: args.overwrite, ..PatchConfig::default() };
    let bars = Bars::new()?;
    let report = generate_gopro_patches(&args.root, &config, &bars)
        .with_context(|| format!("cutting GoPro patches under {}", args.root.display()))?;
    eprintln!(
        "{} frames: wrote {} training patch pairs and {} validation crop pairs; kept {} existing pairs",
        report.train_sources, report.train_written, report.val_written, report.skipped
    );
    Ok(())
}

/// One indicatif bar per stage, on stderr.
struct Bars {
    style: ProgressStyle,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new() -> Result<Self> {
        let style = ProgressStyle::with_template("{prefix:>13} [{bar:40}] {pos}/{len} {elapsed_precise} (eta {eta})")
            .context("progress bar template")?
            .progress_chars("=> ");
        Ok(Self { style, current: Mutex::new(None) })
    }
}

impl Progress for Bars {
    /// A new stage: the previous bar is finished, a new one started.
    fn start(&self, label: &str, total: usize, _work: u64) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = current.take() {
            bar.finish();
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
            .with_style(self.style.clone())
            .with_prefix(label.to_string());
        *current = Some(bar);
    }

    /// Called from worker threads for every finished item.
    fn item_done(&self, _item: &Path, _work: u64) {
        if let Some(bar) = self.current.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.current.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{LengthRange, SizeRange};

    #[test]
    fn blur_lengths_parse_as_ranges_or_single_values() {
        assert_eq!("1..4".parse::<LengthRange>().expect("parses"), LengthRange([1.0, 4.0]));
        assert_eq!("2.5".parse::<LengthRange>().expect("parses"), LengthRange([2.5, 2.5]));
        assert!("4..1".parse::<LengthRange>().is_err());
        assert!("-1..2".parse::<LengthRange>().is_err());
        let e = "1..x".parse::<LengthRange>().expect_err("not a number").to_string();
        assert!(e.contains("`x`"), "{e}");
    }

    #[test]
    fn sizes_parse_as_single_values_or_ranges() {
        assert_eq!("128x96".parse::<SizeRange>().expect("parses"), SizeRange { min: [128, 96], max: [128, 96] });
        let r: SizeRange = "128x128..256X200".parse().expect("parses");
        assert_eq!((r.min, r.max), ([128, 128], [256, 200]));
        assert!("256x256..128x128".parse::<SizeRange>().is_err());
        assert!("256".parse::<SizeRange>().is_err());
    }
}
