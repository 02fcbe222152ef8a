//! Matrix–vector products of a row-major matrix in its own element type with f64 vectors, the
//! inner loop of [`super::top_svd`].
//!
//! The loops are plain Rust whose order of operations is fixed (eight partial sums per dot
//! product, rows added one after another into the output); they are compiled three times, for
//! AVX-512, for AVX2 and for the build's baseline, and the one of the GEMM's kernels runs
//! (`LOWRANK_KERNEL`, else the widest this CPU has). Separate multiplies and adds (never fused) keep every variant's result the same
//! bit for bit, so the choice changes the speed and nothing else: the baseline (SSE2 on x86-64)
//! turns the eight partial sums into four 2-lane vectors, AVX-512 into one 8-lane vector.

use crate::Element;
use crate::gemm::KernelKind;

/// Independent partial sums of a dot product: enough for the vector units to overlap their
/// latencies, in a fixed order so that the result is the same on every run.
const LANES: usize = 8;

/// Rows handled together by [`Stored::gemv_t`]: each output chunk is loaded once for them and
/// the rows are still added in order.
const ROWS_AT_ONCE: usize = 4;

/// A matrix stored row-major.
pub(super) struct Stored<'a, T> {
    /// The `rows · cols` entries, row after row.
    pub data: &'a [T],
    /// Rows.
    pub rows: usize,
    /// Columns (the row length).
    pub cols: usize,
}

/// The instruction sets the loops are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Baseline,
}

/// The instruction set of the GEMM's kernels (`crate::gemm::selected_kernel`: the widest this
/// CPU runs, or the one `LOWRANK_KERNEL` names), so that one setting decides both.
fn isa() -> Isa {
    match crate::gemm::selected_kernel() {
        #[cfg(target_arch = "x86_64")]
        KernelKind::Avx512 => Isa::Avx512,
        #[cfg(target_arch = "x86_64")]
        KernelKind::Avx2 => Isa::Avx2,
        _ => Isa::Baseline,
    }
}

/// Σ a_i·x_i in f64, `a` converted exactly.
#[inline(always)]
fn dot_mixed<T: Element>(a: &[T], x: &[f64]) -> f64 {
    let mut partial = [0.0f64; LANES];
    let (a_body, a_tail) = a.split_at(a.len() / LANES * LANES);
    let (x_body, x_tail) = x.split_at(a_body.len());
    for (a, x) in a_body.chunks_exact(LANES).zip(x_body.chunks_exact(LANES)) {
        for l in 0..LANES {
            partial[l] += a[l].to_f64() * x[l];
        }
    }
    let tail: f64 = a_tail.iter().zip(x_tail).map(|(a, x)| a.to_f64() * x).sum();
    partial.iter().sum::<f64>() + tail
}

/// out ← A·x: one dot product per row.
#[inline(always)]
fn gemv_body<T: Element>(a: &Stored<'_, T>, x: &[f64], out: &mut [f64]) {
    for (y, row) in out.iter_mut().zip(a.data.chunks_exact(a.cols)) {
        *y = dot_mixed(row, x);
    }
}

/// out ← Aᵀ·x: the rows scaled by x and added into `out` one after another, reading A once in
/// storage order, [`ROWS_AT_ONCE`] rows per pass over `out`.
#[inline(always)]
fn gemv_t_body<T: Element>(a: &Stored<'_, T>, x: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    let n = a.cols;
    let grouped = a.rows / ROWS_AT_ONCE * ROWS_AT_ONCE;
    for (xs, rows) in x[..grouped]
        .chunks_exact(ROWS_AT_ONCE)
        .zip(a.data[..grouped * n].chunks_exact(ROWS_AT_ONCE * n))
    {
        let (r0, rest) = rows.split_at(n);
        let (r1, rest) = rest.split_at(n);
        let (r2, r3) = rest.split_at(n);
        for ((((o, a0), a1), a2), a3) in out.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
            let mut sum = *o;
            sum += xs[0] * a0.to_f64();
            sum += xs[1] * a1.to_f64();
            sum += xs[2] * a2.to_f64();
            sum += xs[3] * a3.to_f64();
            *o = sum;
        }
    }
    for (&xi, row) in x[grouped..a.rows]
        .iter()
        .zip(a.data[grouped * n..].chunks_exact(n))
    {
        out.iter_mut()
            .zip(row)
            .for_each(|(o, v)| *o += xi * v.to_f64());
    }
}

