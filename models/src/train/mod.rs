//! Training scalar-output networks on binary data with margin losses: the configuration, what
//! each step reports, why training stopped, and the `train` loop itself.

mod optim;
mod state;
mod trainer;

use autodiff::{Element, MarginLoss, Tensor};
use kernels::parallel::{Parallelism, Team};

use crate::network::Network;
use crate::rule::StepRule;

pub use state::TrainState;
pub use trainer::Trainer;

/// Everything that decides a training run besides the network and the data.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The per-example loss ℓ of the margins; R is its mean.
    pub loss: MarginLoss,
    /// How a gradient becomes an update.
    pub rule: StepRule,
    /// The step size η (for the adaptive rule, its starting value, on ∇R).
    pub lr: f64,
    /// The step budget: at most this many updates.
    pub steps: usize,
    /// Examples per mini-batch (seeded shuffles, the remainder of an epoch dropped);
    /// `None` (or a size ≥ n) trains on the full batch. (The adaptive rule then compares the
    /// losses of successive batches, which is noisy: it is meant for full-batch training.)
    pub batch_size: Option<usize>,
    /// Seeds the mini-batch shuffles.
    pub seed: u64,
    /// Stop once the (batch) loss R is at or below this.
    pub target_loss: Option<f64>,
}

impl TrainConfig {
    /// A full-batch configuration with seed 0 and no loss target.
    pub fn new(loss: MarginLoss, rule: StepRule, lr: f64, steps: usize) -> Self {
        Self {
            loss,
            rule,
            lr,
            steps,
            batch_size: None,
            seed: 0,
            target_loss: None,
        }
    }
}

/// What one evaluated iterate of training looked like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo {
    /// Number of updates applied before this iterate (0 = the initial weights).
    pub step: usize,
    /// The mean loss R at the network's current weights (on the current batch); may underflow to 0.
    pub loss: f64,
    /// ln R, computed in the log domain: accurate when R is far below 1e-300.
    pub log_loss: f64,
    /// The step size of the update from this iterate: η, except for the adaptive rule, where it
    /// is η·R, the factor its update applies to ∇ln R.
    pub lr: f64,
    /// ‖∇‖ over the trained parameters (those of `!fixed` entries left out), of ln R for the
    /// log-domain rules (loss-normalized, grad-normalized, adaptive) and of R for the others.
    pub grad_norm: f64,
}

/// What the callback wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop now, keeping the current weights.
    Stop,
}

/// Why training ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The step budget was used up.
    Budget,
    /// The loss reached the configured target.
    TargetLoss,
    /// The callback returned [`Control::Stop`].
    Callback,
}

/// How a training run ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOutcome {
    /// Updates applied (including rejected-and-retried steps of the adaptive rule).
    pub steps: usize,
    /// Why it stopped.
    pub reason: StopReason,
    /// The last iterate: the loss at the final weights.
    pub last: StepInfo,
}

/// Why training could not run or had to stop.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A NaN or infinity appeared; the network was restored to the last weights with a finite loss.
    #[error("training diverged at step {step}: {what}; the network keeps the last good weights")]
    Diverged {
        /// The update count when it happened.
        step: usize,
        /// What became non-finite.
        what: String,
    },
    /// The data does not fit the network (names both shapes).
    #[error("train: {0}")]
    Shape(String),
    /// The data itself is unusable (labels, non-finite inputs, no examples).
    #[error("train: {0}")]
    Data(String),
    /// A configuration value is out of range.
    #[error("train: {0}")]
    Config(String),
}

