//! Matrix products: `matmul` (a·b), `linear` (x·wᵀ), and the fused `linear_relu` (relu(x·wᵀ))
//! and `linear_add` (h + x·wᵀ, a residual branch), forward and backward through `kernels::gemm`.
//! The backward products need transposes; they are views (`.t()`), never copies.

use kernels::elementwise::relu_backward;
use kernels::parallel::Parallelism;
use kernels::{Element, MatRef, gemm, gemm_relu, gemm_relu_backward};

use super::{Op, mat_mut};
use crate::backward::{Grads, Values};
use crate::shape::Shape;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// The matrix product a·b of an [m, k] and a [k, n] matrix: [m, n].
    pub fn matmul(&mut self, a: Var, b: Var) -> Var {
        let (sa, sb) = (self.shape_of(a), self.shape_of(b));
        let (m, n) = match (sa.dims(), sb.dims()) {
            (&[m, k], &[k2, n]) => {
                assert!(
                    k == k2,
                    "matmul: a is {sa:?} but b is {sb:?} (inner dimensions {k} ≠ {k2})"
                );
                (m, n)
            }
            _ => panic!("matmul: a is {sa:?} and b is {sb:?}, but both must be matrices"),
        };
        let mut out = self.pool.tensor(Shape::of("matmul", &[m, n]));
        let (va, vb) = (self.value(a).as_mat(), self.value(b).as_mat());
        gemm(T::ONE, va, vb, T::ZERO, out.as_mat_mut(), &self.par);
        self.push(out, Op::MatMul { a, b }, &[a, b])
    }

    /// A linear layer without bias, h = x·wᵀ: x is [n, in] (one example per row), w is
    /// [out, in] (as PyTorch's `nn.Linear`), h is [n, out].
    pub fn linear(&mut self, x: Var, w: Var) -> Var {
        let out = self.linear_value("linear", x, w, Epilogue::Plain);
        self.push(out, Op::Linear { x, w }, &[x, w])
    }

    /// relu(x·wᵀ) in one op: the GEMM rectifies each tile as it writes it back
    /// ([`kernels::gemm_relu`]) and only the result is kept (its positive entries are the ReLU
    /// mask), saving a buffer and a pass over it in each direction compared with
    /// `relu(linear(x, w))`, which it equals.
    pub fn linear_relu(&mut self, x: Var, w: Var) -> Var {
        let out = self.linear_value("linear_relu", x, w, Epilogue::Relu);
        self.push(out, Op::LinearRelu { x, w }, &[x, w])
    }

    /// h + x·wᵀ in one op (PyTorch's `addmm`): the product is written onto a copy of h by the
    /// GEMM's β = 1, where `add(h, linear(x, w))` writes the product and then sweeps both into a
    /// third buffer; backward, h's share is g itself and the products use g directly instead of
    /// a copy. It equals the two ops to the bit while the product's depth (`in`) fits one GEMM
    /// depth block, and to rounding beyond.
    pub fn linear_add(&mut self, h: Var, x: Var, w: Var) -> Var {
        let out = self.linear_value("linear_add", x, w, Epilogue::Onto(h));
        self.push(out, Op::LinearAdd { h, x, w }, &[h, x, w])
    }

    /// x·wᵀ with `epilogue` applied as the GEMM writes it, in a pooled buffer, after checking
    /// the shapes (naming `op` if they disagree).
    fn linear_value(&mut self, op: &str, x: Var, w: Var, epilogue: Epilogue) -> Tensor<T> {
        let (sx, sw) = (self.shape_of(x), self.shape_of(w));
        let dims = match (sx.dims(), sw.dims()) {
            (&[n, fx], &[o, fw]) => {
                assert!(
                    fx == fw,
                    "{op}: x is {sx:?} but w is {sw:?} (in_features {fx} ≠ {fw})"
                );
                [n, o]
            }
            _ => panic!("{op}: x is {sx:?} and w is {sw:?}, but both must be matrices"),
        };
        let mut out = self.pool.tensor(Shape::of(op, &dims));
        let beta = if let Epilogue::Onto(h) = epilogue {
            let sh = self.shape_of(h);
            assert!(
                sh.dims() == dims,
                "{op}: h is {sh:?} but x·wᵀ is {dims:?} (x {sx:?}, w {sw:?})"
            );
            out.data_mut().copy_from_slice(self.value(h).data());
            T::ONE
        } else {
            T::ZERO
        };
        let (vx, vw) = (self.value(x).as_mat(), self.value(w).as_mat());
        let product = if matches!(epilogue, Epilogue::Relu) {
            gemm_relu
        } else {
            gemm
        };
        product(T::ONE, vx, vw.t(), beta, out.as_mat_mut(), &self.par);
        out
    }
}

