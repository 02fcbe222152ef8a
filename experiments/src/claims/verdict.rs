//! A claim of the theory, the value a run measured for it, the threshold, and the verdict.
//!
//! Verdicts are computed, never set by hand: a claim that does not hold is reported as failing.

use serde::{Deserialize, Serialize};

/// The condition a measured value must meet for its claim to hold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Threshold {
    /// measured > value.
    Above {
        /// The bound.
        value: f64,
    },
    /// measured < value.
    Below {
        /// The bound.
        value: f64,
    },
    /// |measured − target| ≤ tolerance.
    Near {
        /// The value the theory predicts.
        target: f64,
        /// The allowed distance.
        tolerance: f64,
    },
}

impl Threshold {
    /// True when `measured` meets the condition (never for a non-finite value).
    pub fn holds(&self, measured: f64) -> bool {
        measured.is_finite()
            && match *self {
                Threshold::Above { value } => measured > value,
                Threshold::Below { value } => measured < value,
                Threshold::Near { target, tolerance } => (measured - target).abs() <= tolerance,
            }
    }

    /// The value a chart draws for the condition: the bound, or the target.
    pub fn reference(&self) -> f64 {
        match *self {
            Threshold::Above { value } | Threshold::Below { value } => value,
            Threshold::Near { target, .. } => target,
        }
    }

    /// The condition as text, e.g. `> 0.99` or `0.7071 ± 0.05`.
    pub fn describe(&self) -> String {
        match *self {
            Threshold::Above { value } => format!("> {}", fmt_value(value)),
            Threshold::Below { value } => format!("< {}", fmt_value(value)),
            Threshold::Near { target, tolerance } => {
                format!("{} ± {}", fmt_value(target), fmt_value(tolerance))
            }
        }
    }
}

/// Whether a claim held on a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measured value meets the threshold.
    Holds,
    /// The measured value does not meet the threshold.
    Fails,
    /// Nothing finite could be measured (e.g. the run stopped before the first log).
    NotMeasured,
    /// A premise of the theorem failed on this run (the data is not separable, training never
    /// fitted it, the network has no layer the claim is about), so the claim says nothing either
    /// way, whatever was measured.
    NotApplicable,
}

impl Verdict {
    /// The word printed in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "FAILS",
            Verdict::NotMeasured => "not measured",
            Verdict::NotApplicable => "not applicable",
        }
    }
}

/// One claim checked on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Short identifier, e.g. `tail-rank-one`.
    pub id: String,
    /// The run (or experiment) it was measured on.
    pub run: String,
    /// The claim in words.
    pub statement: String,
    /// Where the claim comes from: a numbered result of the paper, an earlier result, a
    /// hypothesis, or an observation of ours (empty in summaries written before sources).
    #[serde(default)]
    pub source: String,
    /// What was measured, in words (e.g. "min over linear layers of r = σ₁/‖W‖_F at the end").
    pub metric: String,
    /// The measured value (None if it was not finite).
    pub measured: Option<f64>,
    /// The condition for the claim to hold.
    pub threshold: Threshold,
    /// The verdict computed from `measured` and `threshold`.
    pub verdict: Verdict,
}

impl Claim {
    /// Evaluates a claim: the verdict follows from `measured` and `threshold` alone.
    pub fn evaluate(
        id: &str,
        run: &str,
        statement: &str,
        metric: &str,
        measured: f64,
        threshold: Threshold,
    ) -> Self {
        let verdict = if !measured.is_finite() {
            Verdict::NotMeasured
        } else if threshold.holds(measured) {
            Verdict::Holds
        } else {
            Verdict::Fails
        };
        Self {
            id: id.to_string(),
            run: run.to_string(),
            statement: statement.to_string(),
            source: String::new(),
            metric: metric.to_string(),
            measured: measured.is_finite().then_some(measured),
            threshold,
            verdict,
        }
    }

