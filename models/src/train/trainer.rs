//! The training state machine: evaluate the loss and gradient at the current weights, then update.
//!
//! Everything a step needs (mini-batch buffers, optimizer state, the rollback copy of the weights
//! and, for the adaptive rule, of the gradient) is allocated in [`Trainer::new`], so that after
//! the first step a step allocates nothing on the heap.

use autodiff::{Element, Tensor};
use kernels::parallel::{Parallelism, Team};
use kernels::rng::Rng;

use super::optim::Optimizer;
use super::{StepInfo, TrainConfig, TrainError, TrainState};
use crate::network::Network;
use crate::rule::StepRule;

/// ln of the adaptive step size on ∇R below which it is considered to have collapsed (1e-300).
const MIN_LOG_ETA: f64 = -690.8;

/// A training run in progress: call [`Trainer::evaluate`] then [`Trainer::update`], repeatedly
/// ([`super::train`] does this with a callback and stopping rules).
///
/// On a rayon pool of several threads, when the network's products on a batch are big enough to
/// share ([`super::team_for`]), the trainer leads a [`Team`] of the pool's threads for its whole
/// life and hands the team's parallelism to the network's tape on every evaluation: the other
/// threads poll for work between the step's products (busy for up to 200 µs after each, then
/// napping). A network too small to share runs as on one thread.
pub struct Trainer<'a, T: Element> {
    x: &'a Tensor<T>,
    y: &'a Tensor<T>,
    cfg: TrainConfig,
    /// Examples per step (n for full batch).
    batch: usize,
    /// Mini-batch order, reshuffled every epoch, and the position in it.
    order: Vec<usize>,
    cursor: usize,
    rng: Rng,
    x_batch: Vec<T>,
    y_batch: Vec<T>,
    optimizer: Optimizer<T>,
    /// The weights before the latest update: the last ones with a finite loss.
    backup: Vec<Vec<T>>,
    /// Adaptive rule: the gradient at `backup`, to retry a rejected step without recomputing it.
    grad_backup: Vec<Vec<T>>,
    has_backup: bool,
    /// Checkpoint-style names of the tape parameters, for divergence messages.
    param_names: Vec<String>,
    /// Per tape parameter, whether it is trained ([`Network::trained`]): the update, the
    /// optimizer's state and the gradient norm leave the others out.
    trained: Vec<bool>,
    /// Adaptive rule: ln η, where η is the step size on ∇R (kept in logs: η grows like 1/R).
    log_eta: f64,
    /// Updates applied so far.
    step: usize,
    /// The last accepted iterate (adaptive rule).
    accepted: Option<StepInfo>,
    /// The next update retries from `backup` with `grad_backup` (adaptive rule).
    retry: bool,
    /// The threads the steps run on: `team`'s, or the calling thread's alone.
    par: Parallelism,
    /// Kept on hand for the steps while the trainer lives (dropping it lets the helpers go).
    _team: Option<Team>,
}

impl<'a, T: Element> Trainer<'a, T> {
    /// Checks the data and configuration against the network and allocates all step state.
    pub fn new(
        net: &Network<T>,
        x: &'a Tensor<T>,
        y: &'a Tensor<T>,
        cfg: &TrainConfig,
    ) -> Result<Self, TrainError> {
        check(net, x, y, cfg)?;
        let n = x.shape()[0];
        let d = x.shape()[1];
        let batch = cfg.batch_size.map_or(n, |b| b.min(n));
        let tape = net.tape_ref();
        let lengths: Vec<usize> = tape.params().iter().map(|&p| tape.value(p).len()).collect();
        let param_names: Vec<String> = net.named_params().into_iter().map(|(n, _)| n).collect();
        let zeros = |on: bool| -> Vec<Vec<T>> {
            if on {
                lengths.iter().map(|&n| vec![T::ZERO; n]).collect()
            } else {
                Vec::new()
            }
        };
        let adaptive = matches!(cfg.rule, StepRule::Adaptive { .. });
        let mini = batch < n;
        let team = super::team_for(net, batch);
        let par = team.as_ref().map_or(Parallelism::NONE, Team::parallelism);
        Ok(Self {
            x,
            y,
            cfg: cfg.clone(),
            batch,
            order: (0..n).collect(),
            cursor: n,
            rng: Rng::new(cfg.seed),
            x_batch: vec![T::ZERO; if mini { batch * d } else { 0 }],
            y_batch: vec![T::ZERO; if mini { batch } else { 0 }],
            optimizer: Optimizer::new(cfg.rule, &lengths),
            backup: zeros(true),
            grad_backup: zeros(adaptive),
            has_backup: false,
            param_names,
            trained: net.trained().to_vec(),
            log_eta: cfg.lr.ln(),
            step: 0,
            accepted: None,
            retry: false,
            par,
            _team: team,
        })
    }

