//! Deep matrix factorization trained on the tape: the product W = W_N ⋯ W_1 of N square factors
//! (a deep linear network used as a matrix) fitted by plain gradient descent, at a constant
//! learning rate, to the observed entries of a [`Completion`] problem, from a small random
//! initialization of scale α. The squared loss on the observed entries is built from the tape's
//! existing ops: the product reshaped to one column, its observed rows gathered, the mean of the
//! squared differences with the truth.

use std::time::Instant;

use autodiff::{Tape, Tensor, Var};
use kernels::elementwise::axpy;
use kernels::reduce::norm2;
use kernels::rng::Rng;
use kernels::{Element, MatRef};

use crate::data::Completion;
use crate::metrics::log::{MetricsLog, Scope};
use crate::metrics::{Metric, SpectraLog, effective_rank, singular_values};
use crate::report::summary::{Outcome, Status};
use crate::runner::schedule::LogSchedule;

/// The name the product's rows carry in `metrics.csv` and `spectra.csv`.
pub const PRODUCT: &str = "product";

/// How one factorization is trained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Factorization {
    /// N: the number of factors.
    pub depth: usize,
    /// α: every factor starts with independent N(0, α²/d) entries, so its spectral norm is
    /// about 2α and the product's scale about (2α)^N.
    pub alpha: f64,
    /// The constant learning rate.
    pub lr: f64,
    /// Gradient steps.
    pub steps: usize,
    /// Seed of the initialization (stream 10 + k of it for factor k, apart from the data's).
    pub seed: u64,
}

/// What a trained factorization logged.
#[derive(Clone, Debug)]
pub struct Trained {
    /// Per log, in [`Scope::Run`]: the loss (mean squared error on the observed entries), the
    /// relative observed and unobserved errors, the product's effective rank, σ₁ and Frobenius
    /// norm.
    pub log: MetricsLog,
    /// The product's singular values at every log.
    pub spectra: SpectraLog,
    /// How training ended.
    pub outcome: Outcome,
}

/// ‖a − b‖ / ‖b‖ over the entries `keep` selects (NaN when ‖b‖ is 0 there).
fn relative_error(a: &[f64], b: &[f64], keep: impl Fn(usize) -> bool) -> f64 {
    let (mut err, mut norm) = (0.0, 0.0);
    for (_, (x, y)) in a.iter().zip(b).enumerate().filter(|&(k, _)| keep(k)) {
        err += (x - y) * (x - y);
        norm += y * y;
    }
    if norm == 0.0 {
        f64::NAN
    } else {
        (err / norm).sqrt()
    }
}

/// Logs the product `w` (row-major, d × d) after `step` steps, its loss `loss`.
fn record(
    trained: &mut Trained,
    step: usize,
    loss: f64,
    w: &[f64],
    problem: &Completion,
    mask: &[bool],
) {
    let d = problem.size;
    let sigma = singular_values(MatRef::from_row_major(w, d, d).expect("d·d entries"));
    let frobenius = norm2(w);
    let truth = &problem.truth;
    let values = [
        (Metric::Loss, loss),
        (Metric::ObservedError, relative_error(w, truth, |k| mask[k])),
        (
            Metric::UnobservedError,
            relative_error(w, truth, |k| !mask[k]),
        ),
        (Metric::EffectiveRank, effective_rank(&sigma)),
        (Metric::Sigma1, sigma.first().copied().unwrap_or(f64::NAN)),
        (Metric::Frobenius, frobenius),
    ];
    for (metric, value) in values {
        trained
            .log
            .push(step, Scope::Run, 0, PRODUCT, metric, value);
    }
    trained.spectra.push(step, 0, sigma);
}

/// The factors W_1 … W_N as parameters of `tape`, each d × d with N(0, α²/d) entries.
fn factors<T: Element>(tape: &mut Tape<T>, d: usize, f: &Factorization) -> Vec<Var> {
    let root = Rng::new(f.seed);
    let spread = f.alpha / (d as f64).sqrt();
    (0..f.depth)
        .map(|k| {
            let mut g = root.fork(10 + k as u64);
            let data = (0..d * d)
                .map(|_| T::from_f64(spread * g.normal()))
                .collect();
            tape.param(Tensor::from_vec(data, &[d, d]).expect("d·d entries"))
        })
        .collect()
}

