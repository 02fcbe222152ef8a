//! Lyu & Li (ICLR 2020) and Ji & Telgarsky (NeurIPS 2020): bias-free deep linear and ReLU
//! networks (L-homogeneous, L their number of matrices) trained with the exponential and the
//! logistic loss, by gradient descent with a loss-based adaptive step, far past the point where
//! every example is fit. The smoothed normalized margin rises, θ/‖θ‖ converges, −∇R aligns with
//! θ, and the end point is close to a KKT point of the margin problem.

use autodiff::MarginLoss;
use models::Activation::{Linear, Relu};
use models::{Activation, Arch, LayerSpec, StepRule};

use super::{Common, Experiment, ExperimentResult, Training, gaussian_start, scalar_net, spec};
use crate::claims::direction::{self, CLAIMS};
use crate::claims::help;
use crate::data;
use crate::error::RunError;
use crate::metrics::log::Scope;
use crate::metrics::{Family, Metric, MetricSet};
use crate::report::{chart, series, threshold_lines};
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "direction";
/// One-line description.
pub const TITLE: &str = "homogeneous networks: the smoothed margin rises, θ/‖θ‖ converges, −∇R aligns with θ, and the end point is nearly KKT";

/// The step rule of every run: Lyu & Li's loss-based step size, grown by 1.1 after a step that
/// lowered the loss and halved (the step retried) after one that raised it.
pub const RULE: StepRule = StepRule::Adaptive {
    grow: 1.1,
    shrink: 0.5,
};

