//! The runner: trains one network on one data set with `models::train`, records the metrics at
//! the logged steps, checks the claims, and writes the run's files (see [`crate::runner::rundir`]).

pub mod budget;
mod finished;
pub mod interrupt;
pub mod progress;
pub mod publish;
pub mod rundir;
pub mod schedule;
mod watch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use autodiff::{MarginLoss, Tensor};
pub use kernels::Dtype;
use kernels::Element;
use models::{Arch, Init, LayerInfo, LayerKind, Network, StopReason, TrainConfig, TrainError};
use serde_json::json;

use crate::claims::{ClaimSpec, Verdict, judge_all};
use crate::data::Dataset;
use crate::data::svm::Separability;
use crate::error::RunError;
use crate::metrics::log::{MetricsLog, Scope};
use crate::metrics::{Metric, MetricSet, Recorder};
use crate::report;
use crate::report::summary::{DataPremise, Outcome, REFERENCE, Status, Summary};
use crate::runner::progress::Progress;
use crate::runner::rundir::RunDir;
use crate::runner::schedule::LogSchedule;
use crate::runner::watch::{Stopped, Watch};

/// The metadata key of `final.safetensors` that holds what every input was divided by (see
/// [`Dataset::input_divisor`]): the weights expect raw inputs divided by this number.
pub const INPUTS_DIVIDED_BY: &str = "data.inputs_divided_by";

/// Where the initial weights come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// A random initialization, seeded by the run's seed.
    Random(Init),
    /// The weights of a safetensors checkpoint (names and shapes must match the architecture).
    File(PathBuf),
}

/// Everything that defines a run.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// The run's name (its folder name under `runs/` by default).
    pub name: String,
    /// The network.
    pub arch: Arch,
    /// The initial weights.
    pub start: Start,
    /// The training data.
    pub data: Dataset,
    /// Loss, step rule, learning rate, budget and seed.
    pub train: TrainConfig,
    /// The dtype to train in.
    pub dtype: Dtype,
    /// When to record metrics.
    pub schedule: LogSchedule,
    /// Number of consecutive logs over which a unit must be active on every example to count as
    /// stably active (`usize::MAX`: every log since the start).
    pub active_window: usize,
    /// The metric families to compute at each log.
    pub metrics: MetricSet,
}

/// One layer as the claims and reports see it.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerMeta {
    /// Checkpoint name, e.g. `layers.0.weight`.
    pub name: String,
    /// [out, in].
    pub shape: [usize; 2],
    /// True when no nonlinearity follows the matrix.
    pub linear: bool,
    /// Its role: a fully-connected layer, the output layer, or a residual block's matrix.
    pub kind: LayerKind,
    /// The activation that follows the matrix (`relu`, `linear`, `leaky(0.1)`).
    pub activation: String,
}

impl LayerMeta {
    /// True for a fully-connected layer or the output layer (false for a residual block's matrix).
    pub fn is_dense(&self) -> bool {
        matches!(self.kind, LayerKind::Dense { .. } | LayerKind::Output)
    }
}

/// What a finished run measured.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// The run's name.
    pub name: String,
    /// The layers, in forward order.
    pub layers: Vec<LayerMeta>,
    /// Adjacent pairs (lower, upper); a pair's metrics are indexed by its position here.
    pub pairs: Vec<(usize, usize)>,
    /// Every logged metric.
    pub log: MetricsLog,
    /// How training ended.
    pub outcome: Outcome,
    /// Whether the data is separable, with the SVM margin or the evidence against.
    pub separability: Separability,
    /// The loss it was trained on.
    pub loss: MarginLoss,
    /// Training examples.
    pub examples: usize,
}

impl RunRecord {
    /// The record as it stood after the log of `step`: the same run, its log cut there.
    pub fn until(&self, step: usize) -> RunRecord {
        RunRecord {
            name: self.name.clone(),
            layers: self.layers.clone(),
            pairs: self.pairs.clone(),
            log: self.log.until(step),
            outcome: self.outcome.clone(),
            separability: self.separability.clone(),
            loss: self.loss,
            examples: self.examples,
        }
    }

    /// The data's hard-margin SVM margin (None if not separable).
    pub fn svm_margin(&self) -> Option<f64> {
        self.separability.margin()
    }

    /// Why the run collapsed (its stop reason), or None when it did not.
    pub fn collapse(&self) -> Option<String> {
        (self.outcome.status == Status::Collapsed).then(|| self.outcome.stop_reason.clone())
    }

    /// Indices of the layers followed by no nonlinearity.
    pub fn linear_layers(&self) -> Vec<usize> {
        (0..self.layers.len())
            .filter(|&k| self.layers[k].linear)
            .collect()
    }

