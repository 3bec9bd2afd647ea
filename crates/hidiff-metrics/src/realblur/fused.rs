//! A fast, exactly rounded float32 fused multiply-add.
//!
//! OpenCV's AVX2 kernels (colour conversion, `addWeighted`) fuse
//! multiply-adds, so the port needs `fma(a, b, c)` with a single rounding.
//! `f32::mul_add` gives that but, on the x86-64 baseline without the FMA
//! target feature, compiles to a libm call per sample, which dominates ECC's
//! run time. This computes it in float64 instead: `a·b` is exact in double,
//! the sum is rounded to double *to odd* (with the exact TwoSum error), and
//! rounding that to float32 is then correctly rounded (Boldo & Melquiond,
//! "Emulation of FMA and correctly rounded sums", 2008: 53 ≥ 24 + 2 bits).

/// `a·b + c` with a single float32 rounding, bit-identical to
/// `a.mul_add(b, c)`.
#[inline]
pub fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    let p = f64::from(a) * f64::from(b);
    let c = f64::from(c);
    let s = p + c;
    if !s.is_finite() {
        return s as f32;
    }
    // TwoSum: the exact error of the double addition.
    let bv = s - p;
    let err = (p - (s - bv)) + (c - bv);
    if err != 0.0 && s.to_bits() & 1 == 0 {
        // Round to odd: step one ulp towards the exact value.
        let bits = s.to_bits();
        let away_from_zero = (err > 0.0) == (s > 0.0);
        let odd = f64::from_bits(if away_from_zero { bits + 1 } else { bits - 1 });
        return odd as f32;
    }
    s as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_hardware_definition() {
        // A deterministic sweep including near-cancellations and ties.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f32::from_bits((state >> 32) as u32 & 0x3FFF_FFFF | 0x3000_0000) * if state & 1 == 0 { 1.0 } else { -1.0 }
        };
        for _ in 0..200_000 {
            let (a, b) = (next(), next());
            let c = next();
            assert_eq!(fma_f32(a, b, c).to_bits(), a.mul_add(b, c).to_bits(), "{a} {b} {c}");
            // Near-cancellation: c ≈ −a·b.
            let c = -(a * b);
            assert_eq!(fma_f32(a, b, c).to_bits(), a.mul_add(b, c).to_bits(), "{a} {b} {c}");
        }
        // Exact halfway case between two floats after the product.
        let (a, b, c) = (1.0f32 + f32::EPSILON, 1.0f32 + f32::EPSILON, 0.0f32);
        assert_eq!(fma_f32(a, b, c), a.mul_add(b, c));
        assert_eq!(fma_f32(1.5, 2.0, -3.0), 0.0);
    }
}
