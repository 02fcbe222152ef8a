//! One run of the benchmark: its network width and data size, and the settings shared by every
//! run, turned into the run specification `train` would build from the same flags.

use experiments::cli::{CommonArgs, defaults};
use experiments::data::Dataset;
use experiments::metrics::MetricSet;
use experiments::runner::schedule::LogSchedule;
use experiments::runner::{Dtype, RunSpec};
use experiments::suite::{Common, TrainArgs, scalar_net, spec};
use models::Activation::{Linear, Relu};
use models::{Arch, LayerSpec};

/// The Fashion-MNIST classes compared: 1 (trouser, labelled +1) and 8 (bag, −1).
pub const CLASSES: (u8, u8) = (1, 8);

/// Where the Debian package `dataset-fashion-mnist` puts its files.
pub const DEFAULT_DATA_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// One benchmark run: `784,relu:W,linear:W,linear:W,1` on the first `n` examples of the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    /// The width W of the three hidden layers.
    pub width: usize,
    /// The number of training examples.
    pub n: usize,
}

impl Case {
    /// The architecture: `784,relu:W,linear:W,linear:W,1`.
    pub fn arch(&self) -> Arch {
        let w = self.width;
        scalar_net(
            784,
            vec![
                LayerSpec::dense(w, Relu),
                LayerSpec::dense(w, Linear),
                LayerSpec::dense(w, Linear),
            ],
        )
    }

    /// The run's name (also its folder name).
    pub fn name(&self) -> String {
        format!("w{}-n{}", self.width, self.n)
    }
}

/// The settings every run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Gradient steps (the run evaluates steps + 1 iterates: the last for its loss and metrics).
    pub steps: usize,
    /// The metric families computed at each log (`train`'s default: all but invariance).
    pub metrics: MetricSet,
}

/// The experiment settings `train --dtype f32 --quiet --seed 0` uses: its default log schedule
/// (20 logs per decade), and `metrics` (`train`'s default when given `MetricSet::cheap()`).
pub fn common(metrics: &MetricSet) -> Common {
    let mut flags: CommonArgs = defaults();
    flags.dtype = Dtype::F32;
    flags.quiet = true;
    let mut common = flags.common();
    common.metrics = Some(metrics.clone());
    common
}

/// The logged steps of a run of `steps` steps: `train`'s default schedule.
pub fn schedule(steps: usize) -> LogSchedule {
    common(&MetricSet::cheap()).schedule(steps)
}

/// The specification `train` builds for this case on `data`: its default initialization
/// (N(0, 0.25/fan_in)), the logistic loss, the gradient-normalized step of size 0.1, f32, full
/// batch. Fails when the data does not fit the architecture.
pub fn run_spec(case: Case, settings: &Settings, data: &Dataset) -> Result<RunSpec, String> {
    let flags: TrainArgs = defaults();
    let training = TrainArgs {
        steps: settings.steps,
        ..flags
    };
    spec(
        &case.name(),
        &case.arch(),
        training.start(),
        data,
        training.training(),
        &common(&settings.metrics),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use experiments::data::{Provenance, Source};
    use experiments::runner::Start;
    use models::{Init, MarginLoss, StepRule};

    #[test]
    fn names_and_architectures() {
        let case = Case {
            width: 512,
            n: 1000,
        };
        assert_eq!(
            case.arch().to_string(),
            "784,relu:512,linear:512,linear:512,1"
        );
        assert_eq!(case.name(), "w512-n1000");
    }

    #[test]
    fn the_schedule_is_trains_default() {
        assert_eq!(
            schedule(20).steps(),
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20]
        );
        assert_eq!(schedule(20), LogSchedule::log_spaced(20, 20));
    }

    #[test]
    fn the_spec_is_trains_default_in_f32() {
        let data = Dataset {
            name: "tiny".into(),
            n: 2,
            dim: 784,
            x: vec![0.001; 2 * 784],
            y: vec![1.0, -1.0],
            input_divisor: 1.0,
            provenance: Provenance::of(Source::Memory),
        };
        let settings = Settings {
            steps: 20,
            metrics: MetricSet::cheap(),
        };
        let s = run_spec(Case { width: 8, n: 2 }, &settings, &data).unwrap();
        assert_eq!(s.start, Start::Random(Init::Gaussian { scale: 0.5 }));
        assert_eq!(s.train.loss, MarginLoss::Logistic);
        assert_eq!(s.train.rule, StepRule::GradNormalized);
        assert_eq!(
            (s.train.lr, s.train.steps, s.train.batch_size),
            (0.1, 20, None)
        );
        assert_eq!(s.dtype, Dtype::F32);
        assert_eq!(s.schedule, schedule(20));
        assert_eq!(s.metrics, MetricSet::cheap());
        let small = Dataset {
            dim: 3,
            x: vec![0.1; 6],
            ..data
        };
        assert!(run_spec(Case { width: 8, n: 2 }, &settings, &small).is_err());
    }
}
