//! The experiments of the theory, each a set of runs and the claims checked on them, runnable
//! alone (one binary each) or all together (`lowrank`).

pub mod completion;
pub mod counterexample;
pub mod deep_linear;
pub mod digits;
pub mod direction;
pub mod factorization;
pub mod fashion;
pub mod invariance;
pub mod leaky_rank;
pub mod relu_tail;
pub mod residual;
pub mod slurm;
pub mod sweep;
mod sweep_table;
mod training;

use std::time::Instant;

use models::{Arch, LayerSpec, TrainConfig};
use serde::{Deserialize, Serialize};

pub use crate::report::experiment::{
    write_experiment_report, write_seeds_report, write_suite_report,
};
pub use training::{TrainArgs, Training, gaussian_start};

use crate::claims::{Claim, ClaimSpec};
use crate::data::Dataset;
use crate::error::RunError;
use crate::metrics::MetricSet;
use crate::report::plot::Chart;
use crate::report::summary::{REFERENCE, Status, Summary};
use crate::runner::budget::{self, Askers, RunSize};
use crate::runner::rundir::RunDir;
use crate::runner::schedule::LogSchedule;
use crate::runner::{self, Dtype, Durability, RunOptions, RunRecord, RunSpec, Start};

/// Settings shared by every experiment, from the command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Common {
    /// Seed of the data and the initialization.
    pub seed: u64,
    /// The dtype to train in.
    pub dtype: Dtype,
    /// Hide progress bars.
    pub quiet: bool,
    /// Checkpoints, and what to do with an earlier attempt at each run.
    pub durability: Durability,
    /// Log every this many steps instead of on the log-spaced schedule.
    pub log_every: Option<usize>,
    /// Logs per decade of steps on the log-spaced schedule.
    pub log_per_decade: usize,
    /// The metric families to compute; None: the experiment's own choice (every family for the
    /// toy experiments, whose claims use them all).
    pub metrics: Option<MetricSet>,
}

impl Default for Common {
    fn default() -> Self {
        Self {
            seed: 0,
            dtype: Dtype::F64,
            quiet: false,
            durability: Durability::default(),
            log_every: None,
            log_per_decade: 20,
            metrics: None,
        }
    }
}

impl Common {
    /// How the runs are shown and kept.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            quiet: self.quiet,
            durability: self.durability,
            config: None,
        }
    }

    /// The logging schedule for a run of `steps` steps (check [`Common::logs`] against the
    /// memory first: an every-N schedule holds one entry per log).
    pub fn schedule(&self, steps: usize) -> LogSchedule {
        match self.log_every {
            Some(every) => LogSchedule::every(every, steps),
            None => LogSchedule::log_spaced(steps, self.log_per_decade),
        }
    }

    /// The number of logs of a run of `steps` steps, without building an every-N schedule.
    pub fn logs(&self, steps: usize) -> usize {
        match self.log_every {
            Some(every) => LogSchedule::every_len(every, steps),
            None => LogSchedule::log_spaced(steps, self.log_per_decade).len(),
        }
    }

    /// The metric families of a run: the flag's, else every family.
    pub fn metric_set(&self) -> MetricSet {
        self.metrics.clone().unwrap_or_else(MetricSet::all)
    }

    /// The settings that ask for each part of run `name`, by the values an experiment derived
    /// from its flags (an experiment's flags differ; `train` names its own, see [`fits`]).
    pub fn askers(&self, name: &str, arch: &Arch, data: &Dataset, steps: usize) -> Askers {
        Askers {
            network: format!("run `{name}`: the network `{arch}`"),
            data: format!("run `{name}`: the data `{}`", data.name),
            logs: format!("run `{name}`: {steps} steps with {}", self.schedule_flag()),
            metrics: format!("run `{name}`: --metrics {}", self.metric_set()),
        }
    }

    /// The flag that sets the log schedule, with its value: `--log-every N` or
    /// `--log-per-decade K`.
    pub fn schedule_flag(&self) -> String {
        match self.log_every {
            Some(every) => format!("--log-every {every}"),
            None => format!("--log-per-decade {}", self.log_per_decade),
        }
    }
}

