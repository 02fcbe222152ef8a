//! The scalar reference GEMM: a plain triple loop, the yardstick for every fast kernel.

use crate::{Element, MatMut, MatRef};

/// C ← α·A·B + β·C by the definition, summing k in increasing order; shapes must already agree.
pub fn gemm<T: Element>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
) {
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let mut acc = T::ZERO;
            for p in 0..a.cols() {
                acc += a.get(i, p) * b.get(p, j);
            }
            let old = if beta == T::ZERO {
                T::ZERO
            } else {
                beta * c.get(i, j)
            };
            c.set(i, j, alpha * acc + old);
        }
    }
}
