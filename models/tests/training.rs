//! Step rules on problems with known answers, the trainer's stopping rules, divergence handling
//! and reproducibility.

use autodiff::{MarginLoss, Tensor};
use models::{
    Arch, Control, Init, Network, StepInfo, StepRule, StopReason, TrainConfig, TrainError, train,
};

fn arch(s: &str) -> Arch {
    s.parse().unwrap()
}

/// Four separable points in 2-D (scaled into the unit ball). With z_i = y_i·x_i the hard-SVM
/// problem through the origin maximises min(β₁, 2β₂, ...) over unit β: its answer is (2, 1)/√5,
/// where the two support vectors (1, 0) and (0, 2) have equal margin.
fn svm_data() -> (Tensor<f64>, Tensor<f64>) {
    let s = 1.0 / 3.1;
    let x = [1.0, 0.0, 0.0, -2.0, 1.5, 1.5, -3.0, -0.5].map(|v| v * s);
    let x = Tensor::from_vec(x.to_vec(), &[4, 2]).unwrap();
    let y = Tensor::from_vec(vec![1.0, -1.0, 1.0, -1.0], &[4]).unwrap();
    (x, y)
}

/// The hard-SVM direction of (x, y) through the origin by brute force over angles, refined.
fn svm_direction(x: &Tensor<f64>, y: &Tensor<f64>) -> [f64; 2] {
    let margin = |t: f64| {
        (0..y.len())
            .map(|i| y.data()[i] * (x.data()[2 * i] * t.cos() + x.data()[2 * i + 1] * t.sin()))
            .fold(f64::INFINITY, f64::min)
    };
    let steps = 100_000;
    let mut best = (0..steps)
        .map(|k| std::f64::consts::TAU * k as f64 / steps as f64)
        .max_by(|a, b| margin(*a).total_cmp(&margin(*b)))
        .unwrap();
    // Ternary search on the concave min-of-cosines around the grid maximum.
    let (mut lo, mut hi) = (best - 1e-4, best + 1e-4);
    for _ in 0..100 {
        let (m1, m2) = (lo + (hi - lo) / 3.0, hi - (hi - lo) / 3.0);
        if margin(m1) < margin(m2) {
            lo = m1;
        } else {
            hi = m2;
        }
    }
    best = 0.5 * (lo + hi);
    [best.cos(), best.sin()]
}

