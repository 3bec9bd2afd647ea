//! OpenCV 4.x `warpPerspective(..., WARP_INVERSE_MAP)` as `findTransformECC`
//! and `evaluate_realblur.py` call it: bilinear (border constant 0), bicubic
//! (`BORDER_REFLECT`) and nearest neighbour (border constant 0).
//!
//! This is hand-written because no crate reproduces OpenCV ≤ 4.12's sampling
//! grid: `imgwarp.cpp` does not interpolate at the exact source coordinate but
//! on a 1/32-pixel grid (`INTER_BITS = 5`). For destination pixel `(x, y)` it
//! evaluates, in double,
//!
//! ```text
//! X0 = M00·xb + M01·y + M02,  W0 = M20·xb + M21·y + M22     (xb: start of the 32×32-ish block)
//! W  = W0 + M20·(x − xb);     fX = (X0 + M00·(x − xb)) · (32 / W)
//! ```
//!
//! rounds `fX` half-to-even to an integer, and splits it into `fX >> 5` and the
//! fraction `(fX & 31)/32`, which selects precomputed float32 weights. Generic
//! warp crates interpolate at the exact coordinate; that changes the aligned
//! image by up to 1e-2 and the RealBlur PSNR by ~6e-3 dB. The block structure
//! matters only through the order of the double additions, which can move a
//! value across a rounding tie; it is reproduced too.

use rayon::prelude::*;

use super::float_image::FloatImage;

/// A 3×3 homography, row-major, float32 as OpenCV returns it. Applied with
/// `WARP_INVERSE_MAP`: destination pixel `(x, y)` samples the source at
/// `((h00 x + h01 y + h02)/w, (h10 x + h11 y + h12)/w)`, `w = h20 x + h21 y + h22`.
pub type Warp = [[f32; 3]; 3];

/// The identity warp.
pub const IDENTITY: Warp = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// `INTER_BITS`: sub-pixel positions are multiples of `1/2^5`.
const INTER_BITS: u32 = 5;
/// `INTER_TAB_SIZE = 1 << INTER_BITS`.
const INTER_TAB_SIZE: i32 = 1 << INTER_BITS;
/// `BLOCK_SZ` of `WarpPerspectiveInvoker`.
const BLOCK_SZ: usize = 32;

/// Where a destination pixel samples the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourcePos {
    /// Integer column (`fX >> 5` for interpolation, `fX` for nearest),
    /// saturated to `i16` as OpenCV's map is.
    pub x: i16,
    /// Integer row, likewise.
    pub y: i16,
    /// Fractional column index in `0..32` (0 for nearest).
    pub fx: u8,
    /// Fractional row index in `0..32` (0 for nearest).
    pub fy: u8,
}

impl SourcePos {
    /// Index into the 32×32 interpolation weight tables.
    #[inline]
    fn table_index(self) -> usize {
        usize::from(self.fy) * INTER_TAB_SIZE as usize + usize::from(self.fx)
    }
}

/// Width of the destination blocks in which `WarpPerspectiveInvoker` walks
/// the image (`bw0`); only the column where a block starts affects rounding.
fn block_width(width: usize, height: usize) -> usize {
    let bh0 = (BLOCK_SZ / 2).min(height).max(1);
    (BLOCK_SZ * BLOCK_SZ / bh0).min(width).max(1)
}

/// `saturate_cast<int>(max(INT_MIN, min(INT_MAX, v)))`, with `cvRound`'s
/// round-half-to-even.
#[inline]
fn round_to_int(v: f64) -> i32 {
    // 1.5·2^52: adding and subtracting it rounds any |v| < 2^51 to an integer
    // in the default round-half-to-even mode (as `cvtsd2si` does), without
    // the libm `rint` call that `round_ties_even` becomes on baseline x86-64.
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    let (lo, hi) = (f64::from(i32::MIN), f64::from(i32::MAX));
    // `std::min(INT_MAX, v)` then `std::max(INT_MIN, ·)`, NaN-ordering included.
    let v = if v < hi { v } else { hi };
    let v = if lo < v { v } else { lo };
    ((v + MAGIC) - MAGIC) as i32
}

