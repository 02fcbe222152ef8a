//! Gradient checking: the tape's gradients against central finite differences in f64.

use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// The finite-difference step, relative to max(1, |x|): small enough that the O(h²) truncation
/// error is ~1e-10, large enough that rounding (ε/h ≈ 1e-11) stays below it.
const STEP: f64 = 1e-5;

/// The outcome of [`gradcheck`].
#[derive(Clone, Debug)]
pub struct GradCheckReport {
    /// For each input, max_j |analytic_j − numeric_j| / max_j max(|analytic_j|, |numeric_j|):
    /// the worst error relative to the size of that input's gradient (0 if both are zero).
    pub worst_relative_error: Vec<f64>,
    /// For each input, the gradient computed by the tape.
    pub analytic: Vec<Tensor<f64>>,
    /// For each input, the gradient estimated by central differences.
    pub numeric: Vec<Tensor<f64>>,
}

impl GradCheckReport {
    /// The worst relative error over all inputs.
    pub fn max_error(&self) -> f64 {
        self.worst_relative_error
            .iter()
            .copied()
            .fold(0.0, f64::max)
    }
}

/// Checks the gradients of a scalar function of tensors against central finite differences.
///
/// `inputs` become parameters of a fresh `Tape<f64>`; `f` builds the scalar from their handles
/// and is re-run (in no-grad mode, after `reset()`) for every perturbed element.
///
/// ```
/// use autodiff::{Tensor, gradcheck};
///
/// let a = Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.7], &[2, 2]).unwrap();
/// let b = Tensor::from_vec(vec![1.5, 0.4], &[2, 1]).unwrap();
/// // d/da and d/db of sum(tanh(a·b)).
/// let report = gradcheck(&[a, b], |tape, v| {
///     let p = tape.matmul(v[0], v[1]);
///     let t = tape.tanh(p);
///     tape.sum(t)
/// });
/// assert!(report.max_error() < 1e-8, "{}", report.max_error());
/// ```
pub fn gradcheck(
    inputs: &[Tensor<f64>],
    f: impl Fn(&mut Tape<f64>, &[Var]) -> Var,
) -> GradCheckReport {
    let mut tape = Tape::new();
    let vars: Vec<Var> = inputs.iter().map(|x| tape.param(x.clone())).collect();
    let loss = f(&mut tape, &vars);
    tape.backward(loss);
    let analytic: Vec<Tensor<f64>> = vars
        .iter()
        .map(|&v| {
            tape.grad(v)
                .expect("parameters always have gradients")
                .clone()
        })
        .collect();

    let eval_at = |tape: &mut Tape<f64>, v: Var, j: usize, x: f64| {
        tape.param_mut(v).data_mut()[j] = x;
        tape.reset();
        tape.no_grad(|tape| {
            let loss = f(tape, &vars);
            tape.value(loss).item()
        })
    };
    let mut numeric = Vec::with_capacity(inputs.len());
    for (&v, input) in vars.iter().zip(inputs) {
        let mut estimate = Tensor::zeros(input.shape());
        for (j, &x) in input.data().iter().enumerate() {
            let h = STEP * x.abs().max(1.0);
            let up = eval_at(&mut tape, v, j, x + h);
            let down = eval_at(&mut tape, v, j, x - h);
            eval_at(&mut tape, v, j, x);
            estimate.data_mut()[j] = (up - down) / (2.0 * h);
        }
        numeric.push(estimate);
    }

    let worst_relative_error = analytic
        .iter()
        .zip(&numeric)
        .map(|(a, n)| relative_error(a.data(), n.data()))
        .collect();
    GradCheckReport {
        worst_relative_error,
        analytic,
        numeric,
    }
}

/// max |a − n| over the elements, divided by the largest magnitude in either.
fn relative_error(a: &[f64], n: &[f64]) -> f64 {
    let scale = a.iter().chain(n).fold(0.0f64, |s, x| s.max(x.abs()));
    let worst = a
        .iter()
        .zip(n)
        .fold(0.0f64, |w, (a, n)| w.max((a - n).abs()));
    if worst == 0.0 { 0.0 } else { worst / scale }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correct_gradient_passes_and_reports_per_input() {
        let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]).unwrap();
        let y = Tensor::from_vec(vec![0.7, 0.1, -0.4], &[3]).unwrap();
        let report = gradcheck(&[x, y], |t, v| {
            let p = t.mul(v[0], v[1]);
            let e = t.exp(p);
            t.sum(e)
        });
        assert_eq!(report.worst_relative_error.len(), 2);
        assert!(report.max_error() < 1e-9, "{report:?}");
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        // relu'(0) is taken as 0 but the central difference straddles the kink and sees 1/2.
        let x = Tensor::from_vec(vec![0.0, 1.0], &[2]).unwrap();
        let report = gradcheck(&[x], |t, v| {
            let r = t.relu(v[0]);
            t.sum(r)
        });
        assert!((report.max_error() - 0.5).abs() < 1e-9, "{report:?}");
        assert_eq!(report.analytic[0].data(), &[0.0, 1.0]);
    }
}