/// The end-to-end linear map β of a deep linear scalar network: f(x) = β·x.
fn end_to_end(net: &mut Network<f64>, d: usize) -> Vec<f64> {
    let mut eye = vec![0.0; d * d];
    (0..d).for_each(|i| eye[i * d + i] = 1.0);
    net.predict(&Tensor::from_vec(eye, &[d, d]).unwrap())
        .into_vec()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn the_brute_force_svm_direction_is_the_analytic_one() {
    let (x, y) = svm_data();
    let u = svm_direction(&x, &y);
    let s5 = 5f64.sqrt();
    assert!(
        (u[0] - 2.0 / s5).abs() < 1e-9 && (u[1] - 1.0 / s5).abs() < 1e-9,
        "{u:?}"
    );
}

/// Trains a deep linear net with logistic loss; returns 1 − cos(β, u_SVM) before and after.
fn svm_gaps(rule: StepRule, lr: f64, steps: usize) -> [f64; 2] {
    let (x, y) = svm_data();
    let u = svm_direction(&x, &y);
    let mut net = Network::<f64>::new(&arch("2,linear:3,1"), Init::Gaussian { scale: 0.5 }, 1);
    let before = 1.0 - cosine(&end_to_end(&mut net, 2), &u);
    let cfg = TrainConfig::new(MarginLoss::Logistic, rule, lr, steps);
    let outcome = train(&mut net, &x, &y, &cfg, |info, _| {
        assert!(info.log_loss.is_finite(), "{rule}: {info:?}");
        Control::Continue
    })
    .unwrap();
    assert_eq!(outcome.reason, StopReason::Budget);
    [before, 1.0 - cosine(&end_to_end(&mut net, 2), &u)]
}

#[test]
fn loss_normalized_steps_converge_to_the_svm_direction() {
    let gaps = svm_gaps(StepRule::LossNormalized, 0.5, 800);
    assert!(gaps[0] > 1e-2 && gaps[1] < 1e-5, "{gaps:?}");
}

#[test]
fn grad_normalized_steps_converge_to_the_svm_direction() {
    let gaps = svm_gaps(StepRule::GradNormalized, 0.2, 800);
    assert!(gaps[0] > 1e-2 && gaps[1] < 1e-5, "{gaps:?}");
}

#[test]
fn adaptive_steps_converge_to_the_svm_direction() {
    let rule = StepRule::Adaptive {
        grow: 1.1,
        shrink: 0.5,
    };
    let gaps = svm_gaps(rule, 0.1, 800);
    assert!(gaps[0] > 1e-2 && gaps[1] < 5e-5, "{gaps:?}");
}

#[test]
fn log_domain_rules_keep_training_when_the_loss_underflows() {
    let (x, y) = svm_data();
    let mut net = Network::<f64>::new(&arch("2,linear:3,1"), Init::Gaussian { scale: 0.5 }, 1);
    let cfg = TrainConfig::new(MarginLoss::Exponential, StepRule::GradNormalized, 2.0, 600);
    let mut last = None;
    let outcome = train(&mut net, &x, &y, &cfg, |info, _| {
        last = Some(*info);
        Control::Continue
    })
    .unwrap();
    let last = last.unwrap();
    assert_eq!(outcome.last, last);
    // R itself is far below the smallest f64 but ln R and its gradient are still meaningful.
    assert_eq!(last.loss, 0.0);
    assert!(
        last.log_loss < -1000.0 && last.log_loss.is_finite(),
        "{last:?}"
    );
    assert!(
        last.grad_norm > 0.0 && last.grad_norm.is_finite(),
        "{last:?}"
    );
}

/// Five points in 2-D with ±1 labels that no line fits exactly: a least-squares problem.
fn lsq_data() -> (Tensor<f64>, Tensor<f64>, [f64; 2], f64) {
    let xs: [f64; 10] = [0.9, 0.1, 0.2, 0.8, -0.5, 0.4, 0.3, -0.7, -0.6, -0.2];
    let ys: [f64; 5] = [1.0, 1.0, -1.0, -1.0, 1.0];
    let x = Tensor::from_vec(xs.to_vec(), &[5, 2]).unwrap();
    let y = Tensor::from_vec(ys.to_vec(), &[5]).unwrap();
    // Normal equations XᵀX β = Xᵀy, solved by Cramer's rule.
    let (mut a, mut b, mut c, mut p, mut q) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..5 {
        let (u, v) = (xs[2 * i], xs[2 * i + 1]);
        a += u * u;
        b += u * v;
        c += v * v;
        p += u * ys[i];
        q += v * ys[i];
    }
    let det = a * c - b * b;
    let beta = [(c * p - b * q) / det, (a * q - b * p) / det];
    let r_min = (0..5)
        .map(|i| (ys[i] - beta[0] * xs[2 * i] - beta[1] * xs[2 * i + 1]).powi(2))
        .sum::<f64>()
        / 5.0;
    (x, y, beta, r_min)
}

fn lsq_run(rule: StepRule, lr: f64, steps: usize) -> (Network<f64>, Vec<StepInfo>) {
    let (x, y, _, _) = lsq_data();
    let mut net = Network::<f64>::new(&arch("2,linear:2,1"), Init::Gaussian { scale: 0.5 }, 3);
    let cfg = TrainConfig::new(MarginLoss::Squared, rule, lr, steps);
    let mut infos = Vec::new();
    train(&mut net, &x, &y, &cfg, |info, _| {
        infos.push(*info);
        Control::Continue
    })
    .unwrap();
    (net, infos)
}

#[test]
fn constant_steps_follow_hand_computed_gradient_descent() {
    let (x, y, _, _) = lsq_data();
    let mut net = Network::<f64>::new(&arch("2,linear:1,1"), Init::Gaussian { scale: 1.0 }, 4);
    let (mut w, mut v) = (
        [net.weight(0).data()[0], net.weight(0).data()[1]],
        net.weight(1).data()[0],
    );
    let lr = 0.3;
    let cfg = TrainConfig::new(MarginLoss::Squared, StepRule::Constant, lr, 3);
    train(&mut net, &x, &y, &cfg, |_, _| Control::Continue).unwrap();
    for _ in 0..3 {
        // R = (1/n) Σ (y − v·w·x)²: ∂R/∂w = −(2/n) Σ r v x, ∂R/∂v = −(2/n) Σ r w·x.
        let (mut gw, mut gv) = ([0.0; 2], 0.0);
        for i in 0..5 {
            let xi = [x.data()[2 * i], x.data()[2 * i + 1]];
            let wx = w[0] * xi[0] + w[1] * xi[1];
            let r = y.data()[i] - v * wx;
            gw[0] -= 0.4 * r * v * xi[0];
            gw[1] -= 0.4 * r * v * xi[1];
            gv -= 0.4 * r * wx;
        }
        w = [w[0] - lr * gw[0], w[1] - lr * gw[1]];
        v -= lr * gv;
    }
    assert!((net.weight(0).data()[0] - w[0]).abs() < 1e-14);
    assert!((net.weight(0).data()[1] - w[1]).abs() < 1e-14);
    assert!((net.weight(1).data()[0] - v).abs() < 1e-14);
}

fn assert_solves_least_squares(rule: StepRule, lr: f64, steps: usize, tol: f64) {
    let (_, _, beta, r_min) = lsq_data();
    let (mut net, infos) = lsq_run(rule, lr, steps);
    let b = end_to_end(&mut net, 2);
    let err = ((b[0] - beta[0]).powi(2) + (b[1] - beta[1]).powi(2)).sqrt();
    assert!(err < tol, "{rule}: β = {b:?}, least squares {beta:?}");
    let last = infos.last().unwrap();
    assert!(
        (last.loss - r_min).abs() < tol,
        "{rule}: {last:?} vs R* = {r_min}"
    );
    assert_eq!(infos.len(), steps + 1);
}

#[test]
fn constant_steps_reach_the_least_squares_solution() {
    assert_solves_least_squares(StepRule::Constant, 0.5, 2000, 1e-8);
}

#[test]
fn momentum_reaches_the_least_squares_solution() {
    assert_solves_least_squares(StepRule::Momentum { beta: 0.9 }, 0.05, 2000, 1e-8);
}

#[test]
fn adam_reaches_the_least_squares_solution() {
    let adam = StepRule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    assert_solves_least_squares(adam, 0.01, 3000, 1e-4);
}

#[test]
fn adaptive_schedule_recovers_from_a_too_large_step() {
    let rule = StepRule::Adaptive {
        grow: 1.2,
        shrink: 0.5,
    };
    let (_, _, beta, _) = lsq_data();
    let (mut net, infos) = lsq_run(rule, 50.0, 400);
    // The first step overshoots: it is undone, the weights are back where they were (same loss)
    // and the step size halves; that repeats until a step succeeds.
    let rejected =
        |w: &[StepInfo]| w[1].log_loss == w[0].log_loss && (w[1].lr / w[0].lr - 0.5).abs() < 1e-12;
    assert!(rejected(&infos[..2]), "{:?}", &infos[..3]);
    let retries = infos.windows(2).filter(|w| rejected(w)).count();
    assert!((2..40).contains(&retries), "{retries} rejected steps");
    // A rejected step reports the restored iterate, so the reported loss never rises.
    assert!(infos.windows(2).all(|w| w[1].log_loss <= w[0].log_loss));
    let b = end_to_end(&mut net, 2);
    assert!(
        (b[0] - beta[0]).abs() < 1e-6 && (b[1] - beta[1]).abs() < 1e-6,
        "{b:?} vs {beta:?}"
    );
}

#[test]
fn divergence_stops_training_and_keeps_the_last_good_weights() {
    let (x, y, _, _) = lsq_data();
    let mut net = Network::<f64>::new(&arch("2,linear:2,1"), Init::Gaussian { scale: 1.0 }, 3);
    let cfg = TrainConfig::new(MarginLoss::Squared, StepRule::Constant, 40.0, 1000);
    let mut last_good: Option<(usize, Network<f64>)> = None;
    let err = train(&mut net, &x, &y, &cfg, |info, n| {
        last_good = Some((info.step, n.clone()));
        Control::Continue
    })
    .unwrap_err();
    let (good_step, good) = last_good.unwrap();
    let TrainError::Diverged { step, ref what } = err else {
        panic!("expected divergence, got {err}");
    };
    assert!(step > good_step && step < 1000, "{err}");
    assert!(what.contains("inf") || what.contains("NaN"), "{err}");
    assert!(err.to_string().contains(&format!("step {step}")), "{err}");
    assert_eq!(net.named_params(), good.named_params());
    assert!(
        net.named_params()
            .iter()
            .all(|(_, t)| t.data().iter().all(|v| v.is_finite()))
    );
}

#[test]
fn stops_on_budget_target_and_callback() {
    let (x, y) = svm_data();
    let fresh = || Network::<f64>::new(&arch("2,relu:8,linear:2,1"), Init::He, 2);
    let cfg = TrainConfig::new(MarginLoss::Logistic, StepRule::GradNormalized, 0.2, 50);
    let mut calls = 0;
    let out = train(&mut fresh(), &x, &y, &cfg, |info, _| {
        assert_eq!(info.step, calls);
        calls += 1;
        Control::Continue
    })
    .unwrap();
    assert_eq!((out.reason, out.steps, calls), (StopReason::Budget, 50, 51));

    let out = train(&mut fresh(), &x, &y, &cfg, |info, _| {
        if info.step == 7 {
            Control::Stop
        } else {
            Control::Continue
        }
    })
    .unwrap();
    assert_eq!((out.reason, out.steps), (StopReason::Callback, 7));

    let target = TrainConfig {
        target_loss: Some(1e-3),
        steps: 100_000,
        ..cfg
    };
    let out = train(&mut fresh(), &x, &y, &target, |_, _| Control::Continue).unwrap();
    assert_eq!(out.reason, StopReason::TargetLoss);
    assert!(out.last.loss <= 1e-3 && out.steps < 100_000, "{out:?}");
}

fn weights(net: &Network<f64>) -> Vec<Vec<f64>> {
    net.named_params()
        .iter()
        .map(|(_, t)| t.data().to_vec())
        .collect()
}

fn minibatch_run(seed: u64, threads: usize) -> Vec<Vec<f64>> {
    let (x, y) = svm_data();
    let mut net = Network::<f64>::new(&arch("2,relu:6+bias,res(relu),linear:3,1"), Init::He, 9);
    let cfg = TrainConfig {
        batch_size: Some(3),
        seed,
        ..TrainConfig::new(
            MarginLoss::Logistic,
            StepRule::Momentum { beta: 0.5 },
            0.1,
            40,
        )
    };
    trained_weights(&mut net, (&x, &y), &cfg, threads)
}

/// Trains `net` on a pool of `threads` threads and returns its weights.
fn trained_weights(
    net: &mut Network<f64>,
    (x, y): (&Tensor<f64>, &Tensor<f64>),
    cfg: &TrainConfig,
    threads: usize,
) -> Vec<Vec<f64>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| train(net, x, y, cfg, |_, _| Control::Continue).unwrap());
    weights(net)
}

