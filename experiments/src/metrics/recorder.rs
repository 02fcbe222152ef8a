//! The metrics of one logged step: spectra, alignments, invariance drifts, activation patterns,
//! losses and margins, appended to the run's [`MetricsLog`].
//!
//! The margins and activation patterns come from the training step's own forward pass when it
//! covered the whole training set at the current weights (full-batch training), so logging costs
//! no extra pass over the data; otherwise (mini-batches, a rejected adaptive step, the weights
//! restored after divergence) from one forward pass of a copy of the network, in its dtype.
//! Everything derived from the weights is computed in f64 on a copy of them.
//!
//! Memory beyond training: an f64 copy of the weights per log, the previous log's copy (sign
//! flips), the step-0 weights (invariance), and one bit per (example, unit) of each nonlinear
//! layer (activity): O(parameters + n × width).

use std::sync::Mutex;
use std::time::Instant;

use autodiff::{MarginLoss, Tensor};
use kernels::parallel::Parallelism;
use kernels::{Element, MatRef};
use models::{Attachments, LayerInfo, LayerKind, Network, StepInfo};

use super::loss::log_mean_loss;
use super::metric::Metric;
use super::selection::{Family, MetricSet};
use crate::metrics::log::{MetricsLog, Scope};
use crate::metrics::{
    self, ActivityTracker, InvarianceBaseline, JointState, PairDrift, SpectraLog,
};

/// State carried from one logged step to the next.
pub struct Recorder<'a, T: Element> {
    layers: Vec<LayerInfo>,
    pairs: Vec<(usize, usize)>,
    x: &'a Tensor<T>,
    y: Vec<f64>,
    loss: MarginLoss,
    metrics: MetricSet,
    baseline: Option<InvarianceBaseline>,
    /// The states written by learned-skip blocks, with the baseline of their stacked pairs.
    joint: Option<(Vec<JointState>, InvarianceBaseline)>,
    tracker: ActivityTracker,
    previous: Option<Vec<Vec<f64>>>,
    /// The direction family's state: the network's homogeneity degree and the trained
    /// parameters at the previous log (None before the first).
    direction: Option<(Option<usize>, Option<Vec<f64>>)>,
    log: MetricsLog,
    full_spectra: Option<SpectraLog>,
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

/// The matrices of each joint state stacked into one pair, [A₀, B₀, A₁, B₁, …] (see
/// [`metrics::JointState`]), row-major with their shapes; state s is the pair (2s, 2s + 1).
fn stacked(states: &[JointState], mats: &[MatRef<'_, f64>]) -> Vec<(Vec<f64>, usize, usize)> {
    states
        .iter()
        .flat_map(|s| [s.writers_stacked(mats), s.readers_stacked(mats)])
        .collect()
}

/// Views of [`stacked`] matrices.
fn stacked_views(stacks: &[(Vec<f64>, usize, usize)]) -> Vec<MatRef<'_, f64>> {
    stacks
        .iter()
        .map(|(data, rows, cols)| {
            MatRef::from_row_major(data, *rows, *cols).expect("a stack of the shape it was built")
        })
        .collect()
}

/// The pairs (2s, 2s + 1) of [`stacked`] matrices.
fn stacked_pairs(states: usize) -> Vec<(usize, usize)> {
    (0..states).map(|s| (2 * s, 2 * s + 1)).collect()
}

/// Hands every drift of `d` to `put`, as the metrics that log it.
fn put_drifts(d: &PairDrift, put: &mut impl FnMut(Metric, f64)) {
    put(Metric::DriftFull, d.full);
    put(Metric::DriftDiagonal, d.diagonal);
    put(Metric::DriftOffDiagonal, d.off_diagonal);
    put(Metric::DriftActive, d.active_block);
    put(Metric::ActiveCount, d.active_count as f64);
    put(Metric::DriftNeuron, d.per_neuron);
    put(Metric::DriftLayer, d.per_layer);
}

/// The checkpoint key of the adjacent pairs' invariance baseline.
const BASELINE_KEY: &str = "invariance";

/// The checkpoint key of the direction family's parameters at the previous log.
const DIRECTION_KEY: &str = "direction.previous";

/// The checkpoint key of the joint states' invariance baseline.
const JOINT_KEY: &str = "invariance.joint";

