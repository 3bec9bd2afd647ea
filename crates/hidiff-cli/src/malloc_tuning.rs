//! glibc malloc settings for tensor workloads.
//!
//! Every training step (and every layer of an inference) frees and allocates the
//! same multi-megabyte tensors. With glibc's defaults such a block comes from a
//! fresh `mmap` (or the heap is trimmed back to the kernel between steps), so each
//! step pays page faults, the kernel's zeroing of the pages and `munmap` again: on
//! the 2-core machine that was a third of a training step's time
//! (docs/performance.md). Two settings keep freed memory for reuse instead:
//!
//! * `M_MMAP_THRESHOLD` at glibc's maximum (32 MiB): blocks below it come from the
//!   heap; setting it also stops glibc from moving the threshold on its own;
//! * `M_TRIM_THRESHOLD` at 1 GiB: the heap's free top is not handed back between
//!   steps.
//!
//! Peak memory does not grow (the same blocks are reused; measured). Other C
//! libraries keep their defaults. `HIDIFF_MALLOC_TUNING=0` leaves glibc's defaults,
//! to time both in one binary.
#![allow(unsafe_code)]

/// Applies the settings above (glibc on Linux only); call it first in `main`.
pub fn apply() {
    if std::env::var("HIDIFF_MALLOC_TUNING").is_ok_and(|v| v == "0") {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets allocator parameters; it is thread-safe and is
    // called with valid parameter numbers and values.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