#[test]
fn same_seed_same_weights_whatever_the_thread_count() {
    let a = minibatch_run(1, 1);
    assert_eq!(a, minibatch_run(1, 2));
    assert_ne!(a, minibatch_run(2, 1));
}

/// Full-batch steps of a network wide enough that its products are split across threads and
/// its backward products joined (so that `train`'s team really runs parts on a second thread).
fn wide_run(threads: usize) -> Vec<Vec<f64>> {
    let mut rng = kernels::rng::Rng::new(4);
    let n = 300;
    let x = Tensor::from_vec((0..n * 20).map(|_| rng.normal()).collect(), &[n, 20]).unwrap();
    let y = Tensor::from_vec((0..n).map(|i| [1.0, -1.0][i % 2]).collect(), &[n]).unwrap();
    let mut net = Network::<f64>::new(&arch("20,relu:256,relu:256,1"), Init::He, 3);
    let cfg = TrainConfig::new(MarginLoss::Logistic, StepRule::Constant, 0.05, 5);
    trained_weights(&mut net, (&x, &y), &cfg, threads)
}

#[test]
fn split_products_give_the_same_weights_on_one_and_two_threads() {
    let one = wide_run(1);
    assert_eq!(one, wide_run(2));
    assert_ne!(
        one,
        weights(&Network::<f64>::new(
            &arch("20,relu:256,relu:256,1"),
            Init::He,
            3
        ))
    );
}

