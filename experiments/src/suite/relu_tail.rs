//! ReLU layers followed by linear layers: the linear tail goes to rank one and aligns, the ReLU
//! layers do not (Corollary 1 and Lemma 4 of the paper).

use super::judge;
use super::{Common, Entry, Experiment, ExperimentResult, TrainArgs, spec};
use crate::data;
use crate::error::RunError;
use crate::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "relu-tail";
/// One-line description.
pub const TITLE: &str = "ReLU layers then linear layers: only the linear tail goes to rank one";
/// The claims, for `--help`.
pub const CLAIMS_HELP: &str = "\
Claims (Le & Jegelka, ICLR 2022, arXiv:2201.11968, Corollary 1 and Lemma 4), on two runs:
  tail-rank-one      in a network of ReLU layers followed by K linear layers, those K layers and
                     the output layer become rank one: min r = σ₁/‖W‖_F over them > 0.99
                     (checked on both runs).
  tail-aligned       adjacent layers of the linear tail align: min |⟨v₁(W_k+1), u₁(W_k)⟩| > 0.99
                     (both runs).
  relu-not-rank-one  the ReLU layers need not become rank one. On the two-point data (x₁ = e₁
                     labelled +1, x₂ = e₂ labelled −1) the theory says the ReLU layer keeps rank
                     two, so it must stay clearly below: max r over the ReLU layers < 0.9.
On the Gaussian run the theory makes no prediction for the ReLU layer (it may or may not approach
rank one); its r is reported in the run's tables, not judged.";

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// The network of the Gaussian run (see `train --help` for the grammar); its input width
    /// must match the data.
    #[arg(long, default_value = "10,relu:20,linear:10,linear:10,1")]
    pub arch: String,
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
    let gaussian = data::resolve(&cfg.data)?;
    let two_point = data::two_point();
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let training = cfg.train.training();
    let init = cfg.train.start();
    let w = cfg.width;
    let s = spec(
        "two-point",
        &format!("2,relu:{w},linear:{w},linear:{w},1"),
        init.clone(),
        &two_point,
        training,
        common,
    )?;
    exp.run(&s, &|r| {
        vec![
            judge::tail_rank_one(r),
            judge::tail_aligned(r),
            judge::relu_not_rank_one(r),
        ]
    })?;
    let s = spec("gaussian", &cfg.arch, init, &gaussian, training, common)?;
    exp.run(&s, &|r| {
        vec![judge::tail_rank_one(r), judge::tail_aligned(r)]
    })?;
    exp.finish()
}
