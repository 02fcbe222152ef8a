//! General matrix multiply: C ← αAB + βC on strided views.
//!
//! The entry point checks shapes and hands the product to the implementation chosen for this
//! machine. `reference` holds the scalar triple loop every fast path is tested against.

pub mod reference;

use crate::{Element, MatMut, MatRef};

/// C ← α·A·B + β·C for any shapes and strides.
///
/// With `beta == 0` the old contents of C are never read, so NaN or garbage in C cannot leak into
/// the result. Panics with a message naming both shapes when A is m×k, B is k'×n with k ≠ k', or
/// C is not m×n: a shape mismatch is a programmer error, as in BLAS and ndarray.
pub fn gemm<T: Element>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    check_shapes(&a, &b, &c);
    reference::gemm(alpha, a, b, beta, c);
}

fn check_shapes<T: Element>(a: &MatRef<'_, T>, b: &MatRef<'_, T>, c: &MatMut<'_, T>) {
    assert!(
        a.cols() == b.rows(),
        "gemm: A is {}×{} but B is {}×{}: the inner dimensions differ",
        a.rows(),
        a.cols(),
        b.rows(),
        b.cols()
    );
    assert!(
        c.rows() == a.rows() && c.cols() == b.cols(),
        "gemm: A·B is {}×{} but C is {}×{}",
        a.rows(),
        b.cols(),
        c.rows(),
        c.cols()
    );
}
