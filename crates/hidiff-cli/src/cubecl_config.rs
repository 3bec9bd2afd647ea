//! cubecl's run-time configuration, set by hidiff before the first CUDA client is
//! made: where compiled kernels (PTX) and autotune results are kept between runs,
//! how hard to autotune, and whether to log every compilation and tuning decision.
//!
//! Each setting is resolved in this order: the command-line flag, hidiff's
//! environment variable, cubecl's own variable (`CUBECL_AUTOTUNE_LEVEL`,
//! `CUBECL_DEBUG_LOG`), the default. A `cubecl.toml` or `burn.toml` in the working
//! directory is *not* read: hidiff sets cubecl's configuration itself, so that an
//! installed binary behaves the same wherever it is started.
//!
//! | setting | flag | variable | default |
//! |---|---|---|---|
//! | caches | `--cubecl-cache DIR\|off` | `HIDIFF_CUBECL_CACHE` | `$XDG_CACHE_HOME/hidiff/cubecl`, else `~/.cache/hidiff/cubecl` |
//! | autotune | `--autotune-level L` | `HIDIFF_AUTOTUNE_LEVEL` | `minimal` |
//! | log | `--cubecl-log stderr\|stdout\|FILE` | `HIDIFF_CUBECL_LOG` | off |
//!
//! cubecl 0.10 keeps two caches under the folder: `cuda/` (PTX of every compiled
//! kernel, keyed by the kernel's stable hash) and `autotune/` (the fastest
//! candidate per autotune key). `off` keeps neither: kernels are compiled and
//! tuned anew in every process (the cold start that `cargo xtask gpu-check`
//! measures).

// Without the `cuda` feature nothing installs the configuration; the resolution
// logic still builds (and is unit-tested) there.
#![cfg_attr(not(feature = "cuda"), allow(dead_code))]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

/// How hard cubecl autotunes. In cubecl 0.10 the level changes only how shapes
/// are bucketed into autotune keys (the anchor base of `cubecl::tune::anchor`:
/// 2.5 for minimal, 2 for balanced, 1.5 for extensive, exact shapes for full);
/// the candidate kernels per key are the same. Fewer keys mean fewer tuning
/// sessions, each of which compiles and times every candidate.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutotuneLevel {
    /// Coarsest buckets: fewest tuning sessions (the default for hidiff).
    #[default]
    Minimal,
    /// cubecl's own default.
    Balanced,
    /// Finer buckets.
    Extensive,
    /// Every distinct shape is tuned.
    Full,
}

impl AutotuneLevel {
    /// The level's name as the flag takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Minimal => "minimal",
            Self::Balanced => "balanced",
            Self::Extensive => "extensive",
            Self::Full => "full",
        }
    }

    /// Parses a level name or cubecl's numeric spelling (0..3).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "minimal" | "0" => Some(Self::Minimal),
            "balanced" | "1" => Some(Self::Balanced),
            "extensive" | "2" => Some(Self::Extensive),
            "full" | "3" => Some(Self::Full),
            _ => None,
        }
    }
}

/// The cubecl flags, global to every subcommand (they matter only with `--device cuda`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CubeclArgs {
    /// GPU kernel and autotune caches: a folder, or `off` to compile and tune anew in every run
    /// [env: HIDIFF_CUBECL_CACHE; default: $XDG_CACHE_HOME/hidiff/cubecl or ~/.cache/hidiff/cubecl].
    #[arg(long, global = true, value_name = "DIR|off")]
    pub cubecl_cache: Option<String>,
    /// How hard cubecl autotunes GPU kernels [env: HIDIFF_AUTOTUNE_LEVEL; default: minimal].
    #[arg(long, global = true, value_enum)]
    pub autotune_level: Option<AutotuneLevel>,
    /// Log every GPU kernel compilation and autotune decision to stderr, stdout or a file
    /// [env: HIDIFF_CUBECL_LOG].
    #[arg(long, global = true, value_name = "stderr|stdout|FILE")]
    pub cubecl_log: Option<String>,
}

/// Where the persistent caches go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheSetting {
    /// This folder (created if missing).
    Dir(PathBuf),
    /// Nothing persisted.
    Off,
    /// No cache folder could be found (no `HOME`): nothing persisted, with a warning.
    NoHome,
}

/// Where the compilation/autotune log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    Stderr,
    Stdout,
    /// Appended to this file.
    File(PathBuf),
}

