//! The kernels' output buffers, zeroed in parallel chunk by chunk by the worker
//! that then fills the chunk.
//!
//! `vec![0f32; len]` zeroes the whole buffer on the calling thread (glibc's
//! `calloc` writes zeros into recycled memory) while rayon's workers wait; in the
//! quick training step these memsets were about a quarter of the main thread's
//! samples. Here each chunk is zeroed where it is used, in parallel, just before
//! the kernel writes it (still in cache).
//!
//! `unsafe` only to hand out the capacity of a `Vec` chunk by chunk and to set its
//! length once every chunk has been zeroed (SAFETY notes).
#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use rayon::prelude::*;

/// `chunk` as initialised values after writing zeros into it.
fn zeroed(chunk: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    chunk.fill(MaybeUninit::new(0.0));
    // SAFETY: every element was just written; `MaybeUninit<f32>` has `f32`'s layout.
    unsafe { &mut *(chunk as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// A buffer of `len` zeros, in chunks of `chunk` values (the last one shorter),
/// each zeroed by the worker that then calls `f(i, chunk i)`; rayon hands at
/// least `min_chunks` chunks to one task. Returns the buffer and `f`'s results in
/// chunk order.
pub(super) fn par_chunks<R: Send>(
    len: usize,
    chunk: usize,
    min_chunks: usize,
    f: impl Fn(usize, &mut [f32]) -> R + Sync + Send,
) -> (Vec<f32>, Vec<R>) {
    let mut out: Vec<f32> = Vec::with_capacity(len);
    if len == 0 {
        return (out, Vec::new());
    }
    let results: Vec<R> = out.spare_capacity_mut()[..len]
        .par_chunks_mut(chunk.max(1))
        .with_min_len(min_chunks.max(1))
        .enumerate()
        .map(|(i, c)| f(i, zeroed(c)))
        .collect();
    // SAFETY: the chunks cover 0..len and every one was zeroed above (a panic in
    // `f` unwinds before this line, leaving the length 0).
    unsafe { out.set_len(len) };
    (out, results)
}

/// Two buffers of `len` zeros, chunked alike as in [`par_chunks`], filled
/// together by `f(i, chunk i of the first, chunk i of the second)`.
pub(super) fn par_chunks2(
    len: usize,
    chunk: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync + Send,
) -> (Vec<f32>, Vec<f32>) {
    let (mut a, mut b): (Vec<f32>, Vec<f32>) = (Vec::with_capacity(len), Vec::with_capacity(len));
    if len == 0 {
        return (a, b);
    }
    let chunk = chunk.max(1);
    a.spare_capacity_mut()[..len]
        .par_chunks_mut(chunk)
        .zip(b.spare_capacity_mut()[..len].par_chunks_mut(chunk))
        .enumerate()
        .for_each(|(i, (ca, cb))| f(i, zeroed(ca), zeroed(cb)));
    // SAFETY: as in `par_chunks`, for both buffers.
    unsafe {
        a.set_len(len);
        b.set_len(len);
    }
    (a, b)
}
