//! From the paths on the command line to a list of (input, output) files, checked
//! before anything is written.
//!
//! * A file is deblurred into `out/<file name>` whatever its extension (the
//!   decoder decides whether it is an image).
//! * A folder contributes the image files ([`IMAGE_EXTENSIONS`]) directly inside
//!   it, or, with `recursive`, in all its subfolders, written to `out/<path
//!   relative to the folder>`. Hidden entries, symbolic links to folders and the
//!   output folder itself are skipped; file names are kept byte for byte
//!   (non-UTF-8 names included).
//! * Only regular files are inputs: a FIFO, socket or device (even one named
//!   `x.png`) is refused by type before anything reads it.
//! * The plan is refused if the output folder is an existing file, an input is missing, a folder holds no image, two
//!   inputs map to one output, an output would replace an input (compared after
//!   resolving links), or outputs exist and `overwrite` is off.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use hidiff_io::folder::Entry;
pub use hidiff_io::IMAGE_EXTENSIONS;

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
/// [`InferError::OutputCollision`], [`InferError::WouldOverwriteInput`],
/// [`InferError::OutputExists`], [`InferError::OutputNotWritable`] (the output
/// folder is an existing file) or [`InferError::File`] (an input that is a FIFO,
/// socket or device).
pub fn plan(inputs: &[PathBuf], opts: &PlanOptions) -> Result<Vec<Job>> {
    check_output_folder(&opts.out_dir)?;
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
            // A FIFO named x.png would block the decoder forever: refused by type now.
            hidiff_io::check_regular_file(input).map_err(crate::image_io::from_io)?;
            let name =
                input.file_name().map(PathBuf::from).ok_or_else(|| InferError::MissingInput { path: input.clone() })?;
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

/// Refuses an output folder path that names an existing file (or FIFO, device),
/// before anything is loaded or decoded.
///
/// # Errors
/// [`InferError::OutputNotWritable`].
pub fn check_output_folder(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(InferError::OutputNotWritable {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is an existing file, not a folder"),
        }),
        _ => Ok(()),
    }
}

/// The image files under `dir/relative`, with their paths relative to `dir`, in
/// natural order, by the workspace's listing rule ([`hidiff_io::list_entries`]).
/// Names are kept as `OsString`s, so non-UTF-8 names reach the outputs unchanged.
fn list_folder(
    dir: &Path,
    relative: &Path,
    recursive: bool,
    skip: &Path,
    out: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<()> {
    let here = dir.join(relative);
    for entry in hidiff_io::list_entries(&here).map_err(crate::image_io::from_io)? {
        match entry {
            Entry::Folder(path) => {
                // Links to folders are not followed (no cycles); the output folder is skipped.
                let is_link = std::fs::symlink_metadata(&path).map(|m| m.file_type().is_symlink()).unwrap_or(true);
                if recursive && !is_link && absolute(&path) != skip {
                    if let Some(name) = path.file_name() {
                        list_folder(dir, &relative.join(name), recursive, skip, out)?;
                    }
                }
            }
            Entry::Image(path) => {
                if let Some(name) = path.file_name() {
                    let rel = relative.join(name);
                    out.push((path, rel));
                }
            }
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
    prepare_output_dir_tracked(dir).map(drop)
}

/// [`prepare_output_dir`], returning the folders it created so that a run that
/// fails later can remove them again.
///
/// # Errors
/// [`InferError::OutputNotWritable`] (folders created before the failure are removed).
pub fn prepare_output_dir_tracked(dir: &Path) -> Result<hidiff_io::CreatedDirs> {
    let fail = |source| InferError::OutputNotWritable { path: dir.to_path_buf(), source };
    check_output_folder(dir)?;
    let created = hidiff_io::create_dirs(dir).map_err(fail)?;
    let probe = dir.join(format!(".hidiff-write-test-{}", std::process::id()));
    let probed = std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe));
    if let Err(e) = probed {
        created.remove_empty();
        return Err(fail(e));
    }
    Ok(created)
}

pub use hidiff_io::absolute;

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
        for f in
            ["in/b10.png", "in/b2.png", "in/notes.txt", "in/.hidden.png", "in/sub/c.jpg", "in/out/old.png", "x.png"]
        {
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