/// The loops compiled with an instruction set enabled (the generic bodies are inlined into these,
/// so the autovectorizer may use its registers), and A·x written out for AVX-512, where the
/// autovectorizer keeps one row at a time.
#[cfg(target_arch = "x86_64")]
mod wide_isa {
    use std::arch::x86_64::{
        __m512d, _mm256_loadu_ps, _mm512_add_pd, _mm512_cvtps_pd, _mm512_loadu_pd, _mm512_mul_pd,
        _mm512_setzero_pd, _mm512_storeu_pd,
    };

    use super::{LANES, ROWS_AT_ONCE, Stored, dot_mixed, gemv_body, gemv_t_body};
    use crate::Element;
    use crate::elementwise::cast;

    /// Eight entries of `row` from `at` on, converted exactly to f64.
    ///
    /// # Safety
    /// The CPU must have AVX-512F, and `row[at..at + 8]` must exist.
    #[inline(always)]
    unsafe fn load8<T: Element>(row: &[T], at: usize) -> __m512d {
        debug_assert!(at + LANES <= row.len());
        if let Some(row) = cast::<T, f32>(row) {
            // SAFETY: eight f32 from `at` are in bounds (caller); the CPU has AVX-512F.
            unsafe { _mm512_cvtps_pd(_mm256_loadu_ps(row.as_ptr().add(at))) }
        } else {
            let row = cast::<T, f64>(row).expect("an Element is f32 or f64");
            // SAFETY: eight f64 from `at` are in bounds (caller); the CPU has AVX-512F.
            unsafe { _mm512_loadu_pd(row.as_ptr().add(at)) }
        }
    }

