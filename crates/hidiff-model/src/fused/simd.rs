//! Runtime dispatch of the fused kernels' inner loops to AVX2 + FMA code.
//!
//! The workspace builds for baseline x86-64 (SSE2: four `f32` lanes), so that the
//! binary runs on any x86-64 CPU. [`wide!`](crate::fused::simd) compiles a loop
//! twice, once as is and once with AVX2 and FMA enabled (eight lanes, fused
//! multiply-add), and picks the second at run time where the CPU has both
//! (checked once). Rust does not contract `a * b + c` into an FMA on its own and
//! does not reorder floating-point sums, so both versions compute the same
//! operations in the same order: the results are identical.
#![allow(unsafe_code)]

/// Whether this CPU has AVX2 and FMA (checked once per process).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Defines `fn name(args) -> ret { body }` whose body runs as AVX2 + FMA code when
/// [`has_avx2_fma`], as baseline code otherwise. Arguments are plain
/// `name: Type` pairs.
macro_rules! wide {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        #[allow(unsafe_code)]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn kernel($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2_fma($($arg: $ty),*) $(-> $ret)? {
                    kernel($($arg),*)
                }
                if $crate::fused::simd::has_avx2_fma() {
                    // SAFETY: the CPU has AVX2 and FMA, checked just above.
                    return unsafe { avx2_fma($($arg),*) };
                }
            }
            kernel($($arg),*)
        }
    };
}
pub(crate) use wide;
