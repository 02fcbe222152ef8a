//! Slicing along an axis and its inverse, concatenation along an axis.
//!
//! Both see tensors around the axis as [outer, len, inner]: `outer` blocks, each made of `len`
//! contiguous slabs of `inner` elements. A slice copies a run of slabs out of every block; a
//! concat lays the parts' blocks side by side.

use kernels::Element;

use super::Op;
use crate::backward::{Grads, Values};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// Elements `start..end` of `axis`, all of every other axis.
    pub fn slice(&mut self, a: Var, axis: usize, start: usize, end: usize) -> Var {
        let (_, len, inner) = self.checked_axis("slice", a, axis);
        let s = self.shape_of(a);
        assert!(
            start <= end && end <= len,
            "slice: {start}..{end} is not a range of axis {axis} of shape {s:?}"
        );
        let mut out = self.pool.tensor(s.with_axis(axis, end - start));
        let x = self.value(a).data();
        let width = (end - start) * inner;
        for (dst, block) in out
            .data_mut()
            .chunks_exact_mut(width.max(1))
            .zip(x.chunks_exact((len * inner).max(1)))
        {
            dst.copy_from_slice(&block[start * inner..end * inner]);
        }
        self.push(out, Op::Slice { a, axis, start }, &[a])
    }

    /// The parts joined along `axis`; every other axis must agree.
    pub fn concat(&mut self, parts: &[Var], axis: usize) -> Var {
        let Some(&first) = parts.first() else {
            panic!("concat: no parts to join");
        };
        let s0 = self.shape_of(first);
        let mut total = 0;
        for &p in parts {
            let (_, len, _) = self.checked_axis("concat", p, axis);
            let s = self.shape_of(p);
            assert!(
                s.with_axis(axis, 0) == s0.with_axis(axis, 0),
                "concat: parts of shapes {s0:?} and {s:?} differ outside axis {axis}"
            );
            total += len;
        }
        let shape = s0.with_axis(axis, total);
        let (outer, _, inner) = shape.around_axis(axis);
        let mut out = self.pool.tensor(shape);
        let mut offset = 0;
        for &p in parts {
            let (_, len, _) = self.shape_of(p).around_axis(axis);
            let x = self.value(p).data();
            for o in 0..outer {
                let dst = (o * total + offset) * inner;
                out.data_mut()[dst..dst + len * inner]
                    .copy_from_slice(&x[o * len * inner..(o + 1) * len * inner]);
            }
            offset += len;
        }
        let start = self.var_lists.len();
        self.var_lists.extend_from_slice(parts);
        let op = Op::Concat {
            parts: start..self.var_lists.len(),
            axis,
        };
        self.push(out, op, parts)
    }
}

/// Y = A[.., start..start + k, ..]  ⇒  dA is G in those slabs and zero elsewhere.
pub(crate) fn slice_backward<T: Element>(
    a: Var,
    axis: usize,
    start: usize,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let (_, len, inner) = vals.get(a).dims().around_axis(axis);
    let (_, k, _) = g.dims().around_axis(axis);
    grads.accumulate(a, |da| {
        da.fill(T::ZERO);
        for (block, gblock) in da
            .chunks_exact_mut((len * inner).max(1))
            .zip(g.data().chunks_exact((k * inner).max(1)))
        {
            block[start * inner..(start + k) * inner].copy_from_slice(gblock);
        }
    });
}

/// Y = concat(parts)  ⇒  each part's gradient is its own run of slabs of G.
pub(crate) fn concat_backward<T: Element>(
    parts: &[Var],
    axis: usize,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let (outer, total, inner) = g.dims().around_axis(axis);
    let mut offset = 0;
    for &p in parts {
        let (_, len, _) = vals.get(p).dims().around_axis(axis);
        grads.accumulate(p, |dp| {
            for o in 0..outer {
                let src = (o * total + offset) * inner;
                dp[o * len * inner..(o + 1) * len * inner]
                    .copy_from_slice(&g.data()[src..src + len * inner]);
            }
        });
        offset += len;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(10);
        let x = randn(&mut rng, &[3, 4, 2]);
        check_op!([x.clone()], |t, v| t.slice(v[0], 0, 1, 3));
        check_op!([x.clone()], |t, v| t.slice(v[0], 1, 1, 2));
        check_op!([x.clone()], |t, v| t.slice(v[0], 2, 0, 1));
        let (a, b) = (randn(&mut rng, &[2, 3]), randn(&mut rng, &[2, 1]));
        check_op!([a.clone(), b], |t, v| t.concat(&[v[0], v[1], v[0]], 1));
        check_op!([a, randn(&mut rng, &[4, 3])], |t, v| t
            .concat(&[v[0], v[1]], 0));
    }

    #[test]
    fn values() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let s = tape.slice(x, 1, 1, 3);
        assert_eq!(tape.value(s).data(), &[2.0, 3.0, 5.0, 6.0]);
        let c = tape.concat(&[x, s], 1);
        assert_eq!(tape.value(c).shape(), &[2, 5]);
        assert_eq!(
            tape.value(c).data(),
            &[1.0, 2.0, 3.0, 2.0, 3.0, 4.0, 5.0, 6.0, 5.0, 6.0]
        );
    }

    #[test]
    #[should_panic(expected = "concat: parts of shapes [2, 3] and [3, 3] differ outside axis 1")]
    fn mismatched_parts_panic() {
        let mut tape = Tape::<f64>::new();
        let a = tape.input(&[0.0; 6], &[2, 3]);
        let b = tape.input(&[0.0; 9], &[3, 3]);
        tape.concat(&[a, b], 1);
    }

    #[test]
    #[should_panic(expected = "slice: 2..5 is not a range of axis 0 of shape [4]")]
    fn out_of_range_slice_panics() {
        let mut tape = Tape::<f64>::new();
        let a = tape.input(&[0.0; 4], &[4]);
        tape.slice(a, 0, 2, 5);
    }
}