/// Checks, before anything of the run is allocated or its folder created, that a run of `arch`
/// on `data` trained by `training` fits in this machine's memory (see [`budget`]); a refusal
/// names the setting in `askers` that asks for the most.
pub fn fits(
    arch: &Arch,
    data: &Dataset,
    training: &Training,
    common: &Common,
    askers: &Askers,
) -> Result<(), RunError> {
    let metrics = common.metric_set();
    let size = RunSize {
        arch,
        examples: data.n,
        features: data.dim,
        dtype: common.dtype,
        rule: training.rule,
        logs: common.logs(training.steps),
        metrics: &metrics,
    };
    budget::check_run(&size, askers).map_err(|e| RunError::Config(e.to_string()))
}

/// Builds a run specification, naming the run in any error (an architecture that does not
/// validate, or whose input width does not match the data or whose output is not scalar, or a
/// run too big for the memory, see [`fits`]).
pub fn spec(
    name: &str,
    arch: &Arch,
    start: Start,
    data: &Dataset,
    training: Training,
    common: &Common,
) -> Result<RunSpec, RunError> {
    let askers = common.askers(name, arch, data, training.steps);
    spec_asked_by(name, arch, start, data, training, common, &askers)
}

/// [`spec`], with a refusal for the memory naming the settings `askers` gives (a binary's own
/// flags) rather than the run's values.
pub fn spec_asked_by(
    name: &str,
    arch: &Arch,
    start: Start,
    data: &Dataset,
    training: Training,
    common: &Common,
    askers: &Askers,
) -> Result<RunSpec, RunError> {
    arch.validate()
        .map_err(|e| RunError::Config(format!("run `{name}`: architecture `{arch}`: {e}")))?;
    if arch.input != data.dim {
        return Err(RunError::Config(format!(
            "run `{name}`: architecture `{arch}` takes {} inputs but the data `{}` has {} features",
            arch.input, data.name, data.dim
        )));
    }
    if arch.output != 1 {
        return Err(RunError::Config(format!(
            "run `{name}`: architecture `{arch}` has {} outputs; the margins y·f(x) need a scalar output (end it with 1)",
            arch.output
        )));
    }
    fits(arch, data, &training, common, askers)?;
    Ok(RunSpec {
        name: name.to_string(),
        arch: arch.clone(),
        start,
        data: data.clone(),
        train: TrainConfig {
            loss: training.loss,
            rule: training.rule,
            lr: training.lr,
            steps: training.steps,
            batch_size: None,
            seed: common.seed,
            target_loss: None,
        },
        dtype: common.dtype,
        schedule: common.schedule(training.steps),
        // Drifts are measured from step 0, so a unit counts as stably active only if it was
        // active on every example at every log since the start (Theorem 1's hypothesis).
        active_window: usize::MAX,
        metrics: common.metric_set(),
    })
}

/// The smallest and largest of `values`, an error naming `flag` unless there are two different
/// ones.
pub(crate) fn two_ends<T: Copy + PartialOrd + std::fmt::Debug>(
    values: &[T],
    flag: &str,
) -> Result<(T, T), RunError> {
    let pick = |better: fn(&T, &T) -> bool| {
        values
            .iter()
            .copied()
            .reduce(|a, b| if better(&b, &a) { b } else { a })
    };
    match (pick(|a, b| a < b), pick(|a, b| a > b)) {
        (Some(low), Some(high)) if low < high => Ok((low, high)),
        _ => Err(RunError::Config(format!(
            "{flag}: {values:?} needs at least two different values (the comparison is between the smallest and the largest)"
        ))),
    }
}

/// A scalar-output network: `input` features, then `layers`, then the output row.
pub fn scalar_net(input: usize, layers: Vec<LayerSpec>) -> Arch {
    Arch {
        input,
        layers,
        output: 1,
        marks: Vec::new(),
    }
}

