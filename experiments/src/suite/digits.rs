//! Real data: two classes of the 8×8 handwritten digits (UCI, as bundled with scikit-learn),
//! scaled to ‖x‖ ≤ 1: a deep linear network and a ReLU network with a linear tail.

use models::Activation::{Linear, Relu};
use models::LayerSpec;

use super::{Common, Experiment, ExperimentResult, TrainArgs, scalar_net, spec};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data;
use crate::error::RunError;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "digits";
/// One-line description.
pub const TITLE: &str = "two classes of handwritten digits: the same phenomena on real data";
/// The claims of the deep linear run.
pub const LINEAR: &[&ClaimSpec] = catalogue::DEEP_LINEAR;
/// The claims of the ReLU run with a linear tail.
pub const RELU_TAIL: &[&ClaimSpec] = catalogue::LINEAR_TAIL;

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let all: Vec<&ClaimSpec> = LINEAR.iter().chain(RELU_TAIL).copied().collect();
    format!(
        "Runs `deep-linear` (D,linear:W,linear:W,1) and `relu-tail` (D,relu:W,linear:W,linear:W,1) \
on two classes of the 8×8 UCI digits. First-layer columns of always-zero pixels never move, but \
stay bounded.\n\n{}",
        help(&all)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// The two digit classes, first labelled +1, second −1.
    #[arg(long, value_delimiter = ',', default_value = "0,1")]
    pub classes: Vec<u8>,
    /// Width of the hidden layers.
    #[arg(long, default_value_t = 16)]
    pub width: usize,
    /// Initialization scale, step rule, learning rate and steps.
    #[command(flatten)]
    pub train: TrainArgs,
}

crate::suite::config_defaults_and_entry!();

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let [a, b] = cfg.classes[..] else {
        return Err(RunError::Config(format!(
            "--classes takes two digits, got {:?}",
            cfg.classes
        )));
    };
    let data = data::digits(a, b)?;
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let training = cfg.train.training();
    let init = cfg.train.start();
    let w = cfg.width;
    let linear = spec(
        "deep-linear",
        &scalar_net(data.dim, vec![LayerSpec::dense(w, Linear); 2]),
        init.clone(),
        &data,
        training,
        common,
    )?;
    exp.run(&linear, LINEAR)?;
    let relu = spec(
        "relu-tail",
        &scalar_net(
            data.dim,
            vec![
                LayerSpec::dense(w, Relu),
                LayerSpec::dense(w, Linear),
                LayerSpec::dense(w, Linear),
            ],
        ),
        init,
        &data,
        training,
        common,
    )?;
    exp.run(&relu, RELU_TAIL)?;
    exp.finish()
}