/// The claims, for `--help`.
pub fn claims_help() -> String {
    format!(
        "Runs `A-LOSS` for every activation A of --activations (linear or relu) and every LOSS \
of --losses: --depth bias-free matrices of --width units on --data, from weights N(0, \
--init-scale²/fan_in), by gradient descent with the adaptive (loss-based) step of Lyu & Li \
starting at --lr, for --steps steps; every run computes the direction metric family.\n\n{}",
        help(CLAIMS)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// The data (`gaussian[:dim=…,n=…,margin=…,seed=…]`, `digits[:A,B]`, a .csv file, …).
    #[arg(long, default_value = "gaussian:dim=10,n=40,margin=0.1,seed=0")]
    pub data: String,
    /// Activations of the networks, one run per activation and loss: linear or relu.
    #[arg(long, value_delimiter = ',', default_value = "linear,relu")]
    pub activations: Vec<String>,
    /// Losses, one run per activation and loss: exponential or logistic.
    #[arg(long, value_delimiter = ',', default_value = "exponential,logistic", value_parser = crate::values::loss())]
    pub losses: Vec<MarginLoss>,
    /// Number of weight matrices L (the degree of homogeneity).
    #[arg(long, default_value_t = 3)]
    pub depth: usize,
    /// Width of every hidden layer.
    #[arg(long, default_value_t = 16)]
    pub width: usize,
    /// Initialization scale s (weights N(0, s²/fan_in)).
    #[arg(long, default_value_t = 0.5)]
    pub init_scale: f64,
    /// Initial step size of the adaptive rule.
    #[arg(long, default_value_t = 0.1)]
    pub lr: f64,
    /// Steps of every run.
    #[arg(long, default_value_t = 20000)]
    pub steps: usize,
}

crate::suite::config_defaults_and_entry!();

impl Config {
    /// The runs: (name, network, loss) per activation and loss, checked.
    fn runs(&self, input: usize) -> Result<Vec<(String, Arch, MarginLoss)>, RunError> {
        if self.depth < 2 {
            return Err(RunError::Config(format!(
                "--depth {}: a network needs at least 2 matrices here (one hidden layer)",
                self.depth
            )));
        }
        if self.width == 0 {
            return Err(RunError::Config("--width must be at least 1".into()));
        }
        if let Some(loss) = self.losses.iter().find(|l| **l == MarginLoss::Squared) {
            return Err(RunError::Config(format!(
                "--losses: {loss} has no exponential tail; the results are about exponential and logistic"
            )));
        }
        if self.activations.is_empty() || self.losses.is_empty() {
            return Err(RunError::Config(
                "--activations and --losses each need at least one value".into(),
            ));
        }
        let mut runs = Vec::new();
        for name in &self.activations {
            let activation: Activation = match name.as_str() {
                "linear" => Linear,
                "relu" => Relu,
                other => {
                    return Err(RunError::Config(format!(
                        "--activations: unknown activation `{other}`; expected linear or relu"
                    )));
                }
            };
            let layers = vec![LayerSpec::dense(self.width, activation); self.depth - 1];
            for &loss in &self.losses {
                runs.push((
                    format!("{name}-{loss}"),
                    scalar_net(input, layers.clone()),
                    loss,
                ));
            }
        }
        Ok(runs)
    }
}

/// The families every run computes: the flag's, else every family and the direction family.
fn metric_set(common: &Common) -> MetricSet {
    common
        .metrics
        .clone()
        .unwrap_or_else(|| MetricSet::all().with(Family::Direction))
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::resolve(&cfg.data)?;
    let runs = cfg.runs(data.dim)?;
    let common = Common {
        metrics: Some(metric_set(common)),
        ..common.clone()
    };
    let mut exp = Experiment::new(NAME, TITLE, dir, &common).citing(direction::PAPERS);
    let mut margins = chart(
        "smoothed normalized margin ℓ⁻¹(Σ ℓ(q_i)) / ‖θ‖^L",
        "smoothed margin",
        false,
    );
    let mut aligned = chart("cos(θ, −∇R)", "cosine", false);
    aligned.references = threshold_lines(&[&direction::GRADIENT_ALIGNS], |_| true);
    let mut kkt = chart(
        "distance from a KKT point: residual and slack of the multipliers",
        "relative residual / slack",
        true,
    );
    kkt.references = threshold_lines(&[&direction::KKT_RESIDUAL, &direction::KKT_SLACK], |_| true);
    for (name, arch, loss) in runs {
        let training = Training {
            loss,
            rule: RULE,
            lr: cfg.lr,
            steps: cfg.steps,
        };
        let s = spec(
            &name,
            &arch,
            gaussian_start(cfg.init_scale),
            &data,
            training,
            &common,
        )?;
        let record = exp.run(&s, CLAIMS)?;
        let of = |m: Metric| record.log.series(Scope::Run, 0, m);
        margins
            .series
            .push(series(name.clone(), of(Metric::SmoothedMargin)));
        aligned
            .series
            .push(series(name.clone(), of(Metric::GradAlignment)));
        kkt.series
            .push(series(format!("{name}: residual"), of(Metric::KktResidual)));
        kkt.series
            .push(series(format!("{name}: slack"), of(Metric::KktSlack)));
    }
    exp.chart("smoothed_margin", &margins)?;
    exp.chart("gradient_alignment", &aligned)?;
    exp.chart("kkt", &kkt)?;
    exp.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_errors_naming_the_flag() {
        let bad = |cfg: Config, flag: &str| {
            let err = cfg.runs(10).unwrap_err().to_string();
            assert!(err.contains(flag), "{err}");
        };
        bad(
            Config {
                depth: 1,
                ..Config::default()
            },
            "--depth 1",
        );
        bad(
            Config {
                width: 0,
                ..Config::default()
            },
            "--width",
        );
        bad(
            Config {
                losses: vec![MarginLoss::Squared],
                ..Config::default()
            },
            "--losses: squared",
        );
        bad(
            Config {
                activations: vec!["tanh".into()],
                ..Config::default()
            },
            "unknown activation `tanh`",
        );
        let names: Vec<String> = Config::default()
            .runs(10)
            .unwrap()
            .into_iter()
            .map(|(name, arch, _)| format!("{name} {arch}"))
            .collect();
        assert_eq!(
            names,
            [
                "linear-exponential 10,linear:16,linear:16,1",
                "linear-logistic 10,linear:16,linear:16,1",
                "relu-exponential 10,relu:16,relu:16,1",
                "relu-logistic 10,relu:16,relu:16,1",
            ]
        );
    }
}
