//! Gathering rows: picks a mini-batch (or any list of rows, repeats allowed) out of a tensor.

use kernels::Element;
use kernels::elementwise::add_assign;
use kernels::parallel::Parallelism;

use super::Op;
use crate::backward::{Grads, Values};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// Rows `rows` of `a` (its first axis), in that order: [r, ...] → [rows.len(), ...].
    pub fn gather_rows(&mut self, a: Var, rows: &[usize]) -> Var {
        let s = self.shape_of(a);
        let (_, r, width) = self.checked_axis("gather_rows", a, 0);
        if let Some(&bad) = rows.iter().find(|&&i| i >= r) {
            panic!("gather_rows: row {bad} does not exist in shape {s:?}");
        }
        let mut out = self.pool.tensor(s.with_axis(0, rows.len()));
        let x = self.value(a).data();
        for (dst, &i) in out.data_mut().chunks_exact_mut(width.max(1)).zip(rows) {
            dst.copy_from_slice(&x[i * width..(i + 1) * width]);
        }
        let start = self.index_lists.len();
        self.index_lists.extend_from_slice(rows);
        let op = Op::GatherRows {
            a,
            rows: start..self.index_lists.len(),
        };
        self.push(out, op, &[a])
    }
}

/// Y[k] = A[rows[k]]  ⇒  dA[i] = Σ_{k : rows[k] = i} G[k] (a row picked twice gets both).
pub(crate) fn gather_backward<T: Element>(
    a: Var,
    rows: &[usize],
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let (_, _, width) = vals.get(a).dims().around_axis(0);
    grads.accumulate(a, |da| {
        da.fill(T::ZERO);
        for (grow, &i) in g.data().chunks_exact(width.max(1)).zip(rows) {
            add_assign(
                &mut da[i * width..(i + 1) * width],
                grow,
                &Parallelism::NONE,
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn gradients_match_finite_differences_with_repeats() {
        let mut rng = Rng::new(11);
        check_op!([randn(&mut rng, &[5, 3])], |t, v| t
            .gather_rows(v[0], &[4, 0, 4, 2]));
        check_op!([randn(&mut rng, &[4])], |t, v| t
            .gather_rows(v[0], &[1, 1, 3]));
    }

    #[test]
    fn values() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
        let y = tape.gather_rows(x, &[2, 0]);
        assert_eq!(tape.value(y).shape(), &[2, 2]);
        assert_eq!(tape.value(y).data(), &[5.0, 6.0, 1.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "gather_rows: row 3 does not exist in shape [3, 2]")]
    fn missing_row_panics() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[0.0; 6], &[3, 2]);
        tape.gather_rows(x, &[0, 3]);
    }
}