    /// A trainer that continues from `state`, taken by [`Trainer::state`] from a run of the same
    /// network, data and configuration, with `net` holding the weights of that moment: from here
    /// on it takes the same steps, bit for bit, as the run it was taken from.
    pub fn resume(
        net: &Network<T>,
        x: &'a Tensor<T>,
        y: &'a Tensor<T>,
        cfg: &TrainConfig,
        state: &TrainState<T>,
    ) -> Result<Self, TrainError> {
        let mut trainer = Self::new(net, x, y, cfg)?;
        let lengths: Vec<usize> = trainer.backup.iter().map(Vec::len).collect();
        let bad = |e: String| TrainError::Config(format!("cannot resume: {e}"));
        state.check(&lengths, trainer.order.len()).map_err(bad)?;
        if state.grad_backup.len() != trainer.grad_backup.len() {
            return Err(bad(format!(
                "the step rule {} keeps {} gradient copies, the state has {}",
                cfg.rule,
                trainer.grad_backup.len(),
                state.grad_backup.len()
            )));
        }
        trainer
            .optimizer
            .restore(&state.first, &state.second, state.updates)
            .map_err(bad)?;
        trainer.step = state.step;
        trainer.rng = Rng::from_state(state.rng);
        trainer.order.clone_from(&state.order);
        trainer.cursor = state.cursor;
        if let Some(backup) = &state.backup {
            trainer.backup.clone_from(backup);
        }
        trainer.has_backup = state.backup.is_some();
        trainer.grad_backup.clone_from(&state.grad_backup);
        trainer.log_eta = state.log_eta;
        trainer.accepted = state.accepted;
        Ok(trainer)
    }

    /// The state to continue this run from, taken between an update and the next evaluation
    /// (with the network's current weights); see [`Trainer::resume`].
    pub fn state(&self) -> TrainState<T> {
        let (first, second, updates) = self.optimizer.moments();
        TrainState {
            step: self.step,
            rng: self.rng.state(),
            order: self.order.clone(),
            cursor: self.cursor,
            first: first.to_vec(),
            second: second.to_vec(),
            updates,
            backup: self.has_backup.then(|| self.backup.clone()),
            grad_backup: self.grad_backup.clone(),
            log_eta: self.log_eta,
            accepted: self.accepted,
        }
    }

    /// The threads the trainer's steps run on: its team's, or [`Parallelism::NONE`]. Work run
    /// beside the steps (a benchmark's other contenders, metrics) can share the team through it.
    pub fn parallelism(&self) -> &Parallelism {
        &self.par
    }

