//! Strided matrix views: a slice plus rows, columns and the two strides.
//!
//! Element (i, j) of a view sits at `data[i * row_stride + j * col_stride]`. A row-major matrix
//! has `col_stride == 1`, a column-major one `row_stride == 1`, and `.t()` swaps the two, so a
//! transpose never copies. Constructors check that every element lies inside the slice, so the
//! kernels may index without bounds checks.

use std::fmt;

/// Why a view could not be built: names the shape, the strides and the slice length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewError {
    /// The last element of the view lies past the end of the slice.
    OutOfBounds {
        /// Rows of the requested view.
        rows: usize,
        /// Columns of the requested view.
        cols: usize,
        /// Row stride of the requested view.
        row_stride: usize,
        /// Column stride of the requested view.
        col_stride: usize,
        /// Elements the view needs.
        needed: usize,
        /// Elements the slice has.
        len: usize,
    },
    /// A mutable view whose strides would make two elements share one memory slot.
    Aliasing {
        /// Rows of the requested view.
        rows: usize,
        /// Columns of the requested view.
        cols: usize,
        /// Row stride of the requested view.
        row_stride: usize,
        /// Column stride of the requested view.
        col_stride: usize,
    },
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::OutOfBounds {
                rows,
                cols,
                row_stride,
                col_stride,
                needed,
                len,
            } => write!(
                f,
                "a {rows}×{cols} view with strides ({row_stride}, {col_stride}) needs {needed} \
                 elements but the slice has {len}"
            ),
            ViewError::Aliasing {
                rows,
                cols,
                row_stride,
                col_stride,
            } => write!(
                f,
                "a mutable {rows}×{cols} view with strides ({row_stride}, {col_stride}) would \
                 write two elements to the same place"
            ),
        }
    }
}

impl std::error::Error for ViewError {}

/// Elements a view of this shape and these strides spans, from its first to its last element.
fn span(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return Some(0);
    }
    (rows - 1)
        .checked_mul(row_stride)?
        .checked_add((cols - 1).checked_mul(col_stride)?)?
        .checked_add(1)
}

fn check_bounds(
    len: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
) -> Result<(), ViewError> {
    match span(rows, cols, row_stride, col_stride) {
        Some(needed) if needed <= len => Ok(()),
        needed => Err(ViewError::OutOfBounds {
            rows,
            cols,
            row_stride,
            col_stride,
            needed: needed.unwrap_or(usize::MAX),
            len,
        }),
    }
}

/// True when no two distinct (i, j) of the shape map to the same offset.
fn strides_are_injective(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> bool {
    // Order the two axes by stride; the inner one must step by at least 1 and its whole extent
    // must fit strictly inside one step of the outer axis.
    let (mut inner, mut outer) = ((cols, col_stride), (rows, row_stride));
    if inner.0 <= 1 {
        return outer.0 <= 1 || outer.1 > 0;
    }
    if outer.0 <= 1 {
        return inner.1 > 0;
    }
    if inner.1 > outer.1 {
        std::mem::swap(&mut inner, &mut outer);
    }
    inner.1 > 0 && (inner.0 - 1) * inner.1 < outer.1
}

/// A read-only strided view of a matrix: element (i, j) is `data[i·row_stride + j·col_stride]`,
/// so transposes and submatrices are views, never copies.
///
/// ```
/// use kernels::MatRef;
///
/// let data = [1, 2, 3, 4, 5, 6];
/// let m = MatRef::from_row_major(&data, 2, 3).unwrap();
/// assert_eq!(m.get(1, 2), 6);
/// let t = m.t(); // 3 × 2, the same memory
/// assert_eq!((t.rows(), t.cols(), t.get(2, 1)), (3, 2, 6));
/// assert_eq!(m.submatrix(0, 1, 2, 2).get(1, 0), 5);
/// // A view that would read past its data is an error, not undefined behaviour.
/// assert!(MatRef::from_row_major(&data, 3, 3).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, T: Copy> MatRef<'a, T> {
    /// A view with explicit strides; fails if any element would lie outside `data`.
    pub fn new(
        data: &'a [T],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self, ViewError> {
        check_bounds(data.len(), rows, cols, row_stride, col_stride)?;
        Ok(Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        })
    }

    /// A dense row-major view (`row_stride == cols`, `col_stride == 1`).
    pub fn from_row_major(data: &'a [T], rows: usize, cols: usize) -> Result<Self, ViewError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Distance in elements between (i, j) and (i + 1, j).
    #[inline]
    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    /// Distance in elements between (i, j) and (i, j + 1).
    #[inline]
    pub fn col_stride(&self) -> usize {
        self.col_stride
    }

    /// The slice the view reads from (it may hold elements outside the view).
    #[inline]
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// The transpose, as a view of the same memory.
    #[inline]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Element (i, j); panics outside the shape.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> T {
        assert!(
            i < self.rows && j < self.cols,
            "MatRef::get: ({i}, {j}) is outside a {}×{} view",
            self.rows,
            self.cols
        );
        self.data[i * self.row_stride + j * self.col_stride]
    }

    /// The sub-view of rows `r0..r0 + rows` and columns `c0..c0 + cols`; panics outside the shape.
    pub fn submatrix(&self, r0: usize, c0: usize, rows: usize, cols: usize) -> Self {
        assert!(
            r0 + rows <= self.rows && c0 + cols <= self.cols,
            "MatRef::submatrix: rows {r0}..{} and columns {c0}..{} exceed a {}×{} view",
            r0 + rows,
            c0 + cols,
            self.rows,
            self.cols
        );
        if rows == 0 || cols == 0 {
            return Self {
                data: &self.data[..0],
                rows,
                cols,
                row_stride: self.row_stride,
                col_stride: self.col_stride,
            };
        }
        let start = r0 * self.row_stride + c0 * self.col_stride;
        Self {
            data: &self.data[start..],
            rows,
            cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }
}

