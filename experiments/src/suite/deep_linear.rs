//! Deep linear networks of several depths: every layer goes to rank one, adjacent layers align,
//! the normalized margin approaches the hard-margin SVM margin and ‖W‖_F² − σ₁² stays bounded;
//! two slow controls each change one factor (the initial scale, the step rule).

use models::Activation::Linear;
use models::{Arch, LayerSpec, StepRule};

use super::{
    Common, Entry, Experiment, ExperimentResult, TrainArgs, Training, gaussian_start, scalar_net,
    spec,
};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data;
use crate::error::RunError;
use crate::runner::RunRecord;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "deep-linear";
/// One-line description.
pub const TITLE: &str = "deep linear networks go to rank one, align, and reach the SVM margin";
/// The claims judged on each depth.
pub const CLAIMS: &[&ClaimSpec] = catalogue::DEEP_LINEAR;
/// The claims of the two controls, each changing one factor of the deepest main run.
pub const CONTROLS: &[&ClaimSpec] = &[
    &catalogue::SLOW_FROM_LARGE_INIT,
    &catalogue::SLOW_WITH_CONSTANT_STEP,
];

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let all: Vec<&ClaimSpec> = CLAIMS.iter().chain(CONTROLS).copied().collect();
    format!(
        "Runs one deep linear network per depth, then two controls at the deepest depth: \
`large-init` (only the initialization scale changed, to --control-scale) and `constant-step` \
(only the step rule changed, to a constant step of the same --lr). Each control is compared with \
the main run of its depth.\n\n{}",
        help(&all)
    )
}

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
    /// Initialization scale of the `large-init` control (its step rule is the main runs').
    #[arg(long, default_value_t = 3.0)]
    pub control_scale: f64,
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
fn arch(dim: usize, width: usize, depth: usize) -> Arch {
    scalar_net(dim, vec![LayerSpec::dense(width, Linear); depth - 1])
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
        exp.run(&s, CLAIMS)?;
    }
    let depth = cfg.depths.iter().copied().max().unwrap_or(3).max(2);
    let deepest = arch(data.dim, cfg.width, depth);
    let main_run = format!("depth-{depth}");
    let s = spec(
        "large-init",
        &deepest,
        gaussian_start(cfg.control_scale),
        &data,
        main,
        common,
    )?;
    exp.run(&s, SEPARABLE_AND_FITS)?;
    let constant = Training {
        rule: StepRule::Constant,
        ..main
    };
    let s = spec(
        "constant-step",
        &deepest,
        cfg.train.start(),
        &data,
        constant,
        common,
    )?;
    exp.run(&s, SEPARABLE_AND_FITS)?;
    let mut large = exp.compare(
        &catalogue::SLOW_FROM_LARGE_INIT,
        &["large-init", &main_run],
        |runs| distance_from_rank_one(runs[0]) / distance_from_rank_one(runs[1]),
    )?;
    if cfg.control_scale <= cfg.train.init_scale {
        large = large.inapplicable(&format!(
            "--control-scale {} is not larger than --init-scale {}",
            cfg.control_scale, cfg.train.init_scale
        ));
    }
    exp.claim(large);
    let mut slow = exp.compare(
        &catalogue::SLOW_WITH_CONSTANT_STEP,
        &["constant-step", &main_run],
        |runs| distance_from_rank_one(runs[0]) / distance_from_rank_one(runs[1]),
    )?;
    if main.rule == StepRule::Constant {
        slow = slow.inapplicable("the main runs already take a constant step");
    }
    exp.claim(slow);
    exp.finish()
}

/// The premises of the controls, judged on each control run.
const SEPARABLE_AND_FITS: &[&ClaimSpec] = &[&catalogue::SEPARABLE, &catalogue::FITS];

/// 1 − min r over the layers below the output row, at the end.
fn distance_from_rank_one(record: &RunRecord) -> f64 {
    let r = catalogue::ALL_RANK_ONE
        .judge(record)
        .measured
        .unwrap_or(f64::NAN);
    1.0 - r
}