    /// Updates applied so far.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Computes the loss and gradient at the current weights (on the next mini-batch).
    ///
    /// With the adaptive rule, an iterate whose loss rose (or is not finite) is rejected here: the
    /// weights go back to the last accepted ones, the step size shrinks, and the returned info
    /// describes the restored iterate. Other rules report a non-finite loss or gradient as
    /// [`TrainError::Diverged`], after restoring the previous weights.
    pub fn evaluate(&mut self, net: &mut Network<T>) -> Result<StepInfo, TrainError> {
        net.tape().set_parallelism(self.par.clone());
        let (loss, log_loss, grad_norm) = self.loss_and_gradient(net);
        let uses_log = self.cfg.rule.uses_log_loss();
        let objective = if uses_log { log_loss } else { loss };
        // In the log domain even ln R = −∞ means the margins overflowed; R = 0 is an honest
        // underflow for the rules that work with R itself.
        let broken = if uses_log {
            !objective.is_finite()
        } else {
            objective.is_nan() || objective == f64::INFINITY
        };
        let problem = if broken {
            let which = if uses_log { "log-loss ln R" } else { "loss R" };
            Some(format!("the {which} is {objective}"))
        } else if !grad_norm.is_finite() {
            Some(format!("the gradient norm is {grad_norm}"))
        } else {
            None
        };
        let info = StepInfo {
            step: self.step,
            loss,
            log_loss,
            lr: self.cfg.lr,
            grad_norm,
        };
        if let StepRule::Adaptive { grow, shrink } = self.cfg.rule
            && let Some(prev) = self.accepted
        {
            if problem.is_some() || log_loss > prev.log_loss {
                self.restore(net);
                self.retry = true;
                self.log_eta += shrink.ln();
                if self.log_eta < MIN_LOG_ETA {
                    return Err(self.diverged(format!(
                        "the adaptive step size shrank to e^{:.1} without the loss falling",
                        self.log_eta
                    )));
                }
                let info = StepInfo {
                    step: self.step,
                    lr: self.adaptive_lr(prev.log_loss),
                    ..prev
                };
                self.accepted = Some(info);
                return Ok(info);
            }
            if log_loss < prev.log_loss {
                self.log_eta += grow.ln();
            }
        }
        if let StepRule::Adaptive { .. } = self.cfg.rule
            && problem.is_none()
        {
            let info = StepInfo {
                lr: self.adaptive_lr(log_loss),
                ..info
            };
            self.accepted = Some(info);
            return Ok(info);
        }
        if let Some(what) = problem {
            if self.has_backup {
                self.restore(net);
            }
            return Err(self.diverged(what));
        }
        self.accepted = Some(info);
        Ok(info)
    }

    /// Applies one update from the weights last evaluated (or, after a rejected adaptive step,
    /// from the restored ones). A non-finite weight restores the previous weights and, except
    /// with the adaptive rule (which shrinks its step and carries on), is [`TrainError::Diverged`].
    pub fn update(&mut self, net: &mut Network<T>) -> Result<(), TrainError> {
        let Some(from) = self.accepted else {
            return Err(TrainError::Config("update called before evaluate".into()));
        };
        let scalars = self.optimizer.begin(from.lr, from.grad_norm);
        let retry = std::mem::take(&mut self.retry);
        let keep_grad = !self.grad_backup.is_empty();
        let Self {
            optimizer,
            backup,
            grad_backup,
            trained,
            ..
        } = self;
        let mut first_bad = None;
        net.tape().update_params(|i, w, g, par| {
            let g = if retry {
                w.copy_from_slice(&backup[i]);
                &grad_backup[i][..]
            } else {
                backup[i].copy_from_slice(w);
                if keep_grad {
                    grad_backup[i].copy_from_slice(g);
                }
                g
            };
            // A fixed parameter keeps its value, and its optimizer state its zeros.
            if !trained[i] {
                return;
            }
            optimizer.apply(scalars, i, w, g, par);
            // max |w| is NaN or infinite exactly when some entry is: one SIMD pass.
            if first_bad.is_none() && !kernels::reduce::max_abs(w).is_finite() {
                first_bad = Some(i);
            }
        });
        self.has_backup = true;
        self.step += 1;
        if let Some(i) = first_bad {
            self.restore(net);
            let what = format!(
                "{} has a non-finite value after the update (step size {})",
                self.param_names[i], from.lr
            );
            match self.cfg.rule {
                StepRule::Adaptive { shrink, .. } => self.log_eta += shrink.ln(),
                _ => return Err(self.diverged(what)),
            }
        }
        Ok(())
    }

