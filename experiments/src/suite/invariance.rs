//! The invariance audit of an all-ReLU network trained with a small constant step: the
//! per-neuron and per-layer quantities and the stably-active block are conserved up to gradient
//! descent's distance from gradient flow, the full-matrix quantity of a ReLU layer is not; the
//! same conservation under the squared loss, which rests on no property of the loss.

use autodiff::MarginLoss;
use models::{Arch, StepRule};

use super::{Common, Experiment, ExperimentResult, Training, gaussian_start, spec};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data;
use crate::error::RunError;
use crate::runner::RunRecord;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "invariance";
/// One-line description.
pub const TITLE: &str = "invariance audit of an all-ReLU network";
/// The claims judged on each run.
pub const CLAIMS: &[&ClaimSpec] = &[
    &catalogue::NEURON_CONSERVED,
    &catalogue::LAYER_CONSERVED,
    &catalogue::ACTIVE_CONSERVED,
    &catalogue::FULL_NOT_CONSERVED,
];
/// The claims of the `residual` run: the invariances inside its blocks and across the state a
/// learned-skip block writes.
pub const BLOCK_CLAIMS: &[&ClaimSpec] = &[
    &catalogue::BLOCK_NEURON_CONSERVED,
    &catalogue::BLOCK_ACTIVE_CONSERVED,
    &catalogue::JOINT_NEURON_CONSERVED,
    &catalogue::JOINT_ACTIVE_CONSERVED,
];
/// The claim comparing the `step` and `half-step` runs.
pub const ACROSS_RUNS: &[&ClaimSpec] = &[&catalogue::DRIFT_IS_DISCRETIZATION];

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let all: Vec<&ClaimSpec> = CLAIMS
        .iter()
        .chain(BLOCK_CLAIMS)
        .chain(ACROSS_RUNS)
        .copied()
        .collect();
    format!(
        "Runs `step` (constant step --lr), `half-step` (half the step, twice the steps) and \
`squared` (as `step`, under the squared loss: the invariances rest on no property of the loss), \
each judged on the conservation claims, and `residual` (--residual-arch at step --lr: one block \
of each kind) on the invariances inside its blocks and across the output of its learned-skip \
block. A drift is ‖Δ(t) − Δ(0)‖ over the scale of the quantity \
it belongs to: ‖in_j‖² + ‖out_j‖² for a neuron, ‖W_k‖_F² + ‖W_k+1‖_F² for a pair.\n\n{}",
        help(&all)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// The all-ReLU network (see `train --help` for the grammar).
    #[arg(long, default_value = "64,relu:100,relu:100,1")]
    pub arch: Arch,
    /// The residual network of the `residual` run: a ReLU layer, then one block of each kind
    /// (the paper's ResNetIdentity, the pre-activation block, the learned skip).
    #[arg(long, default_value = "64,relu:32,resid(relu),res(relu),resz(relu),1")]
    pub residual_arch: Arch,
    /// The data (`digits[:A,B]`, `gaussian[:dim=…,n=…,margin=…,seed=…]`, a .csv file, …). The
    /// digits' pixels are non-negative, so some ReLU units are active on every example, which
    /// Theorem 1's block needs; centred Gaussian data usually leaves that block empty.
    #[arg(long, default_value = "digits:0,1")]
    pub data: String,
    /// Initialization scale s (weights N(0, s²/fan_in)).
    #[arg(long, default_value_t = 1.0)]
    pub init_scale: f64,
    /// The small constant step.
    #[arg(long, default_value_t = 0.05)]
    pub lr: f64,
    /// Steps at that step size (the half-step run takes twice as many).
    #[arg(long, default_value_t = 800)]
    pub steps: usize,
}

crate::suite::config_defaults_and_entry!();

/// The largest per-neuron drift of a run, as its claim measured it.
fn neuron_drift(record: &RunRecord) -> f64 {
    catalogue::NEURON_CONSERVED
        .judge(record)
        .measured
        .unwrap_or(f64::NAN)
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::resolve(&cfg.data)?;
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let init = gaussian_start(cfg.init_scale);
    let step = Training::logistic(StepRule::Constant, cfg.lr, cfg.steps);
    let s = spec("step", &cfg.arch, init.clone(), &data, step, common)?;
    exp.run(&s, CLAIMS)?;
    let half = Training {
        lr: cfg.lr / 2.0,
        steps: cfg.steps * 2,
        ..step
    };
    let s = spec("half-step", &cfg.arch, init.clone(), &data, half, common)?;
    exp.run(&s, CLAIMS)?;
    let ratio = exp.compare(
        &catalogue::DRIFT_IS_DISCRETIZATION,
        &["step", "half-step"],
        |runs| neuron_drift(runs[0]) / neuron_drift(runs[1]),
    )?;
    exp.claim(ratio);
    let squared = Training {
        loss: MarginLoss::Squared,
        ..step
    };
    let s = spec("squared", &cfg.arch, init.clone(), &data, squared, common)?;
    exp.run(&s, CLAIMS)?;
    let s = spec("residual", &cfg.residual_arch, init, &data, step, common)?;
    exp.run(&s, BLOCK_CLAIMS)?;
    exp.finish()
}
