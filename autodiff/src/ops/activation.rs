//! Activation functions: relu, leaky relu, tanh, sigmoid, softplus.

use kernels::Element;
use kernels::elementwise as ew;
use kernels::parallel::Parallelism;

use super::Op;
use super::pointwise::zip;
use crate::backward::{Grads, Values};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// Which activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Activation<T> {
    Relu,
    LeakyRelu(T),
    Tanh,
    Sigmoid,
    Softplus,
}

impl<T: Element> Tape<T> {
    /// max(a, 0).
    pub fn relu(&mut self, a: Var) -> Var {
        self.activation(Activation::Relu, a)
    }

    /// a where a > 0, slope·a elsewhere.
    pub fn leaky_relu(&mut self, a: Var, slope: T) -> Var {
        self.activation(Activation::LeakyRelu(slope), a)
    }

    /// tanh a.
    pub fn tanh(&mut self, a: Var) -> Var {
        self.activation(Activation::Tanh, a)
    }

    /// The logistic sigmoid 1 / (1 + e^(−a)).
    pub fn sigmoid(&mut self, a: Var) -> Var {
        self.activation(Activation::Sigmoid, a)
    }

    /// softplus(a) = ln(1 + e^a), without overflow for large a.
    pub fn softplus(&mut self, a: Var) -> Var {
        self.activation(Activation::Softplus, a)
    }

    fn activation(&mut self, f: Activation<T>, a: Var) -> Var {
        let mut out = self.pool.tensor(self.shape_of(a));
        f.forward(self.value(a).data(), out.data_mut(), &self.par);
        self.push(out, Op::Activation { f, a }, &[a])
    }
}

impl<T: Element> Activation<T> {
    /// y = f(x).
    fn forward(self, x: &[T], y: &mut [T], par: &Parallelism) {
        match self {
            Self::Relu => ew::relu(x, y, par),
            Self::LeakyRelu(slope) => ew::leaky_relu(x, slope, y, par),
            Self::Tanh => ew::tanh(x, y),
            Self::Sigmoid => ew::sigmoid(x, y),
            Self::Softplus => ew::softplus(x, y),
        }
    }

    /// dx = g · f'(x): relu' = [x > 0] (0 at the kink), tanh' = 1 − y², σ' = y(1 − y),
    /// softplus' = σ(x).
    pub(crate) fn backward(
        self,
        a: Var,
        out: &Tensor<T>,
        g: &Tensor<T>,
        vals: Values<T>,
        grads: &mut Grads<T>,
    ) {
        let (x, y, g) = (vals.get(a).data(), out.data(), g.data());
        grads.accumulate(a, |dx| match self {
            Self::Relu => ew::relu_backward(x, g, dx, vals.par),
            Self::LeakyRelu(slope) => ew::leaky_relu_backward(x, slope, g, dx, vals.par),
            Self::Tanh => zip(dx, g, y, |g, y| g * (T::ONE - y * y)),
            Self::Sigmoid => zip(dx, g, y, |g, y| g * y * (T::ONE - y)),
            Self::Softplus => zip(dx, g, x, |g, x| g * ew::sigmoid_scalar(x)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(7);
        let x = randn(&mut rng, &[4, 5]);
        check_op!([x.clone()], |t, v| t.relu(v[0]));
        check_op!([x.clone()], |t, v| t.leaky_relu(v[0], T::from_f64(0.1)));
        check_op!([x.clone()], |t, v| t.tanh(v[0]));
        check_op!([x.clone()], |t, v| t.sigmoid(v[0]));
        check_op!([x], |t, v| t.softplus(v[0]));
    }

    #[test]
    fn saturated_values_stay_finite() {
        let mut tape = Tape::<f32>::new();
        let x = tape.input(&[-200.0, 200.0, -1.0, 2.0], &[4]);
        let (s, p, r, l) = (
            tape.sigmoid(x),
            tape.softplus(x),
            tape.relu(x),
            tape.leaky_relu(x, 0.5),
        );
        assert_eq!(tape.value(s).data()[..2], [0.0, 1.0]);
        assert_eq!(tape.value(p).data()[1], 200.0);
        assert_eq!(tape.value(r).data(), &[0.0, 200.0, 0.0, 2.0]);
        assert_eq!(tape.value(l).data(), &[-100.0, 200.0, -0.5, 2.0]);
    }
}