    /// The adaptive rule's η·∇R as a step on ∇ln R: η·R, computed in logs.
    fn adaptive_lr(&self, log_loss: f64) -> f64 {
        (self.log_eta + log_loss).exp()
    }

    fn diverged(&self, what: String) -> TrainError {
        TrainError::Diverged {
            step: self.step,
            what,
        }
    }

    /// Puts the weights saved before the latest update back.
    fn restore(&self, net: &mut Network<T>) {
        net.tape()
            .update_params(|i, w, _, _| w.copy_from_slice(&self.backup[i]));
    }

    /// Records forward, both losses and backward on the net's tape: (R, ln R, ‖∇‖).
    fn loss_and_gradient(&mut self, net: &mut Network<T>) -> (f64, f64, f64) {
        let d = self.x.shape()[1];
        let b = self.batch;
        let (xs, ys) = self.next_batch();
        let tape = net.tape();
        tape.reset();
        let xv = tape.input(xs, &[b, d]);
        let yv = tape.input(ys, &[b]);
        let out = net.forward(xv);
        let tape = net.tape();
        let f = tape.reshape(out, &[b]);
        let margins = tape.mul(f, yv);
        let r = tape.margin_loss(margins, self.cfg.loss);
        let log_r = tape.log_margin_loss(margins, self.cfg.loss);
        tape.backward(if self.cfg.rule.uses_log_loss() {
            log_r
        } else {
            r
        });
        let loss = tape.value(r).item().to_f64();
        let log_loss = tape.value(log_r).item().to_f64();
        (loss, log_loss, grad_norm(tape, &self.trained))
    }

    /// The next batch's inputs and labels (the whole data set for full-batch training).
    fn next_batch(&mut self) -> (&[T], &[T]) {
        let n = self.order.len();
        if self.batch == n {
            return (self.x.data(), self.y.data());
        }
        if self.cursor + self.batch > n {
            self.rng.shuffle(&mut self.order);
            self.cursor = 0;
        }
        let d = self.x.shape()[1];
        let rows = &self.order[self.cursor..self.cursor + self.batch];
        for (j, &i) in rows.iter().enumerate() {
            self.x_batch[j * d..(j + 1) * d].copy_from_slice(&self.x.data()[i * d..(i + 1) * d]);
            self.y_batch[j] = self.y.data()[i];
        }
        self.cursor += self.batch;
        (&self.x_batch, &self.y_batch)
    }
}

/// Validates data shapes, labels and configuration before anything is allocated.
fn check<T: Element>(
    net: &Network<T>,
    x: &Tensor<T>,
    y: &Tensor<T>,
    cfg: &TrainConfig,
) -> Result<(), TrainError> {
    let arch = net.arch();
    if arch.output != 1 {
        return Err(TrainError::Shape(format!(
            "training needs a scalar-output network, but `{arch}` has {} outputs",
            arch.output
        )));
    }
    if x.shape().len() != 2 || x.shape()[1] != arch.input {
        return Err(TrainError::Shape(format!(
            "x is {:?} but the network `{arch}` takes [n, {}]",
            x.shape(),
            arch.input
        )));
    }
    let n = x.shape()[0];
    if y.shape() != [n] {
        return Err(TrainError::Shape(format!(
            "x is {:?} so y must be [{n}], but it is {:?}",
            x.shape(),
            y.shape()
        )));
    }
    if n == 0 {
        return Err(TrainError::Data("the data set has no examples".into()));
    }
    if let Some((i, v)) = y
        .data()
        .iter()
        .enumerate()
        .find(|(_, v)| v.to_f64().abs() != 1.0)
    {
        return Err(TrainError::Data(format!(
            "label {i} is {v}; labels must be -1 or +1"
        )));
    }
    if let Some(i) = x.data().iter().position(|v| !v.is_finite()) {
        return Err(TrainError::Data(format!(
            "x[{}, {}] is {}",
            i / arch.input,
            i % arch.input,
            x.data()[i]
        )));
    }
    if !(cfg.lr.is_finite() && cfg.lr > 0.0) {
        return Err(TrainError::Config(format!(
            "the step size must be a finite positive number, got {}",
            cfg.lr
        )));
    }
    cfg.rule.validate().map_err(TrainError::Config)?;
    if cfg.batch_size == Some(0) {
        return Err(TrainError::Config("the batch size must be positive".into()));
    }
    if let Some(t) = cfg.target_loss
        && t.is_nan()
    {
        return Err(TrainError::Config("the target loss is NaN".into()));
    }
    Ok(())
}

