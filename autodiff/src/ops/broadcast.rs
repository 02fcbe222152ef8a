//! Broadcasting for the binary ops: how each operand is laid over the output, and how a
//! gradient shaped like the output is summed back to the shape of a broadcast operand.
//!
//! The output is seen as a `rows × cols` matrix whose columns are its last axis. An operand is
//! either the full output shape, a row vector ([c] or [1, c]) repeated down the rows, a column
//! ([r, 1]) repeated across the columns, or a single element ([], [1], ...) repeated everywhere.

use kernels::Element;
use kernels::parallel::Parallelism;
use kernels::reduce::{col_sums, row_sums, sum};

use super::mat;
use crate::shape::Shape;

/// How one operand covers the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Same shape as the output.
    Full,
    /// One row, repeated for every row of the output.
    Row,
    /// One column, repeated for every column of the output.
    Col,
    /// One element, repeated everywhere.
    Scalar,
}

impl Layout {
    /// How an operand of shape `s` covers an output of shape `out`, if it can.
    fn of(s: Shape, out: Shape) -> Option<Self> {
        if s == out {
            return Some(Self::Full);
        }
        if s.rank() > out.rank() {
            return None;
        }
        if s.numel() == 1 {
            return Some(Self::Scalar);
        }
        match (s.dims(), out.dims()) {
            (&[c] | &[1, c], _) if c == out.last() => Some(Self::Row),
            (&[r, 1], &[r2, _]) if r == r2 => Some(Self::Col),
            _ => None,
        }
    }

    /// The operand element under output element (i, j).
    #[inline]
    fn index(self, i: usize, j: usize, cols: usize) -> usize {
        match self {
            Self::Full => i * cols + j,
            Self::Row => j,
            Self::Col => i,
            Self::Scalar => 0,
        }
    }
}

/// The broadcasting plan of a binary op: the output shape and how each operand covers it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Broadcast {
    /// Shape of the output.
    pub(crate) out: Shape,
    /// Rows of the output seen as a matrix (all axes but the last).
    rows: usize,
    /// Columns of the output seen as a matrix (the last axis).
    cols: usize,
    /// How the left operand covers the output.
    pub(crate) a: Layout,
    /// How the right operand covers the output.
    pub(crate) b: Layout,
}

impl Broadcast {
    /// The plan for operands of shapes `sa` and `sb`; panics, naming `op` and both shapes, if
    /// they do not broadcast.
    pub(crate) fn new(op: &str, sa: Shape, sb: Shape) -> Self {
        let out = if (sa.numel(), sa.rank()) >= (sb.numel(), sb.rank()) {
            sa
        } else {
            sb
        };
        let (Some(a), Some(b)) = (Layout::of(sa, out), Layout::of(sb, out)) else {
            panic!(
                "{op}: shapes {sa:?} and {sb:?} do not broadcast (expected equal shapes, a row \
                 [c] or [1, c], a column [r, 1], or a single element)"
            );
        };
        let cols = out.last();
        let rows = out.numel().checked_div(cols).unwrap_or(0);
        Self {
            out,
            rows,
            cols,
            a,
            b,
        }
    }

    /// out = f(a, b) elementwise, with `kernel` (the same map on slices) wherever both operands
    /// are contiguous along a row: with `par` on whole operands, on the calling thread row by
    /// row (rows too short to cut).
    pub(crate) fn map<T: Element>(
        &self,
        a: &[T],
        b: &[T],
        out: &mut [T],
        kernel: fn(&[T], &[T], &mut [T], &Parallelism),
        par: &Parallelism,
        f: impl Fn(T, T) -> T,
    ) {
        if (self.a, self.b) == (Layout::Full, Layout::Full) {
            return kernel(a, b, out, par);
        }
        let cols = self.cols;
        for (i, o) in out.chunks_exact_mut(cols.max(1)).enumerate() {
            match (self.row(self.a, a, i), self.row(self.b, b, i)) {
                (Some(ra), Some(rb)) => kernel(ra, rb, o, &Parallelism::NONE),
                _ => {
                    for (j, o) in o.iter_mut().enumerate() {
                        *o = f(a[self.a.index(i, j, cols)], b[self.b.index(i, j, cols)]);
                    }
                }
            }
        }
    }

    /// Row i of an operand, when it is a contiguous slice of `cols` elements.
    fn row<'a, T>(&self, layout: Layout, x: &'a [T], i: usize) -> Option<&'a [T]> {
        match layout {
            Layout::Full => Some(&x[i * self.cols..(i + 1) * self.cols]),
            Layout::Row => Some(x),
            Layout::Col | Layout::Scalar => None,
        }
    }

    /// t[k] = f(k, ka, kb) for every output element k = (i, j), where ka and kb are the
    /// elements of a and b under it: the local gradient of a binary op, before reduction.
    pub(crate) fn local<T: Element>(&self, t: &mut [T], f: impl Fn(usize, usize, usize) -> T) {
        let cols = self.cols;
        for i in 0..self.rows {
            for j in 0..cols {
                t[i * cols + j] = f(
                    i * cols + j,
                    self.a.index(i, j, cols),
                    self.b.index(i, j, cols),
                );
            }
        }
    }

    /// d = t summed over the positions an operand of this layout was repeated to: the gradient
    /// of a broadcast is the sum of the gradients of its copies.
    pub(crate) fn reduce<T: Element>(&self, layout: Layout, t: &[T], d: &mut [T]) {
        match layout {
            Layout::Full => d.copy_from_slice(t),
            Layout::Row => col_sums(mat(t, self.rows, self.cols), d),
            Layout::Col => row_sums(mat(t, self.rows, self.cols), d),
            Layout::Scalar => d[0] = sum(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(a: &[usize], b: &[usize]) -> Broadcast {
        Broadcast::new("test", Shape::of("test", a), Shape::of("test", b))
    }

    #[test]
    fn layouts_are_recognised() {
        let p = plan(&[4, 3], &[3]);
        assert_eq!(
            (p.a, p.b, p.out.dims()),
            (Layout::Full, Layout::Row, &[4, 3][..])
        );
        let p = plan(&[1, 3], &[4, 3]);
        assert_eq!((p.a, p.b), (Layout::Row, Layout::Full));
        let p = plan(&[4, 3], &[4, 1]);
        assert_eq!(p.b, Layout::Col);
        let p = plan(&[], &[2, 5, 3]);
        assert_eq!((p.a, p.out.dims()), (Layout::Scalar, &[2, 5, 3][..]));
        let p = plan(&[1], &[]);
        assert_eq!(
            (p.a, p.b, p.out.dims()),
            (Layout::Full, Layout::Scalar, &[1][..])
        );
    }

    #[test]
    #[should_panic(expected = "add: shapes [4, 3] and [4] do not broadcast")]
    fn mismatch_names_the_op_and_both_shapes() {
        Broadcast::new("add", Shape::of("t", &[4, 3]), Shape::of("t", &[4]));
    }

    #[test]
    #[should_panic(expected = "shapes [3, 1] and [1, 3] do not broadcast")]
    fn outer_broadcasts_are_refused() {
        plan(&[3, 1], &[1, 3]);
    }
}
