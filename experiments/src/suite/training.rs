//! How the runs of an experiment train: the settings of one run, and the training flags most
//! experiments share.

use autodiff::MarginLoss;
use models::{Init, StepRule};

use crate::runner::Start;

/// How to train one run of an experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    /// The loss of the margins.
    pub loss: MarginLoss,
    /// The step rule.
    pub rule: StepRule,
    /// The learning rate.
    pub lr: f64,
    /// The step budget.
    pub steps: usize,
}

impl Training {
    /// Training on the logistic loss, the loss every experiment of the suite uses.
    pub fn logistic(rule: StepRule, lr: f64, steps: usize) -> Self {
        Self {
            loss: MarginLoss::Logistic,
            rule,
            lr,
            steps,
        }
    }
}

/// A random start with weights N(0, scale²/fan_in).
pub fn gaussian_start(scale: f64) -> Start {
    Start::Random(Init::Gaussian { scale })
}

/// The training flags shared by the experiments that train every run the same way, with the
/// defaults their claims are checked at. Each experiment's `Config` flattens them in.
#[derive(clap::Args, Clone, Copy, Debug, PartialEq)]
pub struct TrainArgs {
    /// Initialization scale s (weights N(0, s²/fan_in)).
    #[arg(long, default_value_t = 0.5)]
    pub init_scale: f64,
    /// Step rule of the main runs.
    #[arg(long, default_value = "grad-normalized")]
    pub step_rule: StepRule,
    /// Learning rate of the main runs.
    #[arg(long, default_value_t = 0.1)]
    pub lr: f64,
    /// Steps of every run.
    #[arg(long, default_value_t = 3000)]
    pub steps: usize,
}

impl TrainArgs {
    /// Logistic-loss training with these step rule, learning rate and budget.
    pub fn training(&self) -> Training {
        Training::logistic(self.step_rule, self.lr, self.steps)
    }

    /// The random start of this initialization scale.
    pub fn start(&self) -> Start {
        gaussian_start(self.init_scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let d: TrainArgs = crate::cli::defaults();
        assert_eq!(d.init_scale, 0.5);
        assert_eq!(d.step_rule, StepRule::GradNormalized);
        assert_eq!(d.lr, 0.1);
        assert_eq!(d.steps, 3000);
        assert_eq!(
            d.training(),
            Training {
                loss: MarginLoss::Logistic,
                rule: StepRule::GradNormalized,
                lr: 0.1,
                steps: 3000,
            }
        );
        assert_eq!(d.start(), Start::Random(Init::Gaussian { scale: 0.5 }));
    }
}