    /// Withdraws the verdict of a claim whose run cannot support one (it diverged): the value
    /// stays on record, the verdict becomes `not measured`, and the metric says why.
    pub fn unjudged(mut self, reason: &str) -> Self {
        self.verdict = Verdict::NotMeasured;
        self.metric = format!("{} (not judged: {reason})", self.metric);
        self
    }

    /// The claim, withdrawn (not applicable, naming the premise) when one of `premises` that an
    /// experiment judged itself did not hold.
    pub fn resting_on(self, premises: &[&Claim]) -> Self {
        match premises.iter().find(|p| p.verdict != Verdict::Holds) {
            Some(p) => {
                let reason = format!("premise `{}` is {}", p.id, p.verdict.as_str());
                self.inapplicable(&reason)
            }
            None => self,
        }
    }

    /// Withdraws the verdict of a claim whose premise failed: the value stays on record, the
    /// verdict becomes `not applicable`, and the metric says which premise.
    pub fn inapplicable(mut self, reason: &str) -> Self {
        self.verdict = Verdict::NotApplicable;
        self.metric = format!("{} (not applicable: {reason})", self.metric);
        self
    }

    /// The measured value as text (`—` when not measured).
    pub fn measured_text(&self) -> String {
        self.measured.map_or_else(|| "—".to_string(), fmt_value)
    }
}

/// A number in tables: 4 significant digits, scientific notation for very small or large values.
pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else {
        // Four decimals tell 0.9990 from 0.9999, which is what the thresholds are about.
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_decide_the_verdict() {
        let above = Threshold::Above { value: 0.99 };
        assert_eq!(
            Claim::evaluate("a", "run", "s", "m", 0.995, above).verdict,
            Verdict::Holds
        );
        assert_eq!(
            Claim::evaluate("a", "run", "s", "m", 0.99, above).verdict,
            Verdict::Fails
        );
        let below = Threshold::Below { value: 0.9 };
        assert!(below.holds(0.5) && !below.holds(0.95));
        let near = Threshold::Near {
            target: std::f64::consts::FRAC_1_SQRT_2,
            tolerance: 0.05,
        };
        assert!(near.holds(0.72) && !near.holds(0.8));
        let withdrawn =
            Claim::evaluate("a", "run", "s", "m", 0.995, above).unjudged("the run diverged");
        assert_eq!(withdrawn.verdict, Verdict::NotMeasured);
        assert_eq!(withdrawn.measured, Some(0.995));
        assert!(withdrawn.metric.ends_with("(not judged: the run diverged)"));
        let premise = Claim::evaluate("a", "run", "s", "m", 0.995, above).inapplicable("no fit");
        assert_eq!(premise.verdict, Verdict::NotApplicable);
        assert_eq!(premise.verdict.as_str(), "not applicable");
        assert_eq!(premise.measured, Some(0.995));
        assert_eq!(premise.metric, "m (not applicable: no fit)");
        let nan = Claim::evaluate("a", "run", "s", "m", f64::NAN, above);
        assert_eq!(nan.verdict, Verdict::NotMeasured);
        assert_eq!(nan.measured, None);
        assert_eq!(nan.measured_text(), "—");
    }

    #[test]
    fn descriptions_and_numbers_read_well() {
        assert_eq!(Threshold::Above { value: 0.99 }.describe(), "> 0.9900");
        assert_eq!(
            Threshold::Near {
                target: std::f64::consts::FRAC_1_SQRT_2,
                tolerance: 0.05
            }
            .describe(),
            "0.7071 ± 0.0500"
        );
        assert_eq!(fmt_value(1.5e-7), "1.500e-7");
        assert_eq!(fmt_value(1234.56), "1234.6");
        assert_eq!(fmt_value(0.0), "0.0000");
    }

    #[test]
    fn claims_round_trip_through_json() {
        let c = Claim::evaluate("x", "run", "s", "m", 0.5, Threshold::Below { value: 0.9 });
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"verdict\":\"holds\""), "{text}");
        assert!(text.contains("\"kind\":\"below\""), "{text}");
        let back: Claim = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
    }
}