/// Trains the product of `f.depth` factors on the observed entries of `problem` in element type
/// `T`, logging at the steps of `schedule`. Stops early, as diverged, at a non-finite loss.
///
/// Same problem, same `f` and same `T`: the same bits, whatever the thread count (the tape's
/// ops are deterministic and nothing here adds threads).
pub fn train<T: Element>(
    problem: &Completion,
    f: &Factorization,
    schedule: &LogSchedule,
) -> Trained {
    let started = Instant::now();
    let mut metrics_seconds = 0.0;
    let d = problem.size;
    let mask = problem.mask();
    let target: Vec<T> = problem
        .observed_values()
        .into_iter()
        .map(T::from_f64)
        .collect();
    let mut tape = Tape::<T>::new();
    let ws = factors(&mut tape, d, f);
    let lr = T::from_f64(f.lr);
    let mut trained = Trained {
        log: MetricsLog::new(),
        spectra: SpectraLog::new(),
        outcome: Outcome {
            status: Status::Completed,
            steps: f.steps,
            stop_reason: "budget".into(),
            seconds: 0.0,
            metrics_seconds: 0.0,
        },
    };
    for step in 0..=f.steps {
        let mut product = ws[0];
        for &w in &ws[1..] {
            product = tape.matmul(w, product);
        }
        let column = tape.reshape(product, &[d * d, 1]);
        let seen = tape.gather_rows(column, &problem.observed);
        let truth = tape.input(&target, &[target.len(), 1]);
        let diff = tape.sub(seen, truth);
        let squares = tape.square(diff);
        let loss = tape.mean(squares);
        let value = tape.value(loss).item().to_f64();
        if schedule.contains(step) || !value.is_finite() {
            let timer = Instant::now();
            let w: Vec<f64> = tape
                .value(product)
                .data()
                .iter()
                .map(|v| v.to_f64())
                .collect();
            record(&mut trained, step, value, &w, problem, &mask);
            metrics_seconds += timer.elapsed().as_secs_f64();
        }
        if !value.is_finite() {
            trained.outcome.status = Status::Diverged;
            trained.outcome.steps = step;
            trained.outcome.stop_reason = format!("the loss became {value} at step {step}");
            break;
        }
        if step == f.steps {
            break;
        }
        tape.backward(loss);
        tape.update_params(|_, w, g, par| axpy(-lr, g, w, par));
        tape.reset();
    }
    trained.outcome.seconds = started.elapsed().as_secs_f64();
    trained.outcome.metrics_seconds = metrics_seconds;
    trained
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::completion;

    fn last(t: &Trained, m: Metric) -> f64 {
        t.log.last(Scope::Run, 0, m).unwrap()
    }

    #[test]
    fn the_loss_is_the_mean_squared_error_on_the_observed_entries() {
        // From α = 0 the product is 0: the loss is the mean of M² over Ω, the relative errors 1.
        let p = completion(6, 2, 20, 1);
        let f = Factorization {
            depth: 2,
            alpha: 0.0,
            lr: 0.1,
            steps: 0,
            seed: 0,
        };
        let t = train::<f64>(&p, &f, &LogSchedule::every(1, 0));
        let expected = p.observed_values().iter().map(|v| v * v).sum::<f64>() / 20.0;
        assert!((last(&t, Metric::Loss) - expected).abs() < 1e-12 * expected);
        assert_eq!(last(&t, Metric::ObservedError), 1.0);
        assert_eq!(last(&t, Metric::UnobservedError), 1.0);
        assert_eq!(last(&t, Metric::EffectiveRank), 0.0);
        assert_eq!(t.spectra.entries().len(), 1);
    }

    #[test]
    fn gradient_descent_fits_the_observed_entries_the_same_way_every_time() {
        let p = completion(12, 1, 100, 2);
        let f = Factorization {
            depth: 2,
            alpha: 0.1,
            lr: 1.0,
            steps: 2000,
            seed: 5,
        };
        let schedule = LogSchedule::log_spaced(f.steps, 5);
        let t = train::<f64>(&p, &f, &schedule);
        assert_eq!(t.outcome.status, Status::Completed);
        assert!(last(&t, Metric::ObservedError) < 1e-3, "{:?}", t.log);
        let again = train::<f64>(&p, &f, &schedule);
        assert_eq!(
            last(&t, Metric::Loss).to_bits(),
            last(&again, Metric::Loss).to_bits()
        );
        // Too large a step diverges, and says so.
        let wild = train::<f64>(&p, &Factorization { lr: 1e3, ..f }, &schedule);
        assert_eq!(wild.outcome.status, Status::Diverged);
        assert!(wild.outcome.stop_reason.contains("the loss became"));
    }
}
