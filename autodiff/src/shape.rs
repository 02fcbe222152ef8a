//! Shapes stored inline, so that recording a node never touches the heap.

use std::fmt;

/// The largest rank a tensor may have: shapes live in a fixed array, not on the heap.
pub const MAX_RANK: usize = 8;

/// The extents of a tensor's axes, row-major (the last axis is contiguous).
///
/// Unused slots are always 0, so the derived equality compares shapes, not leftovers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    dims: [usize; MAX_RANK],
    rank: usize,
}

impl Shape {
    /// The shape with these extents, or `None` if it has more than [`MAX_RANK`] axes.
    pub(crate) fn new(dims: &[usize]) -> Option<Self> {
        if dims.len() > MAX_RANK {
            return None;
        }
        let mut inline = [0; MAX_RANK];
        inline[..dims.len()].copy_from_slice(dims);
        Some(Self {
            dims: inline,
            rank: dims.len(),
        })
    }

    /// The shape with these extents; panics, naming `op`, beyond [`MAX_RANK`] axes.
    pub(crate) fn of(op: &str, dims: &[usize]) -> Self {
        Self::new(dims).unwrap_or_else(|| {
            panic!(
                "{op}: shape {dims:?} has {} axes, more than MAX_RANK = {MAX_RANK}",
                dims.len()
            )
        })
    }

    /// The shape `[]` of a scalar.
    pub(crate) fn scalar() -> Self {
        Self::of("scalar", &[])
    }

    /// The extents, one per axis.
    pub(crate) fn dims(&self) -> &[usize] {
        &self.dims[..self.rank]
    }

    /// Number of axes.
    pub(crate) fn rank(&self) -> usize {
        self.rank
    }

    /// Number of elements (1 for a scalar).
    pub(crate) fn numel(&self) -> usize {
        self.dims().iter().product()
    }

    /// The extent of the last axis (1 for a scalar).
    pub(crate) fn last(&self) -> usize {
        self.dims().last().copied().unwrap_or(1)
    }

    /// Views the tensor around `axis` as `[outer, len, inner]`: `outer` blocks, each holding `len`
    /// slabs of `inner` contiguous elements.
    pub(crate) fn around_axis(&self, axis: usize) -> (usize, usize, usize) {
        let d = self.dims();
        (
            d[..axis].iter().product(),
            d[axis],
            d[axis + 1..].iter().product(),
        )
    }

    /// The same shape with `axis` given extent `len`.
    pub(crate) fn with_axis(&self, axis: usize, len: usize) -> Self {
        let mut s = *self;
        s.dims[axis] = len;
        s
    }

    /// The same shape without `axis`.
    pub(crate) fn without_axis(&self, axis: usize) -> Self {
        let mut dims = [0; MAX_RANK];
        let d = self.dims();
        dims[..axis].copy_from_slice(&d[..axis]);
        dims[axis..self.rank - 1].copy_from_slice(&d[axis + 1..]);
        Self {
            dims,
            rank: self.rank - 1,
        }
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.dims(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_split_and_remove() {
        let s = Shape::of("test", &[2, 3, 4]);
        assert_eq!(s.numel(), 24);
        assert_eq!(s.around_axis(1), (2, 3, 4));
        assert_eq!(s.without_axis(1).dims(), &[2, 4]);
        assert_eq!(s.with_axis(2, 7).dims(), &[2, 3, 7]);
        assert_eq!(format!("{s:?}"), "[2, 3, 4]");
        assert_eq!(Shape::scalar().numel(), 1);
        assert!(Shape::new(&[1; MAX_RANK + 1]).is_none());
    }
}
