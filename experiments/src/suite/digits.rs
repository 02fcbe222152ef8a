//! Real data: two classes of the 8×8 handwritten digits (UCI, as bundled with scikit-learn),
//! scaled to ‖x‖ ≤ 1: a deep linear network and a ReLU network with a linear tail.

use super::judge;
use super::{Common, Entry, Experiment, ExperimentResult, TrainArgs, spec};
use crate::data;
use crate::error::RunError;
use crate::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "digits";
/// One-line description.
pub const TITLE: &str = "two classes of handwritten digits: the same phenomena on real data";
/// The claims, for `--help`.
pub const CLAIMS_HELP: &str = "\
Claims (Le & Jegelka, ICLR 2022, arXiv:2201.11968), on two classes of the 8×8 UCI digits:
  rank-one       deep linear network: every layer becomes rank one, min r = σ₁/‖W‖_F > 0.99
                 (first-layer columns of always-zero pixels never move, but stay bounded).
  aligned        deep linear network: adjacent layers align, min |⟨v₁(W_k+1), u₁(W_k)⟩| > 0.99.
  margin-to-svm  deep linear network: normalized margin / hard-margin SVM margin > 0.95.
  tail-rank-one  ReLU layer then linear layers: the linear tail becomes rank one, min r > 0.99.
  tail-aligned   ...and aligns, min alignment > 0.99.";

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
        &format!("{},linear:{w},linear:{w},1", data.dim),
        init.clone(),
        &data,
        training,
        common,
    )?;
    exp.run(&linear, &|r| {
        vec![
            judge::all_rank_one(r),
            judge::all_aligned(r),
            judge::margin_to_svm(r),
        ]
    })?;
    let relu = spec(
        "relu-tail",
        &format!("{},relu:{w},linear:{w},linear:{w},1", data.dim),
        init,
        &data,
        training,
        common,
    )?;
    exp.run(&relu, &|r| {
        vec![judge::tail_rank_one(r), judge::tail_aligned(r)]
    })?;
    exp.finish()
}
