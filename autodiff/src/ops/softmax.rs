//! Softmax cross-entropy for multi-class classification, averaged over the rows.

use kernels::Element;
use kernels::reduce::{log_sum_exp, sum};

use super::Op;
use crate::backward::{Grads, Values};
use crate::shape::Shape;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// The mean over rows i of −ln softmax(logits_i)\[labels_i\] = logsumexp(logits_i) −
    /// logits_i\[labels_i\], for logits \[n, classes\] and one label per row: shape \[\].
    pub fn softmax_cross_entropy(&mut self, logits: Var, labels: &[usize]) -> Var {
        let s = self.shape_of(logits);
        let &[n, k] = s.dims() else {
            panic!("softmax_cross_entropy: logits are {s:?}, not a matrix [rows, classes]");
        };
        assert!(
            labels.len() == n && n > 0,
            "softmax_cross_entropy: logits are {s:?} but there are {} labels",
            labels.len()
        );
        if let Some(&bad) = labels.iter().find(|&&y| y >= k) {
            panic!("softmax_cross_entropy: label {bad} is out of range for logits {s:?}");
        }
        let mut per_row = self.pool.buffer(n);
        for ((l, row), &y) in per_row
            .iter_mut()
            .zip(self.value(logits).data().chunks_exact(k))
            .zip(labels)
        {
            *l = log_sum_exp(row) - row[y];
        }
        let mut out = self.pool.tensor(Shape::scalar());
        out.data_mut()[0] = sum(&per_row) / T::from_usize(n);
        self.pool.recycle(per_row);
        let start = self.index_lists.len();
        self.index_lists.extend_from_slice(labels);
        let op = Op::SoftmaxCrossEntropy {
            logits,
            labels: start..self.index_lists.len(),
        };
        self.push(out, op, &[logits])
    }
}

/// L = (1/n) Σ_i (logsumexp(x_i) − x_i[y_i])  ⇒  dx_ij = g/n · (softmax(x_i)_j − [j = y_i]).
pub(crate) fn softmax_ce_backward<T: Element>(
    logits: Var,
    labels: &[usize],
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let x = vals.get(logits);
    let k = x.cols();
    let g_over_n = g.item() / T::from_usize(labels.len());
    grads.accumulate(logits, |dx| {
        for ((drow, row), &y) in dx
            .chunks_exact_mut(k)
            .zip(x.data().chunks_exact(k))
            .zip(labels)
        {
            let lse = log_sum_exp(row);
            for (d, &v) in drow.iter_mut().zip(row) {
                *d = g_over_n * (v - lse).exp();
            }
            drow[y] -= g_over_n;
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
        let mut rng = Rng::new(13);
        check_op!([randn(&mut rng, &[4, 3])], |t, v| t
            .softmax_cross_entropy(v[0], &[2, 0, 1, 2]));
    }

    #[test]
    fn values_are_stable_for_large_logits() {
        let mut tape = Tape::<f32>::new();
        let x = tape.input(&[1000.0, 0.0, 0.0, 0.0, 0.0, 0.0], &[2, 3]);
        let l = tape.softmax_cross_entropy(x, &[0, 1]);
        let want = 3f32.ln() / 2.0;
        assert!((tape.value(l).item() - want).abs() < 1e-6);
    }

    #[test]
    #[should_panic(expected = "softmax_cross_entropy: label 3 is out of range for logits [2, 3]")]
    fn bad_label_panics() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[0.0; 6], &[2, 3]);
        tape.softmax_cross_entropy(x, &[0, 3]);
    }
}
