//! When to compute metrics: on a log-spaced schedule of steps by default, so that a run of a
//! million steps logs a few hundred times and the early phase is as well resolved as the late one.

/// A sorted set of the steps (counted as steps completed; 0 is the initialization) at which
/// metrics are recorded. The last step of the budget is always included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSchedule {
    steps: Vec<usize>,
}

impl LogSchedule {
    /// Steps 0, 1, 2, … rounded from 10^(j / per_decade), up to and including `total`.
    /// `per_decade` is clamped to at least 1.
    ///
    /// The powers are compared with `total` in f64: cast to usize first, every power beyond
    /// `usize::MAX` saturates to it, and a budget of `usize::MAX` steps would never end the loop.
    /// So the work is per_decade · log10(total) powers, at most a few thousand for any budget.
    pub fn log_spaced(total: usize, per_decade: usize) -> Self {
        let per_decade = per_decade.max(1) as f64;
        let mut steps = vec![0];
        let mut j = 0u32;
        loop {
            let power = 10f64.powf(f64::from(j) / per_decade).round();
            if power > total as f64 {
                break;
            }
            // `total as f64` may round up past `total`; the clamp keeps the schedule in budget.
            let step = (power as usize).min(total);
            if steps.last() != Some(&step) {
                steps.push(step);
            }
            j += 1;
        }
        Self::finish(steps, total)
    }

    /// Every `every`-th step (0, every, 2·every, …) and the last one; `every` = 0 is taken as 1.
    /// It holds [`Self::every_len`] steps: check that number against the memory first.
    pub fn every(every: usize, total: usize) -> Self {
        let steps = (0..=total).step_by(every.max(1)).collect();
        Self::finish(steps, total)
    }

    /// The number of steps [`Self::every`] schedules, without building it (saturating at
    /// `usize::MAX`, far beyond anything that fits in memory).
    pub fn every_len(every: usize, total: usize) -> usize {
        let every = every.max(1);
        let last_is_extra = usize::from(!total.is_multiple_of(every));
        (total / every).saturating_add(1 + last_is_extra)
    }

    fn finish(mut steps: Vec<usize>, total: usize) -> Self {
        if steps.last() != Some(&total) {
            steps.push(total);
        }
        Self { steps }
    }

    /// True when metrics should be recorded after `step` steps.
    pub fn contains(&self, step: usize) -> bool {
        self.steps.binary_search(&step).is_ok()
    }

    /// The scheduled steps, in increasing order.
    pub fn steps(&self) -> &[usize] {
        &self.steps
    }

    /// The number of scheduled steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when nothing is scheduled (never, since the last step always is).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_spaced_is_sorted_unique_and_ends_at_total() {
        let s = LogSchedule::log_spaced(1000, 4);
        assert_eq!(
            s.steps(),
            &[0, 1, 2, 3, 6, 10, 18, 32, 56, 100, 178, 316, 562, 1000]
        );
        let t = LogSchedule::log_spaced(1500, 10);
        assert_eq!(*t.steps().last().unwrap(), 1500);
        assert!(t.steps().windows(2).all(|w| w[0] < w[1]));
        // About ten per decade once rounding stops merging the early ones.
        assert!(t.len() > 30 && t.len() < 45, "{}", t.len());
    }

    #[test]
    fn every_includes_zero_and_last() {
        let s = LogSchedule::every(300, 1000);
        assert_eq!(s.steps(), &[0, 300, 600, 900, 1000]);
        assert!(s.contains(600) && !s.contains(601));
        assert_eq!(LogSchedule::every(0, 2).steps(), &[0, 1, 2]);
        assert_eq!(LogSchedule::log_spaced(0, 5).steps(), &[0]);
    }

    #[test]
    fn every_len_counts_without_building() {
        for (every, total) in [(300, 1000), (0, 2), (1, 0), (5, 10), (7, 1), (10, 3)] {
            assert_eq!(
                LogSchedule::every_len(every, total),
                LogSchedule::every(every, total).len(),
                "every {every}, total {total}"
            );
        }
        assert_eq!(LogSchedule::every_len(1, 100_000_000_000), 100_000_000_001);
        assert_eq!(LogSchedule::every_len(1, usize::MAX), usize::MAX);
    }

    /// Regression: a budget of usize::MAX steps looped forever (every power saturated to
    /// usize::MAX, which is not greater than the budget).
    #[test]
    fn log_spaced_ends_for_the_largest_budget() {
        let s = LogSchedule::log_spaced(usize::MAX, 20);
        assert_eq!(*s.steps().last().unwrap(), usize::MAX);
        assert!(s.steps().windows(2).all(|w| w[0] < w[1]));
        // 10^(385/20) is the last power below 2^64; rounding merges some of the first ones.
        assert_eq!(s.steps()[s.len() - 2], 17_782_794_100_389_228_544);
        assert_eq!(s.len(), 377);
        let fine = LogSchedule::log_spaced(usize::MAX, 1000);
        assert_eq!(*fine.steps().last().unwrap(), usize::MAX);
        assert_eq!(fine.len(), 17_064);
    }
}
