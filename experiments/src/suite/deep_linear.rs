//! Deep linear networks of several depths: every layer goes to rank one, adjacent layers align,
//! and the normalized margin approaches the hard-margin SVM margin; a constant-step run from a
//! large initialization is the slow control.

use models::StepRule;

use super::judge::{self, RANK_ONE};
use super::{
    Common, Entry, Experiment, ExperimentResult, TrainArgs, Training, gaussian_start, spec,
};
use crate::claims::{Claim, Threshold};
use crate::data;
use crate::error::RunError;
use crate::record::Scope;
use crate::rundir::RunDir;
use crate::runner::metric;

/// The binary's name.
pub const NAME: &str = "deep-linear";
/// One-line description.
pub const TITLE: &str = "deep linear networks go to rank one, align, and reach the SVM margin";
/// The claims, for `--help`.
pub const CLAIMS_HELP: &str = "\
Claims (Le & Jegelka, ICLR 2022, arXiv:2201.11968, extending Ji & Telgarsky 2019):
  rank-one       every layer W_k of a deep linear network trained on separable data becomes rank
                 one: r = σ₁/‖W_k‖_F > 0.99 at the end of the budget.
  aligned        adjacent layers align: |⟨v₁(W_k+1), u₁(W_k)⟩| > 0.99 for every pair.
  margin-to-svm  the normalized margin min_i y_i f(x_i) / Π_k ‖W_k‖_F comes within 5% of the
                 hard-margin SVM margin of the data (ratio > 0.95).
  slow-control   the rate bound 1 − r² ≤ D/‖W‖_F² predicts that a constant step from a large
                 initialization (large D, slow norm growth) is still short of rank one after the
                 same budget: its smallest r stays < 0.99.";

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// Depths to train (number of weight matrices), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2,3,4")]
    pub depths: Vec<usize>,
    /// Width of every hidden layer.
    #[arg(long, default_value_t = 10)]
    pub width: usize,
    /// The data (`gaussian[:dim=…,n=…,margin=…,seed=…]`, `digits[:A,B]`, a .csv file, …).
    #[arg(long, default_value = "gaussian:dim=10,n=100,margin=0.1,seed=0")]
    pub data: String,
    /// Initialization scale, step rule, learning rate and steps.
    #[command(flatten)]
    pub train: TrainArgs,
    /// Initialization scale of the slow control.
    #[arg(long, default_value_t = 3.0)]
    pub control_scale: f64,
    /// Constant learning rate of the slow control.
    #[arg(long, default_value_t = 0.05)]
    pub control_lr: f64,
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

/// `dim,linear:width,…,1` with `depth` weight matrices.
fn arch(dim: usize, width: usize, depth: usize) -> String {
    let mut a = dim.to_string();
    for _ in 1..depth {
        a.push_str(&format!(",linear:{width}"));
    }
    a + ",1"
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::resolve(&cfg.data)?;
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let main = cfg.train.training();
    for &depth in &cfg.depths {
        if depth < 2 {
            return Err(RunError::Config(format!(
                "--depths: depth {depth} has no hidden layer; use 2 or more"
            )));
        }
        let s = spec(
            &format!("depth-{depth}"),
            &arch(data.dim, cfg.width, depth),
            cfg.train.start(),
            &data,
            main,
            common,
        )?;
        exp.run(&s, &|r| {
            vec![
                judge::all_rank_one(r),
                judge::all_aligned(r),
                judge::margin_to_svm(r),
            ]
        })?;
    }
    let depth = cfg.depths.iter().copied().max().unwrap_or(3).max(2);
    let control = Training::logistic(StepRule::Constant, cfg.control_lr, cfg.train.steps);
    let s = spec(
        "slow-control",
        &arch(data.dim, cfg.width, depth),
        gaussian_start(cfg.control_scale),
        &data,
        control,
        common,
    )?;
    exp.run(&s, &|r| {
        let all: Vec<usize> = (0..r.layers.len()).collect();
        vec![Claim::evaluate(
            "slow-control",
            &r.name,
            "Rate: with a constant step from a large initialization, the layers are still short of rank one after the same budget (1 − r² ≤ D/‖W‖_F² with a large D and slowly growing norms).",
            "min over layers of r at the end",
            judge::last_min(r, Scope::Layer, &all, metric::RATIO),
            Threshold::Below { value: RANK_ONE },
        )]
    })?;
    exp.finish()
}
