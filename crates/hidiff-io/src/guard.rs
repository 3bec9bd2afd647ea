//! Outputs never land on inputs: every path a command writes is compared with
//! every path it reads after resolving links (`a/../a/x.png`, a symbolic link,
//! or a path that does not exist yet all compare as the file they are or would
//! be), and folders a command fills must be empty or carry its own marker.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// `path` made absolute with links resolved as far as it exists, and the rest
/// appended lexically (`..` and `.` folded), so that paths that do not exist yet
/// compare equal to the files they would be.
pub fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let base = std::env::current_dir().unwrap_or_default();
    let full = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
    // Resolve the longest existing prefix.
    let mut existing = full.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        for c in Path::new(&name).components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
    }
    out
}

/// Whether two paths name the same file (or would, once created).
pub fn same_file(a: &Path, b: &Path) -> bool {
    absolute(a) == absolute(b)
}

/// Refuses an output path that is one of `inputs` (files or folders the command
/// reads), after resolving links.
///
/// # Errors
/// [`Error::OutputIsInput`] naming both.
pub fn check_not_an_input<'a>(output: &Path, inputs: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let out = absolute(output);
    for input in inputs {
        if absolute(input) == out {
            return Err(Error::OutputIsInput { output: output.to_path_buf(), input: input.to_path_buf() });
        }
    }
    Ok(())
}

/// Checks an output *file* path before any work: it must not be one of `inputs`,
/// and what is already there (if anything) must be a regular file that may be
/// replaced (not a folder, FIFO or device).
///
/// # Errors
/// [`Error::OutputIsInput`] or [`Error::OutputNotAFile`].
pub fn check_output_file<'a>(output: &Path, inputs: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    if let Some(kind) = crate::regular::non_file_kind(output) {
        return Err(Error::OutputNotAFile { path: output.to_path_buf(), kind });
    }
    check_not_an_input(output, inputs)
}

/// Checks that `dir` may be filled by `owner`: it does not exist, is empty, or
/// holds `marker` (a file the owner writes into every folder it fills).
///
/// # Errors
/// [`Error::ForeignFolder`] naming one foreign entry, [`Error::OutputNotAFile`]-like
/// [`Error::NotARegularFile`] when `dir` is a file, or [`Error::Io`].
pub fn check_fillable_folder(dir: &Path, marker: &'static str, owner: &'static str) -> Result<()> {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("cannot read", dir, e)),
    };
    if !meta.is_dir() {
        return Err(Error::OutputNotAFile { path: dir.to_path_buf(), kind: "an existing file, not a folder" });
    }
    if dir.join(marker).is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    match entries.next() {
        None => Ok(()),
        Some(entry) => {
            let example = entry.map_err(|e| Error::io("cannot list", dir, e))?.path();
            Err(Error::ForeignFolder { path: dir.to_path_buf(), owner, marker, example })
        }
    }
}

/// The folders [`create_dirs`] created, so that a run that then fails can take
/// away what it made ([`CreatedDirs::remove_empty`]).
#[derive(Debug, Default)]
#[must_use = "keep the list to clean up after a failure"]
pub struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    /// The created folders, outermost first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.0
    }

    /// Removes the created folders that are (still) empty, innermost first;
    /// folders that now hold files are left alone.
    pub fn remove_empty(&self) {
        for dir in self.0.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// `std::fs::create_dir_all`, returning the folders it had to create.
///
/// # Errors
/// The first folder that cannot be created (those created before it are removed).
pub fn create_dirs(path: &Path) -> std::io::Result<CreatedDirs> {
    let mut missing = Vec::new();
    let mut p = path;
    while !p.as_os_str().is_empty() && !p.exists() {
        missing.push(p.to_path_buf());
        match p.parent() {
            Some(parent) => p = parent,
            None => break,
        }
    }
    missing.reverse();
    let mut created = CreatedDirs::default();
    for dir in missing {
        if let Err(e) = std::fs::create_dir(&dir) {
            if !(e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir()) {
                created.remove_empty();
                return Err(e);
            }
        } else {
            created.0.push(dir);
        }
    }
    Ok(created)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn outputs_equal_to_inputs_are_refused_after_resolution() {
        let t = tempfile::tempdir().unwrap();
        let gt = t.path().join("gt.png");
        std::fs::write(&gt, b"x").unwrap();
        std::fs::create_dir(t.path().join("d")).unwrap();
        let sneaky = t.path().join("d/../gt.png");
        let e = check_output_file(&sneaky, [gt.as_path()]).unwrap_err();
        assert!(matches!(e, Error::OutputIsInput { .. }), "{e}");
        assert!(check_output_file(&t.path().join("new.csv"), [gt.as_path()]).is_ok());
        let e = check_output_file(&t.path().join("d"), [gt.as_path()]).unwrap_err();
        assert!(matches!(e, Error::OutputNotAFile { kind: "a folder", .. }), "{e}");
        #[cfg(unix)]
        {
            let link = t.path().join("link.png");
            std::os::unix::fs::symlink(&gt, &link).unwrap();
            assert!(check_not_an_input(&link, [gt.as_path()]).is_err());
        }
    }

    #[test]
    fn only_empty_new_or_marked_folders_may_be_filled() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("set");
        assert!(check_fillable_folder(&d, ".mine", "test").is_ok());
        std::fs::create_dir(&d).unwrap();
        assert!(check_fillable_folder(&d, ".mine", "test").is_ok());
        std::fs::write(d.join("00001.png"), b"user's").unwrap();
        let e = check_fillable_folder(&d, ".mine", "test").unwrap_err();
        assert!(matches!(e, Error::ForeignFolder { .. }) && e.to_string().contains("00001.png"), "{e}");
        std::fs::write(d.join(".mine"), b"").unwrap();
        assert!(check_fillable_folder(&d, ".mine", "test").is_ok());
        assert!(check_fillable_folder(&d.join("00001.png"), ".mine", "test").is_err());
    }

    #[test]
    fn created_folders_are_listed_and_removed_when_empty() {
        let t = tempfile::tempdir().unwrap();
        let deep = t.path().join("a/b/c");
        let made = create_dirs(&deep).unwrap();
        assert_eq!(made.paths(), [t.path().join("a"), t.path().join("a/b"), deep.clone()]);
        std::fs::write(t.path().join("a/keep.txt"), b"x").unwrap();
        made.remove_empty();
        assert!(!t.path().join("a/b").exists() && t.path().join("a/keep.txt").exists());
        assert!(create_dirs(t.path()).unwrap().paths().is_empty());
    }
}
