//! The four arithmetic ops a + b, a − b, a ⊙ b, a ⊘ b, with broadcasting (`broadcast.rs`).

use kernels::Element;
use kernels::elementwise::{add, div, mul, scale_assign, sub};
use kernels::parallel::Parallelism;

use super::Op;
use super::broadcast::{Broadcast, Layout};
use crate::backward::{Grads, Values};
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// Which arithmetic op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl<T: Element> Tape<T> {
    /// a + b elementwise, with broadcasting of rows, columns and scalars.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.arith(Arith::Add, a, b)
    }

    /// a − b elementwise, with broadcasting of rows, columns and scalars.
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        self.arith(Arith::Sub, a, b)
    }

    /// a ⊙ b elementwise, with broadcasting of rows, columns and scalars.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.arith(Arith::Mul, a, b)
    }

    /// a ⊘ b elementwise, with broadcasting of rows, columns and scalars.
    pub fn div(&mut self, a: Var, b: Var) -> Var {
        self.arith(Arith::Div, a, b)
    }

    fn arith(&mut self, kind: Arith, a: Var, b: Var) -> Var {
        let plan = Broadcast::new(kind.name(), self.shape_of(a), self.shape_of(b));
        let mut out = self.pool.tensor(plan.out);
        let (va, vb) = (self.value(a).data(), self.value(b).data());
        plan.map(va, vb, out.data_mut(), kind.kernel(), &self.par, |x, y| {
            kind.apply(x, y)
        });
        self.push(out, Op::Arith(Binary { kind, a, b, plan }), &[a, b])
    }
}

impl Arith {
    fn name(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Sub => "sub",
            Self::Mul => "mul",
            Self::Div => "div",
        }
    }

    /// The op on one pair of elements.
    fn apply<T: Element>(self, x: T, y: T) -> T {
        match self {
            Self::Add => x + y,
            Self::Sub => x - y,
            Self::Mul => x * y,
            Self::Div => x / y,
        }
    }

    /// The op on slices.
    fn kernel<T: Element>(self) -> fn(&[T], &[T], &mut [T], &Parallelism) {
        match self {
            Self::Add => add,
            Self::Sub => sub,
            Self::Mul => mul,
            Self::Div => div,
        }
    }
}

/// A recorded arithmetic op: which one, its operands, and how they broadcast.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binary {
    pub(crate) kind: Arith,
    pub(crate) a: Var,
    pub(crate) b: Var,
    pub(crate) plan: Broadcast,
}

impl Binary {
    /// The backward rules, with y = out:
    /// add: da = g, db = g; sub: da = g, db = −g; mul: da = g·b, db = g·a;
    /// div: da = g / b, db = −g·a / b² = −g·y / b.
    /// Each is then summed back over the positions a broadcast operand was repeated to.
    pub(crate) fn backward<T: Element>(
        &self,
        out: &Tensor<T>,
        g: &Tensor<T>,
        vals: Values<T>,
        grads: &mut Grads<T>,
    ) {
        let Binary {
            kind,
            a,
            b,
            ref plan,
        } = *self;
        let (va, vb, y, g) = (vals.get(a).data(), vals.get(b).data(), out.data(), g.data());
        match kind {
            Arith::Add | Arith::Sub => {
                grads.accumulate(a, |da| plan.reduce(plan.a, g, da));
                grads.accumulate(b, |db| {
                    plan.reduce(plan.b, g, db);
                    if kind == Arith::Sub {
                        scale_assign(db, -T::ONE, vals.par);
                    }
                });
            }
            Arith::Mul => {
                reduced(grads, a, plan.a, plan, |t| {
                    plan.local(t, |k, _, kb| g[k] * vb[kb])
                });
                reduced(grads, b, plan.b, plan, |t| {
                    plan.local(t, |k, ka, _| g[k] * va[ka])
                });
            }
            Arith::Div => {
                reduced(grads, a, plan.a, plan, |t| {
                    plan.local(t, |k, _, kb| g[k] / vb[kb])
                });
                reduced(grads, b, plan.b, plan, |t| {
                    plan.local(t, |k, _, kb| -g[k] * y[k] / vb[kb])
                });
            }
        }
    }
}

/// Accumulates into `v` a local gradient shaped like the output (written by `local`), summed
/// back to `v`'s shape. A full-shape operand needs no reduction, so its gradient is written
/// in place; a broadcast one goes through a scratch buffer.
fn reduced<T: Element>(
    grads: &mut Grads<T>,
    v: Var,
    layout: Layout,
    plan: &Broadcast,
    local: impl FnOnce(&mut [T]),
) {
    if !grads.wants(v) {
        return;
    }
    if layout == Layout::Full {
        return grads.accumulate(v, local);
    }
    let mut t = grads.scratch(plan.out.numel());
    local(&mut t);
    grads.accumulate(v, |d| plan.reduce(layout, &t, d));
    grads.recycle(t);
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn, uniform};
    use crate::Tape;
    use kernels::rng::Rng;

    /// Shape pairs covering every layout on either side.
    const CASES: [(&[usize], &[usize]); 8] = [
        (&[3, 4], &[3, 4]),
        (&[3, 4], &[4]),
        (&[1, 4], &[3, 4]),
        (&[3, 4], &[3, 1]),
        (&[3, 4], &[]),
        (&[1], &[2, 3, 4]),
        (&[2, 3, 4], &[4]),
        (&[5], &[5]),
    ];

    #[test]
    fn add_sub_mul_gradients_with_broadcasting() {
        let mut rng = Rng::new(3);
        for (sa, sb) in CASES {
            let (a, b) = (randn(&mut rng, sa), randn(&mut rng, sb));
            check_op!([a.clone(), b.clone()], |t, v| t.add(v[0], v[1]));
            check_op!([a.clone(), b.clone()], |t, v| t.sub(v[0], v[1]));
            check_op!([a, b], |t, v| t.mul(v[0], v[1]));
        }
    }

    #[test]
    fn div_gradients_with_broadcasting() {
        let mut rng = Rng::new(4);
        for (sa, sb) in CASES {
            let (a, b) = (randn(&mut rng, sa), uniform(&mut rng, sb, 0.5, 2.0));
            check_op!([a, b], |t, v| t.div(v[0], v[1]));
        }
    }

    #[test]
    fn broadcast_values() {
        let mut tape = Tape::<f64>::new();
        let m = tape.input(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let row = tape.input(&[10.0, 20.0, 30.0], &[3]);
        let col = tape.input(&[100.0, 200.0], &[2, 1]);
        let s = tape.input(&[2.0], &[]);
        let r = tape.add(m, row);
        assert_eq!(tape.value(r).data(), &[11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
        let c = tape.sub(col, m);
        assert_eq!(
            tape.value(c).data(),
            &[99.0, 98.0, 97.0, 196.0, 195.0, 194.0]
        );
        let d = tape.div(m, s);
        assert_eq!(tape.value(d).data(), &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    }

    #[test]
    #[should_panic(expected = "mul: shapes [2, 3] and [2] do not broadcast")]
    fn mismatch_panics_naming_the_op() {
        let mut tape = Tape::<f32>::new();
        let a = tape.input(&[0.0; 6], &[2, 3]);
        let b = tape.input(&[0.0; 2], &[2]);
        tape.mul(a, b);
    }
}
