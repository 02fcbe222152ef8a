//! Ops that move elements without changing them: transpose and reshape.

use kernels::{Element, MatRef};

use super::Op;
use crate::backward::Grads;
use crate::shape::Shape;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// The transpose of a matrix: [r, c] → [c, r].
    pub fn transpose(&mut self, a: Var) -> Var {
        let s = self.shape_of(a);
        let &[r, c] = s.dims() else {
            panic!("transpose: a is {s:?}, not a matrix");
        };
        let mut out = self.pool.tensor(Shape::of("transpose", &[c, r]));
        copy_transposed(self.value(a).as_mat(), out.data_mut());
        self.push(out, Op::Transpose { a }, &[a])
    }

    /// The same elements in the same order under a new shape with as many elements.
    pub fn reshape(&mut self, a: Var, shape: &[usize]) -> Var {
        let from = self.shape_of(a);
        let to = Shape::of("reshape", shape);
        assert!(
            from.numel() == to.numel(),
            "reshape: a is {from:?} ({} elements) but the new shape {to:?} holds {}",
            from.numel(),
            to.numel()
        );
        let mut out = self.pool.tensor(to);
        out.data_mut().copy_from_slice(self.value(a).data());
        self.push(out, Op::Reshape { a }, &[a])
    }
}

/// dst = mᵀ, row-major.
fn copy_transposed<T: Element>(m: MatRef<'_, T>, dst: &mut [T]) {
    let (r, c) = (m.rows(), m.cols());
    for j in 0..c {
        for i in 0..r {
            dst[j * r + i] = m.get(i, j);
        }
    }
}

/// Y = Aᵀ  ⇒  dA = Gᵀ.
pub(crate) fn transpose_backward<T: Element>(a: Var, g: &Tensor<T>, grads: &mut Grads<T>) {
    grads.accumulate(a, |da| copy_transposed(g.as_mat(), da));
}

/// A reshape keeps the order of the elements, so the gradient flows back unchanged.
pub(crate) fn reshape_backward<T: Element>(a: Var, g: &Tensor<T>, grads: &mut Grads<T>) {
    grads.accumulate(a, |da| da.copy_from_slice(g.data()));
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(9);
        let x = randn(&mut rng, &[3, 5]);
        check_op!([x.clone()], |t, v| t.transpose(v[0]));
        check_op!([x], |t, v| t.reshape(v[0], &[5, 1, 3]));
    }

    #[test]
    fn transpose_values() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let y = tape.transpose(x);
        assert_eq!(tape.value(y).shape(), &[3, 2]);
        assert_eq!(tape.value(y).data(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    #[should_panic(expected = "reshape: a is [2, 3] (6 elements) but the new shape [4] holds 4")]
    fn reshape_to_a_different_size_panics() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[0.0; 6], &[2, 3]);
        tape.reshape(x, &[4]);
    }
}
