//! Networks: forward values against hand computation, the layer list, and gradients of every
//! network kind against central finite differences in f64 (through `autodiff::gradcheck`).

use autodiff::{MarginLoss, Tape, Tensor, Var, gradcheck};
use kernels::rng::Rng;
use models::{Arch, Init, Network, record_forward};

const KINDS: [&str; 9] = [
    "3,relu:5,relu:4,1",
    "3,leaky(0.2):5,leaky(-0.5):4,1",
    "3,linear:4,linear:4,linear:3,1",
    "3,relu:4+bias,linear:3,1",
    "3,relu:4,res(relu),res(linear),linear:3,1",
    "3,relu:4,resz(relu),resz(leaky(0.1)),linear:3,1",
    "3,leaky(0.3):4+bias,res(relu),resz(relu),linear:2,1",
    "3,relu:5,res(relu),linear:4,3",
    "3,relu:4,resid(relu),resid(leaky(0.2)),linear:3,1",
];

fn arch(s: &str) -> Arch {
    s.parse().unwrap()
}

fn data(n: usize, d: usize, seed: u64) -> Tensor<f64> {
    let mut rng = Rng::new(seed);
    Tensor::from_vec((0..n * d).map(|_| rng.normal()).collect(), &[n, d]).unwrap()
}

fn labels(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
        .collect()
}

/// A scalar that depends on every output: Σ c∘f(x), plus ln R of the margins for scalar nets.
fn objective(
    arch: &Arch,
    tape: &mut Tape<f64>,
    x: &Tensor<f64>,
    coef: &Tensor<f64>,
    params: &[Var],
) -> Var {
    let xv = tape.constant(x);
    let out = record_forward(arch, tape, xv, params);
    let c = tape.constant(coef);
    let weighted = tape.mul(out, c);
    let mut total = tape.sum(weighted);
    if arch.output == 1 {
        let n = x.rows();
        let f = tape.reshape(out, &[n]);
        let y = tape.input(&labels(n), &[n]);
        let m = tape.mul(f, y);
        let log_r = tape.log_margin_loss(m, MarginLoss::Logistic);
        total = tape.add(total, log_r);
    }
    total
}

#[test]
fn gradients_of_every_network_kind_match_finite_differences() {
    for (i, s) in KINDS.iter().enumerate() {
        let arch = arch(s);
        let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 1.0 }, 10 + i as u64);
        // A nonzero bias, so its gradient is checked away from the symmetric start.
        if let Some(b) = net.bias_mut() {
            b.data_mut()
                .iter_mut()
                .enumerate()
                .for_each(|(k, v)| *v = 0.1 * k as f64 - 0.15);
        }
        let x = data(6, 3, 100 + i as u64);
        let coef = data(6, arch.output, 200 + i as u64);
        let inputs: Vec<Tensor<f64>> = net
            .named_params()
            .into_iter()
            .map(|(_, t)| t.clone())
            .collect();
        let report = gradcheck(&inputs, |tape, vars| {
            objective(&arch, tape, &x, &coef, vars)
        });
        assert!(
            report.max_error() < 1e-6,
            "{s}: {:?}",
            report.worst_relative_error
        );
    }
}

#[test]
fn the_network_tape_gives_the_same_gradient_as_a_fresh_tape() {
    let arch = arch(KINDS[6]);
    let mut net = Network::<f64>::new(&arch, Init::He, 3);
    let x = data(5, 3, 4);
    let coef = data(5, 1, 5);
    let tape = net.tape();
    tape.reset();
    let params = tape.params().to_vec();
    let loss = objective(&arch, tape, &x, &coef, &params);
    tape.backward(loss);
    let own: Vec<Vec<f64>> = params
        .iter()
        .map(|&p| tape.grad(p).unwrap().data().to_vec())
        .collect();
    let mut fresh = Tape::<f64>::new();
    let vars: Vec<Var> = net
        .named_params()
        .into_iter()
        .map(|(_, t)| fresh.param(t.clone()))
        .collect();
    let loss = objective(&arch, &mut fresh, &x, &coef, &vars);
    fresh.backward(loss);
    for (g, &v) in own.iter().zip(&vars) {
        assert_eq!(g.as_slice(), fresh.grad(v).unwrap().data());
    }
}

