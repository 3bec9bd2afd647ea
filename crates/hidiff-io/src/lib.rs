//! # hidiff-io
//!
//! The one home of what every hidiff crate does with files, so that the rules
//! are written once:
//!
//! * [`write_atomic`]: a temporary file beside the target, then a rename, so an
//!   interrupted run never leaves a truncated file under the final name;
//! * [`check_regular_file`]: only regular files are opened as images, weights or
//!   configurations; FIFOs, sockets and devices are refused by type before any
//!   read (a FIFO named `x.png` would otherwise block forever);
//! * [`image`](mod@image): images are read header first and decoded under a
//!   [`PixelBudget`] (`image::Limits`), so a 370-byte PNG that declares
//!   100000×100000 pixels is refused with the numbers instead of aborting on an
//!   allocation;
//! * [`folder`]: listing image folders (one rule for hidden files, extensions and
//!   non-regular entries) and natural order;
//! * [`guard`]: no output path may be one of the inputs (compared after
//!   resolving links), and folders a command fills must be empty or its own;
//! * [`progress`]: the one [`Progress`] trait through which long jobs report
//!   their progress (the CLI draws it, libraries never do).
//!
//! Errors name the file and say what is wrong; following the `std::error::Error`
//! convention, a message never repeats the text of its `source()`.
//!
//! This crate does not depend on burn.

pub mod atomic;
pub mod error;
pub mod folder;
pub mod guard;
pub mod image;
pub mod memory;
pub mod progress;
pub mod regular;

pub use atomic::write_atomic;
pub use error::{Error, Result};
pub use folder::{has_image_extension, is_hidden, list_entries, list_images, natural_cmp, Entry, IMAGE_EXTENSIONS};
pub use guard::{
    absolute, check_fillable_folder, check_not_an_input, check_output_file, create_dirs, same_file, CreatedDirs,
};
pub use image::{read_image, read_image_size, ImageFile, PixelBudget};
pub use memory::available_memory;
pub use progress::{NoProgress, Progress, ProgressFn};
pub use regular::{check_regular_file, non_file_kind, read_regular_file};
