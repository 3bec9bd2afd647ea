//! Deblurring a list of files: every input decoded and checked first, then the
//! output folder checked, and only then anything written.

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::backend::Backend;
use rayon::prelude::*;
use serde::Serialize;

use crate::deblur::Deblurrer;
use crate::error::{InferError, Result};
use crate::image_io::{encode, output_format, read_image_within, write_atomically};
use crate::plan::{plan, prepare_output_dir, Job, PlanOptions};
use crate::progress::Progress;

/// What a run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchSummary {
    /// Images written.
    pub images: usize,
    /// Their total pixels.
    pub pixels: u64,
    /// Wall time of the processing (decode, model, encode, write), seconds.
    pub seconds: f64,
    /// Of which in the model, seconds.
    pub model_seconds: f64,
}

impl BatchSummary {
    /// Megapixels processed.
    pub fn megapixels(&self) -> f64 {
        self.pixels as f64 / 1e6
    }

    /// Wall seconds per megapixel.
    pub fn seconds_per_megapixel(&self) -> f64 {
        if self.pixels == 0 {
            0.0
        } else {
            self.seconds / self.megapixels()
        }
    }
}

/// Decodes every input (in parallel, each within the pixel budget) and checks its
/// size and the estimated memory of its work, so that a corrupt, too small or too
/// large file is reported before any output is written. Returns the sizes
/// `(width, height)` in job order; the first failing job's error otherwise.
///
/// # Errors
/// Any error of [`read_image_within`], [`InferError::TooSmall`] or
/// [`InferError::OverMemoryBudget`].
pub fn validate_inputs<B: Backend>(jobs: &[Job], deblurrer: &Deblurrer<B>) -> Result<Vec<(u32, u32)>> {
    jobs.par_iter()
        .map(|job| {
            let img = read_image_within(&job.input, deblurrer.options().pixel_budget)?;
            deblurrer.check_size(&job.input, img.width, img.height)?;
            deblurrer.check_memory(&job.input, img.width, img.height)?;
            Ok((img.width, img.height))
        })
        .collect()
}

/// Deblurs every job (already planned and validated) in order, creating output
/// subfolders as needed.
///
/// # Errors
/// The first failure; outputs written before it stay.
pub fn run_jobs<B: Backend>(jobs: &[Job], deblurrer: &Deblurrer<B>, progress: &dyn Progress) -> Result<BatchSummary> {
    let started = Instant::now();
    let mut summary = BatchSummary { images: 0, pixels: 0, seconds: 0.0, model_seconds: 0.0 };
    for job in jobs {
        let img = read_image_within(&job.input, deblurrer.options().pixel_budget)?;
        progress.item_start(&job.input, deblurrer.passes(img.height as usize, img.width as usize));
        let t = Instant::now();
        let restored = deblurrer.deblur_image(&img, &mut || progress.step_done())?;
        summary.model_seconds += t.elapsed().as_secs_f64();
        let bytes = encode(&restored, output_format(&job.output, img.file_format), &job.output)?;
        if let Some(parent) = job.output.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| InferError::io("cannot create", parent, e))?;
        }
        write_atomically(&job.output, &bytes)?;
        summary.images += 1;
        summary.pixels += img.pixels() as u64;
        progress.item_done(&job.input, img.pixels() as u64);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    progress.finish();
    Ok(summary)
}

/// Plans, validates and runs: the whole of `hidiff deblur` once a model is loaded.
///
/// # Errors
/// Any error of [`plan`], [`validate_inputs`], [`prepare_output_dir`] or
/// [`run_jobs`]; all but the last are raised before anything is written.
pub fn deblur_files<B: Backend>(
    inputs: &[PathBuf],
    opts: &PlanOptions,
    deblurrer: &Deblurrer<B>,
    progress: &dyn Progress,
) -> Result<BatchSummary> {
    let jobs = plan(inputs, opts)?;
    let sizes = validate_inputs(&jobs, deblurrer)?;
    prepare_output_dir(&opts.out_dir)?;
    progress.start("images", jobs.len(), sizes.iter().map(|&(w, h)| u64::from(w) * u64::from(h)).sum());
    run_jobs(&jobs, deblurrer, progress)
}