/// `saturate_cast<short>`.
#[inline]
fn saturate_i16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// Computes the source position of every pixel of one destination row.
///
/// `interpolate` selects the 1/32 grid (linear/cubic) or plain rounding
/// (nearest), exactly as the two branches of `WarpPerspectiveInvoker`.
fn row_positions(m: &[f64; 9], y: usize, width: usize, bw0: usize, interpolate: bool, out: &mut [SourcePos]) {
    let yf = y as f64;
    for xb in (0..width).step_by(bw0) {
        let xbf = xb as f64;
        let x0 = m[0] * xbf + m[1] * yf + m[2];
        let y0 = m[3] * xbf + m[4] * yf + m[5];
        let w0 = m[6] * xbf + m[7] * yf + m[8];
        for x1 in 0..bw0.min(width - xb) {
            let x1f = x1 as f64;
            let w = w0 + m[6] * x1f;
            let pos = if interpolate {
                let w = if w != 0.0 { f64::from(INTER_TAB_SIZE) / w } else { 0.0 };
                let fx = round_to_int((x0 + m[0] * x1f) * w);
                let fy = round_to_int((y0 + m[3] * x1f) * w);
                SourcePos {
                    x: saturate_i16(fx >> INTER_BITS),
                    y: saturate_i16(fy >> INTER_BITS),
                    fx: (fx & (INTER_TAB_SIZE - 1)) as u8,
                    fy: (fy & (INTER_TAB_SIZE - 1)) as u8,
                }
            } else {
                let w = if w != 0.0 { 1.0 / w } else { 0.0 };
                SourcePos {
                    x: saturate_i16(round_to_int((x0 + m[0] * x1f) * w)),
                    y: saturate_i16(round_to_int((y0 + m[3] * x1f) * w)),
                    fx: 0,
                    fy: 0,
                }
            };
            out[xb + x1] = pos;
        }
    }
}

/// The warp matrix in double, as `warpPerspective` converts it.
fn to_f64(m: &Warp) -> [f64; 9] {
    let mut out = [0.0; 9];
    for (o, v) in out.iter_mut().zip(m.iter().flatten()) {
        *o = f64::from(*v);
    }
    out
}

/// Source positions of all destination pixels, row-major.
pub fn source_positions(m: &Warp, width: usize, height: usize, interpolate: bool) -> Vec<SourcePos> {
    let m = to_f64(m);
    let bw0 = block_width(width, height);
    let zero = SourcePos { x: 0, y: 0, fx: 0, fy: 0 };
    let mut out = vec![zero; width * height];
    if width == 0 {
        return out;
    }
    out.par_chunks_mut(width).enumerate().for_each(|(y, row)| row_positions(&m, y, width, bw0, interpolate, row));
    out
}

/// `BilinearTab_f`: `[(1−fy)(1−fx), (1−fy)fx, fy(1−fx), fy·fx]` for every
/// fraction pair, in float32 (`initInterTab2D(INTER_LINEAR)`).
fn bilinear_table() -> Vec<[f32; 4]> {
    let scale = 1.0f32 / INTER_TAB_SIZE as f32;
    let one_d = |i: usize| {
        let x = i as f32 * scale;
        [1.0f32 - x, x]
    };
    let n = INTER_TAB_SIZE as usize;
    let mut tab = Vec::with_capacity(n * n);
    for fy in 0..n {
        for fx in 0..n {
            let (vy, vx) = (one_d(fy), one_d(fx));
            tab.push([vy[0] * vx[0], vy[0] * vx[1], vy[1] * vx[0], vy[1] * vx[1]]);
        }
    }
    tab
}

/// OpenCV `interpolateCubic` (Keys, `A = −0.75`) at `x`, in float32 and in
/// OpenCV's operation order.
fn cubic_coeffs(x: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let c0 = ((A * (x + 1.0) - 5.0 * A) * (x + 1.0) + 8.0 * A) * (x + 1.0) - 4.0 * A;
    let c1 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let c2 = ((A + 2.0) * (1.0 - x) - (A + 3.0)) * (1.0 - x) * (1.0 - x) + 1.0;
    let c3 = 1.0 - c0 - c1 - c2;
    [c0, c1, c2, c3]
}

