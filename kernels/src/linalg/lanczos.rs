//! The largest singular triplets of a matrix by Golub–Kahan–Lanczos bidiagonalization with full
//! reorthogonalization and thick restarts (Baglama & Reichel's IRLBA, "Augmented implicitly
//! restarted Lanczos bidiagonalization methods", SIAM J. Sci. Comput. 27, 2005, in its explicit
//! thick-restart form).
//!
//! For M (p×q, q ≤ p) the method grows orthonormal bases V (of ℝ^q) and U (of ℝ^p) with
//! M·V = U·B exactly and (I − VVᵀ)·Mᵀ·U = β·v_next·e_lastᵀ, where B = UᵀMV is a small upper
//! triangular matrix. The singular values of B (Ritz values) approach the largest singular values
//! of M from below, and a Ritz triple (σ, U·p, V·q) has residual ‖Mᵀ·U·p − σ·V·q‖ = β·|p_last|,
//! which bounds the error of σ: |σ − σ_true| ≤ that residual (Weyl's theorem on the symmetric
//! [0 M; Mᵀ 0]). When the basis is full (q vectors) the residual is zero and the values are exact.
//!
//! Each step costs one product with M and one with Mᵀ (memory-bound passes over the matrix) and
//! an orthogonalization against the bases, O((p + q)·basis); nothing is p×q but the matrix. The
//! matrix is read in its own element type and every product accumulates in f64: an f32 matrix is
//! decomposed exactly as its f64 copy would be (the conversion is exact), at half the memory
//! traffic.

use super::Svd;
use super::gemv::Stored;
use crate::Element;
use crate::MatMut;
use crate::MatRef;
use crate::elementwise::axpy;
use crate::parallel::Parallelism;
use crate::reduce::{dot, norm2};
use crate::rng::Rng;

/// How far the residual of each returned triple may be from zero, relative to σ₁: the returned
/// σ_i are within `TOLERANCE · σ₁` of the true ones (usually far closer: the error of a Ritz value
/// is of the order of the residual squared over the gap to the next singular value), unless
/// rounding in the products with the matrix is larger still (16·ε·√rows·‖A‖_F, the level below
/// which a computed vector is taken for noise).
pub const TOP_SVD_TOLERANCE: f64 = 1e-12;

/// Basis vectors kept at most (the Krylov space is restarted from the best Ritz vectors when it
/// reaches this many, or fewer when the smaller side of the matrix is shorter).
const BASIS: usize = 32;

/// Restarts after which the method gives up and the Jacobi SVD decides (never seen on test
/// matrices, whose hardest cases converge in a few restarts; a safety net for pathological
/// spectra).
const MAX_RESTARTS: usize = 400;

/// Below this many columns on the smaller side the Jacobi SVD is cheaper than the iteration.
pub const TOP_SVD_JACOBI_BELOW: usize = 24;

/// The `k` largest singular values of `a` and their singular vectors, to [`TOP_SVD_TOLERANCE`]; the same
/// layout as [`super::svd`] (values decreasing, vectors of unit length, each pair signed so that
/// the largest-magnitude component of the right vector is positive), truncated to
/// min(k, rows, cols) triples. Matrices with fewer than [`TOP_SVD_JACOBI_BELOW`] columns on their smaller
/// side, and any non-finite matrix (which yields NaN), go to the Jacobi SVD.
///
/// Deterministic: the same matrix gives the same bits, on any number of threads.
///
/// ```
/// use kernels::MatRef;
/// use kernels::linalg::top_svd;
/// // diag(5, 4, 3, …) of size 40: the top two singular values and directions.
/// let n = 40;
/// let mut a = vec![0.0; n * n];
/// (0..n).for_each(|i| a[i * n + i] = (n - i) as f64 / 8.0);
/// let top = top_svd(MatRef::from_row_major(&a, n, n).unwrap(), 2);
/// assert!((top.singular_values[0] - 5.0).abs() < 1e-12);
/// assert!((top.singular_values[1] - 4.875).abs() < 1e-12);
/// assert!((top.right_vector(0)[0] - 1.0).abs() < 1e-12);
/// ```
pub fn top_svd<T: Element>(a: MatRef<'_, T>, k: usize) -> Svd {
    let (m, n) = (a.rows(), a.cols());
    let k = k.min(m).min(n);
    if m.min(n) < TOP_SVD_JACOBI_BELOW || k == 0 {
        return truncate(super::svd_of(a), k);
    }
    let row_major = a.col_stride() == 1 && a.row_stride() == n;
    let col_major = a.row_stride() == 1 && a.col_stride() == m;
    let copy;
    // The matrix row-major: A itself, or Aᵀ when the view is column-major.
    let (data, stored_is_a) = if row_major {
        (&a.data()[..m * n], true)
    } else if col_major {
        (&a.data()[..m * n], false)
    } else {
        copy = (0..m)
            .flat_map(|i| (0..n).map(move |j| a.get(i, j)))
            .collect::<Vec<_>>();
        (&copy[..], true)
    };
    // Every entry is looked at (no early exit), so that the test vectorizes.
    if !data.iter().fold(true, |finite, x| finite & x.is_finite()) {
        return truncate(super::svd_of(a), k);
    }
    let stored_rows = if stored_is_a { m } else { n };
    let stored = Stored {
        data,
        rows: stored_rows,
        cols: m * n / stored_rows,
    };
    // M has the longer side as its rows, so that V can fill the shorter side's space.
    let transposed = stored.rows < stored.cols;
    let op = Operator { stored, transposed };
    match lanczos(&op, k) {
        Some(top) => {
            let (u, v) = if stored_is_a != transposed {
                (top.left, top.right)
            } else {
                (top.right, top.left)
            };
            signed(Svd {
                rows: m,
                cols: n,
                singular_values: top.values,
                u,
                v,
            })
        }
        None => truncate(super::svd_of(a), k),
    }
}

