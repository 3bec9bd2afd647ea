//! Output quantisation of the official test (docs/reference.md §4.8, BasicSR `tensor2img`):
//! clamp to `[0, 1]`, multiply by the peak in float32, round half to even (NumPy
//! `round`), cast. The 16-bit variant is the same rule with the peak 65535.

/// `[0, 1]` float → `u8` exactly as `tensor2img` does (`NaN` becomes 0).
pub fn to_u8(v: f32) -> u8 {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    (v * 255.0f32).round_ties_even() as u8
}

/// `[0, 1]` float → `u16` with the rule of [`to_u8`] and the peak 65535.
pub fn to_u16(v: f32) -> u16 {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    (v * 65535.0f32).round_ties_even() as u16
}

/// `u8` → `[0, 1]` float as the reference reads images (`astype(float32) / 255`).
pub fn from_u8(v: u8) -> f32 {
    f32::from(v) / 255.0
}

/// `u16` → `[0, 1]` float (`/ 65535` in float32).
pub fn from_u16(v: u16) -> f32 {
    f32::from(v) / 65535.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn rounds_half_to_even_after_clamping() {
        // 0.5/255 * 255 = 0.5 exactly in f32 -> 0 (even); 1.5/255 -> 2; 2.5/255 -> 2.
        assert_eq!(to_u8(0.5 / 255.0), 0);
        assert_eq!(to_u8(1.5 / 255.0), 2);
        assert_eq!(to_u8(2.5 / 255.0), 2);
        assert_eq!(to_u8(-0.2), 0);
        assert_eq!(to_u8(1.7), 255);
        assert_eq!(to_u8(f32::NAN), 0);
        assert_eq!(to_u16(1.0), 65535);
        assert_eq!(to_u16(0.5), 32768); // 32767.5 -> even
    }

    #[test]
    fn eight_and_sixteen_bit_values_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(to_u8(from_u8(v)), v);
        }
        for v in (0..=65535u16).step_by(7) {
            assert_eq!(to_u16(from_u16(v)), v);
        }
    }
}
