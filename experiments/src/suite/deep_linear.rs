//! Deep linear networks of several depths: every layer goes to rank one, adjacent layers align,
//! the normalized margin approaches the hard-margin SVM margin and ‖W‖_F² − σ₁² stays bounded;
//! two slow controls each change one factor (the initial scale, the step rule).

use models::Activation::Linear;
use models::{Arch, LayerSpec, StepRule};

use super::{
    Common, Experiment, ExperimentResult, TrainArgs, Training, gaussian_start, scalar_net, spec,
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
/// The claims of the two controls (`large-init`, `constant-step`, in that order), each changing
/// one factor of the deepest main run; each control run is judged on the claim's premises.
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

crate::suite::config_defaults_and_entry!();

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
    let constant = Training {
        rule: StepRule::Constant,
        ..main
    };
    // Each control: its run's name, start and training (one factor changed), and why it would
    // change nothing when that factor is already the main runs'.
    let controls = [
        (
            "large-init",
            gaussian_start(cfg.control_scale),
            main,
            (cfg.control_scale <= cfg.train.init_scale).then(|| {
                format!(
                    "--control-scale {} is not larger than --init-scale {}",
                    cfg.control_scale, cfg.train.init_scale
                )
            }),
        ),
        (
            "constant-step",
            cfg.train.start(),
            constant,
            (main.rule == StepRule::Constant)
                .then(|| "the main runs already take a constant step".to_string()),
        ),
    ];
    for (claim, (run, start, training, moot)) in CONTROLS.iter().zip(controls) {
        let s = spec(run, &deepest, start, &data, training, common)?;
        exp.run(&s, claim.premises)?;
        let compared = exp.compare(claim, &[run, &main_run], |runs| {
            distance_from_rank_one(runs[0]) / distance_from_rank_one(runs[1])
        })?;
        exp.claim(match moot {
            Some(why) => compared.inapplicable(&why),
            None => compared,
        });
    }
    exp.finish()
}

/// 1 − min r over the layers below the output row, at the end.
fn distance_from_rank_one(record: &RunRecord) -> f64 {
    let r = catalogue::ALL_RANK_ONE
        .judge(record)
        .measured
        .unwrap_or(f64::NAN);
    1.0 - r
}
