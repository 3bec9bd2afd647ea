//! Running the `hidiff` binary: building it once in release, then calling its
//! subcommands with their output streamed and their failures reported.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// How to call `hidiff`.
#[derive(Debug, Clone)]
pub struct Hidiff {
    /// The executable.
    pub exe: PathBuf,
    /// `--device` passed to the subcommands that take one.
    pub device: String,
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is inside the workspace").to_path_buf()
}

/// Builds `hidiff` in release (with CUDA when the device is a GPU) and returns its path.
pub fn build_release(device: &str) -> Result<PathBuf> {
    let root = workspace_root();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&root).args(["build", "--release", "--bin", "hidiff"]);
    if device.starts_with("cuda") {
        cmd.args(["--features", "cuda"]);
    }
    eprintln!("[xtask] building hidiff (release{}) ...", if device.starts_with("cuda") { ", cuda" } else { "" });
    let t = Instant::now();
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release --bin hidiff failed");
    }
    eprintln!("[xtask] built in {:.0} s", t.elapsed().as_secs_f64());
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("hidiff"))
}

impl Hidiff {
    /// Runs `hidiff ARGS`, inheriting stdout/stderr; fails with the command line on error.
    pub fn run(&self, args: &[String]) -> Result<()> {
        self.run_with(args, None, None)
    }

    /// Runs `hidiff ARGS` with `RAYON_NUM_THREADS=threads` when given, its output
    /// appended to `log` when given (else inherited); a failure names the command
    /// and ends with the log's last lines.
    pub fn run_with(&self, args: &[String], threads: Option<usize>, log: Option<&Path>) -> Result<()> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(args);
        if let Some(n) = threads {
            cmd.env("RAYON_NUM_THREADS", n.to_string());
        }
        if let Some(log) = log {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .with_context(|| format!("opening the log {}", log.display()))?;
            let f2 = f.try_clone().with_context(|| format!("opening the log {}", log.display()))?;
            cmd.stdout(f).stderr(f2);
        }
        let status = cmd.status().with_context(|| format!("starting {}", self.exe.display()))?;
        if !status.success() {
            let tail = log.map_or(String::new(), |l| {
                let text = std::fs::read_to_string(l).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let last = lines[lines.len().saturating_sub(12)..].join("\n");
                format!("; its output is in {}, ending:\n{last}", l.display())
            });
            bail!("`hidiff {}` failed ({status}){tail}", args.join(" "));
        }
        Ok(())
    }

    /// Runs `hidiff ARGS` and returns its standard output (stderr is passed through).
    pub fn output(&self, args: &[String]) -> Result<String> {
        let out = Command::new(&self.exe)
            .args(args)
            .stderr(std::process::Stdio::inherit())
            .output()
            .with_context(|| format!("starting {}", self.exe.display()))?;
        if !out.status.success() {
            bail!("`hidiff {}` failed ({})", args.join(" "), out.status);
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Hidiff {
    /// Runs `hidiff ARGS` and parses its standard output as the typed report `T`
    /// (`what` names the output in errors: a missing field fails here).
    pub fn json<T: serde::de::DeserializeOwned>(&self, args: &[String], what: &str) -> Result<T> {
        let out = self.output(args)?;
        Ok(hidiff_report::from_str(&out, what)?)
    }
}

/// `format!`-free helper: turns a list of displayable values into owned
/// arguments, a `Vec<String>` for every caller (some extend it).
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { Vec::<String>::from([$($a.to_string()),*]) };
}