/// The trainer decides on a team from the rows of a step's batch, not of the data set: a wide
/// network leads one on the full batch of 300 rows, and none on mini-batches of 1 (whose
/// products are too small to split or join); after `train` the tape is handed back serial.
#[test]
fn the_team_follows_the_batch_not_the_data() {
    let mut rng = kernels::rng::Rng::new(5);
    let n = 300;
    let x = Tensor::from_vec((0..n * 20).map(|_| rng.normal()).collect(), &[n, 20]).unwrap();
    let y = Tensor::from_vec((0..n).map(|i| [1.0, -1.0][i % 2]).collect(), &[n]).unwrap();
    let mut net = Network::<f64>::new(&arch("20,relu:256,relu:256,1"), Init::He, 3);
    let full = TrainConfig::new(MarginLoss::Logistic, StepRule::Constant, 0.05, 3);
    let mini = TrainConfig {
        batch_size: Some(1),
        ..full.clone()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let threads = |cfg: &TrainConfig| {
            let trainer = models::Trainer::new(&net, &x, &y, cfg).unwrap();
            trainer.parallelism().threads()
        };
        assert_eq!(threads(&full), 2, "300 × 256 × 256 products are split");
        assert_eq!(threads(&mini), 1, "1 × 256 × 256 products are not");
        train(&mut net, &x, &y, &full, |_, net| {
            assert_eq!(net.tape_ref().parallelism().threads(), 2);
            Control::Continue
        })
        .unwrap();
        assert_eq!(net.tape_ref().parallelism().threads(), 1);
    });
}