    /// Indices of the linear tail: the longest run of fully-connected linear layers (ending with
    /// the output layer) at the end of the network, the layers the theory says go to rank one.
    pub fn linear_tail(&self) -> Vec<usize> {
        let mut start = self.layers.len();
        while start > 0 && self.layers[start - 1].linear && self.layers[start - 1].is_dense() {
            start -= 1;
        }
        (start..self.layers.len()).collect()
    }

    /// Indices of the layers followed by a nonlinearity (ReLU, leaky ReLU).
    pub fn nonlinear_layers(&self) -> Vec<usize> {
        (0..self.layers.len())
            .filter(|&k| !self.layers[k].linear)
            .collect()
    }

    /// Positions (in `pairs`) of the pairs inside a residual block: its Y below its U, the units
    /// of σ(Y·h) between them.
    pub fn block_pairs(&self) -> Vec<usize> {
        (0..self.pairs.len())
            .filter(|&p| {
                let (lower, upper) = self.pairs[p];
                matches!(
                    (self.layers[lower].kind, self.layers[upper].kind),
                    (LayerKind::BlockY { block: a }, LayerKind::BlockU { block: b }) if a == b
                )
            })
            .collect()
    }

    /// The states written by learned-skip blocks (`metrics::joint_states`), in the order of
    /// their `state` rows in the log.
    pub fn joint_states(&self) -> Vec<crate::metrics::JointState> {
        let kinds: Vec<LayerKind> = self.layers.iter().map(|l| l.kind).collect();
        crate::metrics::joint_states(&kinds, &self.pairs)
    }

    /// Positions (in `pairs`) of the pairs whose both layers satisfy `keep`.
    pub fn pairs_where(&self, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        (0..self.pairs.len())
            .filter(|&p| keep(self.pairs[p].0) && keep(self.pairs[p].1))
            .collect()
    }
}

/// The default wall-clock interval between checkpoints (`--checkpoint-seconds`): a killed run
/// loses at most this much work, and a toy run of seconds writes none.
pub const DEFAULT_CHECKPOINT_SECONDS: f64 = 300.0;

/// What a run does with an earlier attempt at it (the run folder and its staging folder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Start over; the earlier results stay in place until the new run is published.
    Fresh,
    /// A finished run of the same configuration is kept, not rerun; an interrupted one continues
    /// from its checkpoint; anything of another configuration is started over (sweep points).
    IfSame,
    /// As `IfSame`, but an earlier attempt of another configuration is an error (`--resume`).
    Strict,
}

/// How a run survives interruption: when it writes its checkpoint, and what it does with an
/// earlier attempt. A checkpoint is written when either interval has passed, and on SIGTERM or
/// SIGUSR1 (see [`interrupt`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Durability {
    /// Every this many steps.
    pub every_steps: Option<usize>,
    /// Whenever this many seconds have passed since the last checkpoint (or the start).
    pub every_seconds: Option<f64>,
    /// What to do with an earlier attempt.
    pub resume: Resume,
}

impl Default for Durability {
    fn default() -> Self {
        Self {
            every_steps: None,
            every_seconds: Some(DEFAULT_CHECKPOINT_SECONDS),
            resume: Resume::Fresh,
        }
    }
}

/// How a run is shown and kept while it trains.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOptions {
    /// Hide the progress bar.
    pub quiet: bool,
    /// Checkpoints and resuming.
    pub durability: Durability,
    /// The resolved configuration of the invocation this run is (see
    /// [`crate::cli::config::Invocation::resolved`]), written as `config.toml` with the run's
    /// files; None for the runs of a multi-run invocation, whose folder holds its own.
    pub config: Option<String>,
}