fn matvec(w: &Tensor<f64>, h: &[f64]) -> Vec<f64> {
    let (rows, cols) = (w.rows(), w.cols());
    (0..rows)
        .map(|r| (0..cols).map(|c| w.data()[r * cols + c] * h[c]).sum())
        .collect()
}

#[test]
fn predict_matches_a_hand_written_forward_pass() {
    let arch = arch("3,leaky(0.1):4+bias,res(relu),resz(relu),linear:2,2");
    let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 1.5 }, 7);
    net.bias_mut()
        .unwrap()
        .data_mut()
        .copy_from_slice(&[0.3, -0.2, 0.1, 0.0]);
    let x = data(4, 3, 8);
    let out = net.predict(&x);
    let pre = net.preactivations(&x);
    assert_eq!(out.shape(), [4, 2]);
    assert_eq!(pre.len(), net.layers().len());
    let relu = |v: Vec<f64>| v.into_iter().map(|a| a.max(0.0)).collect::<Vec<_>>();
    for row in 0..4 {
        let xr = &x.data()[row * 3..row * 3 + 3];
        let mut z0 = matvec(net.weight(0), xr);
        z0.iter_mut()
            .zip(net.bias().unwrap().data())
            .for_each(|(z, b)| *z += b);
        let h0: Vec<f64> = z0
            .iter()
            .map(|&a| if a > 0.0 { a } else { 0.1 * a })
            .collect();
        let y0 = matvec(net.weight(1), &h0);
        let u0 = matvec(net.weight(2), &relu(y0.clone()));
        let h1: Vec<f64> = h0.iter().zip(&u0).map(|(a, b)| a + b).collect();
        let y1 = matvec(net.weight(3), &h1);
        let u1 = matvec(net.weight(4), &relu(y1.clone()));
        let z1 = matvec(net.weight(5), &h1);
        let h2 = relu(u1.iter().zip(&z1).map(|(a, b)| a + b).collect());
        let t = matvec(net.weight(6), &h2);
        let o = matvec(net.weight(7), &t);
        let expected = [z0, y0, u0, y1, u1, z1, t.clone(), o.clone()];
        for (k, e) in expected.iter().enumerate() {
            let got = &pre[k].data()[row * e.len()..(row + 1) * e.len()];
            for (a, b) in got.iter().zip(e) {
                assert!((a - b).abs() < 1e-12, "layer {k} row {row}: {a} vs {b}");
            }
        }
        for (a, b) in out.data()[row * 2..row * 2 + 2].iter().zip(&o) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}

#[test]
fn the_resnet_identity_block_applies_its_activation_after_the_sum() {
    let arch = arch("3,relu:4,resid(relu),linear:2,1");
    let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 1.5 }, 11);
    let x = data(5, 3, 12);
    let out = net.predict(&x);
    let pre = net.preactivations(&x);
    let relu = |v: Vec<f64>| v.into_iter().map(|a| a.max(0.0)).collect::<Vec<_>>();
    for row in 0..5 {
        let xr = &x.data()[row * 3..row * 3 + 3];
        let z0 = matvec(net.weight(0), xr);
        let h0 = relu(z0.clone());
        let y0 = matvec(net.weight(1), &h0);
        let u0 = matvec(net.weight(2), &relu(y0.clone()));
        // σ(U·σ(Y·h) + h): the skip joins before the activation.
        let h1 = relu(h0.iter().zip(&u0).map(|(a, b)| a + b).collect());
        let t = matvec(net.weight(3), &h1);
        let o = matvec(net.weight(4), &t);
        for (k, e) in [z0, y0, u0, t, o.clone()].iter().enumerate() {
            let got = &pre[k].data()[row * e.len()..(row + 1) * e.len()];
            for (a, b) in got.iter().zip(e) {
                assert!((a - b).abs() < 1e-12, "layer {k} row {row}: {a} vs {b}");
            }
        }
        assert!((out.data()[row] - o[0]).abs() < 1e-12);
    }
}

