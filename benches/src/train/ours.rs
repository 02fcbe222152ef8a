//! Ours: a training step written the way a user of the framework writes it, on a
//! `models::Network` and its autodiff tape.

use autodiff::{Element, MarginLoss, Tensor};
use kernels::elementwise::axpy;
use kernels::parallel::Parallelism;
use models::{Network, StepRule, TrainConfig, Trainer};

use super::probe::Probe;

/// A network, its data and its step size: one call of [`Self::step`] is one full-batch step of
/// plain gradient descent on the mean logistic loss.
pub struct TapeStep<T: Element> {
    net: Network<T>,
    x: Tensor<T>,
    y: Tensor<T>,
    lr: T,
}

impl<T: Element> TapeStep<T> {
    /// A step for `net` on x \[n, in\] and labels y \[n\].
    pub fn new(net: Network<T>, x: Tensor<T>, y: Tensor<T>, lr: f64) -> Self {
        Self {
            net,
            x,
            y,
            lr: T::from_f64(lr),
        }
    }

    /// Sets the threads the step's kernels may use (see `autodiff::Tape::set_parallelism`).
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.net.tape().set_parallelism(par);
    }

    /// The network at its current weights.
    pub fn network(&self) -> &Network<T> {
        &self.net
    }

    /// One step: forward, loss, backward, update. Returns the loss before the update.
    pub fn step(&mut self) -> T {
        self.step_probed(&mut super::probe::NoProbe)
    }

    /// [`Self::step`], reporting each phase to `probe`. Never inlined, so that profiles and
    /// instruction counts attribute the step to it.
    #[inline(never)]
    pub fn step_probed(&mut self, probe: &mut impl Probe) -> T {
        let (n, d) = (self.x.rows(), self.x.cols());
        let tape = self.net.tape();
        tape.reset();
        let x = tape.input(self.x.data(), &[n, d]);
        let y = tape.input(self.y.data(), &[n]);
        let out = self.net.forward(x);
        probe.lap("tape forward");
        let tape = self.net.tape();
        let f = tape.reshape(out, &[n]);
        let margins = tape.mul(f, y);
        let loss = tape.margin_loss(margins, MarginLoss::Logistic);
        probe.lap("tape loss");
        tape.backward(loss);
        probe.lap("tape backward");
        let minus_lr = -self.lr;
        tape.update_params(|_, w, g, par| axpy(minus_lr, g, w, par));
        probe.lap("update");
        tape.value(loss).item()
    }
}

/// The same step through `models::Trainer` (evaluate, then update), which also computes ln R,
/// the gradient norm and a rollback copy of the weights every step: what `models::train` costs
/// per step besides the callback.
pub struct TrainerStep<'a, T: Element> {
    net: Network<T>,
    trainer: Trainer<'a, T>,
}

impl<'a, T: Element> TrainerStep<'a, T> {
    /// A trainer for `net` on x \[n, in\] and labels y \[n\] with constant step size `lr`.
    pub fn new(net: Network<T>, x: &'a Tensor<T>, y: &'a Tensor<T>, lr: f64) -> Self {
        let cfg = TrainConfig::new(MarginLoss::Logistic, StepRule::Constant, lr, usize::MAX);
        let trainer = Trainer::new(&net, x, y, &cfg)
            .unwrap_or_else(|e| panic!("the benchmark's data fits its network: {e}"));
        Self { net, trainer }
    }

    /// The threads the trainer's steps run on (its team's when the workload is worth one).
    pub fn parallelism(&self) -> &Parallelism {
        self.trainer.parallelism()
    }

    /// One step: evaluate the loss and gradient, then update. Returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        let info = self
            .trainer
            .evaluate(&mut self.net)
            .unwrap_or_else(|e| panic!("the benchmark's training diverged: {e}"));
        self.trainer
            .update(&mut self.net)
            .unwrap_or_else(|e| panic!("the benchmark's training diverged: {e}"));
        info.loss
    }
}
