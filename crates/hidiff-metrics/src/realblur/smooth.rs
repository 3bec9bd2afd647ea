//! ECC pre-processing in OpenCV 4.x `findTransformECC`: the 5×5 Gaussian blur
//! (`gaussFiltSize = 5`) and the central-difference gradients, both with
//! OpenCV's default border `BORDER_REFLECT_101`.

use super::float_image::FloatImage;

/// OpenCV's `borderInterpolate` for `BORDER_REFLECT_101` (`gfedcb|abcdefgh|gfedcb`):
/// the edge sample is not repeated. For a length-1 axis every index maps to 0.
pub fn reflect_101(mut p: isize, len: usize) -> usize {
    let n = len as isize;
    if n == 1 {
        return 0;
    }
    while p < 0 || p >= n {
        if p < 0 {
            p = -p;
        } else {
            p = 2 * n - 2 - p;
        }
    }
    p as usize
}

/// `GaussianBlur(src, Size(5, 5), 0, 0)` on a float32 gray image.
///
/// With `ksize = 5` and `σ = 0` OpenCV takes the fixed kernel
/// `[1, 4, 6, 4, 1]/16` and filters separably, rows first. Each pass computes
/// `s0·6/16 + (s−1 + s+1)·4/16 + (s−2 + s+2)·1/16` in float32, the order of
/// its symmetric small-kernel loops (the multiplications by 1/4 and 1/16 are
/// exact, so fused or not gives the same value).
pub fn gaussian_blur_5x5(src: &FloatImage) -> FloatImage {
    debug_assert_eq!(src.channels, 1);
    let (w, h) = (src.width, src.height);
    let (k0, k1, k2) = (0.375f32, 0.25f32, 0.0625f32);
    let tap = |line: &dyn Fn(usize) -> f32, i: usize, n: usize| -> f32 {
        let at = |d: isize| line(reflect_101(i as isize + d, n));
        let s = at(0) * k0;
        let s = (at(-1) + at(1)) * k1 + s;
        (at(-2) + at(2)) * k2 + s
    };
    let mut rows = FloatImage::zeros(w, h, 1);
    for y in 0..h {
        let line = |x: usize| src.data[y * w + x];
        for x in 0..w {
            rows.data[y * w + x] = tap(&line, x, w);
        }
    }
    let mut out = FloatImage::zeros(w, h, 1);
    for x in 0..w {
        let line = |y: usize| rows.data[y * w + x];
        for y in 0..h {
            out.data[y * w + x] = tap(&line, y, h);
        }
    }
    out
}

/// `filter2D(src, -1, [−0.5, 0, 0.5])` along x and its transpose along y
/// (correlation, `BORDER_REFLECT_101`). Every OpenCV code path computes
/// `0.5·(next − previous)` with a single rounding; at the outermost column
/// (row) both neighbours coincide and the gradient is exactly 0.
pub fn gradients(src: &FloatImage) -> (FloatImage, FloatImage) {
    let (w, h) = (src.width, src.height);
    let mut gx = FloatImage::zeros(w, h, 1);
    let mut gy = FloatImage::zeros(w, h, 1);
    for y in 0..h {
        let (up, down) = (reflect_101(y as isize - 1, h), reflect_101(y as isize + 1, h));
        for x in 0..w {
            let (left, right) = (reflect_101(x as isize - 1, w), reflect_101(x as isize + 1, w));
            gx.data[y * w + x] = 0.5 * (src.data[y * w + right] - src.data[y * w + left]);
            gy.data[y * w + x] = 0.5 * (src.data[down * w + x] - src.data[up * w + x]);
        }
    }
    (gx, gy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_101_does_not_repeat_the_edge() {
        let idx: Vec<usize> = (-3..8).map(|p| reflect_101(p, 5)).collect();
        assert_eq!(idx, vec![3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1]);
        assert_eq!(reflect_101(-4, 1), 0);
    }

    #[test]
    fn blur_keeps_constants_and_gradients_vanish_at_the_border() {
        let img = FloatImage {
            width: 6,
            height: 4,
            channels: 1,
            data: (0..24).map(|i| (i % 6) as f32 * 0.25 + (i / 6) as f32).collect(),
        };
        let flat = FloatImage { data: vec![0.5; 24], ..img.clone() };
        assert!(gaussian_blur_5x5(&flat).data.iter().all(|&v| v == 0.5));
        let (gx, gy) = gradients(&img);
        for y in 0..4 {
            assert_eq!(gx.data[y * 6], 0.0);
            assert_eq!(gx.data[y * 6 + 5], 0.0);
            assert_eq!(gx.data[y * 6 + 2], 0.25);
        }
        assert!(gy.data[..6].iter().all(|&v| v == 0.0));
        assert_eq!(gy.data[6 + 3], 1.0);
    }
}
