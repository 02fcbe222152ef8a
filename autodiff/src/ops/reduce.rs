//! Sums and means, over all elements or along one axis. A mean is a sum scaled by 1/n, so one
//! op serves both.

use kernels::Element;
use kernels::elementwise::{add_assign, scale_assign};
use kernels::parallel::Parallelism;
use kernels::reduce::sum;

use super::Op;
use crate::backward::{Grads, Values};
use crate::shape::Shape;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// Σ a over all elements: shape [].
    pub fn sum(&mut self, a: Var) -> Var {
        self.sum_scaled(a, None, T::ONE)
    }

    /// The mean of all elements: shape [].
    pub fn mean(&mut self, a: Var) -> Var {
        let n = self.value(a).len();
        self.sum_scaled(a, None, T::ONE / T::from_usize(n))
    }

    /// Σ a along `axis`, which is removed from the shape.
    pub fn sum_axis(&mut self, a: Var, axis: usize) -> Var {
        self.sum_scaled(a, Some(axis), T::ONE)
    }

    /// The mean along `axis`, which is removed from the shape.
    pub fn mean_axis(&mut self, a: Var, axis: usize) -> Var {
        let (_, len, _) = self.checked_axis("mean_axis", a, axis);
        self.sum_scaled(a, Some(axis), T::ONE / T::from_usize(len))
    }

    /// Views `a` around `axis` as [outer, len, inner]; panics, naming `op`, if there is no such
    /// axis.
    pub(crate) fn checked_axis(&self, op: &str, a: Var, axis: usize) -> (usize, usize, usize) {
        let s = self.shape_of(a);
        assert!(
            axis < s.rank(),
            "{op}: axis {axis} does not exist in shape {s:?}"
        );
        s.around_axis(axis)
    }

    fn sum_scaled(&mut self, a: Var, axis: Option<usize>, scale: T) -> Var {
        let shape = match axis {
            None => Shape::scalar(),
            Some(axis) => {
                self.checked_axis("sum_axis", a, axis);
                self.shape_of(a).without_axis(axis)
            }
        };
        let mut out = self.pool.tensor(shape);
        let x = self.value(a).data();
        let y = out.data_mut();
        match axis {
            None => y[0] = sum(x),
            Some(axis) => {
                let (_, len, inner) = self.shape_of(a).around_axis(axis);
                sum_middle_axis(x, len, inner, y);
            }
        }
        scale_assign(y, scale, &self.par);
        self.push(out, Op::Sum { a, axis, scale }, &[a])
    }
}

/// y[o, i] = Σ_l x[o, l, i] for x seen as [outer, len, inner].
fn sum_middle_axis<T: Element>(x: &[T], len: usize, inner: usize, y: &mut [T]) {
    if inner == 1 {
        // Summing along the last axis: each output is a pairwise sum of a contiguous run.
        for (y, x) in y.iter_mut().zip(x.chunks_exact(len.max(1))) {
            *y = if len == 0 { T::ZERO } else { sum(x) };
        }
        return;
    }
    y.fill(T::ZERO);
    for (y, block) in y.chunks_exact_mut(inner).zip(x.chunks_exact(len * inner)) {
        for slab in block.chunks_exact(inner) {
            add_assign(y, slab, &Parallelism::NONE);
        }
    }
}

/// y = s·Σ x  ⇒  dx = s·g, the same for every element summed into each output.
pub(crate) fn sum_backward<T: Element>(
    a: Var,
    axis: Option<usize>,
    scale: T,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let shape = vals.get(a).dims();
    let g = g.data();
    grads.accumulate(a, |dx| match axis {
        None => dx.fill(scale * g[0]),
        Some(axis) => {
            let (_, len, inner) = shape.around_axis(axis);
            for (dblock, gblock) in dx
                .chunks_exact_mut((len * inner).max(1))
                .zip(g.chunks_exact(inner.max(1)))
            {
                for dslab in dblock.chunks_exact_mut(inner.max(1)) {
                    kernels::elementwise::scale(gblock, scale, dslab, &Parallelism::NONE);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(8);
        let x = randn(&mut rng, &[2, 3, 4]);
        check_op!([x.clone()], |t, v| t.sum(v[0]));
        check_op!([x.clone()], |t, v| t.mean(v[0]));
        check_op!([x.clone()], |t, v| t.sum_axis(v[0], 0));
        check_op!([x.clone()], |t, v| t.sum_axis(v[0], 1));
        check_op!([x.clone()], |t, v| t.sum_axis(v[0], 2));
        check_op!([x.clone()], |t, v| t.mean_axis(v[0], 1));
        check_op!([x], |t, v| t.mean_axis(v[0], 2));
    }

    #[test]
    fn values_and_shapes() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let (s0, s1, m1, m) = (
            tape.sum_axis(x, 0),
            tape.sum_axis(x, 1),
            tape.mean_axis(x, 1),
            tape.mean(x),
        );
        assert_eq!(tape.value(s0).data(), &[5.0, 7.0, 9.0]);
        assert_eq!(tape.value(s1).data(), &[6.0, 15.0]);
        assert_eq!(tape.value(m1).data(), &[2.0, 5.0]);
        assert_eq!(tape.value(m1).shape(), &[2]);
        assert_eq!(tape.value(m).shape(), &[] as &[usize]);
        assert_eq!(tape.value(m).item(), 3.5);
    }

    #[test]
    #[should_panic(expected = "sum_axis: axis 2 does not exist in shape [2, 3]")]
    fn missing_axis_panics() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[0.0; 6], &[2, 3]);
        tape.sum_axis(x, 2);
    }
}
