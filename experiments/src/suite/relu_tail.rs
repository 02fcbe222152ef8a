//! ReLU layers followed by linear layers: the hidden layers of the linear tail go to rank one and
//! align (Corollary 1 of the paper); on the two-point data built for it the ReLU layer does not.

use models::Activation::{Linear, Relu};
use models::{Arch, LayerSpec};

use super::{Common, Experiment, ExperimentResult, TrainArgs, scalar_net, spec};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data;
use crate::error::RunError;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "relu-tail";
/// One-line description.
pub const TITLE: &str = "ReLU layers then linear layers: only the linear tail goes to rank one";
/// The claims judged on both runs.
pub const CLAIMS: &[&ClaimSpec] = catalogue::LINEAR_TAIL;
/// The claim judged on the two-point run only.
pub const TWO_POINT: &[&ClaimSpec] = &[&catalogue::RELU_NOT_RANK_ONE];

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let all: Vec<&ClaimSpec> = CLAIMS.iter().chain(TWO_POINT).copied().collect();
    format!(
        "Runs `two-point` (2,relu:W,linear:W,linear:W,1 on x₁ = e₁, x₂ = e₂) with every claim below, \
and `gaussian` (--arch on --data) with all but relu-not-rank-one: on other data the theory says \
nothing about the ReLU layer, whose r is reported in the run's tables, not judged.\n\n{}",
        help(&all)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// The network of the Gaussian run (see `train --help` for the grammar); its input width
    /// must match the data.
    #[arg(long, default_value = "10,relu:20,linear:10,linear:10,1")]
    pub arch: Arch,
    /// The data of the Gaussian run (`gaussian[:dim=…,n=…,margin=…,seed=…]`, `digits[:A,B]`, …).
    #[arg(long, default_value = "gaussian:dim=10,n=100,margin=0.1,seed=0")]
    pub data: String,
    /// Width of the layers of the two-point run (2,relu:W,linear:W,linear:W,1).
    #[arg(long, default_value_t = 8)]
    pub width: usize,
    /// Initialization scale, step rule, learning rate and steps.
    #[command(flatten)]
    pub train: TrainArgs,
}

crate::suite::config_defaults_and_entry!();

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let gaussian = data::resolve(&cfg.data)?;
    let two_point = data::two_point();
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let training = cfg.train.training();
    let init = cfg.train.start();
    let w = cfg.width;
    let s = spec(
        "two-point",
        &scalar_net(
            2,
            vec![
                LayerSpec::dense(w, Relu),
                LayerSpec::dense(w, Linear),
                LayerSpec::dense(w, Linear),
            ],
        ),
        init.clone(),
        &two_point,
        training,
        common,
    )?;
    let two_point_claims: Vec<&ClaimSpec> = CLAIMS.iter().chain(TWO_POINT).copied().collect();
    exp.run(&s, &two_point_claims)?;
    let s = spec("gaussian", &cfg.arch, init, &gaussian, training, common)?;
    exp.run(&s, CLAIMS)?;
    exp.finish()
}
