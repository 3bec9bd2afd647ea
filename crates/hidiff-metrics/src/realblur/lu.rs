//! The float32 8×8 inverse of ECC's Hessian, as OpenCV's `Mat::inv()`
//! (`DECOMP_LU`) computes it.
//!
//! OpenCV inverts by solving `A·X = I` with `hal::LU32f`: Gaussian elimination
//! with partial pivoting, all in float32, and a matrix whose pivot falls below
//! `10·FLT_EPSILON` is declared singular and its "inverse" is all zeros. This
//! is hand-written rather than taken from nalgebra because nalgebra's LU
//! factors and substitutes in a different order (different float32 rounding)
//! and has no such threshold; ECC is chaotic enough that the difference shows.

/// The Hessian dimension for `MOTION_HOMOGRAPHY`.
pub const N: usize = 8;

/// An 8×8 float32 matrix, row-major.
pub type Matrix = [[f32; N]; N];

/// `cv::invert(a, DECOMP_LU)` for a float32 8×8 matrix: returns the inverse,
/// or the zero matrix when OpenCV would report the matrix singular.
// The index loops mirror `LUImpl` statement by statement, which keeps the
// float32 operation order visibly identical to OpenCV's.
#[allow(clippy::needless_range_loop)]
pub fn invert(a: &Matrix) -> Matrix {
    let mut a = *a;
    let mut b = [[0.0f32; N]; N];
    for (i, row) in b.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let eps = f32::EPSILON * 10.0;
    for i in 0..N {
        let mut k = i;
        for j in i + 1..N {
            if a[j][i].abs() > a[k][i].abs() {
                k = j;
            }
        }
        if a[k][i].abs() < eps {
            return [[0.0; N]; N];
        }
        if k != i {
            a.swap(i, k);
            b.swap(i, k);
        }
        let d = -1.0f32 / a[i][i];
        for j in i + 1..N {
            let alpha = a[j][i] * d;
            for c in i + 1..N {
                a[j][c] += alpha * a[i][c];
            }
            for c in 0..N {
                b[j][c] += alpha * b[i][c];
            }
        }
    }
    for i in (0..N).rev() {
        for j in 0..N {
            let mut s = b[i][j];
            for k in i + 1..N {
                s -= a[i][k] * b[k][j];
            }
            b[i][j] = s / a[i][i];
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn inverse_times_matrix_is_identity() {
        let mut a = [[0.0f32; N]; N];
        for (i, row) in a.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = 1.0 / (1.0 + i as f32 + j as f32) + if i == j { 2.0 } else { 0.0 };
            }
        }
        let inv = invert(&a);
        for i in 0..N {
            for j in 0..N {
                let p: f32 = (0..N).map(|k| a[i][k] * inv[k][j]).sum();
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((p - e).abs() < 1e-5, "({i},{j}) = {p}");
            }
        }
    }

    #[test]
    fn singular_matrix_gives_zeros() {
        let a = [[1.0f32; N]; N];
        assert_eq!(invert(&a), [[0.0; N]; N]);
    }
}
