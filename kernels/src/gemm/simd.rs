//! The SIMD vector abstraction the microkernels are written against.
//!
//! Each implementation wraps one register type: `__m512`/`__m512d` (AVX-512), `__m256`/`__m256d`
//! (AVX2 + FMA) and `wide`'s `f32x8`/`f64x4` (portable). The methods are `#[inline(always)]`, so a
//! generic kernel body instantiated inside a `#[target_feature]` function compiles to the
//! instructions of that feature set; calling them anywhere else is what the `unsafe` guards.

use crate::Element;

/// The widest vector any implementation has, in elements: sizes the scratch arrays of the
/// partial loads and stores.
pub(crate) const MAX_LANES: usize = 16;

/// One SIMD register of `Self::Elem`.
///
/// # Safety
/// Every method may use instructions of the implementation's instruction set: callers must run
/// on a CPU that has it (the kernel selection checks), and pointers must be valid for the lanes
/// read or written.
pub(crate) unsafe trait Vector: Copy {
    /// The element type of the lanes.
    type Elem: Element;
    /// Number of lanes.
    const LANES: usize;
    /// All lanes zero.
    unsafe fn zero() -> Self;
    /// All lanes `x`.
    unsafe fn splat(x: Self::Elem) -> Self;
    /// `LANES` elements from `p` (no alignment needed).
    unsafe fn load(p: *const Self::Elem) -> Self;
    /// All lanes `*p`.
    unsafe fn broadcast(p: *const Self::Elem) -> Self;
    /// `a * b + c`, fused where the instruction set has FMA.
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self;
    /// `a * b` lane by lane.
    unsafe fn mul(a: Self, b: Self) -> Self;
    /// Writes all lanes to `p` (no alignment needed).
    unsafe fn store(p: *mut Self::Elem, v: Self);
    /// Each lane where it is positive, else +0 (NaN and −0 too), as the elementwise ReLU.
    unsafe fn relu(v: Self) -> Self;
    /// `v`'s lanes where `mask`'s are positive, else +0 (where `mask` is NaN too), as the
    /// elementwise ReLU backward rule selects a gradient.
    unsafe fn keep_where_positive(mask: Self, v: Self) -> Self;
    /// The sum of the lanes, by a fixed tree (deterministic).
    unsafe fn sum(v: Self) -> Self::Elem;

    /// The lane sums of four vectors, each by the same fixed tree (so a vector's sum does not
    /// depend on its position or on the other three). The default sums one at a time.
    #[inline(always)]
    unsafe fn sum4(v: [Self; 4]) -> [Self::Elem; 4] {
        // SAFETY: forwarded contract.
        unsafe {
            [
                Self::sum(v[0]),
                Self::sum(v[1]),
                Self::sum(v[2]),
                Self::sum(v[3]),
            ]
        }
    }

    /// The first `n` lanes from `p` (n ≤ LANES), the rest zero; reads only those `n` elements.
    /// The default goes through a stack buffer; instruction sets with masked moves override it.
    #[inline(always)]
    unsafe fn load_partial(p: *const Self::Elem, n: usize) -> Self {
        if n == Self::LANES {
            // SAFETY: `p` is valid for n = LANES reads.
            return unsafe { Self::load(p) };
        }
        let mut buf = [<Self::Elem as Element>::ZERO; MAX_LANES];
        // SAFETY: the caller guarantees `p` is valid for `n ≤ LANES ≤ MAX_LANES` reads, and
        // `buf` holds MAX_LANES elements.
        unsafe {
            std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n);
            Self::load(buf.as_ptr())
        }
    }

    /// Writes the first `n` lanes (n ≤ LANES) to `p`; touches only those `n` elements.
    /// The default goes through a stack buffer; instruction sets with masked moves override it.
    #[inline(always)]
    unsafe fn store_partial(p: *mut Self::Elem, v: Self, n: usize) {
        let mut buf = [<Self::Elem as Element>::ZERO; MAX_LANES];
        // SAFETY: `buf` holds MAX_LANES ≥ LANES elements; the caller guarantees `p` is valid
        // for `n ≤ LANES` writes.
        unsafe {
            Self::store(buf.as_mut_ptr(), v);
            std::ptr::copy_nonoverlapping(buf.as_ptr(), p, n);
        }
    }
}