/// One run inside an experiment: its folder (relative to the experiment's) and its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// The run's folder name inside the experiment's folder.
    pub folder: String,
    /// What the run wrote to `summary.json`.
    pub summary: Summary,
    /// The stems of the run's charts in its folder, in the order its report shows them.
    pub charts: Vec<String>,
}

/// What an experiment found: its runs, and every claim it checked (the runs' and its own).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResult {
    /// Short name (the binary's name).
    pub name: String,
    /// One-line description.
    pub title: String,
    /// The runs, in the order they ran.
    pub runs: Vec<RunEntry>,
    /// Every claim, run claims first, then the claims that compare runs.
    pub claims: Vec<Claim>,
    /// Wall-clock seconds of the whole experiment.
    pub seconds: f64,
    /// The stems of the charts that compare runs, in the experiment's own folder.
    #[serde(default)]
    pub charts: Vec<String>,
    /// The work whose claims the experiment tests.
    #[serde(default = "le_and_jegelka")]
    pub reference: String,
}

/// The reference of an experiment that names none: the paper the suite is built around.
fn le_and_jegelka() -> String {
    REFERENCE.to_string()
}

impl ExperimentResult {
    /// The runs that diverged, with the reason.
    pub fn diverged(&self) -> Vec<String> {
        self.runs
            .iter()
            .filter(|r| r.summary.outcome.status == Status::Diverged)
            .map(|r| {
                format!(
                    "run `{}`: {}",
                    r.summary.name, r.summary.outcome.stop_reason
                )
            })
            .collect()
    }
}

/// Collects the runs of an experiment as they finish.
pub struct Experiment<'a> {
    name: &'static str,
    title: &'static str,
    dir: &'a RunDir,
    options: RunOptions,
    started: Instant,
    runs: Vec<RunEntry>,
    records: Vec<RunRecord>,
    extra: Vec<Claim>,
    charts: Vec<String>,
    reference: &'static str,
}

impl<'a> Experiment<'a> {
    /// Starts an experiment writing under `dir`.
    pub fn new(name: &'static str, title: &'static str, dir: &'a RunDir, common: &Common) -> Self {
        Self {
            name,
            title,
            dir,
            options: common.options(),
            started: Instant::now(),
            runs: Vec::new(),
            records: Vec::new(),
            extra: Vec::new(),
            charts: Vec::new(),
            reference: REFERENCE,
        }
    }

    /// The experiment tests the claims of `reference` rather than Le & Jegelka's.
    pub fn citing(mut self, reference: &'static str) -> Self {
        self.reference = reference;
        self
    }

    /// Trains one run into the sub-folder named after it, judging the claims `claims` on it,
    /// and returns its record for claims that compare runs.
    pub fn run(&mut self, spec: &RunSpec, claims: &[&ClaimSpec]) -> Result<&RunRecord, RunError> {
        let child = self.dir.root().join(&spec.name);
        // Claims and progress bars name the run `experiment/run`: run names repeat across experiments.
        let named = RunSpec {
            name: format!("{}/{}", self.name, spec.name),
            ..spec.clone()
        };
        let (summary, record) = runner::execute(&named, &child, &self.options, claims)?;
        self.runs.push(RunEntry {
            folder: spec.name.clone(),
            summary,
            charts: crate::report::chart_stems(&record, claims),
        });
        self.records.push(record);
        Ok(self.records.last().expect("just pushed"))
    }

    /// Adds a run trained outside [`runner::execute`] by a trainer of its own, as the
    /// sub-folder `folder`: `write` fills a staging folder with the run's files and returns its
    /// summary and the stems of its charts; the folder is then published whole, as `execute`
    /// publishes its runs (see [`runner::publish`]), and the run joins the experiment's report.
    pub fn add_run(
        &mut self,
        folder: &str,
        write: impl FnOnce(&RunDir) -> Result<(Summary, Vec<String>), RunError>,
    ) -> Result<(), RunError> {
        let out = self.dir.root().join(folder);
        if let Some(signal) = runner::interrupt::requested() {
            return Err(RunError::Interrupted {
                run: format!("{}/{folder}", self.name),
                signal,
                checkpoint: None,
            });
        }
        let io = |e| RunError::io(format!("run folder {}", out.display()), e);
        runner::publish::recover(&out).map_err(io)?;
        let staging = runner::publish::stage(&out, false).map_err(io)?;
        let (summary, charts) = write(&staging)?;
        runner::publish::publish(&staging, &out).map_err(io)?;
        self.runs.push(RunEntry {
            folder: folder.to_string(),
            summary,
            charts,
        });
        Ok(())
    }

