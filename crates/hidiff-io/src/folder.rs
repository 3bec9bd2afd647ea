//! Listing image folders, with one rule for every command:
//!
//! * an entry is an image if its name has one of the [`IMAGE_EXTENSIONS`]
//!   (case-insensitive) and does not start with `.` (hidden files, macOS `._*`
//!   resource forks, editors' temporaries are skipped);
//! * links are followed; subfolders are not entered (callers that recurse do so
//!   themselves) and are not images even if their name ends in `.png`;
//! * an image-named entry that is not a regular file (a FIFO, socket or device)
//!   is an error, not a silent skip, so a set is never quietly smaller;
//! * the order is natural (`img2` before `img10`, as the reference's `natsort`),
//!   and names are kept as the operating system gives them (`OsString`, so
//!   non-UTF-8 names survive).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// File extensions (lower case) treated as images.
pub const IMAGE_EXTENSIONS: [&str; 7] = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"];

/// Whether `path` has one of the [`IMAGE_EXTENSIONS`] (case-insensitive).
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether a file name is hidden (starts with `.`).
pub fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Compares two paths by file name in natural order (lossy UTF-8 for the
/// comparison only).
pub fn natural_cmp(a: &Path, b: &Path) -> std::cmp::Ordering {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    natord::compare(&name(a), &name(b)).then_with(|| a.cmp(b))
}

/// One entry of a folder listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// An image file (see the module rules).
    Image(PathBuf),
    /// A visible subfolder (links to folders included).
    Folder(PathBuf),
}

/// The visible images and subfolders directly inside `dir`, naturally sorted.
///
/// # Errors
/// [`Error::NotFound`], [`Error::NotARegularFile`] (for `dir` itself when it is
/// not a folder — reported with its kind — or an image-named FIFO, socket or
/// device inside it) or [`Error::Io`].
pub fn list_entries(dir: &Path) -> Result<Vec<Entry>> {
    let meta = std::fs::metadata(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { path: dir.to_path_buf() },
        _ => Error::io("cannot list", dir, e),
    })?;
    if !meta.is_dir() {
        return Err(Error::io(
            "cannot list",
            dir,
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is not a folder"),
        ));
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))? {
        let entry = entry.map_err(|e| Error::io("cannot list", dir, e))?;
        if is_hidden(&entry.file_name()) {
            continue;
        }
        let path = entry.path();
        // Follows links; a dangling link is skipped like any non-image entry.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            out.push(Entry::Folder(path));
        } else if has_image_extension(&path) {
            crate::regular::check_regular_file(&path)?;
            out.push(Entry::Image(path));
        }
    }
    out.sort_by(|a, b| {
        let p = |e: &Entry| match e {
            Entry::Image(p) | Entry::Folder(p) => p.clone(),
        };
        natural_cmp(&p(a), &p(b))
    });
    Ok(out)
}

/// The image files directly inside `dir`, naturally sorted (see the module rules).
///
/// # Errors
/// As [`list_entries`].
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(list_entries(dir)?
        .into_iter()
        .filter_map(|e| match e {
            Entry::Image(p) => Some(p),
            Entry::Folder(_) => None,
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn hidden_non_image_and_folder_entries_are_skipped_in_natural_order() {
        let t = tempfile::tempdir().unwrap();
        for f in ["img10.png", "img2.PNG", "._img1.png", ".hidden.jpg", "notes.txt"] {
            std::fs::write(t.path().join(f), b"x").unwrap();
        }
        std::fs::create_dir(t.path().join("sub.png")).unwrap();
        let names: Vec<_> = list_images(t.path()).unwrap().iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["img2.PNG", "img10.png"]);
        assert_eq!(list_entries(t.path()).unwrap().len(), 3);
    }

    #[test]
    fn an_image_named_fifo_is_an_error_and_a_file_is_not_a_folder() {
        let t = tempfile::tempdir().unwrap();
        assert!(std::process::Command::new("mkfifo").arg(t.path().join("x.png")).status().unwrap().success());
        let e = list_images(t.path()).unwrap_err();
        assert!(matches!(e, Error::NotARegularFile { .. }), "{e}");
        std::fs::write(t.path().join("f"), b"").unwrap();
        assert!(matches!(list_images(&t.path().join("f")).unwrap_err(), Error::Io { .. }));
        assert!(matches!(list_images(&t.path().join("none")).unwrap_err(), Error::NotFound { .. }));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_are_kept() {
        use std::os::unix::ffi::OsStrExt;
        let t = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.png");
        std::fs::write(t.path().join(name), b"x").unwrap();
        assert_eq!(list_images(t.path()).unwrap(), vec![t.path().join(name)]);
    }
}