/// Trains `spec` and publishes its folder at `out`: `metrics.csv`, `final.safetensors`,
/// `summary.json` (with the claims of `specs` judged on the record), the plots and `report.md`,
/// written into the staging folder (with the checkpoints, see [`publish`]) and moved into place
/// whole. Returns the summary and the record.
///
/// A diverged run is recorded (status `diverged`, its claims measured but not judged) for the
/// caller to report; a run that cannot run at all (bad checkpoint, I/O) is an error, and so is
/// one stopped by a signal ([`RunError::Interrupted`], its checkpoint written).
pub fn execute(
    spec: &RunSpec,
    out: &Path,
    options: &RunOptions,
    specs: &[&ClaimSpec],
) -> Result<(Summary, RunRecord), RunError> {
    let folder = |e| RunError::io(format!("run folder {}", out.display()), e);
    publish::recover(out).map_err(folder)?;
    let resume = options.durability.resume;
    if resume != Resume::Fresh
        && let Some(done) = finished::read(spec, out, resume == Resume::Strict)?
    {
        return Ok(done);
    }
    if let Some(signal) = interrupt::requested() {
        return Err(RunError::Interrupted {
            run: spec.name.clone(),
            signal,
            checkpoint: None,
        });
    }
    let dir = publish::stage(out, resume != Resume::Fresh).map_err(folder)?;
    let record = match spec.dtype {
        Dtype::F32 => train_and_record::<f32>(spec, &dir, options)?,
        Dtype::F64 => train_and_record::<f64>(spec, &dir, options)?,
    };
    if record.separability.margin().is_none() {
        // Said even when quiet: the claims resting on separability are not applicable, and a
        // table of them alone would not say that the data is why.
        eprintln!(
            "{}",
            crate::help::wrap(&format!(
                "warning: run `{}`: the data `{}` breaks the premise of the claims resting on \
                 separability, which are not applicable: {}",
                spec.name, spec.data.name, record.separability
            ))
        );
    }
    let mut claims = judge_all(specs, &record);
    let left_out = spec.metrics.missing();
    if !left_out.is_empty() {
        let reason = format!("not computed: --metrics left out {}", left_out.join(", "));
        claims = claims
            .into_iter()
            .map(|c| {
                if c.verdict == Verdict::NotMeasured {
                    c.unjudged(&reason)
                } else {
                    c
                }
            })
            .collect();
    }
    if record.outcome.status == Status::Diverged {
        claims = claims
            .into_iter()
            .map(|c| c.unjudged("the run diverged"))
            .collect();
    }
    let mut final_metrics = report::final_metrics(&record.log);
    if let Some(m) = record.svm_margin() {
        final_metrics.insert("run.svm_margin".to_string(), m);
    }
    let summary = Summary {
        name: spec.name.clone(),
        reference: REFERENCE.to_string(),
        config: config_json(spec),
        outcome: record.outcome.clone(),
        data: Some(DataPremise::new(record.separability.clone())),
        final_metrics,
        claims,
    };
    record
        .log
        .write_csv(&dir.metrics_csv())
        .map_err(|e| RunError::io(format!("writing {}", dir.metrics_csv().display()), e))?;
    summary
        .write(&dir.summary_json())
        .map_err(|e| RunError::io(format!("writing {}", dir.summary_json().display()), e))?;
    report::write_run_report(&dir, &record, &summary, specs)?;
    if let Some(config) = &options.config {
        crate::cli::write_config(&dir, config)?;
    }
    let checkpoint = dir.training_checkpoint();
    if checkpoint.exists() {
        std::fs::remove_file(&checkpoint).map_err(folder)?;
    }
    publish::publish(&dir, out).map_err(folder)?;
    Ok((summary, record))
}

/// The layers as the claims and reports see them.
fn layer_metas(layers: &[LayerInfo]) -> Vec<LayerMeta> {
    layers
        .iter()
        .map(|l| LayerMeta {
            name: l.name.clone(),
            shape: l.shape,
            linear: l.is_linear(),
            kind: l.kind,
            activation: l.activation.to_string(),
        })
        .collect()
}

/// The full configuration of a run as JSON, for `summary.json`.
pub fn config_json(spec: &RunSpec) -> serde_json::Value {
    let start = match &spec.start {
        Start::Random(init) => json!({ "random": init.to_string() }),
        Start::File(path) => json!({ "file": path.display().to_string() }),
    };
    json!({
        "arch": spec.arch.to_string(),
        "start": start,
        "data": spec.data.record(),
        "loss": spec.train.loss.to_string(),
        "step_rule": spec.train.rule.to_string(),
        "lr": spec.train.lr,
        "steps": spec.train.steps,
        "batch_size": spec.train.batch_size,
        "target_loss": spec.train.target_loss,
        "seed": spec.train.seed,
        "dtype": spec.dtype.to_string(),
        "logged_steps": spec.schedule.len(),
        "metrics": spec.metrics.to_string(),
        "active_window": if spec.active_window == usize::MAX {
            json!("every log since the start")
        } else {
            json!(spec.active_window)
        },
    })
}

/// Builds the network of `spec` in dtype `T` with its initial weights.
fn build<T: Element>(spec: &RunSpec) -> Result<Network<T>, RunError> {
    match &spec.start {
        Start::Random(init) => Ok(Network::new(&spec.arch, *init, spec.train.seed)),
        Start::File(path) => {
            let mut net = Network::new(&spec.arch, Init::Zeros, spec.train.seed);
            models::load_weights_into(&mut net, path)?;
            Ok(net)
        }
    }
}

