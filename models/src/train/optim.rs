//! The per-parameter arithmetic of each step rule, with its state allocated once up front.

use autodiff::Element;
use kernels::elementwise::axpy;
use kernels::parallel::Parallelism;

use crate::rule::StepRule;

/// Optimizer state (momentum buffers or Adam moments), one buffer per tape parameter.
pub(crate) struct Optimizer<T> {
    rule: StepRule,
    first: Vec<Vec<T>>,
    second: Vec<Vec<T>>,
    /// Number of updates applied, for Adam's bias correction.
    updates: u32,
}

/// The scalars of one update, converted to the element type once per step.
#[derive(Clone, Copy)]
pub(crate) struct StepScalars<T> {
    /// Multiplies the gradient (η, or η/‖g‖ for the gradient-normalized rule).
    lr: T,
    beta1: T,
    beta2: T,
    /// Adam: 1/(1 − β1^t) and 1/(1 − β2^t).
    correct1: T,
    correct2: T,
    eps: T,
}

impl<T: Element> Optimizer<T> {
    /// State for parameters of the given lengths (empty for rules that keep none).
    pub(crate) fn new(rule: StepRule, lengths: &[usize]) -> Self {
        let buffers = |on: bool| -> Vec<Vec<T>> {
            if on {
                lengths.iter().map(|&n| vec![T::ZERO; n]).collect()
            } else {
                Vec::new()
            }
        };
        let momentum = matches!(rule, StepRule::Momentum { .. } | StepRule::Adam { .. });
        let adam = matches!(rule, StepRule::Adam { .. });
        Self {
            rule,
            first: buffers(momentum),
            second: buffers(adam),
            updates: 0,
        }
    }

    /// The first and second moments (each empty when the rule keeps none) and the update count.
    pub(crate) fn moments(&self) -> (&[Vec<T>], &[Vec<T>], u32) {
        (&self.first, &self.second, self.updates)
    }

    /// Puts back moments taken by [`Self::moments`]; they must be the ones this rule keeps.
    pub(crate) fn restore(
        &mut self,
        first: &[Vec<T>],
        second: &[Vec<T>],
        updates: u32,
    ) -> Result<(), String> {
        for (what, mine, theirs) in [
            ("first", &mut self.first, first),
            ("second", &mut self.second, second),
        ] {
            if mine.len() != theirs.len() {
                return Err(format!(
                    "the step rule {} keeps {} {what}-moment buffers, the state has {}",
                    self.rule,
                    mine.len(),
                    theirs.len()
                ));
            }
            mine.clone_from_slice(theirs);
        }
        self.updates = updates;
        Ok(())
    }

    /// Starts an update with step size `lr` and gradient norm `grad_norm`; returns the scalars
    /// [`Self::apply`] needs.
    pub(crate) fn begin(&mut self, lr: f64, grad_norm: f64) -> StepScalars<T> {
        self.updates = self.updates.saturating_add(1);
        let t = self.updates as i32;
        let (mut beta1, mut beta2, mut eps) = (0.0, 0.0, 0.0);
        let (mut correct1, mut correct2) = (1.0, 1.0);
        let mut scale = lr;
        match self.rule {
            // At a stationary point there is no direction to normalize: take no step.
            StepRule::GradNormalized => scale = if grad_norm > 0.0 { lr / grad_norm } else { 0.0 },
            StepRule::Momentum { beta } => beta1 = beta,
            StepRule::Adam {
                beta1: b1,
                beta2: b2,
                eps: e,
            } => {
                (beta1, beta2, eps) = (b1, b2, e);
                correct1 = 1.0 / (1.0 - b1.powi(t));
                correct2 = 1.0 / (1.0 - b2.powi(t));
            }
            StepRule::Constant | StepRule::LossNormalized | StepRule::Adaptive { .. } => {}
        }
        StepScalars {
            lr: T::from_f64(scale),
            beta1: T::from_f64(beta1),
            beta2: T::from_f64(beta2),
            correct1: T::from_f64(correct1),
            correct2: T::from_f64(correct2),
            eps: T::from_f64(eps),
        }
    }

    /// Applies the update to parameter `i` with value `w` and gradient `g`.
    pub(crate) fn apply(
        &mut self,
        s: StepScalars<T>,
        i: usize,
        w: &mut [T],
        g: &[T],
        par: &Parallelism,
    ) {
        match self.rule {
            StepRule::Momentum { .. } => {
                let v = &mut self.first[i];
                for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
                    *v = s.beta1 * *v + g;
                    *w -= s.lr * *v;
                }
            }
            StepRule::Adam { .. } => {
                let (m, v) = (&mut self.first[i], &mut self.second[i]);
                let (one1, one2) = (T::ONE - s.beta1, T::ONE - s.beta2);
                for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
                    *m = s.beta1 * *m + one1 * g;
                    *v = s.beta2 * *v + one2 * g * g;
                    *w -= s.lr * (*m * s.correct1) / ((*v * s.correct2).sqrt() + s.eps);
                }
            }
            StepRule::Constant
            | StepRule::LossNormalized
            | StepRule::GradNormalized
            | StepRule::Adaptive { .. } => {
                // w + (−η)·g, bit for bit w − η·g (negation is exact); SIMD, and cut across a
                // team's threads for long parameters.
                axpy(-s.lr, g, w, par);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_each_coordinate_by_lr() {
        let rule = StepRule::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-12,
        };
        let mut opt = Optimizer::<f64>::new(rule, &[3]);
        let mut w = vec![1.0, 1.0, 1.0];
        let s = opt.begin(0.1, 0.0);
        opt.apply(s, 0, &mut w, &[2.0, -0.5, 1e-3], &Parallelism::NONE);
        for (x, e) in w.iter().zip([0.9, 1.1, 0.9]) {
            assert!((x - e).abs() < 1e-9, "{x} vs {e}");
        }
    }

    #[test]
    fn momentum_accumulates_and_grad_normalized_has_length_lr() {
        let mut opt = Optimizer::<f64>::new(StepRule::Momentum { beta: 0.5 }, &[1]);
        let mut w = vec![0.0];
        for _ in 0..2 {
            let s = opt.begin(1.0, 0.0);
            opt.apply(s, 0, &mut w, &[1.0], &Parallelism::NONE);
        }
        // v1 = 1, v2 = 1.5: w = −2.5.
        assert_eq!(w, [-2.5]);
        let mut opt = Optimizer::<f32>::new(StepRule::GradNormalized, &[2]);
        let mut w = vec![0.0f32, 0.0];
        let s = opt.begin(0.5, 5.0);
        opt.apply(s, 0, &mut w, &[3.0, 4.0], &Parallelism::NONE);
        assert_eq!(w, [-0.3, -0.4]);
    }
}
