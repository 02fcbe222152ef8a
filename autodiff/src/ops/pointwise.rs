//! Elementwise functions y = f(x): neg, scale, identity, exp, log, log1p, square, sqrt.

use kernels::Element;
use kernels::elementwise as ew;
use kernels::parallel::Parallelism;

use super::Op;
use crate::backward::{Grads, Values};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// Which function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Pointwise<T> {
    Neg,
    Scale(T),
    Identity,
    Exp,
    Log,
    Log1p,
    Square,
    Sqrt,
}

impl<T: Element> Tape<T> {
    /// −a.
    pub fn neg(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Neg, a)
    }

    /// c·a for a constant c.
    pub fn scale(&mut self, a: Var, c: T) -> Var {
        self.pointwise(Pointwise::Scale(c), a)
    }

    /// a itself, as a new node (a named point in a network, or a no-op layer).
    pub fn identity(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Identity, a)
    }

    /// e^a.
    pub fn exp(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Exp, a)
    }

    /// ln a.
    pub fn log(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Log, a)
    }

    /// ln(1 + a), accurate for small a.
    pub fn log1p(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Log1p, a)
    }

    /// a².
    pub fn square(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Square, a)
    }

    /// √a.
    pub fn sqrt(&mut self, a: Var) -> Var {
        self.pointwise(Pointwise::Sqrt, a)
    }

    fn pointwise(&mut self, f: Pointwise<T>, a: Var) -> Var {
        let mut out = self.pool.tensor(self.shape_of(a));
        f.forward(self.value(a).data(), out.data_mut(), &self.par);
        self.push(out, Op::Pointwise { f, a }, &[a])
    }
}

impl<T: Element> Pointwise<T> {
    /// y = f(x).
    fn forward(self, x: &[T], y: &mut [T], par: &Parallelism) {
        match self {
            Self::Neg => ew::scale(x, -T::ONE, y, par),
            Self::Scale(c) => ew::scale(x, c, y, par),
            Self::Identity => y.copy_from_slice(x),
            Self::Exp => ew::exp(x, y),
            Self::Log => ew::ln(x, y),
            Self::Log1p => ew::ln_1p(x, y),
            Self::Square => ew::square(x, y, par),
            Self::Sqrt => ew::sqrt(x, y, par),
        }
    }

    /// dx = g · f'(x), using y = f(x) where that is cheaper: (e^x)' = y, (√x)' = 1 / 2y.
    pub(crate) fn backward(
        self,
        a: Var,
        out: &Tensor<T>,
        g: &Tensor<T>,
        vals: Values<T>,
        grads: &mut Grads<T>,
    ) {
        let (x, y, g) = (vals.get(a).data(), out.data(), g.data());
        let two = T::from_f64(2.0);
        grads.accumulate(a, |dx| match self {
            Self::Neg => ew::scale(g, -T::ONE, dx, vals.par),
            Self::Scale(c) => ew::scale(g, c, dx, vals.par),
            Self::Identity => dx.copy_from_slice(g),
            Self::Exp => ew::mul(g, y, dx, vals.par),
            Self::Log => ew::div(g, x, dx, vals.par),
            Self::Log1p => zip(dx, g, x, |g, x| g / (T::ONE + x)),
            Self::Square => zip(dx, g, x, |g, x| two * x * g),
            Self::Sqrt => zip(dx, g, y, |g, y| g / (two * y)),
        });
    }
}

/// d[i] = f(g[i], u[i]).
pub(crate) fn zip<T: Element>(d: &mut [T], g: &[T], u: &[T], f: impl Fn(T, T) -> T) {
    for ((d, &g), &u) in d.iter_mut().zip(g).zip(u) {
        *d = f(g, u);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn, uniform};
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn gradients_on_the_whole_line() {
        let mut rng = Rng::new(5);
        let x = randn(&mut rng, &[3, 4]);
        check_op!([x.clone()], |t, v| t.neg(v[0]));
        check_op!([x.clone()], |t, v| t.scale(v[0], T::from_f64(-1.5)));
        check_op!([x.clone()], |t, v| t.identity(v[0]));
        check_op!([x.clone()], |t, v| t.exp(v[0]));
        check_op!([x], |t, v| t.square(v[0]));
    }

    #[test]
    fn gradients_on_their_domains() {
        let mut rng = Rng::new(6);
        check_op!([uniform(&mut rng, &[7], 0.2, 3.0)], |t, v| t.log(v[0]));
        check_op!([uniform(&mut rng, &[7], -0.7, 3.0)], |t, v| t.log1p(v[0]));
        check_op!([uniform(&mut rng, &[2, 3], 0.2, 3.0)], |t, v| t.sqrt(v[0]));
    }

    #[test]
    fn values() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[4.0, 0.25], &[2]);
        let (s, q, n) = (tape.sqrt(x), tape.square(x), tape.scale(x, 2.0));
        assert_eq!(tape.value(s).data(), &[2.0, 0.5]);
        assert_eq!(tape.value(q).data(), &[16.0, 0.0625]);
        assert_eq!(tape.value(n).data(), &[8.0, 0.5]);
        let tiny = tape.input(&[1e-20], &[1]);
        let l = tape.log1p(tiny);
        assert_eq!(tape.value(l).item(), 1e-20);
    }
}
