//! Frei, Vardi, Bartlett, Srebro & Hu (ICLR 2023): a two-layer leaky-ReLU network whose output
//! weights are fixed at ±1/√m, its first layer trained by gradient descent on the logistic loss
//! over nearly orthogonal data (a high-dimensional Gaussian mixture), from several
//! initialization scales. A small one drops the first layer's stable rank to a small constant in
//! one step; a large one keeps it high for many steps.

use models::{Arch, StepRule};

use super::{Common, Experiment, ExperimentResult, Training, gaussian_start, spec, two_ends};
use crate::claims::leaky::{self, DATA_AND_INIT_PREMISES, HIGH_FOR_STEPS};
use crate::claims::{Claim, ClaimSpec, help};
use crate::data::{self, Dataset};
use crate::error::RunError;
use crate::metrics::Metric;
use crate::metrics::log::Scope;
use crate::report::{chart, series, threshold_lines};
use crate::runner::RunRecord;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "leaky-rank";
/// One-line description.
pub const TITLE: &str = "leaky ReLU on nearly orthogonal data: from a small init, one GD step makes the first layer low-rank";
/// The claims, each judged by the experiment across its runs.
pub const CLAIMS: &[&ClaimSpec] = leaky::CLAIMS;

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let rests: Vec<String> = DATA_AND_INIT_PREMISES
        .iter()
        .map(|(claim, premises)| {
            let ids: Vec<&str> = premises.iter().map(|p| p.id).collect();
            format!("{} also rests on {}", claim.id, ids.join(" and "))
        })
        .collect();
    format!(
        "Runs `init-S` (D,leaky(γ):M,1!signs!fixed, the output row fixed at ±1/√M) for every \
--init-scales S on mixture:n=N,dim=D,mu=MU,seed=--seed, by gradient descent (constant step) on the \
logistic loss; the smallest scale is the small-init run, the largest the large-init run. Premises \
judged by the experiment: {}.\n\n{}",
        rests.join("; "),
        help(CLAIMS)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// Training examples of the mixture.
    #[arg(long, default_value_t = 20)]
    pub n: usize,
    /// Dimension of the mixture (d ≫ n² makes the points nearly orthogonal).
    #[arg(long, default_value_t = 8000)]
    pub dim: usize,
    /// Norm of the mixture's mean μ (x = y·μ + ξ, ξ ~ N(0, I/d)).
    #[arg(long, default_value_t = 0.05)]
    pub mu: f64,
    /// Hidden units m.
    #[arg(long, default_value_t = 50)]
    pub width: usize,
    /// Slope γ of the leaky ReLU on negative inputs, in (0, 1).
    #[arg(long, default_value_t = 0.1)]
    pub slope: f64,
    /// Initialization scales S of the first layer (weights N(0, S²/d)), one run each.
    #[arg(long, value_delimiter = ',', default_value = "0.001,0.01,0.1,1,4")]
    pub init_scales: Vec<f64>,
    /// Learning rate of the constant gradient step.
    #[arg(long, default_value_t = 8.0)]
    pub lr: f64,
    /// Steps of every run.
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
}

crate::suite::config_defaults_and_entry!();

impl Config {
    /// The network: `dim` inputs, `width` leaky-ReLU units, the output row fixed at ±1/√m.
    pub fn arch(&self) -> Result<Arch, RunError> {
        let text = format!(
            "{},leaky({}):{},1!signs!fixed",
            self.dim, self.slope, self.width
        );
        text.parse()
            .map_err(|e| RunError::Config(format!("--dim, --slope, --width: {e}")))
    }

    /// The scales, checked: at least two, each finite and positive.
    fn scales(&self) -> Result<(f64, f64), RunError> {
        let bad = self
            .init_scales
            .iter()
            .find(|s| !(s.is_finite() && **s > 0.0));
        if let Some(s) = bad {
            return Err(RunError::Config(format!(
                "--init-scales: {s} is not a finite positive number"
            )));
        }
        two_ends(&self.init_scales, "--init-scales")
    }

    /// The data, checked.
    fn data(&self, seed: u64) -> Result<Dataset, RunError> {
        if !(self.slope > 0.0 && self.slope < 1.0) {
            return Err(RunError::Config(format!(
                "--slope {} must lie in (0, 1)",
                self.slope
            )));
        }
        let text = format!(
            "mixture:n={},dim={},mu={},seed={seed}",
            self.n, self.dim, self.mu
        );
        Ok(data::resolve(&text)?)
    }
}

/// The run of initialization scale `scale`.
fn run_name(scale: f64) -> String {
    format!("init-{scale}")
}

/// The first layer's stable rank at every log of `record`.
fn stable_rank(record: &RunRecord) -> Vec<(usize, f64)> {
    record.log.series(Scope::Layer, 0, Metric::StableRank)
}

