//! The two-point counterexample: on x₁ = e₁ (label +1) and x₂ = e₂ (label −1) the ReLU layer of a
//! two-layer network keeps rank two, r → 1/√2, while a linear network on the same data goes to
//! rank one.

use super::judge;
use super::{Common, Entry, Experiment, ExperimentResult, TrainArgs, spec};
use crate::data;
use crate::error::RunError;
use crate::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "counterexample";
/// One-line description.
pub const TITLE: &str = "two orthogonal points: a ReLU layer keeps rank two (r → 1/√2)";
/// The claims, for `--help`.
pub const CLAIMS_HELP: &str = "\
Claims (Le & Jegelka, ICLR 2022, arXiv:2201.11968, the counterexample to rank one for ReLU layers):
  relu-rank-two  on x₁ = e₁ (label +1) and x₂ = e₂ (label −1), the ReLU units split into one group
                 active only on x₁ and one active only on x₂; the two groups grow along orthogonal
                 directions to equal norms, so the ReLU layer tends to two equal singular values:
                 |r − 1/√2| ≤ 0.05 at the end.
  rank-one       control: a linear network on the same data goes to rank one: every r > 0.99.";

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

impl Default for Config {
    fn default() -> Self {
        crate::cli::defaults()
    }
}

/// The experiment in the suite.
pub const ENTRY: Entry = Entry {
    name: NAME,
    title: TITLE,
    run_defaults: |common, dir| run(&Config::default(), common, dir),
};

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::two_point();
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let training = cfg.train.training();
    let init = cfg.train.start();
    let relu = spec(
        "relu",
        &format!("2,relu:{},1", cfg.width),
        init.clone(),
        &data,
        training,
        common,
    )?;
    exp.run(&relu, &|r| vec![judge::counterexample_rank_two(r)])?;
    let linear = spec(
        "linear",
        &format!("2,linear:{},1", cfg.width),
        init,
        &data,
        training,
        common,
    )?;
    exp.run(&linear, &|r| vec![judge::all_rank_one(r)])?;
    exp.finish()
}
