//! Gunasekar, Woodworth, Bhojanapalli, Neyshabur & Srebro (NeurIPS 2017) and Arora, Cohen, Hu &
//! Luo (NeurIPS 2019): matrix completion by deep matrix factorization. The product
//! W = W_N ⋯ W_1 of N square factors is trained by gradient descent on the squared error over
//! the observed entries of a random low-rank matrix, from initializations of several scales α
//! ([`crate::suite::factorization`]). From a small α the product ends near the true rank and
//! recovers the unobserved entries; a large α leaves that regime; with few observations depth 3
//! recovers where depth 2 does not.

mod judge;
mod report;

use super::factorization::{self, Factorization, Trained};
use super::{Common, Experiment, ExperimentResult, two_ends};
use crate::claims::completion::{self as claims, FIT_AND_INIT_PREMISES};
use crate::claims::{ClaimSpec, help};
use crate::data::{self, Completion};
use crate::error::RunError;
use crate::metrics::Metric;
use crate::metrics::log::Scope;
use crate::report::plot::Reference;
use crate::report::threshold_lines;
use crate::runner::Dtype;
use crate::runner::rundir::RunDir;
use judge::judge;
use report::{against_alpha, config_json, spectrum_chart, write_run};

/// The binary's name.
pub const NAME: &str = "completion";
/// One-line description.
pub const TITLE: &str = "deep matrix factorization: from a small init, gradient descent completes a low-rank matrix, and depth helps with few observations";
/// The claims, each judged by the experiment across its runs.
pub const CLAIMS: &[&ClaimSpec] = claims::CLAIMS;
/// The largest `--size` accepted: a run holds a few d × d matrices per factor, and the
/// product's full SVD at each log costs about d³.
pub const MAX_SIZE: usize = 2000;
/// The largest depth accepted.
pub const MAX_DEPTH: usize = 8;
/// The most logs a run may take (`--steps` with `--log-every`): each keeps d singular values.
pub const MAX_LOGS: usize = 100_000;
/// The top singular values the spectrum charts draw.
const CHARTED_SIGMAS: usize = 10;

/// The claims, for `--help`.
pub fn claims_help() -> String {
    let rests: Vec<String> = FIT_AND_INIT_PREMISES
        .iter()
        .map(|(claim, premises)| {
            let ids: Vec<&str> = premises.iter().map(|p| p.id).collect();
            format!("{} rests on {}", claim.id, ids.join(" and "))
        })
        .collect();
    format!(
        "Runs `depth-N-alpha-A` for every --depths N and --alphas A: the product of N factors \
(--size × --size, entries N(0, A²/d)) trained by gradient descent (constant --lr, --steps steps) on \
the mean squared error over --observed entries of a rank --rank truth M = U·Vᵀ/√r (U, V Gaussian, \
seeded by --seed); then `few-depth-N-alpha-A` at the smallest A for the shallowest and deepest N, \
on --few-observed entries (a subset of the others). Premises judged by the experiment: {}.\n\n{}",
        rests.join("; "),
        help(CLAIMS)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// d: the ground truth is d × d.
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// r: the rank of the ground truth.
    #[arg(long, default_value_t = 5)]
    pub rank: usize,
    /// Observed entries of the runs over α (a count, at least 1 and below d²).
    #[arg(long, default_value_t = 3000)]
    pub observed: usize,
    /// Observed entries of the depth comparison at the smallest α (below --observed; the same
    /// seed draws them as a subset of those).
    #[arg(long, default_value_t = 2000)]
    pub few_observed: usize,
    /// Depths N (numbers of factors), one run per depth and α.
    #[arg(long, value_delimiter = ',', default_value = "2,3")]
    pub depths: Vec<usize>,
    /// Initialization scales α (each factor's entries N(0, α²/d)), one run per depth and α.
    #[arg(long, value_delimiter = ',', default_value = "0.01,0.03,0.1,0.3,1")]
    pub alphas: Vec<f64>,
    /// Learning rate of the constant gradient step.
    #[arg(long, default_value_t = 10.0)]
    pub lr: f64,
    /// Steps of every run.
    #[arg(long, default_value_t = 4000)]
    pub steps: usize,
}

crate::suite::config_defaults_and_entry!();

/// The runs a claim compares: the extremes of the depths and of the scales.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Extremes {
    smallest: f64,
    largest: f64,
    shallowest: usize,
    deepest: usize,
}