/// `f` of every layer, the layers shared among the threads of `par` (each value is computed the
/// same way on any thread, so the values do not depend on the thread count). Read in the
/// training dtype.
fn per_layer<T: Element, R: Send>(
    mats: &[MatRef<'_, T>],
    f: impl Fn(MatRef<'_, T>) -> R + Sync,
    par: &Parallelism,
) -> Vec<R> {
    let slots: Vec<Mutex<Option<R>>> = mats.iter().map(|_| Mutex::new(None)).collect();
    par.for_each_part(mats.len(), |k, _| {
        let value = f(mats[k]);
        *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every layer's part ran")
        })
        .collect()
}

impl<'a, T: Element> Recorder<'a, T> {
    /// A recorder of the families in `metrics` for `net` trained on x \[n, in\] with labels
    /// `y`; captures the conserved quantities of the initial weights when invariance is asked.
    pub fn new(
        net: &Network<T>,
        x: &'a Tensor<T>,
        y: &[f64],
        loss: MarginLoss,
        window: usize,
        metrics: MetricSet,
    ) -> Self {
        let pairs = net.adjacent_pairs();
        let weights = weights_f64(net);
        let baseline = metrics
            .has(Family::Invariance)
            .then(|| InvarianceBaseline::capture(&views(&weights), &pairs));
        let kinds: Vec<LayerKind> = net.layers().iter().map(|l| l.kind).collect();
        let states = metrics::joint_states(&kinds, &pairs);
        let joint = (metrics.has(Family::Invariance) && !states.is_empty()).then(|| {
            let stacks = stacked(&states, &views(&weights));
            let baseline =
                InvarianceBaseline::capture(&stacked_views(&stacks), &stacked_pairs(states.len()));
            (states, baseline)
        });
        let previous = metrics
            .has(Family::Flips)
            .then(|| weights.into_iter().map(Tensor::into_vec).collect());
        let full_spectra = metrics.has(Family::FullSpectrum).then(SpectraLog::new);
        let direction = metrics
            .has(Family::Direction)
            .then(|| (net.homogeneity_degree(), None));
        Self {
            layers: net.layers().to_vec(),
            pairs,
            x,
            y: y.to_vec(),
            loss,
            metrics,
            baseline,
            joint,
            tracker: ActivityTracker::new(window),
            previous,
            direction,
            log: MetricsLog::new(),
            full_spectra,
            seconds: 0.0,
        }
    }

    /// Continues the recorder whose [`Recorder::attach`] stored `extra`: this one, made by
    /// [`Recorder::new`] with the same data and settings for the network at the moment of that
    /// checkpoint, takes the stored log, step-0 baseline, previous log's weights and activity
    /// history. The error says what does not fit; on error the recorder is unusable.
    pub fn continue_from(&mut self, extra: &Attachments) -> Result<(), String> {
        self.log = MetricsLog::from_attachments(extra)?;
        self.tracker.continue_from(extra)?;
        if let Some(fresh) = &self.baseline {
            let stored = InvarianceBaseline::from_attachments(extra, BASELINE_KEY)?;
            if !stored.same_shapes(fresh) {
                return Err("the invariance baseline is of another network".into());
            }
            self.baseline = Some(stored);
        }
        if let Some((_, fresh)) = &mut self.joint {
            let stored = InvarianceBaseline::from_attachments(extra, JOINT_KEY)?;
            if !stored.same_shapes(fresh) {
                return Err("the joint states' invariance baseline is of another network".into());
            }
            *fresh = stored;
        }
        if let Some(fresh) = &self.previous {
            let stored = (0..fresh.len())
                .map(|k| {
                    extra
                        .reals
                        .get(&format!("flips.previous.{k}"))
                        .filter(|w| w.len() == fresh[k].len())
                        .cloned()
                        .ok_or_else(|| {
                            format!("the previous log's weights of layer {k} are missing")
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.previous = Some(stored);
        }
        if self.full_spectra.is_some() {
            self.full_spectra = Some(SpectraLog::from_attachments(extra)?);
        }
        if let Some((_, previous)) = &mut self.direction
            && !self.log.rows().is_empty()
        {
            let stored = extra
                .reals
                .get(DIRECTION_KEY)
                .ok_or("the previous log's parameters of the direction family are missing")?;
            *previous = Some(stored.clone());
        }
        self.seconds = extra
            .reals
            .get("metrics.seconds")
            .and_then(|s| s.first().copied())
            .unwrap_or(0.0);
        Ok(())
    }

    /// Adds everything [`Recorder::continue_from`] needs to a training checkpoint's attachments.
    pub fn attach(&self, extra: &mut Attachments) {
        self.log.attach(extra);
        self.tracker.attach(extra);
        if let Some(baseline) = &self.baseline {
            baseline.attach(extra, BASELINE_KEY);
        }
        if let Some((_, baseline)) = &self.joint {
            baseline.attach(extra, JOINT_KEY);
        }
        if let Some(full) = &self.full_spectra {
            full.attach(extra);
        }
        if let Some((_, Some(previous))) = &self.direction {
            extra.reals.insert(DIRECTION_KEY.into(), previous.clone());
        }
        for (k, w) in self.previous.iter().flatten().enumerate() {
            extra.reals.insert(format!("flips.previous.{k}"), w.clone());
        }
        extra
            .reals
            .insert("metrics.seconds".into(), vec![self.seconds]);
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

    /// The rows recorded so far.
    pub fn log(&self) -> &MetricsLog {
        &self.log
    }

    /// The full spectra recorded so far, when `--metrics` named full-spectrum.
    pub fn full_spectra(&self) -> Option<&SpectraLog> {
        self.full_spectra.as_ref()
    }

    /// Consumes the recorder, returning the log.
    pub fn into_log(self) -> MetricsLog {
        self.log
    }

    /// Records the selected metrics of `net` after `step` steps; `info` is the optimizer's view
    /// of the step (learning rate, gradient norm), absent when `net` was not just evaluated.
    pub fn record(&mut self, step: usize, net: &Network<T>, info: Option<&StepInfo>) {
        let started = Instant::now();
        // The threads training runs on (a team's when it has one), shared out among the layers.
        let par = net.tape_ref().parallelism().clone();
        let n = self.y.len();
        let covers_data = |net: &Network<T>| net.last_output().is_some_and(|o| o.len() == n);
        let evaluated;
        let source = if covers_data(net) {
            net
        } else {
            let mut copy = net.clone();
            copy.predict(self.x);
            evaluated = copy;
            &evaluated
        };
        let outputs = source
            .last_output()
            .expect("a forward pass on the data just ran");
        let margins: Vec<f64> = outputs
            .data()
            .iter()
            .zip(&self.y)
            .map(|(f, y)| f.to_f64() * y)
            .collect();
        let track_activity = self.metrics.has(Family::Activity) || self.baseline.is_some();
        let change = track_activity.then(|| {
            let activations: Vec<Option<MatRef<'_, T>>> = (0..self.layers.len())
                .map(|k| source.last_activation(k).map(Tensor::as_mat))
                .collect();
            self.tracker.observe(&activations)
        });
        let weights = weights_f64(net);
        let mats = views(&weights);

        let log = &mut self.log;
        let mut run = |name: Metric, value: f64| log.push(step, Scope::Run, 0, "run", name, value);
        let log_loss = log_mean_loss(&margins, self.loss);
        run(Metric::LogLoss, log_loss);
        run(Metric::Loss, log_loss.exp());
        let correct = margins.iter().filter(|&&m| m > 0.0).count();
        run(Metric::Accuracy, correct as f64 / n.max(1) as f64);
        // Free with the margins, and what tells a collapsed run from one that is still training.
        let dead = margins.iter().filter(|&&m| m == 0.0).count();
        run(Metric::DeadExamples, dead as f64);
        if self.metrics.has(Family::Margin) {
            run(
                Metric::MinMargin,
                margins.iter().copied().fold(f64::INFINITY, f64::min),
            );
            run(
                Metric::NormalizedMargin,
                metrics::normalized_margin(&margins, &mats),
            );
        }
        if let Some(info) = info {
            run(Metric::Lr, info.lr);
            run(Metric::GradNorm, info.grad_norm);
        }
        if let Some((degree, previous)) = &mut self.direction {
            let theta = metrics::trained_params(net);
            let gradients = metrics::margin_gradients(net, self.x, &self.y);
            run(Metric::HomogeneityDegree, degree.unwrap_or(0) as f64);
            if let Some(degree) = *degree {
                let norm = kernels::reduce::norm2(&theta);
                run(
                    Metric::SmoothedMargin,
                    metrics::smoothed_margin(log_loss, n, self.loss, norm, degree),
                );
                if let Some(kkt) = metrics::kkt(&theta, &gradients, &margins, degree) {
                    run(Metric::KktResidual, kkt.residual);
                    run(Metric::KktSlack, kkt.slack);
                }
            }
            if let Some(before) = previous {
                run(
                    Metric::DirectionChange,
                    metrics::direction_change(&theta, before),
                );
            }
            run(
                Metric::GradAlignment,
                metrics::gradient_alignment(&theta, &gradients, &margins, self.loss),
            );
            *previous = Some(theta);
        }

        let native: Vec<MatRef<'_, T>> = (0..self.layers.len())
            .map(|k| net.weight(k).as_mat())
            .collect();
        let spectral = self.metrics.has(Family::Spectral);
        let spectra = (spectral || self.metrics.has(Family::Alignment))
            .then(|| per_layer(&native, metrics::spectrum, &par));
        if let Some(full) = &mut self.full_spectra {
            let values = per_layer(&native, metrics::singular_values, &par);
            for (k, values) in values.into_iter().enumerate() {
                full.push(step, k, values);
            }
        }
        for (k, layer) in self.layers.iter().enumerate() {
            let mut put = |name: Metric, value: f64| {
                log.push(step, Scope::Layer, k, &layer.name, name, value)
            };
            if let Some(s) = spectra.as_ref().filter(|_| spectral).map(|s| &s[k]) {
                put(Metric::Sigma1, s.sigma1);
                put(Metric::Frobenius, s.frobenius);
                put(Metric::Ratio, s.ratio);
                put(Metric::StableRank, s.stable_rank);
                // (‖W‖_F − σ₁)(‖W‖_F + σ₁): the difference of the squares without their cancellation.
                put(
                    Metric::RankOneGap,
                    (s.frobenius - s.sigma1) * (s.frobenius + s.sigma1),
                );
                for (name, value) in Metric::TOP_SIGMAS.iter().zip(s.top.iter().skip(1)) {
                    put(*name, *value);
                }
            }
            if let Some(previous) = &self.previous {
                put(
                    Metric::SignFlips,
                    metrics::sign_flips(&previous[k], weights[k].data()) as f64,
                );
            }
            let changes = change.as_ref().and_then(|c| c.pattern_changes[k]);
            if let Some(changes) = changes.filter(|_| self.metrics.has(Family::Activity)) {
                put(Metric::PatternChanges, changes as f64);
            }
        }

        let active: Vec<Option<Vec<bool>>> = (0..self.layers.len())
            .map(|k| self.tracker.stably_active(k))
            .collect();
        let drifts = self
            .baseline
            .as_ref()
            .map(|b| b.drift(&mats, &active, &par))
            .unwrap_or_default();
        for (p, &(lower, upper)) in self.pairs.iter().enumerate() {
            let name = format!("{}>{}", self.layers[lower].name, self.layers[upper].name);
            let mut put =
                |metric: Metric, value: f64| log.push(step, Scope::Pair, p, &name, metric, value);
            if let Some(spectra) = spectra
                .as_ref()
                .filter(|_| self.metrics.has(Family::Alignment))
            {
                put(
                    Metric::Alignment,
                    metrics::alignment(&spectra[lower], &spectra[upper]),
                );
            }
            if let Some(d) = drifts.iter().find(|d| d.lower == lower && d.upper == upper) {
                put_drifts(d, &mut put);
            }
        }

        if let Some((states, baseline)) = &self.joint {
            let stacks = stacked(states, &mats);
            let masks: Vec<Option<Vec<bool>>> = states
                .iter()
                .flat_map(|s| [active[s.writers[0]].clone(), None])
                .collect();
            let names: Vec<String> = self.layers.iter().map(|l| l.name.clone()).collect();
            let drifts = baseline.drift(&stacked_views(&stacks), &masks, &par);
            for ((s, state), d) in states.iter().enumerate().zip(drifts) {
                let name = state.name(&names);
                put_drifts(&d, &mut |metric, value| {
                    log.push(step, Scope::State, s, &name, metric, value)
                });
            }
        }

        if self.previous.is_some() {
            self.previous = Some(weights.into_iter().map(Tensor::into_vec).collect());
        }
        self.seconds += started.elapsed().as_secs_f64();
    }
}