/// The first logged value at or after `step` (NaN when there is none).
fn at(series: &[(usize, f64)], step: usize) -> f64 {
    series
        .iter()
        .find(|(s, _)| *s >= step)
        .map_or(f64::NAN, |&(_, v)| v)
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let (smallest, largest) = cfg.scales()?;
    let data = cfg.data(common.seed)?;
    let arch = cfg.arch()?;
    let training = Training::logistic(StepRule::Constant, cfg.lr, cfg.steps);
    let mut exp = Experiment::new(NAME, TITLE, dir, common).citing(leaky::PAPER);
    let mut ranks = chart(
        "first layer's stable rank ‖W‖_F²/σ₁², per initialization scale",
        "stable rank",
        true,
    );
    for &scale in &cfg.init_scales {
        let name = run_name(scale);
        let s = spec(&name, &arch, gaussian_start(scale), &data, training, common)?;
        let record = exp.run(&s, &[])?;
        ranks
            .series
            .push(series(format!("init scale {scale}"), stable_rank(record)));
    }
    // The two thresholds on the stable rank itself (the contrast's is a ratio of it).
    ranks.references =
        threshold_lines(&[&leaky::RANK_AT_MOST_TWO, &leaky::ONE_STEP_DROP], |_| true);
    exp.chart("stable_rank", &ranks)?;

    let orthogonality = data::near_orthogonality(&data);
    let near = leaky::NEAR_ORTHOGONAL.with_value(NAME, orthogonality);
    let (small, large) = (run_name(smallest), run_name(largest));
    let frobenius = |r: &RunRecord| r.log.series(Scope::Layer, 0, Metric::Frobenius);
    let init = exp.compare(&leaky::SMALL_INIT, &[&small], |r| {
        let norms = frobenius(r[0]);
        at(&norms, 1) / at(&norms, 0)
    })?;
    let at_most_two = exp.compare(&leaky::RANK_AT_MOST_TWO, &[&small], |r| {
        r[0].log
            .last(Scope::Layer, 0, Metric::StableRank)
            .unwrap_or(f64::NAN)
    })?;
    let one_step = exp.compare(&leaky::ONE_STEP_DROP, &[&small], |r| {
        stable_rank(r[0])
            .into_iter()
            .filter(|&(s, _)| s >= 1)
            .map(|(_, v)| v)
            .fold(f64::NAN, f64::max)
    })?;
    let stays_high = exp.compare(&leaky::LARGE_INIT_STAYS_HIGH, &[&large], |r| {
        let ranks = stable_rank(r[0]);
        let start = at(&ranks, 0);
        ranks
            .iter()
            .filter(|&&(s, _)| (1..=HIGH_FOR_STEPS).contains(&s))
            .map(|&(_, v)| v / start)
            .fold(f64::NAN, f64::min)
    })?;
    let judged = [near, init, at_most_two, one_step, stays_high];
    let premises_of = |id: &str| -> Vec<&Claim> {
        DATA_AND_INIT_PREMISES
            .iter()
            .filter(|(c, _)| c.id == id)
            .flat_map(|(_, ps)| ps.iter())
            .filter_map(|p| judged.iter().find(|c| c.id == p.id))
            .collect()
    };
    let withdrawn: Vec<Claim> = judged
        .iter()
        .map(|c| c.clone().resting_on(&premises_of(&c.id)))
        .collect();
    for claim in withdrawn {
        exp.claim(claim);
    }
    exp.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Verdict;

    #[test]
    fn bad_settings_are_errors_naming_the_flag() {
        let cfg = Config {
            init_scales: vec![0.1],
            ..Config::default()
        };
        assert!(
            cfg.scales()
                .unwrap_err()
                .to_string()
                .contains("at least two")
        );
        let cfg = Config {
            init_scales: vec![0.1, -1.0],
            ..Config::default()
        };
        assert!(cfg.scales().unwrap_err().to_string().contains("-1 is not"));
        let cfg = Config {
            slope: 1.5,
            ..Config::default()
        };
        assert!(cfg.data(0).unwrap_err().to_string().contains("--slope 1.5"));
        let cfg = Config {
            width: 0,
            ..Config::default()
        };
        assert!(cfg.arch().unwrap_err().to_string().contains("--width"));
        assert_eq!(
            Config::default().arch().unwrap().to_string(),
            "8000,leaky(0.1):50,1!signs!fixed"
        );
    }

    #[test]
    fn a_failed_premise_withdraws_the_claim() {
        let holds = leaky::NEAR_ORTHOGONAL.with_value(NAME, 2.0);
        let fails = leaky::SMALL_INIT.with_value(NAME, 1.5);
        let claim = leaky::ONE_STEP_DROP.with_value(NAME, 1.2);
        assert_eq!(claim.clone().resting_on(&[&holds]).verdict, Verdict::Holds);
        let out = claim.resting_on(&[&holds, &fails]);
        assert_eq!(out.verdict, Verdict::NotApplicable);
        assert!(
            out.metric.contains("premise `small-init` is FAILS"),
            "{}",
            out.metric
        );
    }
}