#[test]
fn the_last_forward_pass_can_be_read_back_until_the_weights_change() {
    let arch = arch("3,leaky(0.1):4+bias,res(relu),resz(relu),linear:2,2");
    let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 1.5 }, 7);
    assert!(net.last_output().is_none());
    let x = data(5, 3, 9);
    let pre = net.preactivations(&x);
    let out = net.predict(&x);
    assert_eq!(net.last_output(), Some(&out));
    let relu = |v: f64| v.max(0.0);
    let leaky = |v: f64| if v > 0.0 { v } else { 0.1 * v };
    let learned: Vec<f64> = pre[4]
        .data()
        .iter()
        .zip(pre[5].data())
        .map(|(a, b)| relu(a + b))
        .collect();
    let expected: [Option<Vec<f64>>; 8] = [
        Some(pre[0].data().iter().map(|&v| leaky(v)).collect()),
        Some(pre[1].data().iter().map(|&v| relu(v)).collect()),
        None,
        Some(pre[3].data().iter().map(|&v| relu(v)).collect()),
        Some(learned.clone()),
        Some(learned),
        None,
        None,
    ];
    for (k, want) in expected.iter().enumerate() {
        let got = net.last_activation(k).map(|t| t.data().to_vec());
        match (got, want) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                for (a, b) in got.iter().zip(want) {
                    assert!((a - b).abs() < 1e-12, "layer {k}: {a} vs {b}");
                }
            }
            (got, _) => panic!("layer {k}: {got:?} vs {want:?}"),
        }
    }
    net.weight_mut(6).data_mut()[0] += 1.0;
    assert!(net.last_output().is_none() && net.last_activation(0).is_none());
    net.predict(&x);
    net.tape().reset();
    assert!(net.last_output().is_none());
}

#[test]
fn construction_is_seeded_and_cast_keeps_the_weights() {
    let arch = arch(KINDS[6]);
    let a = Network::<f64>::new(&arch, Init::Orthogonal { scale: 1.0 }, 5);
    let b = Network::<f64>::new(&arch, Init::Orthogonal { scale: 1.0 }, 5);
    let c = Network::<f64>::new(&arch, Init::Orthogonal { scale: 1.0 }, 6);
    for k in 0..a.layers().len() {
        assert_eq!(a.weight(k), b.weight(k));
        assert_ne!(a.weight(k), c.weight(k));
        assert_eq!(a.weight(k).shape(), a.layers()[k].shape);
    }
    let single: Network<f32> = a.cast();
    let f32_direct = Network::<f32>::new(&arch, Init::Orthogonal { scale: 1.0 }, 5);
    for k in 0..a.layers().len() {
        assert_eq!(single.weight(k), f32_direct.weight(k));
        assert_eq!(single.weight(k), &a.weight(k).cast::<f32>());
    }
    let copy = a.clone();
    assert_eq!(copy.named_params(), a.named_params());
    // 3·4 + 4 (bias) + 4·4·2 (block 0) + 4·4·3 (block 1) + 2·4 + 1·2.
    assert_eq!(a.parameter_count(), 12 + 4 + 32 + 48 + 8 + 2);
    assert_eq!(a.bias().unwrap().data(), [0.0; 4]);
    let err = Network::<f64>::try_new(
        &Arch {
            input: 0,
            ..arch.clone()
        },
        Init::He,
        0,
    )
    .unwrap_err();
    assert!(err.to_string().contains("input size"), "{err}");
}

#[test]
fn layer_list_and_pairs_are_exposed() {
    let net = Network::<f32>::new(&arch("4,relu:6,res(relu),linear:3,1"), Init::He, 0);
    let names: Vec<&str> = net.layers().iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "blocks.0.y.weight",
            "blocks.0.u.weight",
            "layers.1.weight",
            "layers.2.weight"
        ]
    );
    assert_eq!(
        net.adjacent_pairs(),
        [(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)]
    );
    let linear: Vec<bool> = net.layers().iter().map(|l| l.is_linear()).collect();
    assert_eq!(linear, [false, false, true, true, true]);
}