/// What a linear op does with x·wᵀ as the GEMM writes it.
#[derive(Clone, Copy)]
enum Epilogue {
    /// Keeps it.
    Plain,
    /// Rectifies it (`gemm_relu`).
    Relu,
    /// Adds it onto a copy of this value (GEMM's β = 1).
    Onto(Var),
}

/// C = A·B  ⇒  dA = G·Bᵀ and dB = Aᵀ·G.
pub(crate) fn matmul_backward<T: Element>(
    a: Var,
    b: Var,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let (va, vb, g) = (vals.get(a).as_mat(), vals.get(b).as_mat(), g.as_mat());
    input_gradients(grads, [(a, g, vb.t(), None), (b, va.t(), g, None)]);
}

/// H = X·Wᵀ  ⇒  dX = G·W and dW = Gᵀ·X.
pub(crate) fn linear_backward<T: Element>(
    x: Var,
    w: Var,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    linear_products(x, w, g.data(), vals, grads);
}

/// O = H + X·Wᵀ  ⇒  dH = G, dX = G·W and dW = Gᵀ·X.
pub(crate) fn linear_add_backward<T: Element>(
    h: Var,
    x: Var,
    w: Var,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    grads.accumulate(h, |dh| dh.copy_from_slice(g.data()));
    linear_products(x, w, g.data(), vals, grads);
}

/// H = relu(X·Wᵀ)  ⇒  with D = G ⊙ [H > 0]: dX = D·W and dW = Dᵀ·X.
///
/// When H's one reader is a linear layer, that layer's input gradient is already D: it took G
/// through the mask as its product wrote it (`rectified`, see [`linear_products`]), which saves
/// a pass over G here and a buffer.
pub(crate) fn linear_relu_backward<T: Element>(
    x: Var,
    w: Var,
    out: &Tensor<T>,
    g: &Tensor<T>,
    rectified: bool,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    if rectified {
        linear_products(x, w, g.data(), vals, grads);
        return;
    }
    let mut d = grads.scratch(g.len());
    relu_backward(out.data(), g.data(), &mut d, vals.par);
    linear_products(x, w, &d, vals, grads);
    grads.recycle(d);
}

/// The two backward products of x·wᵀ for the output gradient `g` ([n, out], row-major): the
/// input gradient g·W and the weight gradient gᵀ·X. When x is a fused ReLU layer's output read
/// by nothing else ([`Values::rectifies`]), the input gradient goes through that ReLU's
/// backward rule as the GEMM writes it ([`gemm_relu_backward`] with x as the mask).
fn linear_products<T: Element>(x: Var, w: Var, g: &[T], vals: Values<T>, grads: &mut Grads<T>) {
    let (vx, vw) = (vals.get(x).as_mat(), vals.get(w).as_mat());
    let g = super::mat(g, vx.rows(), vw.rows());
    let mask = vals.rectifies(x).then_some(vx);
    input_gradients(grads, [(x, g, vw, mask), (w, g.t(), vx, None)]);
}

