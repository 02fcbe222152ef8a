//! Layers kept fixed by the `!fixed` marker: no update under any step rule (their optimizer
//! state stays zero), the gradient of the other layers is that of the loss (checked against
//! finite differences), their updates are bit for bit those of the same network without the
//! marker, and checkpoints and resumed runs keep the marker.

use std::path::PathBuf;

use autodiff::{MarginLoss, Tensor};
use kernels::rng::Rng;
use models::{
    Arch, Control, Init, Network, Observer, StepRule, TrainConfig, Trainer, load, load_training,
    save, save_training, train, train_with,
};

/// Two trained layers around a fixed one, and a fixed ±1/√4 output row.
const MARKED: &str = "6,leaky(0.3):5,relu:4!fixed,1!signs!fixed";
/// The same network, every layer trained (the output row starts at the same signs).
const UNMARKED: &str = "6,leaky(0.3):5,relu:4,1!signs";

fn arch(s: &str) -> Arch {
    s.parse().unwrap()
}

fn data(n: usize, d: usize, seed: u64) -> (Tensor<f64>, Tensor<f64>) {
    let mut rng = Rng::new(seed);
    let x = (0..n * d).map(|_| rng.normal()).collect();
    let y = (0..n).map(|i| [1.0, -1.0][i % 2]).collect();
    (
        Tensor::from_vec(x, &[n, d]).unwrap(),
        Tensor::from_vec(y, &[n]).unwrap(),
    )
}

fn weights(net: &Network<f64>) -> Vec<Vec<f64>> {
    net.named_params()
        .into_iter()
        .map(|(_, t)| t.data().to_vec())
        .collect()
}

/// Trains `steps` updates of `rule` from `net` and returns the network.
fn trained(
    mut net: Network<f64>,
    rule: StepRule,
    lr: f64,
    steps: usize,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
) -> Network<f64> {
    let cfg = TrainConfig::new(MarginLoss::Logistic, rule, lr, steps);
    train(&mut net, x, y, &cfg, |_, _| Control::Continue).unwrap();
    net
}

/// The mean logistic loss R of the network on (x, y), in f64.
fn loss(net: &mut Network<f64>, x: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let f = net.predict(x);
    let n = y.len() as f64;
    f.data()
        .iter()
        .zip(y.data())
        .map(|(f, y)| (-(f * y)).exp().ln_1p())
        .sum::<f64>()
        / n
}

#[test]
fn the_mask_follows_the_markers_and_the_signs_start_at_one_over_root_m() {
    let net = Network::<f64>::new(&arch(MARKED), Init::Gaussian { scale: 1.0 }, 2);
    assert_eq!(net.trained(), [true, false, false]);
    assert_eq!(net.weight(2).data(), [0.5, -0.5, 0.5, -0.5]);
    let biased = Network::<f64>::new(&arch("3,relu:4+bias!fixed,1"), Init::He, 0);
    // The first layer's bias is fixed with its weight.
    assert_eq!(biased.trained(), [false, false, true]);
    let plain = Network::<f64>::new(&arch(UNMARKED), Init::Gaussian { scale: 1.0 }, 2);
    assert_eq!(plain.trained(), [true, true, true]);
    // The markers change nothing about how the other layers are drawn.
    assert_eq!(weights(&plain), weights(&net));
}

#[test]
fn fixed_layers_never_move_under_any_step_rule_and_keep_zero_state() {
    let (x, y) = data(12, 6, 1);
    let rules = [
        (StepRule::Constant, 0.5),
        (StepRule::LossNormalized, 0.05),
        (StepRule::GradNormalized, 0.1),
        (StepRule::Momentum { beta: 0.9 }, 0.1),
        (
            StepRule::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            0.01,
        ),
        (
            StepRule::Adaptive {
                grow: 1.2,
                shrink: 0.5,
            },
            0.5,
        ),
    ];
    for (rule, lr) in rules {
        let start = Network::<f64>::new(&arch(MARKED), Init::Gaussian { scale: 1.0 }, 4);
        let before = weights(&start);
        let cfg = TrainConfig::new(MarginLoss::Logistic, rule, lr, 30);
        let mut net = start.clone();
        let mut trainer = Trainer::new(&net, &x, &y, &cfg).unwrap();
        for _ in 0..30 {
            trainer.evaluate(&mut net).unwrap();
            trainer.update(&mut net).unwrap();
        }
        let after = weights(&net);
        assert_eq!(after[1], before[1], "{rule}: the fixed layer moved");
        assert_eq!(after[2], before[2], "{rule}: the fixed output row moved");
        assert_ne!(
            after[0], before[0],
            "{rule}: the trained layer did not move"
        );
        let state = trainer.state();
        for buffers in [&state.first, &state.second] {
            for i in [1, 2] {
                if let Some(b) = buffers.get(i) {
                    assert!(
                        b.iter().all(|&v| v == 0.0),
                        "{rule}: state of parameter {i}"
                    );
                }
            }
        }
        if matches!(rule, StepRule::Momentum { .. } | StepRule::Adam { .. }) {
            assert!(state.first[0].iter().any(|&v| v != 0.0), "{rule}");
        }
    }
}