#[test]
fn mini_batches_see_every_example_and_train() {
    let (x, y) = svm_data();
    let mut net = Network::<f64>::new(&arch("2,linear:3,1"), Init::Gaussian { scale: 0.5 }, 1);
    let cfg = TrainConfig {
        batch_size: Some(2),
        ..TrainConfig::new(MarginLoss::Logistic, StepRule::Constant, 1.0, 200)
    };
    let mut first = None;
    let out = train(&mut net, &x, &y, &cfg, |info, _| {
        first.get_or_insert(info.loss);
        Control::Continue
    })
    .unwrap();
    let margins: Vec<f64> = net
        .predict(&x)
        .data()
        .iter()
        .zip(y.data())
        .map(|(f, y)| f * y)
        .collect();
    assert!(margins.iter().all(|&m| m > 0.0), "{margins:?}");
    assert!(out.last.loss < first.unwrap() / 2.0, "{out:?}");
}

#[test]
fn f32_networks_train_too() {
    let (x, y) = svm_data();
    let (x, y) = (x.cast::<f32>(), y.cast::<f32>());
    let mut net = Network::<f32>::new(&arch("2,relu:8,linear:4,1"), Init::He, 5);
    let cfg = TrainConfig::new(MarginLoss::Exponential, StepRule::GradNormalized, 0.1, 100);
    let out = train(&mut net, &x, &y, &cfg, |_, _| Control::Continue).unwrap();
    assert!(out.last.loss < 0.1, "{out:?}");
}

#[test]
fn bad_data_and_configuration_are_reported() {
    let (x, y) = svm_data();
    let mut net = Network::<f64>::new(&arch("2,relu:3,1"), Init::He, 0);
    let ok = TrainConfig::new(MarginLoss::Logistic, StepRule::Constant, 0.1, 1);
    let run = |net: &mut Network<f64>, x: &Tensor<f64>, y: &Tensor<f64>, cfg: &TrainConfig| {
        train(net, x, y, cfg, |_, _| Control::Continue)
            .unwrap_err()
            .to_string()
    };
    let y_bad = Tensor::from_vec(vec![1.0, 0.0, 1.0, -1.0], &[4]).unwrap();
    assert!(run(&mut net, &x, &y_bad, &ok).contains("label 1 is 0"));
    let y_short = Tensor::from_vec(vec![1.0, -1.0], &[2]).unwrap();
    assert!(run(&mut net, &x, &y_short, &ok).contains("y must be [4], but it is [2]"));
    let x3 = Tensor::<f64>::zeros(&[4, 3]);
    assert!(run(&mut net, &x3, &y, &ok).contains("x is [4, 3]"));
    let mut x_nan = x.clone();
    x_nan.data_mut()[3] = f64::NAN;
    assert!(run(&mut net, &x_nan, &y, &ok).contains("x[1, 1] is NaN"));
    let zero_lr = TrainConfig {
        lr: 0.0,
        ..ok.clone()
    };
    assert!(run(&mut net, &x, &y, &zero_lr).contains("step size"));
    let zero_batch = TrainConfig {
        batch_size: Some(0),
        ..ok.clone()
    };
    assert!(run(&mut net, &x, &y, &zero_batch).contains("batch size"));
    let mut vector = Network::<f64>::new(&arch("2,relu:3,2"), Init::He, 0);
    assert!(run(&mut vector, &x, &y, &ok).contains("scalar-output"));
}
