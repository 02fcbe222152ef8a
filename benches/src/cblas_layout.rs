//! How a strided view is handed to CBLAS, which knows only dense storage: a layout, a transpose
//! flag and a leading dimension per operand.
//!
//! Every call is made in row-major order. A view with unit column stride is a row-major matrix
//! (no transpose, ld = row stride); one with unit row stride is the transpose of a row-major
//! matrix (ld = column stride), which is how the roofline's AᵀB and ABᵀ operands arrive. A view
//! with neither has no CBLAS form and is copied by the caller. A column-major C is produced as
//! Cᵀ = BᵀAᵀ, which swaps and transposes the operands instead of copying C.

/// An operand as CBLAS reads it in row-major order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operand {
    /// `CblasTrans`: the memory holds the transpose, cols×rows, row-major.
    pub transposed: bool,
    /// The leading dimension: the distance between consecutive stored rows.
    pub ld: usize,
}

impl Operand {
    /// The form of a dense row-major rows×cols matrix, as a copy of a view is stored.
    pub fn dense(cols: usize) -> Self {
        Self {
            transposed: false,
            ld: cols.max(1),
        }
    }

    /// The same memory read as the transposed matrix.
    pub fn t(self) -> Self {
        Self {
            transposed: !self.transposed,
            ld: self.ld,
        }
    }
}

/// The CBLAS form of a rows×cols view with the given strides, or `None` when it has none
/// (neither stride is 1, or the other stride is smaller than CBLAS requires of a leading
/// dimension). A stride along a dimension of length 1 is never used, so it does not count.
pub fn operand(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Option<Operand> {
    let unit_cols = col_stride == 1 || cols <= 1;
    let unit_rows = row_stride == 1 || rows <= 1;
    if unit_cols && (rows <= 1 || row_stride >= cols.max(1)) {
        let ld = if rows <= 1 { cols.max(1) } else { row_stride };
        return Some(Operand {
            transposed: false,
            ld,
        });
    }
    if unit_rows && (cols <= 1 || col_stride >= rows.max(1)) {
        let ld = if cols <= 1 { rows.max(1) } else { col_stride };
        return Some(Operand {
            transposed: true,
            ld,
        });
    }
    None
}

/// One row-major CBLAS call computing an m×n result from `first` (m×k) and `second` (k×n).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The operands are B and A (the call computes Cᵀ = BᵀAᵀ into a column-major C).
    pub swapped: bool,
    /// Rows of the result the call writes.
    pub m: usize,
    /// Columns of the result the call writes.
    pub n: usize,
    /// The left operand of the call.
    pub first: Operand,
    /// The right operand of the call.
    pub second: Operand,
    /// Leading dimension of the result.
    pub ldc: usize,
}

/// The call computing the m×n C = A·B whose forms are `a`, `b` and `c`.
pub fn call(m: usize, n: usize, a: Operand, b: Operand, c: Operand) -> Call {
    if c.transposed {
        Call {
            swapped: true,
            m: n,
            n: m,
            first: b.t(),
            second: a.t(),
            ldc: c.ld,
        }
    } else {
        Call {
            swapped: false,
            m,
            n,
            first: a,
            second: b,
            ldc: c.ld,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(transposed: bool, ld: usize) -> Option<Operand> {
        Some(Operand { transposed, ld })
    }

    #[test]
    fn row_and_column_major_views_have_a_form() {
        assert_eq!(operand(3, 5, 5, 1), op(false, 5));
        assert_eq!(operand(3, 5, 8, 1), op(false, 8));
        assert_eq!(operand(3, 5, 1, 3), op(true, 3));
        assert_eq!(operand(3, 5, 1, 7), op(true, 7));
    }

    #[test]
    fn strides_along_length_one_do_not_count() {
        assert_eq!(operand(1, 5, 99, 1), op(false, 5));
        assert_eq!(operand(1, 5, 0, 1), op(false, 5));
        assert_eq!(operand(4, 1, 6, 0), op(false, 6));
        assert_eq!(operand(1, 1, 0, 0), op(false, 1));
        assert_eq!(operand(4, 1, 1, 0), op(false, 1));
        assert_eq!(operand(1, 4, 0, 3), op(true, 3));
    }

    #[test]
    fn views_without_a_unit_stride_or_with_short_rows_have_none() {
        assert_eq!(operand(3, 5, 10, 2), None);
        assert_eq!(operand(3, 5, 4, 1), None);
        assert_eq!(operand(3, 5, 1, 2), None);
        assert_eq!(operand(3, 5, 0, 1), None);
    }

    #[test]
    fn a_column_major_c_swaps_and_transposes_the_operands() {
        let a = Operand::dense(4);
        let b = Operand {
            transposed: true,
            ld: 9,
        };
        let direct = call(3, 7, a, b, Operand::dense(7));
        assert_eq!(
            (direct.swapped, direct.m, direct.n, direct.ldc),
            (false, 3, 7, 7)
        );
        assert_eq!((direct.first, direct.second), (a, b));
        let c = Operand {
            transposed: true,
            ld: 5,
        };
        let swapped = call(3, 7, a, b, c);
        assert_eq!(
            (swapped.swapped, swapped.m, swapped.n, swapped.ldc),
            (true, 7, 3, 5)
        );
        assert_eq!(swapped.first, op(false, 9).unwrap());
        assert_eq!(swapped.second, op(true, 4).unwrap());
    }
}
