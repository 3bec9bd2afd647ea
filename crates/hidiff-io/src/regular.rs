//! Only regular files are opened: a FIFO named `x.png` would block the first
//! `read` forever, a device would stream without end, so both are refused by
//! their type (from `stat`, which never opens the file) before anything reads.

use std::path::Path;

use crate::error::{Error, Result};

/// What a non-regular file type is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// Checks that `path` exists and is a regular file (links are followed), without
/// opening it. Returns its metadata.
///
/// # Errors
/// [`Error::NotFound`], [`Error::NotARegularFile`] or [`Error::Io`].
pub fn check_regular_file(path: &Path) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { path: path.to_path_buf() },
        _ => Error::io("cannot read", path, e),
    })?;
    if meta.is_file() {
        Ok(meta)
    } else {
        Err(Error::NotARegularFile { path: path.to_path_buf(), kind: kind_of(&meta) })
    }
}

/// What is at `path` if it is not a regular file (`None` for a regular file or
/// nothing at all).
pub fn non_file_kind(path: &Path) -> Option<&'static str> {
    let meta = std::fs::metadata(path).ok()?;
    (!meta.is_file()).then(|| kind_of(&meta))
}

/// Reads a whole regular file, after [`check_regular_file`].
///
/// # Errors
/// As [`check_regular_file`], or [`Error::Io`] if reading fails.
pub fn read_regular_file(path: &Path) -> Result<Vec<u8>> {
    check_regular_file(path)?;
    std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn files_pass_folders_fifos_and_missing_paths_do_not() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f.png");
        std::fs::write(&f, b"data").unwrap();
        assert_eq!(read_regular_file(&f).unwrap(), b"data");
        let e = check_regular_file(t.path()).unwrap_err();
        assert!(matches!(e, Error::NotARegularFile { kind: "a folder", .. }), "{e}");
        let e = check_regular_file(&t.path().join("nope")).unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{e}");
        let fifo = t.path().join("x.png");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        // Returns at once: a read would block forever.
        let e = read_regular_file(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert_eq!(non_file_kind(&fifo), Some("a FIFO (named pipe)"));
        assert_eq!(non_file_kind(&f), None);
    }
}
