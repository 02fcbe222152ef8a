//! The phases of one timed run, and their medians over repeated runs.

use serde::{Deserialize, Serialize};

use crate::timing::median;

/// Wall-clock seconds of one run, phase by phase.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    /// Loading and scaling the data, building the run (outside the training loop).
    pub setup: f64,
    /// Training: forward, loss, backward and update of every step.
    pub training: f64,
    /// Metrics at the logged steps.
    pub metrics: f64,
    /// The rest of the run (ours: writing its files, report and plots; the peer writes none).
    pub other: f64,
    /// The whole run: setup + training + metrics + other.
    pub total: f64,
}

impl Phases {
    /// The share of the whole run spent in metrics (0 when nothing was timed).
    pub fn metrics_share(&self) -> f64 {
        if self.total > 0.0 {
            self.metrics / self.total
        } else {
            0.0
        }
    }

    /// The median of each phase over `runs` (each column on its own, so the medians need not
    /// add up to the median total); `None` when there are no runs or a value is NaN.
    pub fn median_of(runs: &[Phases]) -> Option<Phases> {
        let column = |f: fn(&Phases) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Some(Phases {
            setup: column(|p| p.setup)?,
            training: column(|p| p.training)?,
            metrics: column(|p| p.metrics)?,
            other: column(|p| p.other)?,
            total: column(|p| p.total)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(total: f64, metrics: f64) -> Phases {
        Phases {
            setup: 1.0,
            training: total - metrics - 1.0,
            metrics,
            other: 0.0,
            total,
        }
    }

    #[test]
    fn medians_are_taken_column_by_column() {
        let m = Phases::median_of(&[run(10.0, 1.0), run(30.0, 2.0), run(20.0, 9.0)]).unwrap();
        assert_eq!((m.total, m.metrics, m.setup), (20.0, 2.0, 1.0));
        // Training 8, 27 and 10: its own median, not that of the median-total run (17).
        assert_eq!(m.training, 10.0);
        assert_eq!(Phases::median_of(&[]), None);
        assert_eq!(Phases::median_of(&[run(f64::NAN, 1.0)]), None);
    }

    #[test]
    fn the_metrics_share() {
        assert_eq!(run(10.0, 2.5).metrics_share(), 0.25);
        assert_eq!(run(0.0, 0.0).metrics_share(), 0.0);
    }
}
