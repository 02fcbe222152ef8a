//! The metrics of one logged step: spectra, alignments, invariance drifts, activation patterns,
//! losses and margins, appended to the run's [`MetricsLog`].
//!
//! Everything is computed in f64 on a copy of the weights, whatever dtype the run trains in.

use std::time::Instant;

use autodiff::{MarginLoss, Tensor};
use kernels::{Element, MatRef};
use models::{LayerInfo, Network, StepInfo};

use super::loss::log_mean_loss;
use super::metric;
use crate::data::Dataset;
use crate::metrics::{self, ActivityTracker, InvarianceBaseline};
use crate::record::{MetricsLog, Scope};

/// State carried from one logged step to the next.
pub struct Recorder {
    layers: Vec<LayerInfo>,
    pairs: Vec<(usize, usize)>,
    x: Tensor<f64>,
    y: Vec<f64>,
    loss: MarginLoss,
    baseline: InvarianceBaseline,
    tracker: ActivityTracker,
    previous: Vec<Vec<f64>>,
    log: MetricsLog,
    seconds: f64,
}

/// The weights of `net` as f64 tensors, in layer order.
fn weights_f64<T: Element>(net: &Network<T>) -> Vec<Tensor<f64>> {
    (0..net.layers().len())
        .map(|k| net.weight(k).cast::<f64>())
        .collect()
}

fn views(weights: &[Tensor<f64>]) -> Vec<MatRef<'_, f64>> {
    weights.iter().map(Tensor::as_mat).collect()
}

impl Recorder {
    /// Captures the conserved quantities of `net` at initialization.
    pub fn new<T: Element>(
        net: &Network<T>,
        data: &Dataset,
        loss: MarginLoss,
        window: usize,
    ) -> Self {
        let weights = weights_f64(net);
        let pairs = net.adjacent_pairs();
        let baseline = InvarianceBaseline::capture(&views(&weights), &pairs);
        let (x, _) = data.to_tensors::<f64>();
        Self {
            layers: net.layers().to_vec(),
            pairs,
            x,
            y: data.y.clone(),
            loss,
            baseline,
            tracker: ActivityTracker::new(window),
            previous: weights.into_iter().map(Tensor::into_vec).collect(),
            log: MetricsLog::new(),
            seconds: 0.0,
        }
    }

    /// The layer list of the network being recorded.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// The adjacent pairs (lower, upper) of the network.
    pub fn pairs(&self) -> &[(usize, usize)] {
        &self.pairs
    }

    /// Seconds spent computing metrics so far.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// The step of the last record, if any.
    pub fn last_step(&self) -> Option<usize> {
        self.log.rows().last().map(|r| r.step)
    }

    /// Consumes the recorder, returning the log.
    pub fn into_log(self) -> MetricsLog {
        self.log
    }

    /// Records every metric of `net` after `step` steps; `info` is the optimizer's view of the
    /// step (learning rate, gradient norm), absent at initialization.
    pub fn record<T: Element>(&mut self, step: usize, net: &Network<T>, info: Option<&StepInfo>) {
        let started = Instant::now();
        let weights = weights_f64(net);
        let mats = views(&weights);
        let mut net64: Network<f64> = net.cast::<f64>();
        let outputs = net64.predict(&self.x);
        let margins: Vec<f64> = outputs
            .data()
            .iter()
            .zip(&self.y)
            .map(|(f, y)| f * y)
            .collect();
        let preacts = net64.preactivations(&self.x);
        let preact_views: Vec<MatRef<'_, f64>> = preacts.iter().map(Tensor::as_mat).collect();
        let change = self.tracker.observe(&preact_views);

        let log = &mut self.log;
        let mut run =
            |name: &'static str, value: f64| log.push(step, Scope::Run, 0, "run", name, value);
        let log_loss = log_mean_loss(&margins, self.loss);
        run(metric::LOG_LOSS, log_loss);
        run(metric::LOSS, log_loss.exp());
        let correct = margins.iter().filter(|&&m| m > 0.0).count();
        run(
            metric::ACCURACY,
            correct as f64 / margins.len().max(1) as f64,
        );
        run(
            metric::MIN_MARGIN,
            margins.iter().copied().fold(f64::INFINITY, f64::min),
        );
        run(
            metric::NORMALIZED_MARGIN,
            metrics::normalized_margin(&margins, &mats),
        );
        if let Some(info) = info {
            run(metric::LR, info.lr);
            run(metric::GRAD_NORM, info.grad_norm);
        }

        let spectra: Vec<metrics::Spectrum> = mats.iter().map(|w| metrics::spectrum(*w)).collect();
        for (k, (layer, s)) in self.layers.iter().zip(&spectra).enumerate() {
            let mut put = |name: &'static str, value: f64| {
                log.push(step, Scope::Layer, k, &layer.name, name, value)
            };
            put(metric::SIGMA1, s.sigma1);
            put(metric::FROBENIUS, s.frobenius);
            put(metric::RATIO, s.ratio);
            put(metric::STABLE_RANK, s.stable_rank);
            for (name, value) in metric::TOP_SIGMAS.iter().zip(s.top.iter().skip(1)) {
                put(name, *value);
            }
            put(
                metric::SIGN_FLIPS,
                metrics::sign_flips(&self.previous[k], weights[k].data()) as f64,
            );
            if let Some(changes) = change.pattern_changes.get(k) {
                put(metric::PATTERN_CHANGES, *changes as f64);
            }
        }

        let active: Vec<Option<Vec<bool>>> = self
            .layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                if l.is_linear() {
                    None
                } else {
                    self.tracker.stably_active(k)
                }
            })
            .collect();
        let drifts = self.baseline.drift(&mats, &active);
        for (p, &(lower, upper)) in self.pairs.iter().enumerate() {
            let name = format!("{}>{}", self.layers[lower].name, self.layers[upper].name);
            let mut put = |metric: &'static str, value: f64| {
                log.push(step, Scope::Pair, p, &name, metric, value)
            };
            put(
                metric::ALIGNMENT,
                metrics::alignment(&spectra[lower], &spectra[upper]),
            );
            if let Some(d) = drifts.iter().find(|d| d.lower == lower && d.upper == upper) {
                put(metric::DRIFT_FULL, d.full);
                put(metric::DRIFT_DIAGONAL, d.diagonal);
                put(metric::DRIFT_OFF_DIAGONAL, d.off_diagonal);
                put(metric::DRIFT_ACTIVE, d.active_block);
                put(metric::ACTIVE_COUNT, d.active_count as f64);
                put(metric::DRIFT_NEURON, d.per_neuron);
                put(metric::DRIFT_LAYER, d.per_layer);
            }
        }

        self.previous = weights.into_iter().map(Tensor::into_vec).collect();
        self.seconds += started.elapsed().as_secs_f64();
    }
}
