//! Small dense linear algebra for the metrics: the singular value decomposition.

use crate::MatRef;

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

/// The thin SVD of `a` (placeholder signature; the one-sided Jacobi implementation lands with the
/// kernels work).
pub fn svd(a: MatRef<'_, f64>) -> Svd {
    let _ = a;
    unimplemented!("svd")
}