/// `BicubicTab_f`: the 16 products `wy[i]·wx[j]` for every fraction pair.
fn bicubic_table() -> Vec<[f32; 16]> {
    let scale = 1.0f32 / INTER_TAB_SIZE as f32;
    let n = INTER_TAB_SIZE as usize;
    let mut tab = Vec::with_capacity(n * n);
    for fy in 0..n {
        let vy = cubic_coeffs(fy as f32 * scale);
        for fx in 0..n {
            let vx = cubic_coeffs(fx as f32 * scale);
            let mut w = [0.0f32; 16];
            for i in 0..4 {
                for j in 0..4 {
                    w[i * 4 + j] = vy[i] * vx[j];
                }
            }
            tab.push(w);
        }
    }
    tab
}

/// OpenCV `borderInterpolate` for `BORDER_REFLECT` (`fedcba|abcdef|fedcba`):
/// the edge sample is repeated.
pub fn reflect(p: i32, len: usize) -> usize {
    let n = len as i64;
    if n <= 1 {
        return 0;
    }
    let q = i64::from(p).rem_euclid(2 * n);
    (if q < n { q } else { 2 * n - 1 - q }) as usize
}

/// Bilinear sampling with `BORDER_CONSTANT` 0, as `remapBilinear` for float32
/// (`RemapNoVec`): taps outside the source contribute 0, and the sum is
/// accumulated in float32 in the order top-left, top-right, bottom-left,
/// bottom-right.
pub fn remap_linear(src: &FloatImage, positions: &[SourcePos], width: usize, height: usize) -> FloatImage {
    remap_linear_many(&[src], positions, width, height).pop().unwrap_or_else(|| FloatImage::zeros(width, height, 1))
}

/// [`remap_linear`] of several single-channel images of the same size at the
/// same positions, in one pass (ECC warps the image and both gradients).
pub fn remap_linear_many(
    srcs: &[&FloatImage],
    positions: &[SourcePos],
    width: usize,
    height: usize,
) -> Vec<FloatImage> {
    let k = srcs.len();
    let Some(first) = srcs.first() else {
        return Vec::new();
    };
    let (sw, sh) = (first.width, first.height);
    assert!(
        srcs.iter().all(|s| s.channels == 1 && s.width == sw && s.height == sh),
        "remap_linear_many needs single-channel images of one size"
    );
    let tab = bilinear_table();
    let (swi, shi) = (sw as i32, sh as i32);
    let tap = |d: &[f32], x: i32, y: i32| -> f32 {
        if x >= 0 && x < swi && y >= 0 && y < shi {
            d[y as usize * sw + x as usize]
        } else {
            0.0
        }
    };
    let mut interleaved = vec![0.0f32; width * height * k];
    let row = width.max(1);
    interleaved.par_chunks_mut(k * row).zip(positions.par_chunks(row)).for_each(|(out_row, pos_row)| {
        for (o, p) in out_row.chunks_exact_mut(k).zip(pos_row) {
            let w = &tab[p.table_index()];
            let (x, y) = (i32::from(p.x), i32::from(p.y));
            if x >= 0 && y >= 0 && x + 1 < swi && y + 1 < shi {
                // Interior: all four taps exist.
                let i0 = y as usize * sw + x as usize;
                let i1 = i0 + sw;
                for (oc, s) in o.iter_mut().zip(srcs) {
                    let d = &s.data;
                    *oc = d[i0] * w[0] + d[i0 + 1] * w[1] + d[i1] * w[2] + d[i1 + 1] * w[3];
                }
            } else {
                for (oc, s) in o.iter_mut().zip(srcs) {
                    let d = &s.data;
                    *oc = tap(d, x, y) * w[0]
                        + tap(d, x + 1, y) * w[1]
                        + tap(d, x, y + 1) * w[2]
                        + tap(d, x + 1, y + 1) * w[3];
                }
            }
        }
    });
    (0..k)
        .map(|c| FloatImage {
            width,
            height,
            channels: 1,
            data: interleaved.iter().skip(c).step_by(k).copied().collect(),
        })
        .collect()
}

/// `warpPerspective(src, M, (width, height), INTER_LINEAR | WARP_INVERSE_MAP)`
/// with the default `BORDER_CONSTANT` 0, for a single-channel image.
pub fn warp_linear(src: &FloatImage, m: &Warp, width: usize, height: usize) -> FloatImage {
    let positions = source_positions(m, width, height, true);
    remap_linear(src, &positions, width, height)
}