/// The compilation/autotune log: where, and whether with each kernel's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSetting {
    pub target: LogTarget,
    /// Kernel sources and every autotune candidate's timing (cubecl's `CUBECL_DEBUG_LOG`
    /// gives this); otherwise one line per compiled kernel and per tuning decision.
    pub full: bool,
}

/// The resolved settings, and where each came from (`flag`, the variable's name or `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeclSettings {
    pub cache: CacheSetting,
    pub cache_from: String,
    pub autotune: AutotuneLevel,
    pub autotune_from: String,
    pub log: Option<LogSetting>,
}

impl CubeclSettings {
    /// One line for reports: `cache DIR (from), autotune LEVEL (from)`.
    pub fn describe(&self) -> String {
        let cache = match &self.cache {
            CacheSetting::Dir(d) => d.display().to_string(),
            CacheSetting::Off => "off".into(),
            CacheSetting::NoHome => "off (no HOME)".into(),
        };
        format!(
            "kernel cache {cache} ({}), autotune {} ({})",
            self.cache_from,
            self.autotune.name(),
            self.autotune_from
        )
    }
}

/// Resolves the settings from the flags and the environment (`env` looks a variable up).
pub fn resolve(args: &CubeclArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<CubeclSettings> {
    let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());

    let (cache, cache_from) = match (&args.cubecl_cache, nonempty("HIDIFF_CUBECL_CACHE")) {
        (Some(v), _) => (parse_cache(v, "--cubecl-cache")?, "flag".to_string()),
        (None, Some(v)) => (parse_cache(&v, "HIDIFF_CUBECL_CACHE")?, "HIDIFF_CUBECL_CACHE".to_string()),
        (None, None) => (default_cache(env), "default".to_string()),
    };

    let (autotune, autotune_from) =
        match (args.autotune_level, nonempty("HIDIFF_AUTOTUNE_LEVEL"), nonempty("CUBECL_AUTOTUNE_LEVEL")) {
            (Some(l), _, _) => (l, "flag".to_string()),
            (None, Some(v), _) => (parse_level(&v, "HIDIFF_AUTOTUNE_LEVEL")?, "HIDIFF_AUTOTUNE_LEVEL".to_string()),
            (None, None, Some(v)) => (parse_level(&v, "CUBECL_AUTOTUNE_LEVEL")?, "CUBECL_AUTOTUNE_LEVEL".to_string()),
            (None, None, None) => (AutotuneLevel::default(), "default".to_string()),
        };

    let log = match (&args.cubecl_log, nonempty("HIDIFF_CUBECL_LOG"), nonempty("CUBECL_DEBUG_LOG")) {
        (Some(v), _, _) => parse_log(v, "--cubecl-log", false)?,
        (None, Some(v), _) => parse_log(&v, "HIDIFF_CUBECL_LOG", false)?,
        // cubecl's own variable: "1"/"true" mean its default file, "0"/"false" off; full detail.
        (None, None, Some(v)) => match v.as_str() {
            "0" | "false" => None,
            "1" | "true" => Some(LogSetting { target: LogTarget::File("/tmp/cubecl.log".into()), full: true }),
            other => parse_log(other, "CUBECL_DEBUG_LOG", true)?,
        },
        (None, None, None) => None,
    };

    Ok(CubeclSettings { cache, cache_from, autotune, autotune_from, log })
}

fn parse_cache(v: &str, from: &str) -> Result<CacheSetting> {
    let v = v.trim();
    if v.is_empty() {
        bail!("{from} is empty: give a folder for the GPU kernel caches, or `off`");
    }
    if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none") {
        return Ok(CacheSetting::Off);
    }
    Ok(CacheSetting::Dir(absolute(Path::new(v))))
}

fn parse_level(v: &str, from: &str) -> Result<AutotuneLevel> {
    AutotuneLevel::parse(v).with_context(|| format!("{from}={v:?}: expected minimal, balanced, extensive or full"))
}

fn parse_log(v: &str, from: &str, full: bool) -> Result<Option<LogSetting>> {
    let target = match v.trim() {
        "" => bail!("{from} is empty: expected stderr, stdout or a file"),
        "stderr" => LogTarget::Stderr,
        "stdout" => LogTarget::Stdout,
        path => LogTarget::File(absolute(Path::new(path))),
    };
    Ok(Some(LogSetting { target, full }))
}

