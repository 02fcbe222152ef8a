//! Row and column sums of strided matrix views.
//!
//! A row sum over a contiguous row is the pairwise [`sum`](super::sum). When the rows are strided
//! but the columns contiguous (a row-major matrix's column sums, or a column-major matrix's row
//! sums) whole columns are added as vectors instead, pairwise over the columns, so that the memory
//! is read in order. Either way the order of additions depends only on the shape and strides.

use super::sum;
use crate::elementwise::add_assign;
use crate::parallel::Parallelism;
use crate::{Element, MatRef};

/// Columns added one after another before the pairwise halving takes over.
const COLUMN_BLOCK: usize = 32;

/// out\[i\] = Σ_j m\[i, j\]; panics if `out` does not have one slot per row.
pub fn row_sums<T: Element>(m: MatRef<'_, T>, out: &mut [T]) {
    assert!(
        out.len() == m.rows(),
        "row_sums: a {}×{} matrix has {} rows but the output has {} slots",
        m.rows(),
        m.cols(),
        m.rows(),
        out.len()
    );
    sums_along_rows(m, out);
}

/// out\[j\] = Σ_i m\[i, j\]; panics if `out` does not have one slot per column.
pub fn col_sums<T: Element>(m: MatRef<'_, T>, out: &mut [T]) {
    assert!(
        out.len() == m.cols(),
        "col_sums: a {}×{} matrix has {} columns but the output has {} slots",
        m.rows(),
        m.cols(),
        m.cols(),
        out.len()
    );
    sums_along_rows(m.t(), out);
}

/// out[i] = Σ_j m[i, j], choosing the access pattern from the strides.
fn sums_along_rows<T: Element>(m: MatRef<'_, T>, out: &mut [T]) {
    let (rows, cols) = (m.rows(), m.cols());
    if rows == 0 {
        return;
    }
    if cols == 0 {
        out.fill(T::ZERO);
        return;
    }
    let data = m.data();
    let (rs, cs) = (m.row_stride(), m.col_stride());
    if cs == 1 {
        for (i, o) in out.iter_mut().enumerate() {
            *o = sum(&data[i * rs..i * rs + cols]);
        }
    } else if rs == 1 {
        let column = |j: usize| &data[j * cs..j * cs + rows];
        let mut scratch = vec![T::ZERO; rows * pairwise_depth(cols)];
        add_columns(&column, 0, cols, out, &mut scratch);
    } else {
        let mut row = vec![T::ZERO; cols];
        for (i, o) in out.iter_mut().enumerate() {
            for (j, r) in row.iter_mut().enumerate() {
                *r = data[i * rs + j * cs];
            }
            *o = sum(&row);
        }
    }
}

/// Levels of halving below which [`add_columns`] needs no more scratch vectors.
fn pairwise_depth(mut cols: usize) -> usize {
    let mut depth = 0;
    while cols > COLUMN_BLOCK {
        cols = cols.div_ceil(2);
        depth += 1;
    }
    depth
}

/// out = Σ_{j in lo..hi} column(j), pairwise over j; `scratch` holds one vector per level.
fn add_columns<'a, T: Element>(
    column: &impl Fn(usize) -> &'a [T],
    lo: usize,
    hi: usize,
    out: &mut [T],
    scratch: &mut [T],
) {
    if hi - lo <= COLUMN_BLOCK {
        out.copy_from_slice(column(lo));
        for j in lo + 1..hi {
            add_assign(out, column(j), &Parallelism::NONE);
        }
        return;
    }
    let mid = lo + (hi - lo) / 2;
    let (right, deeper) = scratch.split_at_mut(out.len());
    add_columns(column, lo, mid, out, deeper);
    add_columns(column, mid, hi, right, deeper);
    add_assign(out, right, &Parallelism::NONE);
}
