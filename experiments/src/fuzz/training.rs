//! The training checkpoint and the run configuration in it (`train --resume`).

use std::path::Path;

use autodiff::{MarginLoss, Tensor};
use models::{Arch, Attachments, Init, Network, StepRule, TrainConfig, Trainer};

use super::{Input, Outcome, Target, layout};
use crate::data;
use crate::metrics::{MetricSet, Recorder};
use crate::runner::schedule::LogSchedule;
use crate::runner::{Dtype, RunSpec, Start, config_json};

/// The network of every seed.
const ARCH: &str = "4,relu:3,linear:3,1";

/// The step rules of the seeds, one per kind of state the trainer keeps: moments (Adam, on
/// mini-batches, with an epoch order and position), the adaptive rule's gradient copy and ln η,
/// and none.
const RULES: &[(&str, Option<usize>)] =
    &[("adam", Some(4)), ("adaptive", None), ("constant", None)];

/// Updates taken before each seed's checkpoint.
const STEPS_BEFORE: usize = 3;

/// The `training` target.
pub(super) fn target() -> Target {
    Target {
        name: "training",
        about: "the training checkpoint and its run configuration, as `train --resume` reads them: \
                `models::load_training`, the stored configuration against the run's, the \
                recorder's attachments, `Trainer::resume` and one more step",
        files: layout::FILES,
        seeds,
        run,
    }
}

/// The runs the seeds are checkpoints of, in the order of [`RULES`].
fn specs() -> Vec<RunSpec> {
    let data = data::gaussian(4, 8, 0.1, 1);
    let Ok(arch) = ARCH.parse::<Arch>() else {
        return Vec::new();
    };
    RULES
        .iter()
        .filter_map(|&(rule, batch_size)| {
            let rule: StepRule = rule.parse().ok()?;
            let mut train = TrainConfig::new(MarginLoss::Logistic, rule, 0.1, 10);
            train.batch_size = batch_size;
            Some(RunSpec {
                name: format!("fuzz-{rule}"),
                arch: arch.clone(),
                start: Start::Random(Init::He),
                data: data.clone(),
                train,
                dtype: Dtype::F64,
                schedule: LogSchedule::every(1, 10),
                active_window: usize::MAX,
                metrics: MetricSet::all(),
            })
        })
        .collect()
}

/// Checkpoints of real runs, taken as the runner takes them: the trainer's state after a few
/// updates, the recorder's attachments, the run's configuration and its seconds so far; split
/// into their parts.
fn seeds() -> Vec<Input> {
    let dir = super::scratch("training-seeds");
    let seeds = specs()
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| {
            let path = dir.join(format!("{i}.safetensors"));
            std::fs::create_dir_all(&dir).ok()?;
            checkpoint(spec, &path).ok()?;
            layout::split(&std::fs::read(&path).ok()?)
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    seeds
}

/// Trains `spec` for [`STEPS_BEFORE`] updates, recording each, and saves the training
/// checkpoint to `path`.
fn checkpoint(spec: &RunSpec, path: &Path) -> Result<(), String> {
    let (x, y) = spec.data.to_tensors::<f64>();
    let mut net = Network::<f64>::new(&spec.arch, Init::He, spec.train.seed);
    let mut recorder = recorder(spec, &net, &x);
    let mut trainer = Trainer::new(&net, &x, &y, &spec.train).map_err(|e| e.to_string())?;
    for _ in 0..STEPS_BEFORE {
        let info = trainer.evaluate(&mut net).map_err(|e| e.to_string())?;
        recorder.record(info.step, &net, Some(&info));
        trainer.update(&mut net).map_err(|e| e.to_string())?;
    }
    let mut extra = Attachments::default();
    recorder.attach(&mut extra);
    extra
        .texts
        .insert("config".into(), config_json(spec).to_string());
    extra.reals.insert("run.seconds".into(), vec![0.25]);
    models::save_training(&net, &trainer.state(), &extra, path).map_err(|e| e.to_string())
}

fn recorder<'x>(spec: &RunSpec, net: &Network<f64>, x: &'x Tensor<f64>) -> Recorder<'x, f64> {
    Recorder::new(
        net,
        x,
        &spec.data.y,
        spec.train.loss,
        spec.active_window,
        spec.metrics.clone(),
    )
}

fn run(dir: &Path) -> Outcome {
    let path = match layout::assemble(dir, "training.safetensors") {
        Ok(path) => path,
        Err(e) => return Outcome::Refused(format!("cannot assemble the checkpoint: {e}")),
    };
    let specs = specs();
    let Some(first) = specs.first() else {
        return Outcome::Refused("no run to resume".into());
    };
    let mut net = Network::<f64>::new(&first.arch, Init::Zeros, 0);
    let (state, extra) = match models::load_training(&mut net, &path) {
        Ok(loaded) => loaded,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    // The runner continues a checkpoint only when its configuration is the run's.
    let stored: serde_json::Value = extra
        .texts
        .get("config")
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let Some(spec) = specs.iter().find(|s| config_json(s) == stored) else {
        return Outcome::Refused("a run of another configuration".into());
    };
    resume(spec, net, &state, &extra)
}

/// Continues `spec` from the loaded checkpoint as the runner does, for one step.
fn resume(
    spec: &RunSpec,
    mut net: Network<f64>,
    state: &models::TrainState<f64>,
    extra: &Attachments,
) -> Outcome {
    let (x, y): (Tensor<f64>, Tensor<f64>) = spec.data.to_tensors();
    let mut recorder = recorder(spec, &net, &x);
    if let Err(e) = recorder.continue_from(extra) {
        return Outcome::Refused(e);
    }
    let mut trainer = match Trainer::resume(&net, &x, &y, &spec.train, state) {
        Ok(trainer) => trainer,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    match trainer.evaluate(&mut net) {
        Ok(info) => {
            recorder.record(info.step, &net, Some(&info));
            match trainer.update(&mut net) {
                Ok(()) => Outcome::Accepted,
                Err(e) => Outcome::Refused(e.to_string()),
            }
        }
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{scratch, write_input};

    #[test]
    fn every_rule_gives_a_seed_that_resumes() {
        assert_eq!(specs()[0].data.n, 8);
        let seeds = seeds();
        assert_eq!(seeds.len(), RULES.len());
        let dir = scratch("training-accept");
        for input in seeds {
            write_input(&target(), &input, &dir).unwrap();
            assert_eq!(run(&dir), Outcome::Accepted);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