/// Asks the caches to fetch the line holding `p`: a hint, which reads nothing architecturally
/// and never faults, so any address will do.
#[inline(always)]
pub(crate) fn prefetch<E>(p: *const E) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of every x86-64 CPU, and a prefetch neither faults nor reads memory
    // architecturally, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2F32, Avx2F64, Avx512F32, Avx512F64};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Vector;
    use std::arch::x86_64::*;

    /// Sixteen f32 lanes in a zmm register.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512F32(__m512);
    /// Eight f64 lanes in a zmm register.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512F64(__m512d);
    /// Eight f32 lanes in a ymm register.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2F32(__m256);
    /// Four f64 lanes in a ymm register.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2F64(__m256d);

    /// Implements `Vector` by naming the intrinsic of each operation.
    macro_rules! impl_vector {
        ($name:ident, $elem:ty, $lanes:literal, zero = $zero:ident, splat = $splat:ident,
         load = $load:ident, fma = $fma:ident, mul = $mul:ident, store = $store:ident,
         max = $max:ident, keep = $keep:path,
         sum = $sum:path, sum4 = $sum4:path,
         partial = ($load_partial:path, $store_partial:path)) => {
            // SAFETY: the methods only run the named intrinsics; the trait's contract makes the
            // caller guarantee the CPU feature and the pointer validity.
            unsafe impl Vector for $name {
                type Elem = $elem;
                const LANES: usize = $lanes;
                #[inline(always)]
                unsafe fn zero() -> Self {
                    // SAFETY: the instruction set is available (trait contract).
                    Self(unsafe { $zero() })
                }
                #[inline(always)]
                unsafe fn splat(x: $elem) -> Self {
                    // SAFETY: the instruction set is available (trait contract).
                    Self(unsafe { $splat(x) })
                }
                #[inline(always)]
                unsafe fn load(p: *const $elem) -> Self {
                    // SAFETY: `p` is valid for LANES reads (trait contract).
                    Self(unsafe { $load(p) })
                }
                #[inline(always)]
                unsafe fn broadcast(p: *const $elem) -> Self {
                    // SAFETY: `p` is valid for one read (trait contract).
                    Self(unsafe { $splat(*p) })
                }
                #[inline(always)]
                unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
                    // SAFETY: the instruction set is available (trait contract).
                    Self(unsafe { $fma(a.0, b.0, c.0) })
                }
                #[inline(always)]
                unsafe fn mul(a: Self, b: Self) -> Self {
                    // SAFETY: the instruction set is available (trait contract).
                    Self(unsafe { $mul(a.0, b.0) })
                }
                #[inline(always)]
                unsafe fn store(p: *mut $elem, v: Self) {
                    // SAFETY: `p` is valid for LANES writes (trait contract).
                    unsafe { $store(p, v.0) }
                }
                #[inline(always)]
                unsafe fn relu(v: Self) -> Self {
                    // SAFETY: the instruction set is available (trait contract). MAXPS/MAXPD
                    // return the second operand when either is NaN or both are zero, so zero
                    // second gives +0 for NaN and −0, as the elementwise ReLU does.
                    Self(unsafe { $max(v.0, $zero()) })
                }
                #[inline(always)]
                unsafe fn keep_where_positive(mask: Self, v: Self) -> Self {
                    // SAFETY: the instruction set is available (trait contract).
                    Self(unsafe { $keep(mask.0, v.0) })
                }
                #[inline(always)]
                unsafe fn sum(v: Self) -> $elem {
                    // SAFETY: the instruction set is available (trait contract).
                    unsafe { $sum(v.0) }
                }
                #[inline(always)]
                unsafe fn sum4(v: [Self; 4]) -> [$elem; 4] {
                    // SAFETY: the instruction set is available (trait contract).
                    unsafe { $sum4([v[0].0, v[1].0, v[2].0, v[3].0]) }
                }
                #[inline(always)]
                unsafe fn load_partial(p: *const $elem, n: usize) -> Self {
                    // SAFETY: masked lanes are not read; `p` is valid for `n` reads.
                    Self(unsafe { $load_partial(p, n) })
                }
                #[inline(always)]
                unsafe fn store_partial(p: *mut $elem, v: Self, n: usize) {
                    // SAFETY: masked lanes are not written; `p` is valid for `n` writes.
                    unsafe { $store_partial(p, v.0, n) }
                }
            }
        };
    }

    impl_vector!(
        Avx512F32,
        f32,
        16,
        zero = _mm512_setzero_ps,
        splat = _mm512_set1_ps,
        load = _mm512_loadu_ps,
        fma = _mm512_fmadd_ps,
        mul = _mm512_mul_ps,
        store = _mm512_storeu_ps,
        max = _mm512_max_ps,
        keep = keep_m512,
        sum = _mm512_reduce_add_ps,
        sum4 = sum4_m512,
        partial = (load_first_m512, store_first_m512)
    );
    impl_vector!(
        Avx512F64,
        f64,
        8,
        zero = _mm512_setzero_pd,
        splat = _mm512_set1_pd,
        load = _mm512_loadu_pd,
        fma = _mm512_fmadd_pd,
        mul = _mm512_mul_pd,
        store = _mm512_storeu_pd,
        max = _mm512_max_pd,
        keep = keep_m512d,
        sum = _mm512_reduce_add_pd,
        sum4 = sum4_m512d,
        partial = (load_first_m512d, store_first_m512d)
    );
    impl_vector!(
        Avx2F32,
        f32,
        8,
        zero = _mm256_setzero_ps,
        splat = _mm256_set1_ps,
        load = _mm256_loadu_ps,
        fma = _mm256_fmadd_ps,
        mul = _mm256_mul_ps,
        store = _mm256_storeu_ps,
        max = _mm256_max_ps,
        keep = keep_m256,
        sum = sum_m256,
        sum4 = sum4_m256,
        partial = (load_first_m256, store_first_m256)
    );
    impl_vector!(
        Avx2F64,
        f64,
        4,
        zero = _mm256_setzero_pd,
        splat = _mm256_set1_pd,
        load = _mm256_loadu_pd,
        fma = _mm256_fmadd_pd,
        mul = _mm256_mul_pd,
        store = _mm256_storeu_pd,
        max = _mm256_max_pd,
        keep = keep_m256d,
        sum = sum_m256d,
        sum4 = sum4_m256d,
        partial = (load_first_m256d, store_first_m256d)
    );

    /// The first `n ≤ 16` f32 lanes from `p`, the rest zero, by a masked load.
    #[inline(always)]
    unsafe fn load_first_m512(p: *const f32, n: usize) -> __m512 {
        // SAFETY: AVX-512F is available; masked-off lanes are neither read nor fault.
        unsafe { _mm512_maskz_loadu_ps(((1u32 << n) - 1) as __mmask16, p) }
    }

    /// Writes the first `n ≤ 16` f32 lanes to `p` by a masked store.
    #[inline(always)]
    unsafe fn store_first_m512(p: *mut f32, v: __m512, n: usize) {
        // SAFETY: AVX-512F is available; masked-off lanes are not written.
        unsafe { _mm512_mask_storeu_ps(p, ((1u32 << n) - 1) as __mmask16, v) }
    }

    /// The first `n ≤ 8` f64 lanes from `p`, the rest zero, by a masked load.
    #[inline(always)]
    unsafe fn load_first_m512d(p: *const f64, n: usize) -> __m512d {
        // SAFETY: AVX-512F is available; masked-off lanes are neither read nor fault.
        unsafe { _mm512_maskz_loadu_pd(((1u32 << n) - 1) as __mmask8, p) }
    }

    /// Writes the first `n ≤ 8` f64 lanes to `p` by a masked store.
    #[inline(always)]
    unsafe fn store_first_m512d(p: *mut f64, v: __m512d, n: usize) {
        // SAFETY: AVX-512F is available; masked-off lanes are not written.
        unsafe { _mm512_mask_storeu_pd(p, ((1u32 << n) - 1) as __mmask8, v) }
    }

    /// Lanes below `n` all ones (32-bit lanes), for AVX2 masked moves.
    #[inline(always)]
    unsafe fn mask_m256(n: usize) -> __m256i {
        // SAFETY: AVX2 is available.
        unsafe {
            _mm256_cmpgt_epi32(
                _mm256_set1_epi32(n as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            )
        }
    }

    /// Lanes below `n` all ones (64-bit lanes), for AVX2 masked moves.
    #[inline(always)]
    unsafe fn mask_m256d(n: usize) -> __m256i {
        // SAFETY: AVX2 is available.
        unsafe { _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), _mm256_setr_epi64x(0, 1, 2, 3)) }
    }

    /// The first `n ≤ 8` f32 lanes from `p`, the rest zero, by a masked load.
    #[inline(always)]
    unsafe fn load_first_m256(p: *const f32, n: usize) -> __m256 {
        // SAFETY: AVX2 is available; masked-off lanes are neither read nor fault.
        unsafe { _mm256_maskload_ps(p, mask_m256(n)) }
    }

    /// Writes the first `n ≤ 8` f32 lanes to `p` by a masked store.
    #[inline(always)]
    unsafe fn store_first_m256(p: *mut f32, v: __m256, n: usize) {
        // SAFETY: AVX2 is available; masked-off lanes are not written.
        unsafe { _mm256_maskstore_ps(p, mask_m256(n), v) }
    }

    /// The first `n ≤ 4` f64 lanes from `p`, the rest zero, by a masked load.
    #[inline(always)]
    unsafe fn load_first_m256d(p: *const f64, n: usize) -> __m256d {
        // SAFETY: AVX2 is available; masked-off lanes are neither read nor fault.
        unsafe { _mm256_maskload_pd(p, mask_m256d(n)) }
    }

    /// Writes the first `n ≤ 4` f64 lanes to `p` by a masked store.
    #[inline(always)]
    unsafe fn store_first_m256d(p: *mut f64, v: __m256d, n: usize) {
        // SAFETY: AVX2 is available; masked-off lanes are not written.
        unsafe { _mm256_maskstore_pd(p, mask_m256d(n), v) }
    }

    /// `v` where `mask > 0` (an ordered compare: false on NaN), else +0, by a zero-masked move.
    #[inline(always)]
    unsafe fn keep_m512(mask: __m512, v: __m512) -> __m512 {
        // SAFETY: AVX-512F is available.
        unsafe {
            _mm512_maskz_mov_ps(
                _mm512_cmp_ps_mask::<_CMP_GT_OQ>(mask, _mm512_setzero_ps()),
                v,
            )
        }
    }

    /// `v` where `mask > 0`, else +0, by a zero-masked move.
    #[inline(always)]
    unsafe fn keep_m512d(mask: __m512d, v: __m512d) -> __m512d {
        // SAFETY: AVX-512F is available.
        unsafe {
            _mm512_maskz_mov_pd(
                _mm512_cmp_pd_mask::<_CMP_GT_OQ>(mask, _mm512_setzero_pd()),
                v,
            )
        }
    }

    /// `v` where `mask > 0`, else +0: the compare's all-ones lanes and-ed with `v`.
    #[inline(always)]
    unsafe fn keep_m256(mask: __m256, v: __m256) -> __m256 {
        // SAFETY: AVX is available (the caller runs under the AVX2 kernel's target features).
        unsafe { _mm256_and_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(mask, _mm256_setzero_ps()), v) }
    }

    /// `v` where `mask > 0`, else +0: the compare's all-ones lanes and-ed with `v`.
    #[inline(always)]
    unsafe fn keep_m256d(mask: __m256d, v: __m256d) -> __m256d {
        // SAFETY: AVX is available (the caller runs under the AVX2 kernel's target features).
        unsafe { _mm256_and_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(mask, _mm256_setzero_pd()), v) }
    }

    /// Four f32 lane sums at once: pairs interleaved and added inside each 128-bit lane, then the
    /// 128-bit lanes added, the same tree for each vector.
    #[inline(always)]
    unsafe fn sum4_m512(v: [__m512; 4]) -> [f32; 4] {
        // SAFETY: AVX-512F is available.
        unsafe {
            let ab = _mm512_add_ps(
                _mm512_unpacklo_ps(v[0], v[1]),
                _mm512_unpackhi_ps(v[0], v[1]),
            );
            let cd = _mm512_add_ps(
                _mm512_unpacklo_ps(v[2], v[3]),
                _mm512_unpackhi_ps(v[2], v[3]),
            );
            // Per 128-bit lane: [a02, b02, a13, b13] and the same for c, d.
            let x = _mm512_add_ps(
                _mm512_shuffle_ps::<0b01_00_01_00>(ab, cd),
                _mm512_shuffle_ps::<0b11_10_11_10>(ab, cd),
            );
            let x = _mm512_add_ps(x, _mm512_shuffle_f32x4::<0b01_00_11_10>(x, x));
            let x = _mm512_add_ps(x, _mm512_shuffle_f32x4::<0b10_11_00_01>(x, x));
            let mut out = [0.0f32; 4];
            _mm_storeu_ps(out.as_mut_ptr(), _mm512_castps512_ps128(x));
            out
        }
    }

    /// Four f64 lane sums at once, by the same tree for each vector.
    #[inline(always)]
    unsafe fn sum4_m512d(v: [__m512d; 4]) -> [f64; 4] {
        // SAFETY: AVX-512F is available.
        unsafe {
            let ab = _mm512_add_pd(
                _mm512_unpacklo_pd(v[0], v[1]),
                _mm512_unpackhi_pd(v[0], v[1]),
            );
            let cd = _mm512_add_pd(
                _mm512_unpacklo_pd(v[2], v[3]),
                _mm512_unpackhi_pd(v[2], v[3]),
            );
            // Per 128-bit lane: [a, b] and [c, d] partial sums; add the four 128-bit lanes.
            let ab = _mm512_add_pd(ab, _mm512_shuffle_f64x2::<0b01_00_11_10>(ab, ab));
            let ab = _mm512_add_pd(ab, _mm512_shuffle_f64x2::<0b10_11_00_01>(ab, ab));
            let cd = _mm512_add_pd(cd, _mm512_shuffle_f64x2::<0b01_00_11_10>(cd, cd));
            let cd = _mm512_add_pd(cd, _mm512_shuffle_f64x2::<0b10_11_00_01>(cd, cd));
            let mut out = [0.0f64; 4];
            _mm_storeu_pd(out.as_mut_ptr(), _mm512_castpd512_pd128(ab));
            _mm_storeu_pd(out.as_mut_ptr().add(2), _mm512_castpd512_pd128(cd));
            out
        }
    }

    /// Four f32 lane sums at once (eight lanes), by the same tree for each vector.
    #[inline(always)]
    unsafe fn sum4_m256(v: [__m256; 4]) -> [f32; 4] {
        // SAFETY: AVX is available (the caller runs under the AVX2 kernel's target features).
        unsafe {
            let ab = _mm256_add_ps(
                _mm256_unpacklo_ps(v[0], v[1]),
                _mm256_unpackhi_ps(v[0], v[1]),
            );
            let cd = _mm256_add_ps(
                _mm256_unpacklo_ps(v[2], v[3]),
                _mm256_unpackhi_ps(v[2], v[3]),
            );
            let x = _mm256_add_ps(
                _mm256_shuffle_ps::<0b01_00_01_00>(ab, cd),
                _mm256_shuffle_ps::<0b11_10_11_10>(ab, cd),
            );
            let x = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps::<1>(x));
            let mut out = [0.0f32; 4];
            _mm_storeu_ps(out.as_mut_ptr(), x);
            out
        }
    }

    /// Four f64 lane sums at once (four lanes), by the same tree for each vector.
    #[inline(always)]
    unsafe fn sum4_m256d(v: [__m256d; 4]) -> [f64; 4] {
        // SAFETY: AVX is available (the caller runs under the AVX2 kernel's target features).
        unsafe {
            let ab = _mm256_add_pd(
                _mm256_unpacklo_pd(v[0], v[1]),
                _mm256_unpackhi_pd(v[0], v[1]),
            );
            let cd = _mm256_add_pd(
                _mm256_unpacklo_pd(v[2], v[3]),
                _mm256_unpackhi_pd(v[2], v[3]),
            );
            let ab = _mm_add_pd(_mm256_castpd256_pd128(ab), _mm256_extractf128_pd::<1>(ab));
            let cd = _mm_add_pd(_mm256_castpd256_pd128(cd), _mm256_extractf128_pd::<1>(cd));
            let mut out = [0.0f64; 4];
            _mm_storeu_pd(out.as_mut_ptr(), ab);
            _mm_storeu_pd(out.as_mut_ptr().add(2), cd);
            out
        }
    }

    /// Lane sum of eight f32: halves added pairwise, a fixed order.
    #[inline(always)]
    unsafe fn sum_m256(v: __m256) -> f32 {
        // SAFETY: AVX is available (the caller runs under the AVX2 kernel's target features).
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
            _mm_cvtss_f32(s)
        }
    }

    /// Lane sum of four f64: halves added pairwise, a fixed order.
    #[inline(always)]
    unsafe fn sum_m256d(v: __m256d) -> f64 {
        // SAFETY: AVX is available (the caller runs under the AVX2 kernel's target features).
        unsafe {
            let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
            let s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
            _mm_cvtsd_f64(s)
        }
    }
}