fn train_and_record<T: Element>(
    spec: &RunSpec,
    dir: &RunDir,
    options: &RunOptions,
) -> Result<RunRecord, RunError> {
    let started = Instant::now();
    let (x, y): (Tensor<T>, Tensor<T>) = spec.data.to_tensors::<T>();
    let checkpoint = dir.training_checkpoint();
    let resume = options.durability.resume;
    let earlier = if resume != Resume::Fresh && checkpoint.exists() {
        watch::load::<T>(spec, &checkpoint, resume == Resume::Strict)?
    } else {
        None
    };
    let (mut net, state, extra) = match earlier {
        Some((net, state, extra)) => {
            // Said even when quiet: a cluster job's log shows where each attempt began.
            eprintln!(
                "run `{}`: continuing from its checkpoint at step {} of {}",
                spec.name, state.step, spec.train.steps
            );
            (net, Some(state), Some(extra))
        }
        None => (build::<T>(spec)?, None, None),
    };
    let mut recorder = Recorder::new(
        &net,
        &x,
        &spec.data.y,
        spec.train.loss,
        spec.active_window,
        spec.metrics.clone(),
    );
    let seconds_before = match &extra {
        Some(extra) => {
            recorder.continue_from(extra).map_err(|e| {
                RunError::Config(format!(
                    "cannot resume run `{}` from {}: {e}",
                    spec.name,
                    checkpoint.display()
                ))
            })?;
            watch::seconds(extra)
        }
        None => 0.0,
    };
    let progress = Progress::new(spec.train.steps as u64, &spec.name, options.quiet);
    let mut watch = Watch::new(
        recorder,
        &progress,
        spec,
        options.durability,
        checkpoint,
        seconds_before,
    );
    let result = models::train_with(&mut net, &x, &y, &spec.train, state.as_ref(), &mut watch);
    progress.finish();
    let Watch {
        mut recorder,
        stopped,
        ..
    } = watch;
    match stopped {
        Some(Stopped::Interrupted { signal, step, path }) => {
            return Err(RunError::Interrupted {
                run: spec.name.clone(),
                signal,
                checkpoint: Some((step, path)),
            });
        }
        Some(Stopped::Failed(e)) => return Err(e.into()),
        None => {}
    }
    let (status, steps, stop_reason) = match result {
        Ok(outcome) => {
            let reason = match outcome.reason {
                StopReason::Budget => "budget",
                StopReason::TargetLoss => "target loss",
                StopReason::Callback => "stopped",
            };
            (Status::Completed, outcome.steps, reason.to_string())
        }
        Err(TrainError::Diverged { step, what }) => (
            Status::Diverged,
            step,
            format!("diverged at step {step}: {what}"),
        ),
        Err(source) => {
            return Err(RunError::Train {
                run: spec.name.clone(),
                source,
            });
        }
    };
    if recorder.last_step() != Some(steps) {
        recorder.record(steps, &net, None);
    }
    let log = recorder.log();
    let dead = log.last(Scope::Run, 0, Metric::DeadExamples).unwrap_or(0.0);
    let accuracy = log
        .last(Scope::Run, 0, Metric::Accuracy)
        .unwrap_or(f64::NAN);
    let (status, stop_reason) = if dead > 0.0 && accuracy < 1.0 {
        let n = spec.data.n;
        (
            Status::Collapsed,
            format!(
                "collapsed at step {steps}: the network outputs exactly 0 on {dead} of {n} \
                 training examples (every unit of a layer inactive there), so no gradient can \
                 fit them ({stop_reason})"
            ),
        )
    } else {
        (status, stop_reason)
    };
    let notes = HashMap::from([(
        INPUTS_DIVIDED_BY.to_string(),
        format!("{:e}", spec.data.input_divisor),
    )]);
    models::save_with_notes(&net, &dir.checkpoint(), notes)?;
    if let Some(full) = recorder.full_spectra() {
        let names: Vec<String> = recorder.layers().iter().map(|l| l.name.clone()).collect();
        let path = dir.spectra_csv();
        full.write_csv(&path, &names)
            .map_err(|e| RunError::io(format!("writing {}", path.display()), e))?;
    }
    let metrics_seconds = recorder.seconds();
    let layers = layer_metas(recorder.layers());
    let pairs = recorder.pairs().to_vec();
    Ok(RunRecord {
        name: spec.name.clone(),
        layers,
        pairs,
        log: recorder.into_log(),
        outcome: Outcome {
            status,
            steps,
            stop_reason,
            seconds: seconds_before + started.elapsed().as_secs_f64(),
            metrics_seconds,
        },
        separability: Separability::of(&spec.data),
        loss: spec.train.loss,
        examples: spec.data.n,
    })
}