/// ‖∇‖ over the parameters of the last backward that are `trained` (the gradient of the
/// function of the trained parameters alone), without overflowing for huge finite gradients;
/// NaN if a gradient entry is NaN. Each parameter's norm is one SIMD pass (`kernels::reduce`),
/// and the norms are combined with a running scale, as LAPACK's `nrm2` does.
fn grad_norm<T: Element>(tape: &autodiff::Tape<T>, trained: &[bool]) -> f64 {
    let (mut scale, mut sum_sq) = (0.0_f64, 1.0_f64);
    for (&p, _) in tape.params().iter().zip(trained).filter(|(_, on)| **on) {
        let grad = tape.grad(p).expect("parameters always have a gradient");
        let norm = kernels::reduce::norm2(grad.data()).to_f64();
        if !norm.is_finite() {
            return norm;
        }
        if norm > scale {
            sum_sq = 1.0 + sum_sq * (scale / norm).powi(2);
            scale = norm;
        } else if norm > 0.0 {
            sum_sq += (norm / scale).powi(2);
        }
    }
    scale * sum_sq.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ‖∇‖ of sum(a·c) + sum(b·d) is ‖(c, d)‖: 13 for c = (3, 4, 0)·s, d = 12·s, at any scale s,
    /// even where the squares overflow; NaN when an entry is NaN.
    #[test]
    fn grad_norm_combines_parameters_safely() {
        let norm_for = |c: [f64; 3], d: f64| {
            let mut tape = autodiff::Tape::<f64>::new();
            let a = tape.param(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap());
            let b = tape.param(Tensor::from_vec(vec![4.0], &[1]).unwrap());
            let cv = tape.input(&c, &[3]);
            let dv = tape.input(&[d], &[1]);
            let ac = tape.mul(a, cv);
            let bd = tape.mul(b, dv);
            let (left, right) = (tape.sum(ac), tape.sum(bd));
            let loss = tape.add(left, right);
            tape.backward(loss);
            grad_norm(&tape, &[true, true])
        };
        assert_eq!(norm_for([3.0, 4.0, 0.0], 12.0), 13.0);
        let huge = norm_for([3e300, 4e300, 0.0], 12e300);
        assert!((huge / 13e300 - 1.0).abs() < 1e-15, "{huge}");
        assert_eq!(norm_for([0.0; 3], 0.0), 0.0);
        assert!(norm_for([3.0, f64::NAN, 0.0], 12.0).is_nan());
        assert_eq!(norm_for([3.0, 4.0, 0.0], f64::INFINITY), f64::INFINITY);
    }

    /// A parameter that is not trained is left out of the norm: ‖∇‖ = ‖c‖ = 5 without b.
    #[test]
    fn grad_norm_leaves_out_fixed_parameters() {
        let mut tape = autodiff::Tape::<f64>::new();
        let a = tape.param(Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap());
        let b = tape.param(Tensor::from_vec(vec![4.0], &[1]).unwrap());
        let cv = tape.input(&[3.0, 4.0], &[2]);
        let dv = tape.input(&[12.0], &[1]);
        let ac = tape.mul(a, cv);
        let bd = tape.mul(b, dv);
        let (left, right) = (tape.sum(ac), tape.sum(bd));
        let loss = tape.add(left, right);
        tape.backward(loss);
        assert_eq!(grad_norm(&tape, &[true, false]), 5.0);
        assert_eq!(grad_norm(&tape, &[false, true]), 12.0);
        assert_eq!(grad_norm(&tape, &[false, false]), 0.0);
    }
}
