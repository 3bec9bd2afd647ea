//! `cargo xtask gpu-check`: assembles the kit that the GPU machine runs in one go.
//!
//! Built here, on a CPU machine, into a git-ignored folder of the checkout
//! (`gpu-kit/` by default), which the device tool carries (`carry: ["gpu-kit"]`):
//!
//! ```text
//! gpu-kit/
//!   hidiff.xz        the CUDA release binary, stripped and xz-compressed
//!   run.sh           the device side (xtask/assets/gpu-check-run.sh): every step, one JSON report
//!   golden/          the golden folder `hidiff parity` and the deblur checks read
//!   bench/           the PyTorch reference (bench_torch.py + the official networks), if found
//!   manifest.json    what was packed: commit, sizes, source paths
//!   .gpu-kit         marks the folder as a kit (only such a folder is ever replaced)
//! ```
//!
//! Everything travels in the device tool's 64 MiB; [`assemble`] refuses a kit above
//! [`MAX_KIT_BYTES`]. docs/performance.md says how to run it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The device side, copied into the kit as `run.sh`.
pub const RUN_SH: &str = include_str!("../assets/gpu-check-run.sh");

/// The largest kit accepted: the device tool carries 64 MiB, and the rest of the
/// checkout travels too.
pub const MAX_KIT_BYTES: u64 = 56 * 1024 * 1024;

/// The golden files `hidiff parity` and the deblur checks need.
pub const GOLDEN_FILES: [&str; 6] =
    ["small_config.toml", "net_g.pth", "net_le.pth", "net_le_dm.pth", "net_d.pth", "cases.safetensors"];

const MARKER: &str = ".gpu-kit";

/// What goes into the kit.
#[derive(Debug, Clone)]
pub struct KitOptions {
    /// The kit folder (replaced if it is a kit, refused if it is anything else).
    pub out: PathBuf,
    /// The `hidiff` binary to pack (the CUDA release build for a real kit).
    pub hidiff: PathBuf,
    /// The golden folder (the repository's copy).
    pub golden: PathBuf,
    /// The PyTorch reference folder (`bench_torch.py`, `official/`); skipped when missing.
    pub torch_bench: Option<PathBuf>,
    /// xz preset, 0-9.
    pub xz_level: u32,
}

/// What [`assemble`] packed.
#[derive(Debug, Clone)]
pub struct Kit {
    pub dir: PathBuf,
    /// Size of the binary before stripping, after stripping, and compressed.
    pub binary_bytes: [u64; 3],
    /// Size of the whole kit.
    pub total_bytes: u64,
    /// Whether the PyTorch reference is in the kit.
    pub has_torch_bench: bool,
}

/// Builds the kit; see the module documentation.
pub fn assemble(o: &KitOptions) -> Result<Kit> {
    if !o.hidiff.is_file() {
        bail!(
            "{} is not a file: build the binary first (cargo build --release --features cuda --bin hidiff)",
            o.hidiff.display()
        );
    }
    for f in GOLDEN_FILES {
        if !o.golden.join(f).is_file() {
            bail!("{} is missing (the golden folder needs {})", o.golden.join(f).display(), GOLDEN_FILES.join(", "));
        }
    }
    prepare_dir(&o.out)?;
    let dir = &o.out;

    // Strip (debug and symbol sections are most of a release binary) and compress.
    let stripped = dir.join("hidiff");
    let unstripped = file_len(&o.hidiff)?;
    let ok =
        Command::new("strip").arg("-o").arg(&stripped).arg(&o.hidiff).status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        eprintln!("[xtask] `strip` failed or is missing: packing the binary unstripped");
        std::fs::copy(&o.hidiff, &stripped).with_context(|| format!("copying {}", o.hidiff.display()))?;
    }
    let stripped_len = file_len(&stripped)?;
    eprintln!("[xtask] compressing {} ({:.1} MiB) with xz -{} ...", stripped.display(), mib(stripped_len), o.xz_level);
    xz(&stripped, &dir.join("hidiff.xz"), o.xz_level)?;
    std::fs::remove_file(&stripped)?;
    let xz_len = file_len(&dir.join("hidiff.xz"))?;

    let golden = dir.join("golden");
    std::fs::create_dir_all(&golden)?;
    for f in GOLDEN_FILES {
        std::fs::copy(o.golden.join(f), golden.join(f))
            .with_context(|| format!("copying {}", o.golden.join(f).display()))?;
    }

    let torch = o.torch_bench.as_ref().filter(|d| d.join("bench_torch.py").is_file());
    match (torch, &o.torch_bench) {
        (Some(src), _) => copy_tree(src, &dir.join("bench"))?,
        (None, Some(src)) => eprintln!("[xtask] no bench_torch.py in {}: the kit will not time PyTorch", src.display()),
        (None, None) => {}
    }

    let run = dir.join("run.sh");
    std::fs::write(&run, RUN_SH)?;
    set_executable(&run)?;

    let manifest = serde_json::json!({
        "commit": git_commit(),
        "binary": std::fs::canonicalize(&o.hidiff).unwrap_or_else(|_| o.hidiff.clone()).display().to_string(),
        "binary_bytes": unstripped,
        "stripped_bytes": stripped_len,
        "xz_bytes": xz_len,
        "golden": o.golden.display().to_string(),
        "torch_bench": torch.map(|d| d.display().to_string()),
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest)?)?;

    let total = tree_len(dir)?;
    if total > MAX_KIT_BYTES {
        bail!(
            "the kit in {} is {:.1} MiB, more than the {:.0} MiB that fit the device tool's transfer with the checkout",
            dir.display(),
            mib(total),
            mib(MAX_KIT_BYTES)
        );
    }
    eprintln!(
        "[xtask] kit {}: binary {:.1} MiB -> stripped {:.1} MiB -> xz {:.1} MiB; kit {:.1} MiB",
        dir.display(),
        mib(unstripped),
        mib(stripped_len),
        mib(xz_len),
        mib(total)
    );
    Ok(Kit {
        dir: dir.clone(),
        binary_bytes: [unstripped, stripped_len, xz_len],
        total_bytes: total,
        has_torch_bench: torch.is_some(),
    })
}

