//! A run stopped between two steps, saved as a training checkpoint and continued from the file,
//! takes exactly the steps of the run that never stopped: every step rule, f32 and f64,
//! full-batch and mini-batch, on one thread and on two.

use std::path::PathBuf;

use autodiff::{Element, MarginLoss, Tensor};
use kernels::rng::Rng;
use models::{
    Attachments, Control, Init, Network, Observer, StepInfo, StepRule, TrainConfig, TrainError,
    Trainer, load_training, save_training, train_with,
};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lowrank-resume-{}-{name}", std::process::id()))
}

fn data<T: Element>(n: usize, d: usize, seed: u64) -> (Tensor<T>, Tensor<T>) {
    let mut rng = Rng::new(seed);
    let x = (0..n * d).map(|_| T::from_f64(rng.normal())).collect();
    let y = (0..n).map(|i| T::from_f64([1.0, -1.0][i % 2])).collect();
    (
        Tensor::from_vec(x, &[n, d]).unwrap(),
        Tensor::from_vec(y, &[n]).unwrap(),
    )
}

/// Records every evaluated iterate; at step `stop_at` saves a checkpoint and stops.
struct Watch {
    seen: Vec<StepInfo>,
    stop_at: Option<(usize, PathBuf)>,
}

impl<T: Element> Observer<T> for Watch {
    fn evaluated(&mut self, info: &StepInfo, _: &Network<T>) -> Control {
        self.seen.push(*info);
        Control::Continue
    }

    fn updated(&mut self, trainer: &Trainer<'_, T>, net: &Network<T>) -> Control {
        match &self.stop_at {
            Some((step, path)) if trainer.step() == *step => {
                let extra = Attachments {
                    reals: [("nan".to_string(), vec![f64::NAN, -0.0, f64::INFINITY])].into(),
                    counts: [("c".to_string(), vec![u64::MAX])].into(),
                    texts: [("t".to_string(), "text".to_string())].into(),
                };
                save_training(net, &trainer.state(), &extra, path).unwrap();
                Control::Stop
            }
            _ => Control::Continue,
        }
    }
}

fn bits<T: Element>(net: &Network<T>) -> Vec<u64> {
    net.named_params()
        .iter()
        .flat_map(|(_, t)| t.data().iter().map(|v| v.to_f64().to_bits()))
        .collect()
}

fn info_bits(infos: &[StepInfo]) -> Vec<[u64; 5]> {
    infos
        .iter()
        .map(|i| {
            [
                i.step as u64,
                i.loss.to_bits(),
                i.log_loss.to_bits(),
                i.lr.to_bits(),
                i.grad_norm.to_bits(),
            ]
        })
        .collect()
}

/// Trains uninterrupted, then stopped at `stop` and continued from the file; compares.
/// Returns the iterates of the uninterrupted run.
fn check<T: Element>(
    rule: StepRule,
    lr: f64,
    batch: Option<usize>,
    stop: usize,
    tag: &str,
) -> Vec<StepInfo> {
    let arch = "5,relu:7,linear:6,1".parse().unwrap();
    let (x, y) = data::<T>(13, 5, 4);
    let mut cfg = TrainConfig::new(MarginLoss::Logistic, rule, lr, 40);
    cfg.batch_size = batch;
    cfg.seed = 9;
    let fresh = || Network::<T>::new(&arch, Init::Gaussian { scale: 0.5 }, 3);

    let mut whole = fresh();
    let mut all = Watch {
        seen: Vec::new(),
        stop_at: None,
    };
    let done = train_with(&mut whole, &x, &y, &cfg, None, &mut all).unwrap();

    let path = temp(&format!("{tag}.safetensors"));
    let mut first = fresh();
    let mut before = Watch {
        seen: Vec::new(),
        stop_at: Some((stop, path.clone())),
    };
    train_with(&mut first, &x, &y, &cfg, None, &mut before).unwrap();

    let mut resumed = Network::<T>::new(&arch, Init::Zeros, 0);
    let (state, extra) = load_training(&mut resumed, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(state.step, stop, "{tag}");
    assert!(extra.reals["nan"][0].is_nan() && extra.reals["nan"][1].is_sign_negative());
    assert_eq!(extra.counts["c"], [u64::MAX]);
    assert_eq!(extra.texts["t"], "text");
    let mut after = Watch {
        seen: Vec::new(),
        stop_at: None,
    };
    let rest = train_with(&mut resumed, &x, &y, &cfg, Some(&state), &mut after).unwrap();

    assert_eq!(bits(&resumed), bits(&whole), "{tag}: final weights");
    assert_eq!(rest.steps, done.steps, "{tag}");
    let joined: Vec<StepInfo> = before.seen.into_iter().chain(after.seen).collect();
    assert_eq!(info_bits(&joined), info_bits(&all.seen), "{tag}: iterates");
    all.seen
}

fn every_rule<T: Element>(threads: usize) {
    let rules: [(&str, f64); 6] = [
        ("constant", 0.5),
        ("loss-normalized", 0.2),
        ("grad-normalized", 0.3),
        // Large enough that some steps are rejected and retried.
        ("adaptive", 3.0),
        ("momentum", 0.2),
        ("adam", 0.05),
    ];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        for (name, lr) in rules {
            let rule: StepRule = name.parse().unwrap();
            for (batch, stops) in [(None, [1, 17, 39]), (Some(5), [2, 11, 23])] {
                for stop in stops {
                    let tag = format!("{}-{name}-{batch:?}-{stop}-{threads}", T::NAME);
                    let seen = check::<T>(rule, lr, batch, stop, &tag);
                    if name == "adaptive" {
                        // Some step was rejected: the iterate after it is the restored one,
                        // with the loss of the one before.
                        let rejected = seen.windows(2).any(|w| w[1].log_loss == w[0].log_loss);
                        assert!(rejected, "{tag}: no step was rejected");
                    }
                }
            }
        }
    });
}

