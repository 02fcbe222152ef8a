//! Wall-clock timing: medians of repeated runs, each long enough for the clock to resolve.

use std::time::{Duration, Instant};

/// How long to measure one thing.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The length one timed repetition should reach; short calls are batched up to it.
    pub target_rep: Duration,
    /// Timed repetitions (after one warm-up call), unless `budget` runs out first.
    pub reps: usize,
    /// Time after which no further repetition starts (at least one always runs).
    pub budget: Duration,
}

impl Settings {
    /// Settings for a quick look: short repetitions, few of them.
    pub const QUICK: Settings = Settings {
        target_rep: Duration::from_millis(3),
        reps: 5,
        budget: Duration::from_millis(60),
    };

    /// Settings for a report: longer repetitions, more of them.
    pub const FULL: Settings = Settings {
        target_rep: Duration::from_millis(25),
        reps: 11,
        budget: Duration::from_secs(2),
    };
}

/// What a measurement found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// Median seconds per call over the repetitions.
    pub median: f64,
    /// Fastest seconds per call over the repetitions.
    pub min: f64,
    /// Timed repetitions.
    pub reps: usize,
    /// Calls per repetition.
    pub calls_per_rep: usize,
}

/// The median of `values` (the mean of the middle two for an even count); `None` if empty or if
/// any value is NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// Calls per repetition so that a repetition lasts about `target`, given one call took `once`.
pub fn calls_per_rep(once: Duration, target: Duration) -> usize {
    if target.is_zero() {
        return 1;
    }
    if once.is_zero() {
        return 1 << 20;
    }
    (target.as_secs_f64() / once.as_secs_f64()).clamp(1.0, (1 << 20) as f64) as usize
}

/// Times `f`: one warm-up call (which also sizes the batches), then up to `settings.reps` timed
/// repetitions of several calls each.
pub fn measure(settings: Settings, mut f: impl FnMut()) -> Timing {
    let start = Instant::now();
    f();
    let calls = calls_per_rep(start.elapsed(), settings.target_rep);
    let mut per_call = Vec::with_capacity(settings.reps);
    let budget_start = Instant::now();
    while per_call.len() < settings.reps.max(1) {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        per_call.push(t.elapsed().as_secs_f64() / calls as f64);
        if budget_start.elapsed() >= settings.budget {
            break;
        }
    }
    Timing {
        median: median(&per_call).unwrap_or(f64::NAN),
        min: per_call.iter().copied().fold(f64::INFINITY, f64::min),
        reps: per_call.len(),
        calls_per_rep: calls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_degenerate_inputs() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
        assert_eq!(median(&[1.0, 100.0, 2.0, 3.0, 1000.0]), Some(3.0));
    }

    #[test]
    fn batches_fill_the_target_length() {
        let ms = Duration::from_millis;
        assert_eq!(calls_per_rep(ms(1), ms(10)), 10);
        assert_eq!(calls_per_rep(ms(50), ms(10)), 1);
        assert_eq!(calls_per_rep(Duration::ZERO, ms(10)), 1 << 20);
        assert_eq!(
            calls_per_rep(Duration::from_nanos(1), Duration::from_secs(100)),
            1 << 20
        );
    }

    #[test]
    fn measure_counts_its_repetitions() {
        let mut calls = 0usize;
        let settings = Settings {
            target_rep: Duration::ZERO,
            reps: 4,
            budget: Duration::from_secs(3600),
        };
        let timing = measure(settings, || calls += 1);
        assert_eq!(timing.reps, 4);
        assert_eq!(timing.calls_per_rep, 1);
        assert_eq!(calls, 5);
        assert!(timing.min <= timing.median);
    }
}