/// Eight f32 lanes with `wide`: the portable kernel's vector.
#[derive(Clone, Copy)]
pub(crate) struct PortableF32(wide::f32x8);
/// Four f64 lanes with `wide`: the portable kernel's vector.
#[derive(Clone, Copy)]
pub(crate) struct PortableF64(wide::f64x4);

/// Implements `Vector` on a `wide` type; only the pointer accesses need `unsafe`.
macro_rules! impl_portable {
    ($name:ident, $wide:ty, $elem:ty, $lanes:literal) => {
        // SAFETY: plain Rust on any CPU; the pointer accesses follow the trait's contract.
        unsafe impl Vector for $name {
            type Elem = $elem;
            const LANES: usize = $lanes;
            #[inline(always)]
            unsafe fn zero() -> Self {
                Self(<$wide>::splat(0.0))
            }
            #[inline(always)]
            unsafe fn splat(x: $elem) -> Self {
                Self(<$wide>::splat(x))
            }
            #[inline(always)]
            unsafe fn load(p: *const $elem) -> Self {
                // SAFETY: `p` is valid for LANES reads (trait contract); unaligned read.
                Self(<$wide>::new(unsafe {
                    p.cast::<[$elem; $lanes]>().read_unaligned()
                }))
            }
            #[inline(always)]
            unsafe fn broadcast(p: *const $elem) -> Self {
                // SAFETY: `p` is valid for one read (trait contract).
                Self(<$wide>::splat(unsafe { *p }))
            }
            #[inline(always)]
            unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
                Self(a.0.mul_add(b.0, c.0))
            }
            #[inline(always)]
            unsafe fn mul(a: Self, b: Self) -> Self {
                Self(a.0 * b.0)
            }
            #[inline(always)]
            unsafe fn store(p: *mut $elem, v: Self) {
                // SAFETY: `p` is valid for LANES writes (trait contract); unaligned write.
                unsafe { p.cast::<[$elem; $lanes]>().write_unaligned(v.0.to_array()) }
            }
            #[inline(always)]
            unsafe fn relu(v: Self) -> Self {
                let zero = <$wide>::splat(0.0);
                Self(v.0.simd_gt(zero).select(v.0, zero))
            }
            #[inline(always)]
            unsafe fn keep_where_positive(mask: Self, v: Self) -> Self {
                let zero = <$wide>::splat(0.0);
                Self(mask.0.simd_gt(zero).select(v.0, zero))
            }
            #[inline(always)]
            unsafe fn sum(v: Self) -> $elem {
                v.0.reduce_add()
            }
        }
    };
}

impl_portable!(PortableF32, wide::f32x8, f32, 8);
impl_portable!(PortableF64, wide::f64x4, f64, 4);