    /// out ← A·x as [`gemv_body`] computes it, bit for bit, with [`ROWS_AT_ONCE`] rows side by
    /// side: one zmm register holds a row's eight partial sums, and four rows' chains of
    /// additions overlap their latencies where one row's would wait on each other.
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gemv_avx512<T: Element>(a: &Stored<'_, T>, x: &[f64], out: &mut [f64]) {
        let n = a.cols;
        let full = n / LANES * LANES;
        let grouped = a.rows / ROWS_AT_ONCE * ROWS_AT_ONCE;
        for (ys, rows) in out[..grouped]
            .chunks_exact_mut(ROWS_AT_ONCE)
            .zip(a.data[..grouped * n].chunks_exact(ROWS_AT_ONCE * n))
        {
            let rows: [&[T]; ROWS_AT_ONCE] = std::array::from_fn(|r| &rows[r * n..(r + 1) * n]);
            let mut partial = [_mm512_setzero_pd(); ROWS_AT_ONCE];
            for at in (0..full).step_by(LANES) {
                // SAFETY: `at + 8 ≤ full ≤ n`, the length of `x` and of every row.
                let xs = unsafe { _mm512_loadu_pd(x.as_ptr().add(at)) };
                for (p, row) in partial.iter_mut().zip(rows) {
                    // SAFETY: as above; the CPU has AVX-512F (this function's contract).
                    *p = _mm512_add_pd(*p, _mm512_mul_pd(unsafe { load8(row, at) }, xs));
                }
            }
            for ((y, p), row) in ys.iter_mut().zip(partial).zip(rows) {
                let mut lanes = [0.0f64; LANES];
                // SAFETY: `lanes` holds eight f64.
                unsafe { _mm512_storeu_pd(lanes.as_mut_ptr(), p) };
                let tail: f64 = row[full..]
                    .iter()
                    .zip(&x[full..])
                    .map(|(a, x)| a.to_f64() * x)
                    .sum();
                *y = lanes.iter().sum::<f64>() + tail;
            }
        }
        for (y, row) in out[grouped..a.rows]
            .iter_mut()
            .zip(a.data[grouped * n..].chunks_exact(n))
        {
            *y = dot_mixed(row, x);
        }
    }

    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gemv_t_avx512<T: Element>(a: &Stored<'_, T>, x: &[f64], out: &mut [f64]) {
        gemv_t_body(a, x, out);
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn gemv_avx2<T: Element>(a: &Stored<'_, T>, x: &[f64], out: &mut [f64]) {
        gemv_body(a, x, out);
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn gemv_t_avx2<T: Element>(a: &Stored<'_, T>, x: &[f64], out: &mut [f64]) {
        gemv_t_body(a, x, out);
    }
}

impl<T: Element> Stored<'_, T> {
    /// out ← A·x (`x` of length `cols`, `out` of length `rows`).
    pub fn gemv(&self, x: &[f64], out: &mut [f64]) {
        assert!(x.len() == self.cols && out.len() == self.rows);
        match isa() {
            // SAFETY: `isa` found AVX-512F on this CPU.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { wide_isa::gemv_avx512(self, x, out) },
            // SAFETY: `isa` found AVX2 on this CPU.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { wide_isa::gemv_avx2(self, x, out) },
            Isa::Baseline => gemv_body(self, x, out),
        }
    }

    /// out ← Aᵀ·x (`x` of length `rows`, `out` of length `cols`).
    pub fn gemv_t(&self, x: &[f64], out: &mut [f64]) {
        assert!(x.len() == self.rows && out.len() == self.cols);
        match isa() {
            // SAFETY: `isa` found AVX-512F on this CPU.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { wide_isa::gemv_t_avx512(self, x, out) },
            // SAFETY: `isa` found AVX2 on this CPU.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { wide_isa::gemv_t_avx2(self, x, out) },
            Isa::Baseline => gemv_t_body(self, x, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The products in the plainest order: one scalar sum per output, left to right.
    fn reference(a: &[f64], rows: usize, cols: usize, x: &[f64], transposed: bool) -> Vec<f64> {
        if transposed {
            (0..cols)
                .map(|j| (0..rows).map(|i| a[i * cols + j] * x[i]).sum())
                .collect()
        } else {
            (0..rows)
                .map(|i| (0..cols).map(|j| a[i * cols + j] * x[j]).sum())
                .collect()
        }
    }

    #[test]
    fn every_variant_gives_the_bits_of_the_baseline_and_the_plain_sums_to_rounding() {
        let mut rng = Rng::new(11);
        for (rows, cols) in [(1, 1), (3, 7), (4, 8), (9, 17), (33, 5), (5, 33), (64, 100)] {
            let a: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
            let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let a_exact: Vec<f64> = a32.iter().map(|&v| f64::from(v)).collect();
            let (x, xt): (Vec<f64>, Vec<f64>) = (
                (0..cols).map(|_| rng.normal()).collect(),
                (0..rows).map(|_| rng.normal()).collect(),
            );
            let stored = Stored {
                data: &a32[..],
                rows,
                cols,
            };
            let (mut y, mut yt) = (vec![0.0; rows], vec![7.0; cols]);
            stored.gemv(&x, &mut y);
            stored.gemv_t(&xt, &mut yt);
            let (mut base, mut base_t) = (vec![0.0; rows], vec![0.0; cols]);
            gemv_body(&stored, &x, &mut base);
            gemv_t_body(&stored, &xt, &mut base_t);
            assert_eq!(y, base, "{rows}×{cols}");
            assert_eq!(yt, base_t, "{rows}×{cols} transposed");
            // The f64 copy of the f32 matrix gives the same bits.
            let stored64 = Stored {
                data: &a_exact[..],
                rows,
                cols,
            };
            let mut y64 = vec![0.0; rows];
            stored64.gemv(&x, &mut y64);
            assert_eq!(y, y64);
            let scale: f64 = a_exact.iter().map(|v| v.abs()).sum::<f64>() + 1.0;
            for (got, want) in y
                .iter()
                .zip(reference(&a_exact, rows, cols, &x, false))
                .chain(yt.iter().zip(reference(&a_exact, rows, cols, &xt, true)))
            {
                assert!((got - want).abs() <= 1e-13 * scale, "{got} vs {want}");
            }
        }
    }
}
