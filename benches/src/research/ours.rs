//! One run of ours, exactly as `train` runs it: the data loaded and scaled, the specification
//! built, then `experiments::runner::execute` on a pool of the requested threads; timed phase by
//! phase.
//!
//! What each phase covers:
//! - setup: reading, decoding and scaling the data and building the run specification (timed
//!   here, as `train` does them before its thread pool starts);
//! - metrics: the run's `Outcome::metrics_seconds`, every logged step's metrics;
//! - training: `Outcome::seconds − metrics_seconds`: the training loop and what the runner times
//!   with it (building the network at its initialization, converting the data to tensors,
//!   preparing the recorder, saving `final.safetensors` and looking up the SVM margin; see
//!   [`warm_svm`]);
//! - other: the rest of `execute`, outside `Outcome::seconds`: writing `metrics.csv`,
//!   `summary.json`, the report and its plots.

use std::path::Path;
use std::time::Instant;

use experiments::claims::catalogue;
use experiments::cli::with_threads;
use experiments::data::Dataset;
use experiments::metrics::Metric;
use experiments::report::summary::{Status, Summary};
use experiments::runner::{self, RunOptions};

use super::case::{Case, Settings, run_spec};
use super::data::{first, load_pair};
use super::final_state::FinalState;
use super::phases::Phases;

/// What one run of ours measured.
#[derive(Clone, Debug, PartialEq)]
pub struct OursRun {
    /// Its phases.
    pub phases: Phases,
    /// Where it ended.
    pub end: FinalState,
    /// Metrics computed (logged steps).
    pub logged_steps: usize,
}

/// Solves the hard-margin SVM of `data` into the process-wide cache the runs look their margin
/// up in (`experiments::data::svm::cached_hard_margin`), and returns the seconds it took: a solve once
/// per data set, not part of any run. (A runner that solved it afresh in every run would count
/// the solve in that run's training phase.)
pub fn warm_svm(data: &Dataset) -> f64 {
    let started = Instant::now();
    let _ = experiments::data::svm::cached_hard_margin(data);
    started.elapsed().as_secs_f64()
}

/// Runs `case` from the MNIST-format folder `data_dir` on `threads` threads, writing the run's
/// files into `out` (created if needed).
pub fn run(
    case: Case,
    settings: &Settings,
    data_dir: &Path,
    threads: u16,
    out: &Path,
) -> Result<OursRun, String> {
    let started = Instant::now();
    let data = first(&load_pair(data_dir)?, case.n)?;
    let spec = run_spec(case, settings, &data)?;
    let setup = started.elapsed().as_secs_f64();
    let options = RunOptions {
        quiet: true,
        ..RunOptions::default()
    };
    let (result, wall) = with_threads(Some(threads), || {
        let started = Instant::now();
        // The claims `train` judges on a network that is not deep linear (after the run, outside
        // every phase, so only for completeness).
        let result = runner::execute(&spec, out, &options, catalogue::LINEAR_TAIL);
        (result, started.elapsed().as_secs_f64())
    })
    .map_err(|e| e.to_string())?;
    let (summary, _) = result.map_err(|e| e.to_string())?;
    let o = &summary.outcome;
    if o.status == Status::Diverged {
        return Err(format!("run `{}` {}", spec.name, o.stop_reason));
    }
    let phases = Phases {
        setup,
        training: o.seconds - o.metrics_seconds,
        metrics: o.metrics_seconds,
        other: wall - o.seconds,
        total: setup + wall,
    };
    Ok(OursRun {
        phases,
        end: final_state(&summary),
        logged_steps: spec.schedule.len(),
    })
}

/// The final loss, accuracy and r of every layer, from the run's summary.
fn final_state(summary: &Summary) -> FinalState {
    let get = |key: &str| summary.final_metrics.get(key).copied();
    let r = (0..)
        .map_while(|k| get(&format!("layer.{k}.{}", Metric::Ratio)))
        .collect();
    FinalState {
        loss: get(&format!("run.{}", Metric::Loss)),
        accuracy: get(&format!("run.{}", Metric::Accuracy)),
        r,
    }
}