impl Config {
    /// Checks every setting before anything is allocated; an error names the flag.
    fn check(&self, common: &Common) -> Result<Extremes, RunError> {
        let bad = |text: String| Err(RunError::Config(text));
        if !(1..=MAX_SIZE).contains(&self.size) {
            return bad(format!("--size {} must lie in 1..={MAX_SIZE}", self.size));
        }
        if !(1..=self.size).contains(&self.rank) {
            return bad(format!(
                "--rank {} must lie in 1..=--size ({})",
                self.rank, self.size
            ));
        }
        let cells = self.size * self.size;
        if !(1..cells).contains(&self.observed) {
            return bad(format!(
                "--observed {} must lie in 1..{cells} (at least one entry seen and one unseen of the {}×{} matrix)",
                self.observed, self.size, self.size
            ));
        }
        if !(1..self.observed).contains(&self.few_observed) {
            return bad(format!(
                "--few-observed {} must lie in 1..--observed ({})",
                self.few_observed, self.observed
            ));
        }
        if let Some(d) = self.depths.iter().find(|d| !(1..=MAX_DEPTH).contains(*d)) {
            return bad(format!("--depths: {d} must lie in 1..={MAX_DEPTH}"));
        }
        if let Some(a) = self.alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
            return bad(format!("--alphas: {a} is not a finite positive number"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("--lr {} must be a finite positive number", self.lr));
        }
        if self.steps == 0 {
            return bad("--steps must be at least 1".into());
        }
        if common.logs(self.steps) > MAX_LOGS {
            return bad(format!(
                "--steps {} with {} logs {} times, beyond the {MAX_LOGS} a run may keep",
                self.steps,
                common.schedule_flag(),
                common.logs(self.steps)
            ));
        }
        let (shallowest, deepest) = two_ends(&self.depths, "--depths")?;
        let (smallest, largest) = two_ends(&self.alphas, "--alphas")?;
        Ok(Extremes {
            smallest,
            largest,
            shallowest,
            deepest,
        })
    }
}

/// One finished run.
struct Done {
    name: String,
    depth: usize,
    alpha: f64,
    few: bool,
    trained: Trained,
}

impl Done {
    /// The last logged value of `metric` (NaN if none).
    fn end(&self, metric: Metric) -> f64 {
        self.trained
            .log
            .last(Scope::Run, 0, metric)
            .unwrap_or(f64::NAN)
    }
}

/// The run of depth `depth` and scale `alpha`; `few`: of the few-observation comparison.
fn run_name(depth: usize, alpha: f64, few: bool) -> String {
    let prefix = if few { "few-" } else { "" };
    format!("{prefix}depth-{depth}-alpha-{alpha}")
}