/// Adds `lhs·rhs` to the gradient of each of a product's two inputs, written onto what the
/// input has already ([`Grads::open`]), kept only where its `mask` is positive if it has one;
/// the two products run at once when both are big enough, and an input that wants no gradient
/// costs nothing.
fn input_gradients<T: Element>(grads: &mut Grads<T>, products: [Product<'_, T>; 2]) {
    let [(u, lu, ru, mu), (v, lv, rv, mv)] = products;
    let (mut du, mut dv) = (grads.open(u), grads.open(v));
    let fmas = |d: &Option<(Vec<T>, T)>, l: MatRef<T>, r: MatRef<T>| {
        if d.is_some() {
            l.rows() * l.cols() * r.cols()
        } else {
            0
        }
    };
    let product = |d: &mut Option<(Vec<T>, T)>,
                   (l, r, mask): (MatRef<T>, MatRef<T>, Option<MatRef<T>>),
                   par: &Parallelism| {
        if let Some((d, beta)) = d.as_mut() {
            let out = mat_mut(d, l.rows(), r.cols());
            match mask {
                Some(mask) => gemm_relu_backward(T::ONE, l, r, *beta, out, mask, par),
                None => gemm(T::ONE, l, r, *beta, out, par),
            }
        }
    };
    let par = grads.parallelism();
    par.join_products(
        [fmas(&du, lu, ru), fmas(&dv, lv, rv)],
        |par| product(&mut du, (lu, ru, mu), par),
        |par| product(&mut dv, (lv, rv, mv), par),
    );
    for (input, d) in [(u, du), (v, dv)] {
        if let Some((d, _)) = d {
            grads.close(input, d);
        }
    }
}

/// One input gradient of a product: the input, the two factors whose product it gets, and the
/// mask it is kept under, if any.
type Product<'a, T> = (Var, MatRef<'a, T>, MatRef<'a, T>, Option<MatRef<'a, T>>);

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use crate::{Tape, Tensor, Var};
    use kernels::rng::Rng;

    #[test]
    fn matmul_gradients_match_finite_differences() {
        let mut rng = Rng::new(1);
        check_op!(
            [randn(&mut rng, &[3, 4]), randn(&mut rng, &[4, 5])],
            |t, v| t.matmul(v[0], v[1])
        );
    }

    #[test]
    fn linear_gradients_match_finite_differences() {
        let mut rng = Rng::new(2);
        check_op!(
            [randn(&mut rng, &[6, 4]), randn(&mut rng, &[3, 4])],
            |t, v| t.linear(v[0], v[1])
        );
    }

    #[test]
    fn linear_relu_gradients_match_finite_differences() {
        let mut rng = Rng::new(3);
        check_op!(
            [randn(&mut rng, &[6, 4]), randn(&mut rng, &[5, 4])],
            |t, v| t.linear_relu(v[0], v[1])
        );
    }

    #[test]
    fn linear_add_gradients_match_finite_differences() {
        let mut rng = Rng::new(4);
        check_op!(
            [
                randn(&mut rng, &[6, 5]),
                randn(&mut rng, &[6, 4]),
                randn(&mut rng, &[5, 4])
            ],
            |t, v| t.linear_add(v[0], v[1], v[2])
        );
    }

    /// The ReLU layers of a network as fused ops, whose backward rules hand the ReLU's mask to
    /// the next layer's product where they can, against the same network of unfused ops (and
    /// `Tape::relu`), bit for bit: values and every gradient, on chains where the fusion applies
    /// (each layer read only by the next as its x) and where it must not (a layer also read by
    /// another op, read as a weight, read only under `no_grad`, or itself the loss).
    #[test]
    fn relu_layers_hand_their_mask_to_the_next_product() {
        let mut rng = Rng::new(6);
        let x = randn(&mut rng, &[9, 4]);
        let ws = [
            randn(&mut rng, &[6, 4]),
            randn(&mut rng, &[6, 6]),
            randn(&mut rng, &[9, 6]),
            randn(&mut rng, &[1, 9]),
            // Minus x's first row: that row's layer is negative before its ReLU, so no gradient
            // passes it.
            Tensor::from_vec(x.data()[..4].iter().map(|v| -v).collect(), &[1, 4]).unwrap(),
            randn(&mut rng, &[3, 1]),
        ];
        type Graph = fn(&mut Tape<f64>, Var, &[Var], bool) -> Var;
        fn layer(t: &mut Tape<f64>, x: Var, w: Var, fused: bool) -> Var {
            if fused {
                t.linear_relu(x, w)
            } else {
                let z = t.linear(x, w);
                t.relu(z)
            }
        }
        let graphs: [(&str, Graph); 5] = [
            ("a chain of layers", |t, x, w, fused| {
                let h1 = layer(t, x, w[0], fused);
                let h2 = layer(t, h1, w[1], fused);
                let h3 = layer(t, h2, w[2], fused);
                let out = t.linear(h3, w[3]);
                t.sum(out)
            }),
            ("a layer also read by another op", |t, x, w, fused| {
                let h1 = layer(t, x, w[0], fused);
                let h2 = layer(t, h1, w[1], fused);
                let skip = t.sum(h2);
                let h3 = layer(t, h2, w[2], fused);
                let out = t.linear(h3, w[3]);
                let total = t.sum(out);
                t.add(total, skip)
            }),
            ("a layer read as a weight", |t, x, w, fused| {
                let h1 = layer(t, x, w[0], fused);
                let h2 = layer(t, h1, w[1], fused);
                let h3 = layer(t, h1, h2, fused);
                t.sum(h3)
            }),
            (
                "a layer read by a product only under no_grad",
                |t, x, w, fused| {
                    let h1 = layer(t, x, w[0], fused);
                    let h2 = layer(t, h1, w[1], fused);
                    t.no_grad(|t| t.linear(h2, w[1]));
                    t.sum(h2)
                },
            ),
            (
                "a layer that is the loss, read after it",
                |t, x, w, fused| {
                    let row = t.slice(x, 0, 0, 1);
                    let one = layer(t, row, w[4], fused);
                    t.linear(one, w[5]);
                    one
                },
            ),
        ];
        for (what, graph) in graphs {
            let run = |fused: bool| {
                let mut t = Tape::<f64>::new();
                let vx = t.param(x.clone());
                let vw: Vec<_> = ws.iter().map(|w| t.param(w.clone())).collect();
                let loss = graph(&mut t, vx, &vw, fused);
                t.backward(loss);
                std::iter::once(vx)
                    .chain(vw)
                    .map(|p| t.grad(p).expect("a parameter gradient").data().to_vec())
                    .collect::<Vec<_>>()
            };
            let (fused, plain) = (run(true), run(false));
            let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            for (i, (a, b)) in fused.iter().zip(&plain).enumerate() {
                assert_eq!(bits(a), bits(b), "{what}: gradient of parameter {i}");
            }
        }
    }

    /// The fused op and the two it replaces: the same values and gradients, bit for bit (the
    /// product's depth is one GEMM block, so it rounds once either way), with h also used
    /// elsewhere, as a residual stream is.
    #[test]
    fn linear_add_is_add_of_linear() {
        let mut rng = Rng::new(5);
        let inputs = [
            randn(&mut rng, &[7, 5]),
            randn(&mut rng, &[7, 3]),
            randn(&mut rng, &[5, 3]),
        ];
        let run = |fused: bool| {
            let mut t = Tape::<f64>::new();
            let v: Vec<_> = inputs.iter().map(|x| t.param(x.clone())).collect();
            let out = if fused {
                t.linear_add(v[0], v[1], v[2])
            } else {
                let p = t.linear(v[1], v[2]);
                t.add(v[0], p)
            };
            let again = t.mul(out, v[0]);
            let loss = t.sum(again);
            t.backward(loss);
            let value = t.value(out).data().to_vec();
            let grads: Vec<Vec<f64>> = v
                .iter()
                .map(|&p| t.grad(p).expect("a parameter gradient").data().to_vec())
                .collect();
            (value, grads)
        };
        let (fused, plain) = (run(true), run(false));
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fused.0), bits(&plain.0), "values");
        for (i, (a, b)) in fused.1.iter().zip(&plain.1).enumerate() {
            assert_eq!(bits(a), bits(b), "gradient of input {i}");
        }
    }

    /// A value reaching the products with a gradient already (a residual stream: the product
    /// adds onto it) and used twice by one product (a·a: the second buffer is summed in).
    #[test]
    fn products_add_onto_gradients_already_there() {
        let mut rng = Rng::new(6);
        check_op!(
            [randn(&mut rng, &[3, 3]), randn(&mut rng, &[4, 3])],
            |t, v| {
                let square = t.matmul(v[0], v[0]);
                let stream = t.add(v[0], square);
                let mixed = t.linear(stream, v[1]);
                let back = t.matmul(mixed, v[1]);
                t.add(back, stream)
            }
        );
    }

    #[test]
    fn linear_relu_equals_relu_of_linear() {
        let mut rng = Rng::new(4);
        let (x, w) = (randn(&mut rng, &[7, 3]), randn(&mut rng, &[9, 3]));
        let mut tape = Tape::<f64>::new();
        let (x, w) = (tape.input(x.data(), &[7, 3]), tape.param(w));
        let fused = tape.linear_relu(x, w);
        let z = tape.linear(x, w);
        let plain = tape.relu(z);
        assert_eq!(tape.value(fused), tape.value(plain));
        assert!(tape.value(fused).data().contains(&0.0));
        assert!(tape.value(fused).data().iter().any(|&v| v > 0.0));
    }

    /// The gradients agree to the bit as well, so a network may record either form.
    #[test]
    fn linear_relu_has_the_gradients_of_relu_of_linear() {
        let mut rng = Rng::new(5);
        let (x, w, c) = (
            randn(&mut rng, &[7, 3]),
            randn(&mut rng, &[9, 3]),
            randn(&mut rng, &[7, 9]),
        );
        let grads = |fused: bool| {
            let mut tape = Tape::<f64>::new();
            let wv = tape.param(w.clone());
            let xv = tape.param(x.clone());
            let h = if fused {
                tape.linear_relu(xv, wv)
            } else {
                let z = tape.linear(xv, wv);
                tape.relu(z)
            };
            let cv = tape.constant(&c);
            let weighted = tape.mul(h, cv);
            let loss = tape.sum(weighted);
            tape.backward(loss);
            [
                tape.grad(xv).unwrap().clone(),
                tape.grad(wv).unwrap().clone(),
            ]
        };
        let (fused, plain) = (grads(true), grads(false));
        assert_eq!(fused, plain);
        assert!(fused[1].data().iter().any(|&g| g != 0.0));
    }

    #[test]
    #[should_panic(expected = "linear_relu: x is [2, 3] but w is [4, 2] (in_features 3 ≠ 2)")]
    fn linear_relu_shape_mismatch_names_both_shapes() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[0.0; 6], &[2, 3]);
        let w = tape.param(Tensor::zeros(&[4, 2]));
        tape.linear_relu(x, w);
    }

    #[test]
    #[should_panic(expected = "linear_add: h is [2, 5] but x·wᵀ is [2, 4] (x [2, 3], w [4, 3])")]
    fn linear_add_shape_mismatch_names_every_shape() {
        let mut tape = Tape::<f64>::new();
        let h = tape.input(&[0.0; 10], &[2, 5]);
        let x = tape.input(&[0.0; 6], &[2, 3]);
        let w = tape.param(Tensor::zeros(&[4, 3]));
        tape.linear_add(h, x, w);
    }

    #[test]
    fn linear_is_x_times_w_transposed() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[1.0, 2.0], &[1, 2]);
        let w = tape.param(Tensor::from_vec(vec![1.0, 0.0, 3.0, -1.0, 0.5, 0.5], &[3, 2]).unwrap());
        let h = tape.linear(x, w);
        assert_eq!(tape.value(h).data(), &[1.0, 1.0, 1.5]);
        assert_eq!(tape.value(h).shape(), &[1, 3]);
    }

    #[test]
    #[should_panic(expected = "linear: x is [200, 20] but w is [100, 30] (in_features 20 ≠ 30)")]
    fn linear_shape_mismatch_names_both_shapes() {
        let mut tape = Tape::<f32>::new();
        let x = tape.input(&vec![0.0; 4000], &[200, 20]);
        let w = tape.param(Tensor::zeros(&[100, 30]));
        tape.linear(x, w);
    }

    #[test]
    #[should_panic(expected = "matmul: a is [2, 3] but b is [2, 3] (inner dimensions 3 ≠ 2)")]
    fn matmul_shape_mismatch_names_both_shapes() {
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Tensor::zeros(&[2, 3]));
        tape.matmul(a, a);
    }
}