/// The first `k` triples of a full SVD.
fn truncate(mut svd: Svd, k: usize) -> Svd {
    svd.singular_values.truncate(k);
    svd.u.truncate(k * svd.rows);
    svd.v.truncate(k * svd.cols);
    svd
}

/// Signs each pair as [`super::svd`] does: the largest-magnitude component of v positive.
fn signed(mut svd: Svd) -> Svd {
    let (m, n) = (svd.rows, svd.cols);
    for i in 0..svd.singular_values.len() {
        let right = &svd.v[i * n..(i + 1) * n];
        let pivot = (0..n).fold(0, |best, j| {
            if right[j].abs() > right[best].abs() {
                j
            } else {
                best
            }
        });
        if right[pivot] < 0.0 {
            svd.v[i * n..(i + 1) * n].iter_mut().for_each(|x| *x = -*x);
            svd.u[i * m..(i + 1) * m].iter_mut().for_each(|x| *x = -*x);
        }
    }
    svd
}

/// M: the stored matrix or its transpose, so that M has at least as many rows as columns.
struct Operator<'a, T> {
    stored: Stored<'a, T>,
    transposed: bool,
}

impl<T: Element> Operator<'_, T> {
    /// Rows of M.
    fn rows(&self) -> usize {
        if self.transposed {
            self.stored.cols
        } else {
            self.stored.rows
        }
    }

    /// Columns of M.
    fn cols(&self) -> usize {
        if self.transposed {
            self.stored.rows
        } else {
            self.stored.cols
        }
    }

    /// out ← M·x.
    fn apply(&self, x: &[f64], out: &mut [f64]) {
        if self.transposed {
            self.stored.gemv_t(x, out);
        } else {
            self.stored.gemv(x, out);
        }
    }

    /// out ← Mᵀ·x.
    fn apply_t(&self, x: &[f64], out: &mut [f64]) {
        if self.transposed {
            self.stored.gemv(x, out);
        } else {
            self.stored.gemv_t(x, out);
        }
    }

    /// ‖M‖_F: the sum of squares in eight partial sums (one pass, vectorized), or, where that
    /// overflows or underflows, scaled by the largest entry.
    fn frobenius(&self) -> f64 {
        let data = self.stored.data;
        let mut partial = [0.0f64; 8];
        let (body, tail) = data.split_at(data.len() / 8 * 8);
        for chunk in body.chunks_exact(8) {
            for (p, x) in partial.iter_mut().zip(chunk) {
                *p += x.to_f64() * x.to_f64();
            }
        }
        let squares =
            partial.iter().sum::<f64>() + tail.iter().map(|x| x.to_f64().powi(2)).sum::<f64>();
        // Far from both ends of the range no square was lost: the largest is at least
        // squares / len, and below 2⁻⁹⁰⁰ a sum of squares may have underflowed.
        if squares.is_finite() && squares > 2f64.powi(-900) {
            return squares.sqrt();
        }
        let largest = data.iter().fold(0.0f64, |m, x| m.max(x.to_f64().abs()));
        if largest == 0.0 {
            return 0.0;
        }
        let sum: f64 = data.iter().map(|x| (x.to_f64() / largest).powi(2)).sum();
        largest * sum.sqrt()
    }
}

/// The converged triples of M: values, and the left (length rows) and right (length cols)
/// vectors one after another.
struct Top {
    values: Vec<f64>,
    left: Vec<f64>,
    right: Vec<f64>,
}