/// `$XDG_CACHE_HOME/hidiff/cubecl` when that variable holds an absolute path (the XDG
/// rule), else `$HOME/.cache/hidiff/cubecl`.
fn default_cache(env: &dyn Fn(&str) -> Option<String>) -> CacheSetting {
    if let Some(x) = env("XDG_CACHE_HOME").filter(|x| Path::new(x).is_absolute()) {
        return CacheSetting::Dir(Path::new(&x).join("hidiff").join("cubecl"));
    }
    match env("HOME").filter(|h| !h.is_empty()) {
        Some(h) => CacheSetting::Dir(Path::new(&h).join(".cache").join("hidiff").join("cubecl")),
        None => CacheSetting::NoHome,
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// What [`prepare`] made ready: the folders cubecl will use. Dropping it removes the
/// temporary autotune folder of `--cubecl-cache off`.
#[derive(Debug)]
pub struct Prepared {
    pub settings: CubeclSettings,
    /// Root of the PTX cache (`None`: not persisted).
    pub kernel_cache: Option<PathBuf>,
    /// Root of the autotune cache (a temporary folder when the cache is off: cubecl
    /// always persists autotune results somewhere).
    pub autotune_cache: PathBuf,
    temporary: Option<PathBuf>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(t) = &self.temporary {
            let _ = std::fs::remove_dir_all(t);
        }
    }
}

/// Checks and creates what the settings name, so that a bad path is a clear error
/// here rather than a panic inside cubecl: the cache folder must be creatable and
/// writable, the log file openable for appending.
pub fn prepare(settings: CubeclSettings) -> Result<Prepared> {
    let (kernel_cache, autotune_cache, temporary) = match &settings.cache {
        CacheSetting::Dir(d) => {
            let hint =
                "choose another folder with --cubecl-cache DIR (or HIDIFF_CUBECL_CACHE), or `--cubecl-cache off`";
            std::fs::create_dir_all(d)
                .with_context(|| format!("cannot create the GPU kernel cache folder {}; {hint}", d.display()))?;
            let probe = d.join(format!(".hidiff-write-probe-{}", std::process::id()));
            std::fs::write(&probe, b"")
                .with_context(|| format!("the GPU kernel cache folder {} is not writable; {hint}", d.display()))?;
            let _ = std::fs::remove_file(&probe);
            (Some(d.clone()), d.clone(), None)
        }
        CacheSetting::Off | CacheSetting::NoHome => {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            let t = std::env::temp_dir().join(format!("hidiff-cubecl-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&t)
                .with_context(|| format!("cannot create the temporary folder {}", t.display()))?;
            (None, t.clone(), Some(t))
        }
    };
    if let Some(LogSetting { target: LogTarget::File(f), .. }) = &settings.log {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(f)
            .with_context(|| format!("cannot open the cubecl log file {} for appending", f.display()))?;
    }
    Ok(Prepared { settings, kernel_cache, autotune_cache, temporary })
}

/// The flags as given on the command line; set once by `main`.
static ARGS: OnceLock<CubeclArgs> = OnceLock::new();
/// The configuration installed into cubecl (at most once per process).
static INSTALLED: OnceLock<Prepared> = OnceLock::new();

/// Records the command line's cubecl flags (called by `main` before the command runs).
pub fn set_args(args: CubeclArgs) {
    let _ = ARGS.set(args);
}

/// The configuration installed by [`install`], if any.
pub fn installed() -> Option<&'static Prepared> {
    INSTALLED.get()
}

/// Resolves, checks and installs the configuration into cubecl, once, before the
/// first CUDA client. Returns the installed settings. Without the `cuda` feature it
/// only resolves and checks them.
pub fn install() -> Result<&'static Prepared> {
    if let Some(p) = INSTALLED.get() {
        return Ok(p);
    }
    let args = ARGS.get().cloned().unwrap_or_default();
    let settings = resolve(&args, &|k| std::env::var(k).ok())?;
    if settings.cache == CacheSetting::NoHome {
        eprintln!(
            "warning: no HOME, so GPU kernels are not cached between runs; set HIDIFF_CUBECL_CACHE=DIR to keep them"
        );
    }
    let prepared = prepare(settings)?;
    #[cfg(feature = "cuda")]
    {
        use cubecl::config::RuntimeConfig;
        cubecl::config::CubeClRuntimeConfig::set(to_cubecl(&prepared));
    }
    Ok(INSTALLED.get_or_init(|| prepared))
}

/// The settings as cubecl 0.10's configuration.
#[cfg(feature = "cuda")]
fn to_cubecl(p: &Prepared) -> cubecl::config::CubeClRuntimeConfig {
    use cubecl::config::autotune::{AutotuneLevel as Level, AutotuneLogLevel};
    use cubecl::config::cache::CacheConfig;
    use cubecl::config::compilation::CompilationLogLevel;

    let mut c = cubecl::config::CubeClRuntimeConfig::default();
    c.autotune.level = match p.settings.autotune {
        AutotuneLevel::Minimal => Level::Minimal,
        AutotuneLevel::Balanced => Level::Balanced,
        AutotuneLevel::Extensive => Level::Extensive,
        AutotuneLevel::Full => Level::Full,
    };
    c.autotune.cache = CacheConfig::File(p.autotune_cache.clone());
    c.compilation.cache = p.kernel_cache.clone().map(CacheConfig::File);
    // Without a log the autotune logger stays disabled (cubecl's default would format a
    // "Fastest result" line per key for nobody).
    c.autotune.logger.level = AutotuneLogLevel::Disabled;
    if let Some(log) = &p.settings.log {
        c.compilation.logger.level = if log.full { CompilationLogLevel::Full } else { CompilationLogLevel::Basic };
        c.autotune.logger.level = if log.full { AutotuneLogLevel::Full } else { AutotuneLogLevel::Minimal };
        for l in [&mut c.compilation.logger.stderr, &mut c.autotune.logger.stderr] {
            *l = log.target == LogTarget::Stderr;
        }
        for l in [&mut c.compilation.logger.stdout, &mut c.autotune.logger.stdout] {
            *l = log.target == LogTarget::Stdout;
        }
        if let LogTarget::File(f) = &log.target {
            c.compilation.logger.file = Some(f.clone());
            c.autotune.logger.file = Some(f.clone());
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults_follow_xdg_then_home() {
        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/home/u")])).unwrap();
        assert_eq!(s.cache, CacheSetting::Dir("/home/u/.cache/hidiff/cubecl".into()));
        assert_eq!((s.cache_from.as_str(), s.autotune, s.log.clone()), ("default", AutotuneLevel::Minimal, None));

        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/xdg")])).unwrap();
        assert_eq!(s.cache, CacheSetting::Dir("/xdg/hidiff/cubecl".into()));
        // A relative XDG_CACHE_HOME is invalid by the XDG rules and ignored.
        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "rel")])).unwrap();
        assert_eq!(s.cache, CacheSetting::Dir("/home/u/.cache/hidiff/cubecl".into()));
        let s = resolve(&CubeclArgs::default(), &env(&[])).unwrap();
        assert_eq!(s.cache, CacheSetting::NoHome);
    }

    #[test]
    fn flag_beats_hidiff_variable_beats_cubecl_variable() {
        let e = env(&[
            ("HOME", "/h"),
            ("HIDIFF_CUBECL_CACHE", "/from-env"),
            ("HIDIFF_AUTOTUNE_LEVEL", "extensive"),
            ("CUBECL_AUTOTUNE_LEVEL", "3"),
            ("HIDIFF_CUBECL_LOG", "stdout"),
        ]);
        let s = resolve(&CubeclArgs::default(), &e).unwrap();
        assert_eq!(s.cache, CacheSetting::Dir("/from-env".into()));
        assert_eq!((s.autotune, s.autotune_from.as_str()), (AutotuneLevel::Extensive, "HIDIFF_AUTOTUNE_LEVEL"));
        assert_eq!(s.log, Some(LogSetting { target: LogTarget::Stdout, full: false }));

        let flags = CubeclArgs {
            cubecl_cache: Some("off".into()),
            autotune_level: Some(AutotuneLevel::Balanced),
            cubecl_log: Some("stderr".into()),
        };
        let s = resolve(&flags, &e).unwrap();
        assert_eq!((s.cache, s.cache_from.as_str()), (CacheSetting::Off, "flag"));
        assert_eq!(s.autotune, AutotuneLevel::Balanced);
        assert_eq!(s.log.unwrap().target, LogTarget::Stderr);

        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/h"), ("CUBECL_AUTOTUNE_LEVEL", "3")])).unwrap();
        assert_eq!((s.autotune, s.autotune_from.as_str()), (AutotuneLevel::Full, "CUBECL_AUTOTUNE_LEVEL"));
    }

    #[test]
    fn cubecl_debug_log_means_full_detail() {
        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/h"), ("CUBECL_DEBUG_LOG", "stderr")])).unwrap();
        assert_eq!(s.log, Some(LogSetting { target: LogTarget::Stderr, full: true }));
        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/h"), ("CUBECL_DEBUG_LOG", "0")])).unwrap();
        assert_eq!(s.log, None);
        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/h"), ("CUBECL_DEBUG_LOG", "/tmp/k.log")])).unwrap();
        assert_eq!(s.log.unwrap().target, LogTarget::File("/tmp/k.log".into()));
    }

    #[test]
    fn bad_values_name_their_source() {
        let e = env(&[("HOME", "/h"), ("HIDIFF_AUTOTUNE_LEVEL", "fast")]);
        let err = resolve(&CubeclArgs::default(), &e).unwrap_err().to_string();
        assert!(err.contains("HIDIFF_AUTOTUNE_LEVEL") && err.contains("fast"), "{err}");
        let flags = CubeclArgs { cubecl_cache: Some("  ".into()), ..Default::default() };
        let err = resolve(&flags, &env(&[("HOME", "/h")])).unwrap_err().to_string();
        assert!(err.contains("--cubecl-cache"), "{err}");
        // An empty variable counts as unset.
        let s = resolve(&CubeclArgs::default(), &env(&[("HOME", "/h"), ("HIDIFF_CUBECL_CACHE", "")])).unwrap();
        assert_eq!(s.cache_from, "default");
    }

    #[test]
    fn relative_cache_paths_become_absolute() {
        let flags = CubeclArgs { cubecl_cache: Some("kcache".into()), ..Default::default() };
        let s = resolve(&flags, &env(&[])).unwrap();
        let CacheSetting::Dir(d) = s.cache else { panic!("expected a folder") };
        assert!(d.is_absolute() && d.ends_with("kcache"), "{}", d.display());
    }

    #[test]
    fn prepare_creates_the_folder_and_refuses_unusable_paths() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("a/b/cubecl");
        let log = dir.path().join("k.log");
        let s = CubeclSettings {
            cache: CacheSetting::Dir(cache.clone()),
            cache_from: "flag".into(),
            autotune: AutotuneLevel::Minimal,
            autotune_from: "default".into(),
            log: Some(LogSetting { target: LogTarget::File(log.clone()), full: false }),
        };
        let p = prepare(s.clone()).unwrap();
        assert!(cache.is_dir() && log.is_file());
        assert_eq!((p.kernel_cache.as_deref(), p.autotune_cache.as_path()), (Some(cache.as_path()), cache.as_path()));
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0, "the write probe is removed");

        // A file where the folder should be.
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = prepare(CubeclSettings { cache: CacheSetting::Dir(file.join("sub")), ..s.clone() }).unwrap_err();
        assert!(format!("{err:#}").contains(&file.join("sub").display().to_string()), "{err:#}");
        let err = prepare(CubeclSettings {
            log: Some(LogSetting { target: LogTarget::File(dir.path().join("missing/k.log")), full: false }),
            ..s.clone()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("cubecl log file"), "{err:#}");

        // `off`: no kernel cache, a temporary autotune folder removed on drop.
        let p = prepare(CubeclSettings { cache: CacheSetting::Off, ..s }).unwrap();
        let t = p.autotune_cache.clone();
        assert!(p.kernel_cache.is_none() && t.is_dir());
        drop(p);
        assert!(!t.exists());
    }

    #[cfg(feature = "cuda")]
    #[test]
    fn maps_onto_cubecl_config() {
        use cubecl::config::autotune::AutotuneLevel as Level;
        use cubecl::config::cache::CacheConfig;
        let dir = tempfile::tempdir().unwrap();
        let s = CubeclSettings {
            cache: CacheSetting::Dir(dir.path().to_path_buf()),
            cache_from: "flag".into(),
            autotune: AutotuneLevel::Balanced,
            autotune_from: "flag".into(),
            log: Some(LogSetting { target: LogTarget::Stderr, full: false }),
        };
        let c = to_cubecl(&prepare(s).unwrap());
        assert!(matches!(c.autotune.level, Level::Balanced));
        assert!(matches!(&c.compilation.cache, Some(CacheConfig::File(p)) if p == dir.path()));
        assert!(c.compilation.logger.stderr && c.autotune.logger.stderr && !c.compilation.logger.stdout);
    }
}
