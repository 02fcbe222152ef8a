//! Where a step's time goes: the steps call [`Probe::lap`] after each piece of work, so the same
//! code runs timed (with a [`Profile`]) or untimed (with [`NoProbe`], which compiles to nothing).

use std::time::Instant;

/// Receives the end of each piece of a step.
pub trait Probe {
    /// The work since the previous lap (or since the step began) was `what`.
    fn lap(&mut self, what: &'static str);
}

/// A probe that records nothing: the steps as they are benchmarked.
pub struct NoProbe;

impl Probe for NoProbe {
    #[inline(always)]
    fn lap(&mut self, _what: &'static str) {}
}

/// Total seconds per kind of work, in order of first appearance.
pub struct Profile {
    last: Instant,
    totals: Vec<(&'static str, f64)>,
    steps: usize,
}

impl Default for Profile {
    fn default() -> Self {
        Self::new()
    }
}

impl Profile {
    /// An empty profile.
    pub fn new() -> Self {
        Self {
            last: Instant::now(),
            totals: Vec::new(),
            steps: 0,
        }
    }

    /// Marks the start of a step: time before this is not attributed to anything.
    pub fn begin_step(&mut self) {
        self.steps += 1;
        self.last = Instant::now();
    }

    /// Mean seconds per step of each kind of work, in order of first appearance.
    pub fn per_step(&self) -> Vec<(&'static str, f64)> {
        let steps = self.steps.max(1) as f64;
        self.totals.iter().map(|&(k, t)| (k, t / steps)).collect()
    }
}

impl Probe for Profile {
    fn lap(&mut self, what: &'static str) {
        let now = Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        self.last = now;
        match self.totals.iter_mut().find(|(k, _)| *k == what) {
            Some((_, total)) => *total += seconds,
            None => self.totals.push((what, seconds)),
        }
    }
}
