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
    pub fn log_spaced(total: usize, per_decade: usize) -> Self {
        let per_decade = per_decade.max(1) as f64;
        let mut steps = vec![0];
        let mut j = 0u32;
        loop {
            let step = 10f64.powf(f64::from(j) / per_decade).round() as usize;
            if step > total {
                break;
            }
            if steps.last() != Some(&step) {
                steps.push(step);
            }
            j += 1;
        }
        Self::finish(steps, total)
    }

    /// Every `every`-th step (0, every, 2·every, …) and the last one; `every` = 0 is taken as 1.
    pub fn every(every: usize, total: usize) -> Self {
        let steps = (0..=total).step_by(every.max(1)).collect();
        Self::finish(steps, total)
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
}