/// Orthonormal vectors of one length, one after another.
struct Basis {
    len: usize,
    data: Vec<f64>,
}

impl Basis {
    fn new(len: usize, capacity: usize) -> Self {
        Self {
            len,
            data: Vec::with_capacity(len * capacity),
        }
    }

    fn count(&self) -> usize {
        self.data.len() / self.len
    }

    fn vector(&self, i: usize) -> &[f64] {
        &self.data[i * self.len..(i + 1) * self.len]
    }

    /// Removes from `w` its components along the basis, by classical Gram–Schmidt repeated while
    /// a pass removes more than half of what is left (twice is enough but for near-dependence),
    /// adding the removed coefficients to `coefficients`; returns ‖w‖ after.
    fn orthogonalize(&self, w: &mut [f64], coefficients: &mut [f64]) -> f64 {
        let count = self.count();
        let vectors = Stored::<f64> {
            data: &self.data,
            rows: count,
            cols: self.len,
        };
        let mut pass_coefficients = vec![0.0; count];
        let mut removed = vec![0.0; self.len];
        let mut norm = norm2(w);
        for pass in 0..4 {
            vectors.gemv(w, &mut pass_coefficients);
            vectors.gemv_t(&pass_coefficients, &mut removed);
            w.iter_mut().zip(&removed).for_each(|(x, r)| *x -= r);
            coefficients
                .iter_mut()
                .zip(&pass_coefficients)
                .for_each(|(c, d)| *c += d);
            let after = norm2(w);
            let shrank = after < 0.5 * norm;
            norm = after;
            if pass >= 1 && !shrank {
                break;
            }
        }
        norm
    }

    /// Appends `w / norm`, or when `w` is only rounding noise (the space it came from is
    /// exhausted), a random unit vector orthogonal to the basis. Returns the coefficient of the
    /// appended vector in `w`: `norm`, or 0 for a random vector.
    fn push(&mut self, w: &mut [f64], norm: f64, noise: f64, rng: &mut Rng) -> f64 {
        let mut coefficient = norm;
        if norm <= noise {
            coefficient = 0.0;
            loop {
                w.iter_mut().for_each(|x| *x = rng.normal());
                let mut scratch = vec![0.0; self.count()];
                let fresh = norm2(w);
                let left = self.orthogonalize(w, &mut scratch);
                if left > 1e-3 * fresh {
                    w.iter_mut().for_each(|x| *x /= left);
                    break;
                }
            }
        } else {
            w.iter_mut().for_each(|x| *x /= norm);
        }
        self.data.extend_from_slice(w);
        coefficient
    }

    /// Replaces the basis by its `keep` combinations given by the rows of `mix` (keep × count,
    /// row-major): the Ritz vectors a restart keeps.
    fn rotate(&mut self, mix: &[f64], keep: usize) {
        let count = self.count();
        let mut out = vec![0.0; keep * self.len];
        let mixing = MatRef::from_row_major(mix, keep, count).expect("keep × count coefficients");
        let old = MatRef::from_row_major(&self.data, count, self.len).expect("count vectors");
        let view = MatMut::from_row_major(&mut out, keep, self.len).expect("keep vectors");
        crate::gemm(1.0, mixing, old, 0.0, view, &Parallelism::NONE);
        self.data = out;
    }
}

/// The SVD of the leading j×j block of B (stored with row stride `stride`).
fn small_svd(b: &[f64], stride: usize, j: usize) -> Svd {
    let block: Vec<f64> = (0..j)
        .flat_map(|i| b[i * stride..i * stride + j].iter().copied())
        .collect();
    super::svd(MatRef::from_row_major(&block, j, j).expect("a j×j block"))
}

/// The level below which a computed vector is rounding noise of the products with M: a few ulps
/// of ‖M‖_F per element of the longer side.
fn noise_floor(frobenius: f64, rows: usize) -> f64 {
    16.0 * f64::EPSILON * (rows as f64).sqrt() * frobenius
}

