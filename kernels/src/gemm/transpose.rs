//! In-register transposes of square blocks, so that packing a B stored column by column (the
//! Wᵀ of every layer's forward product x·Wᵀ) runs at vector speed: element by element, the
//! strided copy of a 100 × 100 B took about a sixth of that product's time.
//!
//! A block of side S (the vector's lanes) is S loads of S contiguous elements, a fixed network
//! of shuffles, and S stores; the portable and AVX2 sets have none and pack element by element.

/// A block transpose of one instruction set: `dst[q·ds + r] = src[r·ss + q]` for r < `side` and
/// q < `width` ≤ `side`: the first `width` columns of `side` source rows (only those are read)
/// become `width` destination rows (only those are written).
#[derive(Clone, Copy)]
pub(crate) struct Transpose<E> {
    /// The block's side.
    pub side: usize,
    /// The transpose itself (see [`Transpose`]).
    pub block: unsafe fn(src: *const E, ss: usize, dst: *mut E, ds: usize, width: usize),
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{AVX512_F32, AVX512_F64};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Transpose;
    use std::arch::x86_64::*;

    /// 16 × 16 f32 blocks.
    pub(crate) const AVX512_F32: Transpose<f32> = Transpose {
        side: 16,
        block: f32x16,
    };

    /// 8 × 8 f64 blocks.
    pub(crate) const AVX512_F64: Transpose<f64> = Transpose {
        side: 8,
        block: f64x8,
    };

    /// Transposes the first `width` ≤ 16 columns of a 16-row f32 block.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; `src + r·ss` readable for `width` elements, r < 16, and
    /// `dst + q·ds` writable for 16 elements, q < `width`.
    #[target_feature(enable = "avx512f")]
    unsafe fn f32x16(src: *const f32, ss: usize, dst: *mut f32, ds: usize, width: usize) {
        let mask = (u32::MAX >> (32 - width)) as __mmask16;
        // SAFETY: the masked loads read `width` elements of each of the 16 rows, the stores
        // write the first `width` rows: inside the ranges the caller guarantees; AVX-512F is
        // available.
        unsafe {
            let r: [__m512; 16] =
                std::array::from_fn(|i| _mm512_maskz_loadu_ps(mask, src.add(i * ss)));
            // Pairs of rows interleaved: t[2i], t[2i+1] hold rows 2i and 2i+1 element by element.
            let mut t = [_mm512_setzero_ps(); 16];
            for i in 0..8 {
                t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
            }
            // Quads: within every 128-bit lane, a 4 × 4 block transposed.
            let mut u = [_mm512_setzero_ps(); 16];
            for g in 0..4 {
                let (a, b) = (4 * g, 4 * g + 2);
                u[4 * g] = _mm512_shuffle_ps::<0x44>(t[a], t[b]);
                u[4 * g + 1] = _mm512_shuffle_ps::<0xEE>(t[a], t[b]);
                u[4 * g + 2] = _mm512_shuffle_ps::<0x44>(t[a + 1], t[b + 1]);
                u[4 * g + 3] = _mm512_shuffle_ps::<0xEE>(t[a + 1], t[b + 1]);
            }
            // 128-bit lanes exchanged between row groups 0–3 / 4–7 and 8–11 / 12–15, then between
            // the two halves.
            let mut v = [_mm512_setzero_ps(); 16];
            for h in 0..2 {
                for i in 0..4 {
                    let (a, b) = (8 * h + i, 8 * h + 4 + i);
                    v[8 * h + i] = _mm512_shuffle_f32x4::<0x88>(u[a], u[b]);
                    v[8 * h + 4 + i] = _mm512_shuffle_f32x4::<0xDD>(u[a], u[b]);
                }
            }
            for i in 0..8 {
                if i < width {
                    let out_low = _mm512_shuffle_f32x4::<0x88>(v[i], v[8 + i]);
                    _mm512_storeu_ps(dst.add(i * ds), out_low);
                }
                if 8 + i < width {
                    let out_high = _mm512_shuffle_f32x4::<0xDD>(v[i], v[8 + i]);
                    _mm512_storeu_ps(dst.add((8 + i) * ds), out_high);
                }
            }
        }
    }

    /// Transposes the first `width` ≤ 8 columns of an 8-row f64 block.
    ///
    /// # Safety
    /// As [`f32x16`], with 8 rows of f64.
    #[target_feature(enable = "avx512f")]
    unsafe fn f64x8(src: *const f64, ss: usize, dst: *mut f64, ds: usize, width: usize) {
        let mask = (u32::MAX >> (32 - width)) as __mmask8;
        // SAFETY: as in `f32x16`.
        unsafe {
            let r: [__m512d; 8] =
                std::array::from_fn(|i| _mm512_maskz_loadu_pd(mask, src.add(i * ss)));
            // t[2i]: rows 2i, 2i+1 at even columns; t[2i+1]: at odd columns.
            let mut t = [_mm512_setzero_pd(); 8];
            for i in 0..4 {
                t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
            }
            // Four rows of columns c and c + 4 (c = 0..3) in each vector.
            let first = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
            let second = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
            let mut u = [_mm512_setzero_pd(); 8];
            for h in 0..2 {
                let (a, b) = (4 * h, 4 * h + 2);
                u[4 * h] = _mm512_permutex2var_pd(t[a], first, t[b]);
                u[4 * h + 1] = _mm512_permutex2var_pd(t[a + 1], first, t[b + 1]);
                u[4 * h + 2] = _mm512_permutex2var_pd(t[a], second, t[b]);
                u[4 * h + 3] = _mm512_permutex2var_pd(t[a + 1], second, t[b + 1]);
            }
            for c in 0..4 {
                if c < width {
                    let low = _mm512_shuffle_f64x2::<0x44>(u[c], u[4 + c]);
                    _mm512_storeu_pd(dst.add(c * ds), low);
                }
                if c + 4 < width {
                    let high = _mm512_shuffle_f64x2::<0xEE>(u[c], u[4 + c]);
                    _mm512_storeu_pd(dst.add((c + 4) * ds), high);
                }
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    fn check<E: crate::Element>(t: Transpose<E>) {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let s = t.side;
        // Odd strides on both sides, and values that name their position.
        let (ss, ds) = (s + 3, s + 5);
        let src: Vec<E> = (0..s * ss).map(|i| E::from_f64(i as f64)).collect();
        for width in 1..=s {
            // Only the first `width` columns of each source row may be read: the source here
            // ends right after the last row's `width` elements.
            let src = &src[..(s - 1) * ss + width];
            let mut dst = vec![E::from_f64(-1.0); s * ds];
            // SAFETY: the CPU has AVX-512F (checked above); src holds s rows of stride ss with
            // at least `width` elements each, dst s rows of stride ds.
            unsafe { (t.block)(src.as_ptr(), ss, dst.as_mut_ptr(), ds, width) };
            for q in 0..s {
                for r in 0..ds {
                    let want = if q < width && r < s {
                        src[r * ss + q]
                    } else {
                        E::from_f64(-1.0)
                    };
                    assert_eq!(dst[q * ds + r], want, "width {width}, element ({q}, {r})");
                }
            }
        }
    }

    #[test]
    fn blocks_are_transposed() {
        check(AVX512_F32);
        check(AVX512_F64);
    }
}