/// `warpPerspective(src, M, (width, height), INTER_CUBIC | WARP_INVERSE_MAP,
/// borderMode = BORDER_REFLECT)` for any number of channels (`remapBicubic`
/// for float32).
///
/// The 4×4 taps start one pixel up-left of the integer position. Inside the
/// image OpenCV sums each row of four products, then adds the rows; near the
/// border it reflects the indices and adds the 16 products one by one. Both
/// orders are reproduced.
pub fn warp_cubic_reflect(src: &FloatImage, m: &Warp, width: usize, height: usize) -> FloatImage {
    let positions = source_positions(m, width, height, true);
    let tab = bicubic_table();
    let cn = src.channels;
    let (sw, sh) = (src.width, src.height);
    let width1 = sw.saturating_sub(3) as i64;
    let height1 = sh.saturating_sub(3) as i64;
    let mut out = FloatImage::zeros(width, height, cn);
    out.data.par_chunks_mut(cn).zip(&positions).for_each(|(o, p)| {
        let w = &tab[p.table_index()];
        let (sx, sy) = (i32::from(p.x) - 1, i32::from(p.y) - 1);
        let interior = (0..width1).contains(&i64::from(sx)) && (0..height1).contains(&i64::from(sy));
        for (c, oc) in o.iter_mut().enumerate() {
            let s = |x: usize, y: usize| src.data[(y * sw + x) * cn + c];
            *oc = if interior {
                let (x, y) = (sx as usize, sy as usize);
                let row = |i: usize| {
                    s(x, y + i) * w[4 * i]
                        + s(x + 1, y + i) * w[4 * i + 1]
                        + s(x + 2, y + i) * w[4 * i + 2]
                        + s(x + 3, y + i) * w[4 * i + 3]
                };
                let mut sum = row(0);
                sum += row(1);
                sum += row(2);
                sum += row(3);
                sum
            } else {
                let xs: [usize; 4] = std::array::from_fn(|j| reflect(sx + j as i32, sw));
                let ys: [usize; 4] = std::array::from_fn(|i| reflect(sy + i as i32, sh));
                let mut sum = 0.0f32;
                for (i, &yi) in ys.iter().enumerate() {
                    for (j, &xj) in xs.iter().enumerate() {
                        sum += s(xj, yi) * w[4 * i + j];
                    }
                }
                sum
            };
        }
    });
    out
}

/// `warpPerspective(ones, M, (width, height), INTER_NEAREST | WARP_INVERSE_MAP,
/// BORDER_CONSTANT, 0)`: 1 where the rounded source position lies inside the
/// `src_width × src_height` source, else 0.
pub fn nearest_valid_mask(m: &Warp, src_width: usize, src_height: usize, width: usize, height: usize) -> Vec<u8> {
    let (sw, sh) = (src_width as i32, src_height as i32);
    source_positions(m, width, height, false)
        .iter()
        .map(|p| {
            let (x, y) = (i32::from(p.x), i32::from(p.y));
            u8::from(x >= 0 && x < sw && y >= 0 && y < sh)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_repeats_the_edge() {
        let idx: Vec<usize> = (-3..8).map(|p| reflect(p, 5)).collect();
        assert_eq!(idx, vec![2, 1, 0, 0, 1, 2, 3, 4, 4, 3, 2]);
    }

    #[test]
    fn cubic_weights_sum_to_one_and_interpolate() {
        for i in 0..32 {
            let c = cubic_coeffs(i as f32 / 32.0);
            assert!((c.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        assert_eq!(cubic_coeffs(0.0), [0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn identity_warp_is_exact_and_the_grid_rounds_half_to_even() {
        let img =
            FloatImage { width: 7, height: 5, channels: 3, data: (0..105).map(|i| (i as f32 * 0.37).sin()).collect() };
        assert_eq!(warp_cubic_reflect(&img, &IDENTITY, 7, 5), img);
        assert!(nearest_valid_mask(&IDENTITY, 7, 5, 7, 5).iter().all(|&v| v == 1));
        // A shift of exactly 1/64 px lies on a tie of the 1/32 grid: 0.5 → 0.
        let m: Warp = [[1.0, 0.0, 1.0 / 64.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let pos = source_positions(&m, 4, 2, true);
        assert_eq!((pos[0].x, pos[0].fx), (0, 0));
        // 3/64 px: 1.5 → 2.
        let m: Warp = [[1.0, 0.0, 3.0 / 64.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert_eq!(source_positions(&m, 4, 2, true)[0].fx, 2);
    }
}
