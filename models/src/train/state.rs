//! What a training run carries from one step to the next besides the weights, so that a run
//! stopped between two steps continues bit for bit as if it had never stopped.

use kernels::rng::RngState;

use super::StepInfo;

/// The state of a [`super::Trainer`] between an update and the next evaluation:
/// [`super::Trainer::state`] takes it, [`super::Trainer::resume`] continues from it. With the
/// weights at the same moment, it is everything the rest of the run depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState<T> {
    /// Updates applied so far (the step the next evaluation reports).
    pub step: usize,
    /// The mini-batch shuffles' generator.
    pub rng: RngState,
    /// The current epoch's example order (mini-batch training), and the position in it.
    pub order: Vec<usize>,
    /// Examples of `order` already used in this epoch.
    pub cursor: usize,
    /// Momentum buffers, or Adam's first moments: one per parameter (empty for other rules).
    pub first: Vec<Vec<T>>,
    /// Adam's second moments, one per parameter (empty for other rules).
    pub second: Vec<Vec<T>>,
    /// Updates the optimizer has applied (Adam's bias correction).
    pub updates: u32,
    /// The weights before the latest update, per parameter: where a divergence or a rejected
    /// adaptive step goes back to. None before the first update.
    pub backup: Option<Vec<Vec<T>>>,
    /// Adaptive rule: the gradient at `backup`, to retry a rejected step (empty otherwise).
    pub grad_backup: Vec<Vec<T>>,
    /// Adaptive rule: ln η, η the step size on ∇R.
    pub log_eta: f64,
    /// The last accepted iterate (adaptive rule: what the next loss is compared with).
    /// (A rejected adaptive step is retried by the very next update, so between an update and
    /// the next evaluation no retry is ever pending.)
    pub accepted: Option<StepInfo>,
}

impl<T> TrainState<T> {
    /// Checks the state against a network with parameters of `lengths` and a data set of `n`
    /// examples; the error names what does not fit.
    pub(crate) fn check(&self, lengths: &[usize], n: usize) -> Result<(), String> {
        let buffers = |what: &str, b: &[Vec<T>], may_be_empty: bool| {
            if may_be_empty && b.is_empty() {
                return Ok(());
            }
            let got: Vec<usize> = b.iter().map(Vec::len).collect();
            if got == lengths {
                Ok(())
            } else {
                Err(format!(
                    "{what} has buffers of lengths {got:?}, the network's parameters have {lengths:?}"
                ))
            }
        };
        buffers("the optimizer's first moment", &self.first, true)?;
        buffers("the optimizer's second moment", &self.second, true)?;
        buffers("the adaptive rule's gradient copy", &self.grad_backup, true)?;
        if let Some(backup) = &self.backup {
            buffers("the copy of the previous weights", backup, false)?;
        }
        let mut seen = vec![false; n];
        let permutation = self.order.len() == n
            && self
                .order
                .iter()
                .all(|&i| i < n && !std::mem::replace(&mut seen[i], true));
        if !permutation {
            return Err(format!(
                "the example order is not a permutation of the {n} examples"
            ));
        }
        if self.cursor > n {
            return Err(format!(
                "the epoch position {} is past the {n} examples",
                self.cursor
            ));
        }
        if !self.log_eta.is_finite() {
            return Err(format!("the adaptive ln η is {}", self.log_eta));
        }
        Ok(())
    }
}