/// Thick-restarted Lanczos bidiagonalization of M for its `k` largest triples; None if it did not
/// converge within [`MAX_RESTARTS`].
fn lanczos<T: Element>(op: &Operator<'_, T>, k: usize) -> Option<Top> {
    let (p, q) = (op.rows(), op.cols());
    let basis = BASIS.max(3 * k).min(q);
    // A restart needs a full basis, which is at least 3k long unless it spans the whole side.
    let keep = (basis / 2).max(k);
    let noise = noise_floor(op.frobenius(), p);
    let mut rng = Rng::new(0x1a9c_205d);
    let mut u = Basis::new(p, basis);
    let mut v = Basis::new(q, basis + 1);
    // B = UᵀMV, basis × basis row-major; only its leading j×j block is in use.
    let mut b = vec![0.0; basis * basis];
    let mut w = vec![0.0; p];
    let mut z = vec![0.0; q];
    let mut start: Vec<f64> = (0..q).map(|_| rng.normal()).collect();
    let start_norm = norm2(&start);
    v.push(&mut start, start_norm, 0.0, &mut rng);
    let mut coefficients = vec![0.0; basis + 1];
    let mut restarts = 0;
    loop {
        let j = u.count();
        op.apply(v.vector(j), &mut w);
        coefficients.fill(0.0);
        let alpha = u.orthogonalize(&mut w, &mut coefficients);
        let alpha = u.push(&mut w, alpha, noise, &mut rng);
        for (i, c) in coefficients.iter().enumerate().take(j) {
            b[i * basis + j] = *c;
        }
        b[j * basis + j] = alpha;
        let j = j + 1;
        // The right residual: Mᵀ·u_last beyond the span of V.
        op.apply_t(u.vector(j - 1), &mut z);
        coefficients.fill(0.0);
        let full = j == q;
        let beta = v.orthogonalize(&mut z, &mut coefficients);
        let beta = if full || beta <= noise { 0.0 } else { beta };
        // Convergence is checked (an SVD of B) when the basis is full or exhausted: the
        // leading values of a bulk spectrum need several restarts, so checking in between
        // would mostly cost.
        let due = full || j == basis || (j >= k && beta == 0.0);
        if !due {
            v.push(&mut z, beta, noise, &mut rng);
            continue;
        }
        let ritz = small_svd(&b, basis, j);
        let sigma1 = ritz.singular_values[0];
        let tolerance = (TOP_SVD_TOLERANCE * sigma1).max(noise);
        let converged =
            (0..k).all(|i| beta * ritz.left_vector(i)[j - 1].abs() <= tolerance) || beta == 0.0;
        if converged {
            return Some(ritz_vectors(&ritz, &u, &v, k, j));
        }
        v.push(&mut z, beta, noise, &mut rng);
        if j < basis {
            continue;
        }
        restarts += 1;
        if restarts > MAX_RESTARTS {
            return None;
        }
        // Keep the best `keep` Ritz pairs and the residual direction: then M·Ṽ = Ũ·Σ still,
        // and the next product M·v_next has components ρ = β·P_lastᵀ along Ũ, which the
        // next step's orthogonalization records in B's new column.
        let left: Vec<f64> = (0..keep)
            .flat_map(|i| ritz.left_vector(i).to_vec())
            .collect();
        let right: Vec<f64> = (0..keep)
            .flat_map(|i| ritz.right_vector(i).to_vec())
            .collect();
        let residual = v.vector(j).to_vec();
        v.data.truncate(j * q);
        u.rotate(&left, keep);
        v.rotate(&right, keep);
        v.data.extend_from_slice(&residual);
        b.fill(0.0);
        for i in 0..keep {
            b[i * basis + i] = ritz.singular_values[i];
        }
    }
}

/// The first `k` Ritz triples of the leading j×j block: U·p_i and V·q_i.
fn ritz_vectors(ritz: &Svd, u: &Basis, v: &Basis, k: usize, j: usize) -> Top {
    let combine = |basis: &Basis, coefficients: &[f64]| {
        let mut out = vec![0.0; basis.len];
        for (l, &c) in coefficients.iter().enumerate().take(j) {
            axpy(c, basis.vector(l), &mut out, &Parallelism::NONE);
        }
        out
    };
    let mut left = Vec::with_capacity(k * u.len);
    let mut right = Vec::with_capacity(k * v.len);
    for i in 0..k {
        left.extend(combine(u, ritz.left_vector(i)));
        right.extend(combine(v, ritz.right_vector(i)));
    }
    orthonormalize(&mut left, u.len);
    orthonormalize(&mut right, v.len);
    Top {
        values: ritz.singular_values[..k].to_vec(),
        left,
        right,
    }
}

/// Gram–Schmidt, twice, on vectors of length `len` stored one after another. The Ritz vectors
/// of well-separated values are orthonormal to rounding already; those of values at the noise
/// level (a rank-deficient matrix) come from the small SVD's near-null space, where its vectors
/// are only orthogonal to about √ε, and any orthonormal choice there is as right as another.
fn orthonormalize(vectors: &mut [f64], len: usize) {
    for i in 0..vectors.len() / len {
        let (done, rest) = vectors.split_at_mut(i * len);
        let v = &mut rest[..len];
        for _ in 0..2 {
            for prev in done.chunks_exact(len) {
                let d = dot(prev, v);
                axpy(-d, prev, v, &Parallelism::NONE);
            }
        }
        let norm = norm2(v);
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