/// A mutable strided view of a matrix; its strides never alias two elements.
#[derive(Debug)]
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, T: Copy> MatMut<'a, T> {
    /// A mutable view with explicit strides; fails if an element would lie outside `data` or two
    /// elements would share a slot.
    pub fn new(
        data: &'a mut [T],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self, ViewError> {
        check_bounds(data.len(), rows, cols, row_stride, col_stride)?;
        if !strides_are_injective(rows, cols, row_stride, col_stride) {
            return Err(ViewError::Aliasing {
                rows,
                cols,
                row_stride,
                col_stride,
            });
        }
        Ok(Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        })
    }

    /// A dense row-major mutable view.
    pub fn from_row_major(data: &'a mut [T], rows: usize, cols: usize) -> Result<Self, ViewError> {
        Self::new(data, rows, cols, cols, 1)
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Distance in elements between (i, j) and (i + 1, j).
    #[inline]
    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    /// Distance in elements between (i, j) and (i, j + 1).
    #[inline]
    pub fn col_stride(&self) -> usize {
        self.col_stride
    }

    /// The slice the view writes to (it may hold elements outside the view).
    #[inline]
    pub fn data_mut(&mut self) -> &mut [T] {
        self.data
    }

    /// Consumes the view and returns its slice with the view's lifetime.
    #[inline]
    pub fn into_data(self) -> &'a mut [T] {
        self.data
    }

    /// A read-only view of the same elements.
    #[inline]
    pub fn as_ref(&self) -> MatRef<'_, T> {
        MatRef {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// A shorter-lived mutable view of the same elements (a reborrow).
    #[inline]
    pub fn rb_mut(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// The transpose, as a mutable view of the same memory.
    #[inline]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Element (i, j); panics outside the shape.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> T {
        self.as_ref().get(i, j)
    }

    /// Writes element (i, j); panics outside the shape.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, value: T) {
        assert!(
            i < self.rows && j < self.cols,
            "MatMut::set: ({i}, {j}) is outside a {}×{} view",
            self.rows,
            self.cols
        );
        self.data[i * self.row_stride + j * self.col_stride] = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_and_named() {
        let data = [0.0f32; 12];
        assert!(MatRef::new(&data, 3, 4, 4, 1).is_ok());
        let err = MatRef::new(&data, 3, 5, 4, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a 3×5 view with strides (4, 1) needs 13 elements but the slice has 12"
        );
        assert!(MatRef::new(&data, 0, 100, 1000, 1).is_ok());
        assert!(MatRef::new(&data, 2, 2, usize::MAX, 1).is_err());
    }

    #[test]
    fn transpose_is_free_and_correct() {
        let data: Vec<f64> = (0..6).map(f64::from).collect();
        let a = MatRef::from_row_major(&data, 2, 3).unwrap();
        let at = a.t();
        assert_eq!((at.rows(), at.cols()), (3, 2));
        for i in 0..2 {
            for j in 0..3 {
                assert_eq!(a.get(i, j), at.get(j, i));
            }
        }
        assert_eq!(a.submatrix(1, 1, 1, 2).get(0, 1), 5.0);
    }

    #[test]
    fn mutable_views_reject_aliasing_strides() {
        let mut data = [0.0f64; 16];
        assert!(MatMut::new(&mut data, 4, 4, 4, 1).is_ok());
        assert!(MatMut::new(&mut data, 4, 4, 1, 4).is_ok());
        assert!(matches!(
            MatMut::new(&mut data, 4, 4, 1, 1),
            Err(ViewError::Aliasing { .. })
        ));
        assert!(matches!(
            MatMut::new(&mut data, 4, 2, 0, 1),
            Err(ViewError::Aliasing { .. })
        ));
        assert!(MatMut::new(&mut data, 1, 4, 0, 1).is_ok());
        assert!(MatMut::new(&mut data, 3, 5, 5, 1).is_ok());
        assert!(MatMut::new(&mut data, 3, 5, 4, 1).is_err());
    }
}
