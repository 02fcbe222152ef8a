//! Residual networks (the paper's ResNetIdentity block, a pre-activation block, a learned skip)
//! followed by a linear tail: the tail goes to rank one and aligns whatever comes before it.

use models::Activation::{Linear, Relu};
use models::{Arch, LayerSpec, Skip};

use super::{Common, Experiment, ExperimentResult, TrainArgs, scalar_net, spec};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data;
use crate::error::RunError;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "residual";
/// One-line description.
pub const TITLE: &str =
    "residual nets (ResNetIdentity, pre-activation, learned skip) with a linear tail";
/// The claims judged on both runs.
pub const CLAIMS: &[&ClaimSpec] = catalogue::LINEAR_TAIL;

/// The claims, for `--help`.
pub fn claims_help() -> String {
    format!(
        "Runs `resnet-identity` (the paper's ResNetIdentity blocks h ↦ σ(U·σ(Y·h) + h)), \
`pre-activation` (blocks h ↦ h + U·σ(Y·h), an identity skip with no σ after the sum: not the \
paper's block) and `learned-skip` (blocks h ↦ σ(U·σ(Y·h) + Z·h)), each after a ReLU layer and \
before --tail linear layers; Corollary 1 covers any layers before the tail.\n\n{}",
        help(CLAIMS)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// Width of the residual stream.
    #[arg(long, default_value_t = 16)]
    pub width: usize,
    /// Number of residual blocks.
    #[arg(long, default_value_t = 2)]
    pub blocks: usize,
    /// Number of linear layers in the tail (before the output layer).
    #[arg(long, default_value_t = 2)]
    pub tail: usize,
    /// The data (`gaussian[:dim=…,n=…,margin=…,seed=…]`, `digits[:A,B]`, a .csv file, …).
    #[arg(long, default_value = "gaussian:dim=10,n=100,margin=0.1,seed=0")]
    pub data: String,
    /// Initialization scale, step rule, learning rate and steps.
    #[command(flatten)]
    pub train: TrainArgs,
}

crate::suite::config_defaults_and_entry!();

/// `dim,relu:width`, then `blocks` blocks with `skip`, then `tail` linear layers and the output.
fn arch(dim: usize, cfg: &Config, skip: Skip) -> Arch {
    let mut layers = vec![LayerSpec::dense(cfg.width, Relu)];
    layers.extend(std::iter::repeat_n(
        LayerSpec::block(Relu, skip),
        cfg.blocks,
    ));
    layers.extend(std::iter::repeat_n(
        LayerSpec::dense(cfg.width, Linear),
        cfg.tail,
    ));
    scalar_net(dim, layers)
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::resolve(&cfg.data)?;
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let training = cfg.train.training();
    let init = cfg.train.start();
    for (name, skip) in [
        ("resnet-identity", Skip::ResNetIdentity),
        ("pre-activation", Skip::PreActivation),
        ("learned-skip", Skip::Learned),
    ] {
        let s = spec(
            name,
            &arch(data.dim, cfg, skip),
            init.clone(),
            &data,
            training,
            common,
        )?;
        exp.run(&s, CLAIMS)?;
    }
    exp.finish()
}