    /// Judges `spec` on the value `value` computes from the runs named `runs` (a comparison of
    /// runs), under the experiment's name; the caller adds it with [`Experiment::claim`].
    pub fn compare(
        &self,
        spec: &ClaimSpec,
        runs: &[&str],
        value: impl FnOnce(&[&RunRecord]) -> f64,
    ) -> Result<Claim, RunError> {
        let records = runs
            .iter()
            .map(|run| {
                let full = format!("{}/{run}", self.name);
                self.records.iter().find(|r| r.name == full).ok_or_else(|| {
                    RunError::Config(format!(
                        "claim `{}`: experiment {} has no run `{run}`",
                        spec.id, self.name
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(spec.across(self.name, value(&records), &records))
    }

    /// Adds a claim that compares runs.
    pub fn claim(&mut self, claim: Claim) {
        self.extra.push(claim);
    }

    /// Writes `chart`, which compares runs, as `stem.svg` in the experiment's folder, for its
    /// report to show.
    pub fn chart(&mut self, stem: &str, chart: &Chart) -> Result<(), RunError> {
        chart.write(&self.dir.plot(stem))?;
        self.charts.push(stem.to_string());
        Ok(())
    }

    /// Writes the experiment's `report.md` and `summary.json` and returns the result.
    pub fn finish(self) -> Result<ExperimentResult, RunError> {
        let mut claims: Vec<Claim> = self
            .runs
            .iter()
            .flat_map(|r| r.summary.claims.clone())
            .collect();
        claims.extend(self.extra);
        let result = ExperimentResult {
            name: self.name.to_string(),
            title: self.title.to_string(),
            runs: self.runs,
            claims,
            seconds: self.started.elapsed().as_secs_f64(),
            charts: self.charts,
            reference: self.reference.to_string(),
        };
        write_experiment_report(self.dir, &result)?;
        Ok(result)
    }
}

/// An experiment runnable at its defaults (by `lowrank`).
pub struct Entry {
    /// The binary's name, also the folder name under the suite's folder.
    pub name: &'static str,
    /// One-line description.
    pub title: &'static str,
    /// Runs the experiment at its defaults into the folder.
    pub run_defaults: fn(&Common, &RunDir) -> Result<ExperimentResult, RunError>,
}

/// What every experiment module declares the same way, given its clap `Config`, its `NAME` and
/// `TITLE`, and its `run(&Config, &Common, &RunDir)`: `Config::default()` (every flag at its
/// default) and the module's [`Entry`], `ENTRY`, which runs the experiment at its defaults.
macro_rules! config_defaults_and_entry {
    () => {
        impl Default for Config {
            fn default() -> Self {
                $crate::cli::defaults()
            }
        }

        /// The experiment in the suite.
        pub const ENTRY: $crate::suite::Entry = $crate::suite::Entry {
            name: NAME,
            title: TITLE,
            run_defaults: |common, dir| run(&Config::default(), common, dir),
        };
    };
}
pub(crate) use config_defaults_and_entry;

/// Every experiment, in the order `lowrank` runs them.
pub fn all() -> Vec<Entry> {
    vec![
        deep_linear::ENTRY,
        relu_tail::ENTRY,
        invariance::ENTRY,
        counterexample::ENTRY,
        residual::ENTRY,
        digits::ENTRY,
        leaky_rank::ENTRY,
        direction::ENTRY,
        completion::ENTRY,
    ]
}
