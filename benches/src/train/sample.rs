//! Interleaved sampling: the contenders of one comparison take turns, sample by sample, so a
//! burst of load from other processes on this shared machine slows them alike and their ratio
//! stays meaningful.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::timing::{calls_per_rep, median};

/// Per-step times of one contender over the samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Median seconds per step over the samples.
    pub median: f64,
    /// Fastest sample, seconds per step.
    pub min: f64,
    /// Slowest sample, seconds per step.
    pub max: f64,
    /// Number of samples.
    pub samples: usize,
    /// Steps per sample.
    pub steps_per_sample: usize,
    /// Median on-CPU seconds per step of the calling thread, where the kernel reports it: on a
    /// loaded machine this excludes the time the thread waited for a core, so on one thread it
    /// is the steadier figure.
    pub cpu_median: Option<f64>,
}

impl Stats {
    /// (max − min) / median: how much the samples disagree.
    pub fn spread(&self) -> f64 {
        (self.max - self.min) / self.median
    }

    /// Stats of per-step times (seconds) from samples of `steps_per_sample` steps; `None` if
    /// there are none.
    pub fn of(per_step: &[f64], steps_per_sample: usize) -> Option<Self> {
        Some(Self {
            median: median(per_step)?,
            min: per_step.iter().copied().fold(f64::INFINITY, f64::min),
            max: per_step.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            samples: per_step.len(),
            steps_per_sample,
            cpu_median: None,
        })
    }
}

/// How long to sample.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Untimed steps of each contender before any sample.
    pub warmup: usize,
    /// Samples per contender.
    pub samples: usize,
    /// Length each sample should reach; short steps are repeated up to it.
    pub target: Duration,
}

/// Times every contender in turns: `plan.warmup` steps each, then `plan.samples` rounds in which
/// each contender runs its own number of steps (sized from its warm-up to last about
/// `plan.target`). Returns each contender's stats, in order.
pub fn interleaved(contenders: &mut [&mut dyn FnMut()], plan: Plan) -> Vec<Stats> {
    let calls: Vec<usize> = contenders
        .iter_mut()
        .map(|step| {
            for _ in 1..plan.warmup.max(1) {
                step();
            }
            let start = Instant::now();
            step();
            calls_per_rep(start.elapsed(), plan.target)
        })
        .collect();
    let mut per_step = vec![Vec::with_capacity(plan.samples); contenders.len()];
    let mut cpu_per_step = vec![Vec::with_capacity(plan.samples); contenders.len()];
    for _ in 0..plan.samples.max(1) {
        for (((step, &n), times), cpu) in contenders
            .iter_mut()
            .zip(&calls)
            .zip(&mut per_step)
            .zip(&mut cpu_per_step)
        {
            let cpu_start = thread_cpu_seconds();
            let start = Instant::now();
            for _ in 0..n {
                step();
            }
            times.push(black_box(start.elapsed()).as_secs_f64() / n as f64);
            if let (Some(a), Some(b)) = (cpu_start, thread_cpu_seconds()) {
                cpu.push((b - a) / n as f64);
            }
        }
    }
    per_step
        .iter()
        .zip(&cpu_per_step)
        .zip(&calls)
        .map(|((times, cpu), &n)| Stats {
            cpu_median: median(cpu),
            ..Stats::of(times, n).expect("at least one sample")
        })
        .collect()
}

/// Seconds the calling thread has run on a CPU, from Linux's `/proc/thread-self/schedstat`
/// (nanosecond resolution); `None` elsewhere.
pub fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_report_median_extremes_and_spread() {
        let s = Stats::of(&[2.0, 1.0, 4.0], 10).unwrap();
        assert_eq!((s.median, s.min, s.max, s.samples), (2.0, 1.0, 4.0, 3));
        assert_eq!(s.spread(), 1.5);
        assert!(Stats::of(&[], 1).is_none());
    }

    #[test]
    fn every_contender_runs_its_warmup_and_samples() {
        let (mut a, mut b) = (0usize, 0usize);
        let plan = Plan {
            warmup: 3,
            samples: 4,
            target: Duration::ZERO,
        };
        let stats = interleaved(&mut [&mut || a += 1, &mut || b += 1], plan);
        assert_eq!(stats.len(), 2);
        assert_eq!((a, b), (7, 7), "3 warm-up steps, then 4 samples of 1 step");
        assert!(
            stats
                .iter()
                .all(|s| s.samples == 4 && s.steps_per_sample == 1)
        );
    }
}
