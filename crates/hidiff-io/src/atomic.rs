//! Atomic file writes: the bytes go to a hidden temporary file in the target's
//! folder and are renamed over the target, so a reader (or a crash) sees either
//! the old file or the whole new one, never a truncated file.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary file `write_atomic` uses for `path`: `.<name>.tmp-<pid>-<n>` in
/// the same folder (so the rename never crosses file systems). The name is built
/// from the raw `OsStr`, so non-UTF-8 names are kept byte for byte.
fn temporary_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_else(|| "file".as_ref()));
    name.push(format!(".tmp-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically (temporary file, flush to disk, rename).
/// The folder must exist. On failure the temporary file is removed and `path` is
/// untouched.
///
/// The error is the operating system's; callers name `path` in their own error
/// (`hidiff_io::Error::io("cannot write", path, e)`).
///
/// # Errors
/// Creating, writing or renaming failed, or `path` names an existing folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.file_name().is_none() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path has no file name"));
    }
    if path.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "a folder of that name exists"));
    }
    let tmp = temporary_path(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporary_behind() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a.bin");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second, longer");
        let names: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![OsString::from("a.bin")]);
    }

    #[test]
    fn refuses_a_folder_and_a_missing_parent_without_leftovers() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("d")).unwrap();
        assert!(write_atomic(&t.path().join("d"), b"x").is_err());
        assert!(write_atomic(&t.path().join("missing/x"), b"x").is_err());
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 1);
    }
}
