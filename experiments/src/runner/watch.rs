//! What the runner does between training steps: shows progress, records the metrics at the
//! logged steps, and writes the run's checkpoint when one is due or a signal asks the run to stop;
//! and how a run continues from that checkpoint.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kernels::Element;
use models::{Attachments, CheckpointError, Control, Init, Network, Observer, StepInfo};
use models::{TrainState, Trainer};

use super::config_json;

use super::interrupt;
use super::progress::Progress;
use super::{Durability, RunSpec};
use crate::error::RunError;
use crate::metrics::Recorder;

/// Why the watch stopped training.
pub(super) enum Stopped {
    /// A signal asked to stop; the checkpoint of step `step` is at `path`.
    Interrupted {
        signal: &'static str,
        step: usize,
        path: PathBuf,
    },
    /// A checkpoint could not be written (the previous one, if any, is intact).
    Failed(CheckpointError),
}

/// The observer of one run's training.
pub(super) struct Watch<'a, 'x, T: Element> {
    pub(super) recorder: Recorder<'x, T>,
    pub(super) stopped: Option<Stopped>,
    progress: &'a Progress,
    spec: &'a RunSpec,
    durability: Durability,
    path: PathBuf,
    config: String,
    /// Training seconds of the earlier attempts, and when this one started.
    seconds_before: f64,
    started: Instant,
    last_saved: Instant,
}

impl<'a, 'x, T: Element> Watch<'a, 'x, T> {
    pub(super) fn new(
        recorder: Recorder<'x, T>,
        progress: &'a Progress,
        spec: &'a RunSpec,
        durability: Durability,
        path: PathBuf,
        seconds_before: f64,
    ) -> Self {
        Self {
            recorder,
            stopped: None,
            progress,
            spec,
            durability,
            path,
            config: config_json(spec).to_string(),
            seconds_before,
            started: Instant::now(),
            last_saved: Instant::now(),
        }
    }

    fn save(&mut self, trainer: &Trainer<'_, T>, net: &Network<T>) -> Result<(), CheckpointError> {
        let mut extra = Attachments::default();
        self.recorder.attach(&mut extra);
        extra.texts.insert("config".into(), self.config.clone());
        let seconds = self.seconds_before + self.started.elapsed().as_secs_f64();
        extra.reals.insert("run.seconds".into(), vec![seconds]);
        models::save_training(net, &trainer.state(), &extra, &self.path)?;
        self.last_saved = Instant::now();
        Ok(())
    }
}

impl<T: Element> Observer<T> for Watch<'_, '_, T> {
    fn evaluated(&mut self, info: &StepInfo, net: &Network<T>) -> Control {
        if info.step.is_multiple_of(64) {
            self.progress.set(info.step as u64);
        }
        if self.spec.schedule.contains(info.step) {
            self.progress.message(format!("ln R {:.4}", info.log_loss));
            self.recorder.record(info.step, net, Some(info));
        }
        Control::Continue
    }

    fn updated(&mut self, trainer: &Trainer<'_, T>, net: &Network<T>) -> Control {
        let step = trainer.step();
        let signal = interrupt::requested();
        let d = self.durability;
        let due = step < self.spec.train.steps
            && (d.every_steps.is_some_and(|n| step.is_multiple_of(n))
                || d.every_seconds
                    .is_some_and(|s| self.last_saved.elapsed().as_secs_f64() >= s));
        if signal.is_none() && !due {
            return Control::Continue;
        }
        if let Err(e) = self.save(trainer, net) {
            self.stopped = Some(Stopped::Failed(e));
            return Control::Stop;
        }
        match signal {
            Some(signal) => {
                self.stopped = Some(Stopped::Interrupted {
                    signal,
                    step,
                    path: self.path.clone(),
                });
                Control::Stop
            }
            None => Control::Continue,
        }
    }
}

/// What a training checkpoint holds: the network, the trainer's state and the attachments.
pub(super) type Checkpointed<T> = (Network<T>, TrainState<T>, Attachments);

/// The network, trainer state and attachments of the checkpoint at `path` of a run of `spec`:
/// None when it belongs to a run of another configuration and not `strict` (the run starts
/// over), an error naming the difference when `strict`.
pub(super) fn load<T: Element>(
    spec: &RunSpec,
    path: &Path,
    strict: bool,
) -> Result<Option<Checkpointed<T>>, RunError> {
    let mut net = Network::<T>::new(&spec.arch, Init::Zeros, 0);
    let (state, extra) = models::load_training(&mut net, path)?;
    let stored: serde_json::Value = extra
        .texts
        .get("config")
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    Ok(fits(spec, &stored, &path.display().to_string(), strict)?.then_some((net, state, extra)))
}

/// Training seconds of the earlier attempts, as a checkpoint's attachments record them.
pub(super) fn seconds(extra: &Attachments) -> f64 {
    extra
        .reals
        .get("run.seconds")
        .and_then(|s| s.first().copied())
        .unwrap_or(0.0)
}

/// Whether an earlier attempt at the run of `spec` (found at `place`, its configuration
/// `stored`) is of the same configuration: false when not and not `strict` (the run starts
/// over), an error naming every setting that differs when `strict`.
pub(super) fn fits(
    spec: &RunSpec,
    stored: &serde_json::Value,
    place: &str,
    strict: bool,
) -> Result<bool, RunError> {
    let current = config_json(spec);
    if *stored == current {
        return Ok(true);
    }
    if !strict {
        return Ok(false);
    }
    let difference = match (stored.as_object(), current.as_object()) {
        (Some(a), Some(b)) => {
            let show = |v: Option<&serde_json::Value>| {
                v.map_or("nothing".to_string(), ToString::to_string)
            };
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            let differences: Vec<String> = keys
                .into_iter()
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| format!("`{k}` is {} there, {} here", show(a.get(k)), show(b.get(k))))
                .collect();
            format!(
                "it is a run of another configuration: {}",
                differences.join("; ")
            )
        }
        _ => "it records no configuration".to_string(),
    };
    Err(RunError::Config(format!(
        "cannot resume run `{}` from {place}: {difference}",
        spec.name
    )))
}