/// Empties `dir` if it is an earlier kit, creates it if missing, refuses anything else.
fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let is_kit = dir.join(MARKER).is_file();
        let is_empty = dir.read_dir().map(|mut r| r.next().is_none()).unwrap_or(false);
        if !is_kit && !is_empty {
            bail!("{} exists and is not a GPU kit made by `cargo xtask gpu-check`: nothing is overwritten; choose another --out", dir.display());
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("removing the old kit {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by cargo xtask gpu-check; replaced by the next one\n")?;
    Ok(())
}

/// `xz -LEVEL`, with python3's lzma module where xz is missing (same .xz format).
fn xz(src: &Path, dst: &Path, level: u32) -> Result<()> {
    let out = std::fs::File::create(dst).with_context(|| format!("creating {}", dst.display()))?;
    let status = Command::new("xz").arg(format!("-{level}")).arg("-T0").arg("-c").arg(src).stdout(out).status();
    if matches!(status, Ok(s) if s.success()) {
        return Ok(());
    }
    let script = "import lzma, shutil, sys\nwith open(sys.argv[1], 'rb') as i, lzma.open(sys.argv[2], 'wb', preset=int(sys.argv[3])) as o: shutil.copyfileobj(i, o)";
    let status = Command::new("python3").args(["-c", script]).arg(src).arg(dst).arg(level.to_string()).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        _ => bail!("compressing {} failed: neither `xz` nor `python3 -c 'import lzma'` works here", src.display()),
    }
}

fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let e = e?;
        let to = dst.join(e.file_name());
        if e.file_type()?.is_dir() {
            if e.file_name() != "__pycache__" {
                copy_tree(&e.path(), &to)?;
            }
        } else {
            std::fs::copy(e.path(), &to).with_context(|| format!("copying {}", e.path().display()))?;
            // Sources may be read-only; the next kit must be able to replace the copy.
            set_writable(&to)?;
        }
    }
    Ok(())
}

fn tree_len(dir: &Path) -> Result<u64> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        n += if e.file_type()?.is_dir() { tree_len(&e.path())? } else { e.metadata()?.len() };
    }
    Ok(n)
}

fn file_len(p: &Path) -> Result<u64> {
    Ok(std::fs::metadata(p).with_context(|| format!("reading {}", p.display()))?.len())
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

#[cfg(unix)]
fn set_executable(p: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_writable(p: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_writable(p: &Path) -> Result<()> {
    let mut perm = std::fs::metadata(p)?.permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(p, perm)?;
    Ok(())
}

fn git_commit() -> Option<String> {
    let out =
        Command::new("git").args(["rev-parse", "HEAD"]).current_dir(crate::runner::workspace_root()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_sh_is_valid_bash() {
        let dir = tempfile_dir();
        let p = dir.join("run.sh");
        std::fs::write(&p, RUN_SH).unwrap();
        let out = Command::new("bash").arg("-n").arg(&p).output().expect("bash is installed");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_to_replace_a_folder_that_is_not_a_kit() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = prepare_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("nothing is overwritten"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
        // A kit is replaced.
        std::fs::remove_file(dir.join("notes.txt")).unwrap();
        prepare_dir(&dir).unwrap();
        std::fs::write(dir.join("old"), "x").unwrap();
        prepare_dir(&dir).unwrap();
        assert!(!dir.join("old").exists() && dir.join(MARKER).is_file());
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let d = std::env::temp_dir().join(format!("xtask-gpu-check-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
