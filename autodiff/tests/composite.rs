//! Whole networks: gradients of composite graphs against central finite differences, and a
//! two-layer net against gradients derived by hand.

use autodiff::{MarginLoss, Tape, Tensor, Var, gradcheck};
use kernels::rng::Rng;

fn randn(rng: &mut Rng, shape: &[usize], std: f64) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| std * rng.normal()).collect(), shape).unwrap()
}

fn labels(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
        .collect()
}

#[test]
fn four_layer_relu_mlp_matches_finite_differences() {
    let mut rng = Rng::new(21);
    let (n, d, h) = (8, 5, 6);
    let x = randn(&mut rng, &[n, d], 1.0);
    let y = labels(&mut rng, n);
    let widths = [d, h, h, h, 1];
    let mut params = Vec::new();
    for w in widths.windows(2) {
        params.push(randn(&mut rng, &[w[1], w[0]], 1.0 / (w[0] as f64).sqrt()));
        params.push(randn(&mut rng, &[w[1]], 0.1));
    }
    let report = gradcheck(&params, |t, p| {
        let mut a = t.input(x.data(), x.shape());
        for (layer, wb) in p.chunks(2).enumerate() {
            let z = t.linear(a, wb[0]);
            a = t.add(z, wb[1]);
            if layer < 3 {
                a = t.relu(a);
            }
        }
        let f = t.reshape(a, &[n]);
        let yv = t.input(&y, &[n]);
        let m = t.mul(f, yv);
        t.margin_loss(m, MarginLoss::Logistic)
    });
    assert!(report.max_error() < 1e-6, "{report:?}");
}

#[test]
fn residual_block_matches_finite_differences() {
    let mut rng = Rng::new(22);
    let (n, d, k) = (5, 4, 7);
    let inputs = [
        randn(&mut rng, &[n, d], 1.0),
        randn(&mut rng, &[k, d], 0.5),
        randn(&mut rng, &[d, k], 0.5),
    ];
    // out = h + U·relu(Y·h), one example per row: h + relu(h·Yᵀ)·Uᵀ. h reaches the output
    // twice (the skip and the branch), so its gradient is a sum.
    let report = gradcheck(&inputs, |t, v| {
        let (h, y, u) = (v[0], v[1], v[2]);
        let z = t.linear(h, y);
        let r = t.relu(z);
        let branch = t.linear(r, u);
        let out = t.add(h, branch);
        let sq = t.square(out);
        t.mean(sq)
    });
    assert!(report.max_error() < 1e-6, "{report:?}");
}

#[test]
fn deep_linear_net_matches_finite_differences() {
    let mut rng = Rng::new(23);
    let (n, d, depth) = (6, 4, 5);
    let x = randn(&mut rng, &[n, d], 1.0);
    let y = labels(&mut rng, n);
    let mut params: Vec<Tensor<f64>> = (0..depth).map(|_| randn(&mut rng, &[d, d], 0.5)).collect();
    params.push(randn(&mut rng, &[1, d], 0.5));
    let report = gradcheck(&params, |t, p| {
        let mut a = t.input(x.data(), x.shape());
        for &w in p {
            a = t.linear(a, w);
        }
        let f = t.reshape(a, &[n]);
        let yv = t.input(&y, &[n]);
        let m = t.mul(f, yv);
        t.log_margin_loss(m, MarginLoss::Exponential)
    });
    assert!(report.max_error() < 1e-6, "{report:?}");
}

/// f(x) = v·relu(W·x), R = (1/n) Σ e^(−y_i f(x_i)). By hand, with r_i = −y_i e^(−y_i f_i) / n
/// and a_i = relu(W x_i): ∂R/∂v = Σ_i r_i a_iᵀ and ∂R/∂W = Σ_i r_i (v ⊙ [W x_i > 0])ᵀ x_iᵀ.
#[test]
fn two_layer_net_matches_hand_written_gradients() {
    let mut rng = Rng::new(24);
    let (n, d, k) = (7, 3, 5);
    let x = randn(&mut rng, &[n, d], 1.0);
    let y = labels(&mut rng, n);
    let w = randn(&mut rng, &[k, d], 0.7);
    let v = randn(&mut rng, &[1, k], 0.7);

    let mut tape = Tape::<f64>::new();
    let (wp, vp) = (tape.param(w.clone()), tape.param(v.clone()));
    let xv = tape.input(x.data(), &[n, d]);
    let z = tape.linear(xv, wp);
    let a = tape.relu(z);
    let f = tape.linear(a, vp);
    let f = tape.reshape(f, &[n]);
    let yv = tape.input(&y, &[n]);
    let m = tape.mul(f, yv);
    let loss = tape.margin_loss(m, MarginLoss::Exponential);
    tape.backward(loss);

    let (mut dw, mut dv) = (vec![0.0; k * d], vec![0.0; k]);
    let mut r_total = 0.0;
    for (xi, &yi) in x.data().chunks_exact(d).zip(&y) {
        let pre: Vec<f64> = w
            .data()
            .chunks_exact(d)
            .map(|wj| wj.iter().zip(xi).map(|(a, b)| a * b).sum())
            .collect();
        let fi: f64 = pre
            .iter()
            .zip(v.data())
            .map(|(p, vj)| vj * p.max(0.0))
            .sum();
        r_total += (-yi * fi).exp() / n as f64;
        let ri = -yi * (-yi * fi).exp() / n as f64;
        for (j, &p) in pre.iter().enumerate() {
            dv[j] += ri * p.max(0.0);
            if p > 0.0 {
                for (dw, &xc) in dw[j * d..(j + 1) * d].iter_mut().zip(xi) {
                    *dw += ri * v.data()[j] * xc;
                }
            }
        }
    }
    assert!((tape.value(loss).item() - r_total).abs() < 1e-14 * r_total);
    let close = |got: &[f64], want: &[f64]| {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-13 * (1.0 + w.abs()), "{g} vs {w}");
        }
    };
    close(tape.grad(wp).unwrap().data(), &dw);
    close(tape.grad(vp).unwrap().data(), &dv);
    assert_eq!(tape.grad(wp).unwrap().shape(), &[k, d]);
}

/// The same network on f32 and f64 tapes computes the same loss within f32 precision.
#[test]
fn f32_network_matches_f64() {
    fn loss<T: autodiff::Element>(t: &mut Tape<T>, x: &Tensor<f64>, w: &Tensor<f64>) -> T {
        let w: Var = t.param(w.cast());
        let xv = t.constant(&x.cast());
        let z = t.linear(xv, w);
        let a = t.tanh(z);
        let s = t.softplus(a);
        let m = t.mean(s);
        t.value(m).item()
    }
    let mut rng = Rng::new(25);
    let (x, w) = (
        randn(&mut rng, &[10, 6], 1.0),
        randn(&mut rng, &[4, 6], 0.5),
    );
    let l64 = loss(&mut Tape::<f64>::new(), &x, &w);
    let l32 = loss(&mut Tape::<f32>::new(), &x, &w);
    assert!(
        (l64 - f64::from(l32)).abs() < 1e-6 * l64.abs(),
        "{l32} vs {l64}"
    );
}
