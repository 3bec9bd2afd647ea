//! Steps 1–2 of `evaluate_realblur.py` before ECC: the intensity-matching
//! scale `alpha = Σ(x·z) / Σ(z·z)` and the gray images fed to ECC.
//!
//! `alpha` is a float32 NumPy expression, and the chaotic ECC that follows
//! amplifies a 1-ulp change of it into up to 0.1 dB, so the sums reproduce
//! NumPy 1.26's float32 summation order exactly: consecutive blocks of 8192
//! elements (the ufunc reduction buffer), each summed pairwise. An exact sum
//! rounded to float32 is 1 ulp off on most images, and so is NumPy ≥ 2, which
//! drops the blocking.

use super::float_image::FloatImage;
use super::fused::fma_f32;

/// Elements per reduction block (NumPy's `NPY_BUFSIZE`).
const NUMPY_BLOCK: usize = 8192;
/// Largest block summed with the 8-way unrolled loop (`PW_BLOCKSIZE`).
const PAIRWISE_LEAF: usize = 128;

/// `np.sum(a)` of a contiguous float32 array in NumPy 1.26: a float32
/// accumulator starting at 0 adds the pairwise sums of consecutive
/// 8192-element blocks.
pub fn numpy_sum_f32(values: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for block in values.chunks(NUMPY_BLOCK) {
        acc += pairwise_sum_f32(block);
    }
    acc
}

/// NumPy's `FLOAT_pairwise_sum` (`loops_utils.h.src`), all in float32.
fn pairwise_sum_f32(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0f32;
        for &v in a {
            res += v;
        }
        res
    } else if n <= PAIRWISE_LEAF {
        let mut r = [0.0f32; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum_f32(&a[..n2]) + pairwise_sum_f32(&a[n2..])
    }
}

/// `alpha = np.sum(x * z) / np.sum(z * z)` in float32, with `x` the ground
/// truth and `z` the prediction (both `float32(u8)/255`, HWC order).
pub fn intensity_scale(x: &FloatImage, z: &FloatImage) -> f32 {
    let xz: Vec<f32> = x.data.iter().zip(&z.data).map(|(a, b)| a * b).collect();
    let zz: Vec<f32> = z.data.iter().map(|b| b * b).collect();
    numpy_sum_f32(&xz) / numpy_sum_f32(&zz)
}

/// `zs = alpha · z` in float32.
pub fn scale(z: &FloatImage, alpha: f32) -> FloatImage {
    FloatImage { data: z.data.iter().map(|v| alpha * v).collect(), ..z.clone() }
}

/// `cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)` on a float32 RGB image:
/// `0.299·R + 0.587·G + 0.114·B` in float32, without rounding to 8 bits.
///
/// OpenCV 4.8's SIMD loop (the path every pixel but a short tail takes) is
/// `fma(B, 0.114, fma(G, 0.587, R·0.299))` on CPUs with FMA (the AVX2
/// dispatch); this is reproduced with [`fma_f32`]. A non-fused port differs by
/// at most 1 ulp, well inside the ECC tolerances.
pub fn rgb_to_gray(img: &FloatImage) -> FloatImage {
    let data =
        img.data.chunks_exact(img.channels).map(|p| fma_f32(p[2], 0.114, fma_f32(p[1], 0.587, p[0] * 0.299))).collect();
    FloatImage { width: img.width, height: img.height, channels: 1, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_follows_numpy_blocking() {
        // 1e8 + 1 + 1 ... : a sequential float32 sum loses every 1, the
        // pairwise tree keeps them once they have been added together.
        let mut v = vec![1.0f32; 20000];
        v[0] = 1.0e8;
        let sequential = v.iter().fold(0.0f32, |a, b| a + b);
        assert_eq!(sequential, 1.0e8);
        let numpy = numpy_sum_f32(&v);
        assert!(numpy > 1.0e8 + 19000.0, "{numpy}");
        // Exact on small integers whatever the order.
        let w: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        assert_eq!(numpy_sum_f32(&w), 499_500.0);
    }
}