#[test]
fn the_gradient_of_the_trained_layers_matches_finite_differences() {
    let (x, y) = data(9, 6, 2);
    let lr = 0.25;
    let mut start = Network::<f64>::new(&arch(MARKED), Init::Gaussian { scale: 1.0 }, 5);
    let before = weights(&start);
    let mut stepped = trained(start.clone(), StepRule::Constant, lr, 1, &x, &y);
    let after = weights(&stepped);
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    let mut fixed_matter = false;
    for (p, (b, a)) in before.iter().zip(&after).enumerate() {
        for j in 0..b.len() {
            // The constant rule's update is −η·∇R: read the gradient back from it.
            let from_update = (b[j] - a[j]) / lr;
            let shifted = |delta: f64, net: &mut Network<f64>| {
                net.param_mut(p).data_mut()[j] = b[j] + delta;
                let r = loss(net, &x, &y);
                net.param_mut(p).data_mut()[j] = b[j];
                r
            };
            let central = (shifted(h, &mut start) - shifted(-h, &mut start)) / (2.0 * h);
            if p == 0 {
                worst = worst.max((from_update - central).abs() / (1e-3 + central.abs()));
            } else {
                assert_eq!(from_update, 0.0, "fixed parameter {p}, entry {j}");
                fixed_matter |= central.abs() > 1e-6;
            }
        }
    }
    assert!(worst < 1e-6, "largest relative gradient error {worst}");
    // The fixed weights do move the loss: they are left alone, not irrelevant.
    assert!(fixed_matter);
    assert!(loss(&mut stepped, &x, &y) < loss(&mut start, &x, &y));
    // The marker changes what is trained, not the function.
    let mut plain = Network::<f64>::new(&arch(UNMARKED), Init::Gaussian { scale: 1.0 }, 5);
    assert_eq!(loss(&mut plain, &x, &y), loss(&mut start, &x, &y));
}

#[test]
fn the_trained_layers_step_exactly_as_without_the_marker() {
    let (x, y) = data(10, 6, 3);
    let per_coordinate = [
        (StepRule::Constant, 0.5),
        (StepRule::LossNormalized, 0.05),
        (StepRule::Momentum { beta: 0.9 }, 0.1),
        (
            StepRule::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            0.01,
        ),
    ];
    for (rule, lr) in per_coordinate {
        let marked = Network::<f64>::new(&arch(MARKED), Init::Gaussian { scale: 1.0 }, 6);
        let plain = Network::<f64>::new(&arch(UNMARKED), Init::Gaussian { scale: 1.0 }, 6);
        let a = weights(&trained(marked, rule, lr, 1, &x, &y));
        let b = weights(&trained(plain, rule, lr, 1, &x, &y));
        let bits = |w: &[f64]| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&a[0]),
            bits(&b[0]),
            "{rule}: the trained layer's update"
        );
        assert_ne!(a[1], b[1], "{rule}: the unmarked network trains that layer");
    }
    // The gradient-normalized rule normalizes by the trained parameters' gradient alone: the
    // update of the trained layer has length exactly η.
    let lr = 0.1;
    let start = Network::<f64>::new(&arch(MARKED), Init::Gaussian { scale: 1.0 }, 6);
    let before = weights(&start);
    let after = weights(&trained(start, StepRule::GradNormalized, lr, 1, &x, &y));
    let length = before[0]
        .iter()
        .zip(&after[0])
        .map(|(b, a)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((length - lr).abs() < 1e-12, "update length {length}");
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lowrank-fixed-{}-{name}", std::process::id()))
}

/// Saves a training checkpoint after update `at` and stops.
struct StopAt(usize, PathBuf);

impl Observer<f64> for StopAt {
    fn evaluated(&mut self, _: &models::StepInfo, _: &Network<f64>) -> Control {
        Control::Continue
    }

    fn updated(&mut self, trainer: &Trainer<'_, f64>, net: &Network<f64>) -> Control {
        if trainer.step() == self.0 {
            save_training(net, &trainer.state(), &Default::default(), &self.1).unwrap();
            return Control::Stop;
        }
        Control::Continue
    }
}

#[test]
fn checkpoints_record_the_markers_and_a_resumed_run_keeps_them() {
    let (x, y) = data(10, 6, 7);
    let net = Network::<f64>::new(&arch(MARKED), Init::Gaussian { scale: 1.0 }, 8);
    let path = temp("weights.safetensors");
    save(&net, &path).unwrap();
    let back: Network<f64> = load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back.arch().to_string(), MARKED);
    assert_eq!(back.trained(), [true, false, false]);

    let rule = StepRule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    let cfg = TrainConfig::new(MarginLoss::Logistic, rule, 0.01, 20);
    let whole = weights(&trained(net.clone(), rule, 0.01, 20, &x, &y));
    let path = temp("training.safetensors");
    let mut first = net.clone();
    train_with(&mut first, &x, &y, &cfg, None, &mut StopAt(8, path.clone())).unwrap();
    let mut resumed = Network::<f64>::new(&arch(MARKED), Init::Zeros, 0);
    let (state, _) = load_training(&mut resumed, &path).unwrap();
    assert!(state.first[1].iter().all(|&v| v == 0.0));
    // A network without the marker is not the one the checkpoint was saved from.
    let mut other = Network::<f64>::new(&arch(UNMARKED), Init::Zeros, 0);
    let refused = load_training(&mut other, &path).unwrap_err().to_string();
    assert!(refused.contains(MARKED), "{refused}");
    std::fs::remove_file(&path).unwrap();
    train_with(
        &mut resumed,
        &x,
        &y,
        &cfg,
        Some(&state),
        &mut StopAt(usize::MAX, path),
    )
    .unwrap();
    assert_eq!(weights(&resumed), whole);
    assert_eq!(whole[1], weights(&net)[1]);
}
