//! The two-point construction: on x₁ = e₁ (label +1) and x₂ = e₂ (label −1) the ReLU layer of a
//! two-layer network keeps two nearly equal singular values, while a linear network on the same
//! data goes to rank one. An observation on data built for it; the paper has no such example.

use models::Activation::{Linear, Relu};
use models::LayerSpec;

use super::{Common, Experiment, ExperimentResult, TrainArgs, scalar_net, spec};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data;
use crate::error::RunError;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "counterexample";
/// One-line description.
pub const TITLE: &str = "two orthogonal points: a ReLU layer keeps two equal singular values";
/// The claims of the ReLU run.
pub const RELU: &[&ClaimSpec] = &[&catalogue::RELU_RANK_TWO];
/// The claims of the linear control on the same data.
pub const LINEAR: &[&ClaimSpec] = &[&catalogue::ALL_RANK_ONE];

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let all: Vec<&ClaimSpec> = RELU.iter().chain(LINEAR).copied().collect();
    format!(
        "Runs `relu` (2,relu:W,1) with relu-rank-two and `linear` (2,linear:W,1) with rank-one, on \
the same two points.\n\n{}",
        help(&all)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// Width of the ReLU (and of the control's linear) layer.
    #[arg(long, default_value_t = 8)]
    pub width: usize,
    /// Initialization scale, step rule, learning rate and steps.
    #[command(flatten)]
    pub train: TrainArgs,
}

crate::suite::config_defaults_and_entry!();

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::two_point();
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let training = cfg.train.training();
    let init = cfg.train.start();
    let relu = spec(
        "relu",
        &scalar_net(2, vec![LayerSpec::dense(cfg.width, Relu)]),
        init.clone(),
        &data,
        training,
        common,
    )?;
    exp.run(&relu, RELU)?;
    let linear = spec(
        "linear",
        &scalar_net(2, vec![LayerSpec::dense(cfg.width, Linear)]),
        init,
        &data,
        training,
        common,
    )?;
    exp.run(&linear, LINEAR)?;
    exp.finish()
}
