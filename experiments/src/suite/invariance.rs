//! The invariance audit of an all-ReLU network trained with a small constant step: the
//! per-neuron and per-layer quantities and the stably-active block are conserved (drift O(step²)
//! per step), the full-matrix quantity of a ReLU layer is not.

use models::StepRule;

use super::{Common, Entry, Experiment, ExperimentResult, Training, gaussian_start, spec};
use crate::claims::{Claim, Threshold};
use crate::data;
use crate::error::RunError;
use crate::record::Scope;
use crate::rundir::RunDir;
use crate::runner::{RunRecord, metric};

use super::judge::last_max;

/// The binary's name.
pub const NAME: &str = "invariance";
/// One-line description.
pub const TITLE: &str = "invariance audit of an all-ReLU network";
/// Largest relative drift of a conserved quantity with the default small step.
pub const CONSERVED: f64 = 1e-3;
/// How many times the full-matrix drift must exceed the stably-active block's.
pub const NOT_CONSERVED_FACTOR: f64 = 10.0;
/// The claims, for `--help`.
pub const CLAIMS_HELP: &str = "\
Claims (Le & Jegelka, ICLR 2022, arXiv:2201.11968, Lemmas 2–4 and Theorem 1). Under gradient flow
these quantities are conserved; gradient descent with step η changes them by O(η²) per step. Drift
is ‖Δ(t) − Δ(0)‖ relative to the scale ‖W_k‖_F²:
  neuron-conserved   per hidden neuron, (sum of squared incoming weights) − (sum of squared
                     outgoing weights): max drift < 1e-3.
  layer-conserved    per layer, ‖W_k‖_F² − ‖W_k+1‖_F²: max drift < 1e-3.
  active-conserved   W_k+1ᵀW_k+1 − W_kW_kᵀ restricted to the neurons active on every training
                     example at every log since the start: max drift < 1e-3 (not measured when
                     no neuron is stably active).
  full-not-conserved the same matrix quantity over all neurons of a ReLU layer is not conserved:
                     its drift exceeds the largest drift of the conserved quantities by > 10×.
  step-squared       halving the step at equal training time (twice the steps) halves the
                     accumulated drift, as O(η²) per step predicts: ratio of per-neuron drifts
                     within 2 ± 0.5.";

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// The all-ReLU network (see `train --help` for the grammar).
    #[arg(long, default_value = "64,relu:100,relu:100,1")]
    pub arch: String,
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

/// The largest final drift of `metric` over the pairs whose lower layer is a ReLU layer (all
/// pairs when `relu_only` is false).
fn max_drift(record: &RunRecord, name: &str, relu_only: bool) -> f64 {
    let pairs = (0..record.pairs.len())
        .filter(|&p| !relu_only || !record.layers[record.pairs[p].0].linear)
        .collect::<Vec<_>>();
    last_max(record, Scope::Pair, &pairs, name)
}

fn audit(r: &RunRecord) -> Vec<Claim> {
    let below = Threshold::Below { value: CONSERVED };
    let relu_pairs: Vec<usize> = (0..r.pairs.len())
        .filter(|&p| !r.layers[r.pairs[p].0].linear)
        .collect();
    // With no stably-active neuron the block is empty and its "drift" of 0 would say nothing.
    let active_neurons = last_max(r, Scope::Pair, &relu_pairs, metric::ACTIVE_COUNT);
    let active = if active_neurons > 0.0 {
        max_drift(r, metric::DRIFT_ACTIVE, true)
    } else {
        f64::NAN
    };
    let neuron = max_drift(r, metric::DRIFT_NEURON, false);
    let layer = max_drift(r, metric::DRIFT_LAYER, false);
    let conserved = [neuron, layer, active]
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max);
    let full_min = super::judge::last_min(r, Scope::Pair, &relu_pairs, metric::DRIFT_FULL);
    vec![
        Claim::evaluate(
            "neuron-conserved",
            &r.name,
            "Per hidden neuron, (sum of squared incoming weights) − (sum of squared outgoing weights) is conserved (Lemma 2).",
            "max over neurons of the relative drift at the end",
            neuron,
            below,
        ),
        Claim::evaluate(
            "layer-conserved",
            &r.name,
            "Per layer, ‖W_k‖_F² − ‖W_k+1‖_F² is conserved, ReLU layers included (Lemma 3).",
            "max over pairs of the relative drift at the end",
            layer,
            below,
        ),
        Claim::evaluate(
            "active-conserved",
            &r.name,
            "W_k+1ᵀW_k+1 − W_kW_kᵀ restricted to the neurons of a ReLU layer active on every example since the start is conserved (Theorem 1).",
            "max over ReLU pairs of the stably-active block's relative drift at the end (not measured if no neuron is stably active)",
            active,
            below,
        ),
        Claim::evaluate(
            "full-not-conserved",
            &r.name,
            "Over all neurons of a ReLU layer, W_k+1ᵀW_k+1 − W_kW_kᵀ is not conserved (Lemma 4): it drifts far more than the conserved quantities.",
            "min over ReLU pairs of the full drift / the largest drift of the conserved quantities",
            full_min / conserved,
            Threshold::Above {
                value: NOT_CONSERVED_FACTOR,
            },
        ),
    ]
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let data = data::resolve(&cfg.data)?;
    let mut exp = Experiment::new(NAME, TITLE, dir, common);
    let init = gaussian_start(cfg.init_scale);
    let step = Training::logistic(StepRule::Constant, cfg.lr, cfg.steps);
    let s = spec("step", &cfg.arch, init.clone(), &data, step, common)?;
    let full = max_drift(exp.run(&s, &audit)?, metric::DRIFT_NEURON, false);
    let half = Training {
        lr: cfg.lr / 2.0,
        steps: cfg.steps * 2,
        ..step
    };
    let s = spec("half-step", &cfg.arch, init, &data, half, common)?;
    let halved = max_drift(exp.run(&s, &audit)?, metric::DRIFT_NEURON, false);
    exp.claim(Claim::evaluate(
        "step-squared",
        NAME,
        "Gradient descent changes the conserved quantities by O(step²) per step: at equal training time, halving the step halves the accumulated drift.",
        "per-neuron drift with step η / with step η/2 (twice the steps)",
        full / halved,
        Threshold::Near { target: 2.0, tolerance: 0.5 },
    ));
    exp.finish()
}
