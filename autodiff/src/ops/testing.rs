//! Helpers for the op tests: random inputs and the standard check every op passes.

use kernels::Element;
use kernels::rng::Rng;

use crate::{Tape, Tensor, Var, gradcheck};

/// A tensor of standard normal draws.
pub(crate) fn randn(rng: &mut Rng, shape: &[usize]) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| rng.normal()).collect(), shape).unwrap()
}

/// A tensor of uniform draws from [lo, hi).
pub(crate) fn uniform(rng: &mut Rng, shape: &[usize], lo: f64, hi: f64) -> Tensor<f64> {
    let n = shape.iter().product();
    let data = (0..n).map(|_| lo + (hi - lo) * rng.uniform()).collect();
    Tensor::from_vec(data, shape).unwrap()
}

/// Σ w ⊙ y with fixed, uneven weights: a scalar that depends on every element of `y`
/// differently, so that a gradient routed to the wrong element cannot go unnoticed.
pub(crate) fn weighted_sum<T: Element>(tape: &mut Tape<T>, y: Var) -> Var {
    let shape = tape.value(y).shape().to_vec();
    let weights: Vec<T> = (0..tape.value(y).len())
        .map(|i| T::from_f64(((i * 7 % 11) as f64 - 5.0) / 5.0 + 0.05))
        .collect();
    let w = tape.input(&weights, &shape);
    let p = tape.mul(y, w);
    tape.sum(p)
}

/// The standard op check: the gradients of Σ w ⊙ op(inputs) agree with central finite
/// differences in f64 (relative error < 1e-6), and the f32 forward result equals the f64 one
/// within f32 precision.
pub(crate) fn check(
    inputs: &[Tensor<f64>],
    op64: fn(&mut Tape<f64>, &[Var]) -> Var,
    op32: fn(&mut Tape<f32>, &[Var]) -> Var,
) {
    let report = gradcheck(inputs, |tape, vars| {
        let y = op64(tape, vars);
        weighted_sum(tape, y)
    });
    assert!(report.max_error() < 1e-6, "gradcheck failed: {report:?}");

    let mut t64 = Tape::<f64>::new();
    let v64: Vec<Var> = inputs.iter().map(|x| t64.param(x.clone())).collect();
    let y64 = op64(&mut t64, &v64);
    let mut t32 = Tape::<f32>::new();
    let v32: Vec<Var> = inputs.iter().map(|x| t32.param(x.cast())).collect();
    let y32 = op32(&mut t32, &v32);
    let (y64, y32) = (t64.value(y64), t32.value(y32));
    assert_eq!(y64.shape(), y32.shape());
    for (&a, &b) in y64.data().iter().zip(y32.data()) {
        let tolerance = 1e-5 * a.abs().max(1.0);
        assert!(
            (a - f64::from(b)).abs() <= tolerance,
            "f32 forward {b} differs from f64 forward {a}"
        );
    }
}

/// Runs [`check`] on an op written once, generically, as `|tape, vars| expression`.
macro_rules! check_op {
    ([$($input:expr),* $(,)?], |$tape:ident, $vars:ident| $body:expr) => {{
        fn op<T: kernels::Element>($tape: &mut crate::Tape<T>, $vars: &[crate::Var]) -> crate::Var {
            $body
        }
        let inputs: Vec<crate::Tensor<f64>> = vec![$($input),*];
        $crate::ops::testing::check(&inputs, op::<f64>, op::<f32>)
    }};
}
pub(crate) use check_op;