#[test]
fn every_rule_resumes_bit_for_bit_in_f64_on_one_and_two_threads() {
    every_rule::<f64>(1);
    every_rule::<f64>(2);
}

#[test]
fn every_rule_resumes_bit_for_bit_in_f32_on_one_and_two_threads() {
    every_rule::<f32>(1);
    every_rule::<f32>(2);
}

#[test]
fn a_state_from_another_run_is_refused_with_a_reason() {
    let arch = "5,relu:7,linear:6,1".parse().unwrap();
    let (x, y) = data::<f64>(13, 5, 4);
    let adam = TrainConfig::new(MarginLoss::Logistic, "adam".parse().unwrap(), 0.1, 5);
    let path = temp("refused.safetensors");
    let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 0.5 }, 3);
    let mut watch = Watch {
        seen: Vec::new(),
        stop_at: Some((3, path.clone())),
    };
    train_with(&mut net, &x, &y, &adam, None, &mut watch).unwrap();

    // Another architecture: named, and the network is left as it was.
    let mut other = Network::<f64>::new(&"5,relu:8,linear:6,1".parse().unwrap(), Init::Zeros, 0);
    let e = load_training(&mut other, &path).unwrap_err().to_string();
    assert!(
        e.contains("5,relu:7,linear:6,1") && e.contains("5,relu:8"),
        "{e}"
    );
    // Another dtype.
    let mut single = Network::<f32>::new(&arch, Init::Zeros, 0);
    let e = load_training(&mut single, &path).unwrap_err().to_string();
    assert!(e.contains("trained in f64"), "{e}");
    // Another step rule: Adam's moments do not fit momentum.
    let mut same = Network::<f64>::new(&arch, Init::Zeros, 0);
    let (state, _) = load_training(&mut same, &path).unwrap();
    let momentum = TrainConfig::new(MarginLoss::Logistic, "constant".parse().unwrap(), 0.1, 5);
    let e = train_with(&mut same, &x, &y, &momentum, Some(&state), &mut watch).unwrap_err();
    assert!(
        matches!(&e, TrainError::Config(m) if m.contains("cannot resume") && m.contains("moment")),
        "{e}"
    );
    // Another data set size.
    let (x2, y2) = data::<f64>(12, 5, 4);
    let e = train_with(&mut same, &x2, &y2, &adam, Some(&state), &mut watch).unwrap_err();
    assert!(
        e.to_string().contains("permutation of the 12 examples"),
        "{e}"
    );
    // A plain weights checkpoint is not a training checkpoint.
    models::save(&net, &path).unwrap();
    let e = load_training(&mut same, &path).unwrap_err().to_string();
    assert!(e.contains("no `kind` entry"), "{e}");
    std::fs::remove_file(&path).unwrap();
}
