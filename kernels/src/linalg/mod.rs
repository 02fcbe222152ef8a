//! Dense linear algebra for the metrics: the singular value decomposition, whole or its top, and
//! non-negative least squares ([`nnls`]).
//!
//! [`svd`] is one-sided Jacobi (Hestenes' method): plane rotations applied to pairs of columns
//! until every pair is orthogonal to working precision. It is slower than a bidiagonalising SVD
//! but simple, and it computes even the small singular values to high relative accuracy: the
//! reference in tests, and the method for small matrices.
//!
//! [`top_svd`] finds only the k largest triples, by thick-restarted Lanczos bidiagonalization:
//! a few hundred matrix–vector products, so a 512×512 layer costs milliseconds where Jacobi
//! costs about a second (measured here: 16–30 ms against 0.8–0.9 s in f64, both on one core,
//! top five values within 1e-13 of Jacobi's), and a width of thousands stays affordable.

mod gemv;
mod jacobi;
mod lanczos;
mod nnls;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod top_tests;

use crate::MatRef;

pub use lanczos::{TOP_SVD_JACOBI_BELOW, TOP_SVD_TOLERANCE, top_svd};
pub use nnls::{Nnls, nnls};

/// A thin singular value decomposition A = U·diag(s)·Vᵀ of an m×n matrix, with k = min(m, n).
#[derive(Clone, Debug)]
pub struct Svd {
    /// Rows m of the decomposed matrix.
    pub rows: usize,
    /// Columns n of the decomposed matrix.
    pub cols: usize,
    /// The k singular values, in decreasing order.
    pub singular_values: Vec<f64>,
    /// The k left singular vectors, each of length m, stored one after another.
    pub u: Vec<f64>,
    /// The k right singular vectors, each of length n, stored one after another.
    pub v: Vec<f64>,
}

impl Svd {
    /// The i-th left singular vector (output side), of length `rows`.
    pub fn left_vector(&self, i: usize) -> &[f64] {
        &self.u[i * self.rows..(i + 1) * self.rows]
    }

    /// The i-th right singular vector (input side), of length `cols`.
    pub fn right_vector(&self, i: usize) -> &[f64] {
        &self.v[i * self.cols..(i + 1) * self.cols]
    }
}

/// [`svd`] of a matrix in any element type: of its exact f64 copy (an f32 matrix gives the same
/// result as its f64 copy would).
pub fn svd_of<T: crate::Element>(a: MatRef<'_, T>) -> Svd {
    let (m, n) = (a.rows(), a.cols());
    let copy: Vec<f64> = (0..m)
        .flat_map(|i| (0..n).map(move |j| a.get(i, j).to_f64()))
        .collect();
    svd(MatRef::from_row_major(&copy, m, n).expect("m·n entries"))
}

/// The thin SVD of `a`, by one-sided Jacobi on its columns (on its rows when it is wider than
/// tall, so the rotations act on the smaller side).
///
/// Singular values come in decreasing order; every singular vector has unit length (for a zero
/// singular value, a unit vector orthogonal to the others is chosen), and each pair is signed so
/// that the largest-magnitude component of the right vector is positive (the first such component
/// on a tie). A matrix with a NaN or infinite entry yields NaN everywhere rather than a panic, so a
/// metric on a diverged model reports NaN.
pub fn svd(a: MatRef<'_, f64>) -> Svd {
    let (m, n) = (a.rows(), a.cols());
    let k = m.min(n);
    let nan = || Svd {
        rows: m,
        cols: n,
        singular_values: vec![f64::NAN; k],
        u: vec![f64::NAN; k * m],
        v: vec![f64::NAN; k * n],
    };
    // Rotate the columns of the taller orientation: `work` is p×q with p ≥ q.
    let work = if m >= n { a } else { a.t() };
    let (p, q) = (work.rows(), work.cols());
    let mut largest = 0.0f64;
    for j in 0..q {
        for i in 0..p {
            largest = largest.max(work.get(i, j).abs());
        }
    }
    if !largest.is_finite() || (0..q).any(|j| (0..p).any(|i| work.get(i, j).is_nan())) {
        return nan();
    }
    // Squared column norms must neither overflow nor underflow: rescale only far from 1 so that
    // ordinary matrices are decomposed exactly as given.
    let scale = if largest > 2f64.powi(400) || (largest > 0.0 && largest < 2f64.powi(-400)) {
        largest
    } else {
        1.0
    };
    let mut columns = vec![0.0; p * q];
    for j in 0..q {
        for i in 0..p {
            columns[j * p + i] = work.get(i, j) / scale;
        }
    }
    let factors = jacobi::orthogonalize(&mut columns, p, q);
    let (outer, inner) = (factors.normalized, factors.rotation);
    let (mut u, mut v) = if m >= n {
        (outer, inner)
    } else {
        (inner, outer)
    };
    for i in 0..k {
        let right = &v[i * n..(i + 1) * n];
        let mut pivot = 0;
        for (j, x) in right.iter().enumerate() {
            if x.abs() > right[pivot].abs() {
                pivot = j;
            }
        }
        if right[pivot] < 0.0 {
            v[i * n..(i + 1) * n].iter_mut().for_each(|x| *x = -*x);
            u[i * m..(i + 1) * m].iter_mut().for_each(|x| *x = -*x);
        }
    }
    Svd {
        rows: m,
        cols: n,
        singular_values: factors.norms.iter().map(|s| s * scale).collect(),
        u,
        v,
    }
}