/// Trains `net` on x \[n, in\] with labels y \[n\] in {−1, +1} (scalar-output networks; margins
/// m = y·f(x)).
///
/// `callback` is called for every evaluated iterate, including the initial weights and the final
/// ones, with the step info and the network at exactly the weights the info describes (before
/// the update from them); keep it cheap, and decide in it when to compute metrics. Training stops
/// after `cfg.steps` updates, when the loss reaches `cfg.target_loss`, or when the callback says
/// [`Control::Stop`]. A NaN/Inf in the loss, gradient or weights stops training with
/// [`TrainError::Diverged`] and the network restored to the last good weights.
///
/// On a rayon pool of several threads, when the network's products are big enough to share
/// ([`team_for`]), the run holds a [`Team`] (see [`Trainer`]) and the callback finds its
/// parallelism on the network's tape ([`autodiff::Tape::parallelism`]); work the callback hands
/// to rayon directly runs on the calling thread only. A network too small to share runs as on
/// one thread. The tape is handed back with [`Parallelism::NONE`].
///
/// ```
/// use autodiff::Tensor;
/// use models::{Arch, Control, Init, MarginLoss, Network, StepRule, TrainConfig, train};
///
/// // Four points in the plane, labelled by the sign of their first coordinate.
/// let x = Tensor::from_vec(vec![1.0, 0.5, 2.0, -1.0, -1.5, 0.2, -0.5, -2.0], &[4, 2]).unwrap();
/// let y = Tensor::from_vec(vec![1.0, 1.0, -1.0, -1.0], &[4]).unwrap();
/// let arch: Arch = "2,linear:3,linear:3,1".parse().unwrap();
/// let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 0.5 }, 0);
/// let cfg = TrainConfig::new(MarginLoss::Logistic, StepRule::GradNormalized, 0.1, 500);
/// let mut first_loss = None;
/// let outcome = train(&mut net, &x, &y, &cfg, |info, _net| {
///     first_loss.get_or_insert(info.loss);
///     Control::Continue
/// })
/// .unwrap();
/// assert_eq!(outcome.steps, 500);
/// assert!(outcome.last.loss < first_loss.unwrap() / 10.0);
/// ```
pub fn train<T: Element>(
    net: &mut Network<T>,
    x: &Tensor<T>,
    y: &Tensor<T>,
    cfg: &TrainConfig,
    callback: impl FnMut(&StepInfo, &Network<T>) -> Control,
) -> Result<TrainOutcome, TrainError> {
    /// A callback as an observer that is told only of evaluated iterates.
    struct Evaluations<F>(F);
    impl<T: Element, F: FnMut(&StepInfo, &Network<T>) -> Control> Observer<T> for Evaluations<F> {
        fn evaluated(&mut self, info: &StepInfo, net: &Network<T>) -> Control {
            (self.0)(info, net)
        }
    }
    train_with(net, x, y, cfg, None, &mut Evaluations(callback))
}

/// What a training loop tells the code watching it, and where that code can stop it.
pub trait Observer<T: Element> {
    /// Called for every evaluated iterate, as [`train`]'s callback is.
    fn evaluated(&mut self, info: &StepInfo, net: &Network<T>) -> Control;

    /// Called after every update, before the next evaluation: the moment at which
    /// [`Trainer::state`] and the weights of `net` are a complete checkpoint. Stopping here ends
    /// training with [`StopReason::Callback`], `steps` counting this update.
    fn updated(&mut self, trainer: &Trainer<'_, T>, net: &Network<T>) -> Control {
        let _ = (trainer, net);
        Control::Continue
    }
}

/// [`train`] with an [`Observer`], continuing from `from` when given: a state taken by
/// [`Trainer::state`] (in [`Observer::updated`]) from a run of the same network, data and
/// configuration, with `net` holding the weights of that moment. The continued run takes the
/// same steps, bit for bit, as the run the state was taken from.
pub fn train_with<T: Element>(
    net: &mut Network<T>,
    x: &Tensor<T>,
    y: &Tensor<T>,
    cfg: &TrainConfig,
    from: Option<&TrainState<T>>,
    observer: &mut impl Observer<T>,
) -> Result<TrainOutcome, TrainError> {
    let mut trainer = match from {
        Some(state) => Trainer::resume(net, x, y, cfg, state)?,
        None => Trainer::new(net, x, y, cfg)?,
    };
    let mut steps = || {
        loop {
            let info = trainer.evaluate(net)?;
            let stop = |reason, steps| {
                Ok(TrainOutcome {
                    steps,
                    reason,
                    last: info,
                })
            };
            if observer.evaluated(&info, net) == Control::Stop {
                return stop(StopReason::Callback, info.step);
            }
            if cfg.target_loss.is_some_and(|t| info.loss <= t) {
                return stop(StopReason::TargetLoss, info.step);
            }
            if info.step >= cfg.steps {
                return stop(StopReason::Budget, info.step);
            }
            trainer.update(net)?;
            if observer.updated(&trainer, net) == Control::Stop {
                return stop(StopReason::Callback, trainer.step());
            }
        }
    };
    let outcome = steps();
    net.tape().set_parallelism(Parallelism::NONE);
    outcome
}

/// The team [`Trainer`] runs steps of `net` on batches of `rows` examples with: a team of the
/// current rayon pool's threads when the network has a product big enough to share
/// ([`kernels::gemm::team_pays`]), else none, and the steps run exactly as on one thread. For
/// benchmarks and hand-written loops, which hand its parallelism to the network's tape.
pub fn team_for<T: Element>(net: &Network<T>, rows: usize) -> Option<Team> {
    let threads = kernels::parallel::available_threads();
    kernels::gemm::team_pays::<T>(threads, net.largest_product(rows)).then(Team::new)
}