/// Trains one factorization in the run's dtype.
fn train(problem: &Completion, f: &Factorization, common: &Common) -> Trained {
    let schedule = common.schedule(f.steps);
    match common.dtype {
        Dtype::F32 => factorization::train::<f32>(problem, f, &schedule),
        Dtype::F64 => factorization::train::<f64>(problem, f, &schedule),
    }
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    let extremes = cfg.check(common)?;
    let problem = data::completion(cfg.size, cfg.rank, cfg.observed, common.seed);
    let few = Completion {
        observed: data::observed_entries(cfg.size, cfg.few_observed, common.seed),
        ..problem.clone()
    };
    let truth_norm = problem.truth.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut exp = Experiment::new(NAME, TITLE, dir, common).citing(claims::PAPER);
    let mut depths = cfg.depths.clone();
    depths.sort_unstable();
    depths.dedup();
    let mut plan: Vec<(usize, f64, bool)> = Vec::new();
    for &depth in &depths {
        for &alpha in &cfg.alphas {
            plan.push((depth, alpha, false));
        }
    }
    for depth in [extremes.shallowest, extremes.deepest] {
        plan.push((depth, extremes.smallest, true));
    }
    let mut done: Vec<Done> = Vec::new();
    for (depth, alpha, is_few) in plan {
        let name = run_name(depth, alpha, is_few);
        if done.iter().any(|r| r.name == name) {
            continue;
        }
        let data = if is_few { &few } else { &problem };
        let f = Factorization {
            depth,
            alpha,
            lr: cfg.lr,
            steps: cfg.steps,
            seed: common.seed,
        };
        let trained = train(data, &f, common);
        let config = config_json(cfg, common, data, &f);
        exp.add_run(&name, |staging| write_run(staging, &name, config, &trained))?;
        done.push(Done {
            name,
            depth,
            alpha,
            few: is_few,
            trained,
        });
    }
    let smallest_deep = done
        .iter()
        .find(|r| r.depth == extremes.deepest && r.alpha == extremes.smallest && !r.few)
        .map(|r| &r.trained);
    if let Some(trained) = smallest_deep {
        let title = format!(
            "the product's top singular values over training, depth {}, α = {}",
            extremes.deepest, extremes.smallest
        );
        exp.chart(
            "singular_values_small_init",
            &spectrum_chart(trained, &title),
        )?;
    }
    let mut rank = against_alpha(
        &done,
        &depths,
        Metric::EffectiveRank,
        "effective rank of the product at the end, against α",
        "effective rank",
        false,
    );
    rank.references.push(Reference {
        label: format!("true rank r = {}", cfg.rank),
        y: cfg.rank as f64,
    });
    exp.chart("effective_rank_vs_alpha", &rank)?;
    let mut error = against_alpha(
        &done,
        &depths,
        Metric::UnobservedError,
        "relative unobserved error at the end, against α",
        "relative unobserved error",
        true,
    );
    error.references = threshold_lines(&[&claims::RECOVERS_AT_SMALL_INIT], |_| true);
    exp.chart("unobserved_error_vs_alpha", &error)?;
    for claim in judge(&done, extremes, cfg, truth_norm) {
        exp.claim(claim);
    }
    exp.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(cfg: Config) -> String {
        cfg.check(&Common::default()).unwrap_err().to_string()
    }

    #[test]
    fn run_names_say_depth_scale_and_observations() {
        assert_eq!(run_name(3, 0.01, false), "depth-3-alpha-0.01");
        assert_eq!(run_name(2, 1.0, true), "few-depth-2-alpha-1");
    }

    #[test]
    fn bad_settings_are_errors_naming_the_flag() {
        let base = Config::default;
        for (cfg, expected) in [
            (
                Config { size: 0, ..base() },
                "--size 0 must lie in 1..=2000",
            ),
            (
                Config {
                    size: 5000,
                    ..base()
                },
                "--size 5000",
            ),
            (Config { rank: 0, ..base() }, "--rank 0"),
            (
                Config {
                    rank: 101,
                    ..base()
                },
                "--rank 101 must lie in 1..=--size (100)",
            ),
            (
                Config {
                    observed: 0,
                    ..base()
                },
                "--observed 0",
            ),
            (
                Config {
                    observed: 10_000,
                    ..base()
                },
                "--observed 10000 must lie in 1..10000",
            ),
            (
                Config {
                    few_observed: 3000,
                    ..base()
                },
                "--few-observed 3000 must lie in 1..--observed (3000)",
            ),
            (
                Config {
                    few_observed: 0,
                    ..base()
                },
                "--few-observed 0",
            ),
            (
                Config {
                    depths: vec![2, 0],
                    ..base()
                },
                "--depths: 0 must lie in 1..=8",
            ),
            (
                Config {
                    depths: vec![3, 3],
                    ..base()
                },
                "--depths: [3, 3] needs at least two different values",
            ),
            (
                Config {
                    depths: vec![],
                    ..base()
                },
                "--depths: [] needs",
            ),
            (
                Config {
                    alphas: vec![0.1, -1.0],
                    ..base()
                },
                "--alphas: -1 is not a finite positive number",
            ),
            (
                Config {
                    alphas: vec![0.1, f64::NAN],
                    ..base()
                },
                "--alphas: NaN is not",
            ),
            (
                Config {
                    alphas: vec![0.1],
                    ..base()
                },
                "--alphas: [0.1] needs at least two",
            ),
            (Config { lr: 0.0, ..base() }, "--lr 0 must be"),
            (Config { steps: 0, ..base() }, "--steps must be at least 1"),
        ] {
            let e = error_of(cfg);
            assert!(e.contains(expected), "{e} lacks {expected}");
        }
        let every = Common {
            log_every: Some(1),
            ..Common::default()
        };
        let long = Config {
            steps: 1_000_000,
            ..base()
        };
        let e = long.check(&every).unwrap_err().to_string();
        assert!(e.contains("--steps 1000000 with --log-every 1"), "{e}");
        let ends = Config {
            depths: vec![3, 1, 2],
            alphas: vec![0.3, 0.01, 1.0],
            ..base()
        };
        assert_eq!(
            ends.check(&Common::default()).unwrap(),
            Extremes {
                smallest: 0.01,
                largest: 1.0,
                shallowest: 1,
                deepest: 3
            }
        );
    }
}
