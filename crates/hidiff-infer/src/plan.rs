//! From the paths on the command line to a list of (input, output) files, checked
//! before anything is written.
//!
//! * A file is deblurred into `out/<file name>` whatever its extension (the
//!   decoder decides whether it is an image).
//! * A folder contributes the image files ([`IMAGE_EXTENSIONS`]) directly inside
//!   it, or, with `recursive`, in all its subfolders, written to `out/<path
//!   relative to the folder>`. Hidden entries, symbolic links to folders and the
//!   output folder itself are skipped.
//! * The plan is refused if an input is missing, a folder holds no image, two
//!   inputs map to one output, an output would replace an input (compared after
//!   resolving links), or outputs exist and `overwrite` is off.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

pub use hidiff_data::image_io::IMAGE_EXTENSIONS;
use hidiff_data::image_io::has_image_extension;

use crate::error::{InferError, Result};

/// One file to deblur.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The blurry image.
    pub input: PathBuf,
    /// Where its restored version goes.
    pub output: PathBuf,
}

/// Where outputs go and what may be replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// The output folder.
    pub out_dir: PathBuf,
    /// Include subfolders of folder inputs.
    pub recursive: bool,
    /// Replace existing outputs.
    pub overwrite: bool,
}

/// Resolves `inputs` into jobs and checks the outputs (see the module documentation).
///
/// # Errors
/// [`InferError::MissingInput`], [`InferError::Io`], [`InferError::NoImages`],
/// [`InferError::OutputCollision`], [`InferError::WouldOverwriteInput`] or
/// [`InferError::OutputExists`].
pub fn plan(inputs: &[PathBuf], opts: &PlanOptions) -> Result<Vec<Job>> {
    let out_abs = absolute(&opts.out_dir);
    let mut jobs = Vec::new();
    let mut seen_inputs = HashSet::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => InferError::MissingInput { path: input.clone() },
            _ => InferError::io("cannot read", input, e),
        })?;
        let found: Vec<(PathBuf, PathBuf)> = if meta.is_dir() {
            let mut files = Vec::new();
            list_folder(input, Path::new(""), opts.recursive, &out_abs, &mut files)?;
            if files.is_empty() {
                return Err(InferError::NoImages { path: input.clone(), recursive: opts.recursive });
            }
            files
        } else {
            let name = input.file_name().map(PathBuf::from).ok_or_else(|| InferError::MissingInput { path: input.clone() })?;
            vec![(input.clone(), name)]
        };
        for (file, relative) in found {
            if seen_inputs.insert(absolute(&file)) {
                jobs.push(Job { input: file, output: opts.out_dir.join(relative) });
            }
        }
    }
    check_outputs(&jobs, opts.overwrite)?;
    Ok(jobs)
}

/// The image files under `dir/relative`, with their paths relative to `dir`,
/// in natural order.
fn list_folder(dir: &Path, relative: &Path, recursive: bool, skip: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    let here = dir.join(relative);
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(&here).map_err(|e| InferError::io("cannot list", &here, e))? {
        let entry = entry.map_err(|e| InferError::io("cannot list", &here, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        entries.push((name.to_string_lossy().into_owned(), entry.path()));
    }
    entries.sort_by(|a, b| natord::compare(&a.0, &b.0));
    for (name, path) in entries {
        let link_meta = std::fs::symlink_metadata(&path).map_err(|e| InferError::io("cannot read", &path, e))?;
        if link_meta.is_dir() {
            if recursive && absolute(&path) != skip {
                list_folder(dir, &relative.join(&name), recursive, skip, out)?;
            }
        } else if path.is_file() && has_image_extension(&path) {
            out.push((path, relative.join(&name)));
        }
    }
    Ok(())
}

fn check_outputs(jobs: &[Job], overwrite: bool) -> Result<()> {
    let mut by_output: HashMap<PathBuf, &Path> = HashMap::new();
    for job in jobs {
        if let Some(first) = by_output.insert(absolute(&job.output), &job.input) {
            return Err(InferError::OutputCollision {
                first: first.to_path_buf(),
                second: job.input.clone(),
                output: job.output.clone(),
            });
        }
    }
    let inputs: HashMap<PathBuf, &Path> = jobs.iter().map(|j| (absolute(&j.input), j.input.as_path())).collect();
    for job in jobs {
        if let Some(input) = inputs.get(&absolute(&job.output)) {
            return Err(InferError::WouldOverwriteInput { input: input.to_path_buf(), output: job.output.clone() });
        }
    }
    let existing: Vec<&Job> = jobs.iter().filter(|j| j.output.exists()).collect();
    if let (false, Some(first)) = (overwrite, existing.first()) {
        return Err(InferError::OutputExists { first: first.output.clone(), count: existing.len() });
    }
    Ok(())
}

/// Creates the output folder if needed and checks that files can be created in it
/// (by creating and removing a probe file).
///
/// # Errors
/// [`InferError::OutputNotWritable`].
pub fn prepare_output_dir(dir: &Path) -> Result<()> {
    let fail = |source| InferError::OutputNotWritable { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".hidiff-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }

    #[test]
    fn folders_files_recursion_and_the_output_folder() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for f in ["in/b10.png", "in/b2.png", "in/notes.txt", "in/.hidden.png", "in/sub/c.jpg", "in/out/old.png", "x.png"] {
            touch(&root.join(f));
        }
        let out = root.join("in/out");
        let opts = PlanOptions { out_dir: out.clone(), recursive: false, overwrite: false };
        let jobs = plan(&[root.join("in"), root.join("x.png")], &opts).unwrap();
        let outs: Vec<_> = jobs.iter().map(|j| j.output.strip_prefix(&out).unwrap().to_path_buf()).collect();
        assert_eq!(outs, ["b2.png", "b10.png", "x.png"].map(PathBuf::from));
        let jobs = plan(&[root.join("in")], &PlanOptions { recursive: true, ..opts.clone() }).unwrap();
        let outs: Vec<_> = jobs.iter().map(|j| j.output.strip_prefix(&out).unwrap().to_path_buf()).collect();
        assert_eq!(outs, ["b2.png", "b10.png", "sub/c.jpg"].map(PathBuf::from), "the output folder is skipped");
    }

    #[test]
    fn refuses_collisions_inputs_as_outputs_and_existing_outputs() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for f in ["a/x.png", "b/x.png", "out/y.png", "y.png"] {
            touch(&root.join(f));
        }
        let opts = |out: &str, overwrite| PlanOptions { out_dir: root.join(out), recursive: false, overwrite };
        let e = plan(&[root.join("a/x.png"), root.join("b/x.png")], &opts("out", false)).unwrap_err();
        assert!(matches!(e, InferError::OutputCollision { .. }), "{e}");
        let e = plan(&[root.join("a/x.png")], &opts("a/../a", true)).unwrap_err();
        assert!(matches!(e, InferError::WouldOverwriteInput { .. }), "{e}");
        let e = plan(&[root.join("y.png")], &opts("out", false)).unwrap_err();
        assert!(matches!(e, InferError::OutputExists { count: 1, .. }), "{e}");
        assert!(plan(&[root.join("y.png")], &opts("out", true)).is_ok());
        let e = plan(&[root.join("nope.png")], &opts("out", false)).unwrap_err();
        assert!(matches!(e, InferError::MissingInput { .. }), "{e}");
        std::fs::create_dir_all(root.join("empty")).unwrap();
        let e = plan(&[root.join("empty")], &opts("out", false)).unwrap_err();
        assert!(matches!(e, InferError::NoImages { .. }), "{e}");
    }
}
