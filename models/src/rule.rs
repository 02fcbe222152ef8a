//! Step rules: how a gradient becomes a weight update, and their command-line names.

use std::fmt;
use std::str::FromStr;

/// The update applied at each step, with learning rate η.
///
/// `Constant`, `Momentum`, `Adam` and `Adaptive` act on the gradient g of the mean loss R.
/// `LossNormalized` is η·g/R = η·∇ln R and `GradNormalized` is η·g/‖g‖ (the direction of ∇ln R).
/// `LossNormalized`, `GradNormalized` and `Adaptive` backpropagate ln R, computed in the log
/// domain, so that they keep working when R ≪ 1e-300, where g itself underflows to zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepRule {
    /// w ← w − η·∇R.
    Constant,
    /// w ← w − η·∇R/R = w − η·∇ln R.
    LossNormalized,
    /// w ← w − η·g/‖g‖ over all parameters together.
    GradNormalized,
    /// w ← w − η_t·∇R in the manner of Lyu & Li: after a step that lowered the loss η grows by
    /// `grow`; when the loss rises (or stops being finite) the step is undone, η shrinks by
    /// `shrink` and the step is retried. Since η ends up growing like 1/R, it is kept as ln η and
    /// the update is computed as (η·R)·∇ln R.
    Adaptive {
        /// Factor (> 1) applied to η after a successful step.
        grow: f64,
        /// Factor (in (0, 1)) applied to η after a rejected step.
        shrink: f64,
    },
    /// Heavy ball: v ← β·v + ∇R, w ← w − η·v.
    Momentum {
        /// The momentum coefficient β in [0, 1).
        beta: f64,
    },
    /// Adam with bias correction on ∇R.
    Adam {
        /// Decay of the first-moment average.
        beta1: f64,
        /// Decay of the second-moment average.
        beta2: f64,
        /// Added to √v̂ in the denominator.
        eps: f64,
    },
}

const ADAPTIVE: StepRule = StepRule::Adaptive {
    grow: 1.1,
    shrink: 0.5,
};
const MOMENTUM: StepRule = StepRule::Momentum { beta: 0.9 };
const ADAM: StepRule = StepRule::Adam {
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
};

impl StepRule {
    /// The rules' names, in declaration order: alone they give the default parameters.
    pub const NAMES: [&'static str; 6] = [
        "constant",
        "loss-normalized",
        "grad-normalized",
        "adaptive",
        "momentum",
        "adam",
    ];

    /// True for the rules that differentiate ln R rather than R.
    pub fn uses_log_loss(&self) -> bool {
        matches!(
            self,
            StepRule::LossNormalized | StepRule::GradNormalized | StepRule::Adaptive { .. }
        )
    }

    /// Checks the rule's parameters, naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        let unit = |name: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be in [0, 1), got {v}"))
            }
        };
        match *self {
            StepRule::Adaptive { grow, shrink } => {
                if !(grow.is_finite() && grow >= 1.0) {
                    return Err(format!(
                        "adaptive: grow must be a finite number ≥ 1, got {grow}"
                    ));
                }
                if !(shrink > 0.0 && shrink < 1.0) {
                    return Err(format!("adaptive: shrink must be in (0, 1), got {shrink}"));
                }
                Ok(())
            }
            StepRule::Momentum { beta } => unit("momentum: beta", beta),
            StepRule::Adam { beta1, beta2, eps } => {
                unit("adam: beta1", beta1)?;
                unit("adam: beta2", beta2)?;
                if eps.is_finite() && eps > 0.0 {
                    Ok(())
                } else {
                    Err(format!(
                        "adam: eps must be a finite positive number, got {eps}"
                    ))
                }
            }
            StepRule::Constant | StepRule::LossNormalized | StepRule::GradNormalized => Ok(()),
        }
    }
}

impl fmt::Display for StepRule {
    /// The bare name when the parameters are the defaults, `name:p1:p2..` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StepRule::Constant => f.write_str("constant"),
            StepRule::LossNormalized => f.write_str("loss-normalized"),
            StepRule::GradNormalized => f.write_str("grad-normalized"),
            r if r == ADAPTIVE => f.write_str("adaptive"),
            r if r == MOMENTUM => f.write_str("momentum"),
            r if r == ADAM => f.write_str("adam"),
            StepRule::Adaptive { grow, shrink } => write!(f, "adaptive:{grow}:{shrink}"),
            StepRule::Momentum { beta } => write!(f, "momentum:{beta}"),
            StepRule::Adam { beta1, beta2, eps } => write!(f, "adam:{beta1}:{beta2}:{eps}"),
        }
    }
}

impl FromStr for StepRule {
    type Err = String;

    /// Parses `constant`, `loss-normalized`, `grad-normalized`, `adaptive[:GROW:SHRINK]`,
    /// `momentum[:BETA]` or `adam[:BETA1:BETA2:EPS]`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(':');
        let name = parts.next().unwrap_or_default();
        let args = parts
            .map(|a| {
                a.parse::<f64>()
                    .map_err(|_| format!("step rule `{s}`: `{a}` is not a number"))
            })
            .collect::<Result<Vec<f64>, String>>()?;
        let arity = |n: usize| -> Result<(), String> {
            if args.is_empty() || args.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "step rule `{s}`: `{name}` takes 0 or {n} parameter(s), got {}",
                    args.len()
                ))
            }
        };
        let rule = match name {
            "constant" | "loss-normalized" | "grad-normalized" => {
                arity(0)?;
                match name {
                    "constant" => StepRule::Constant,
                    "loss-normalized" => StepRule::LossNormalized,
                    _ => StepRule::GradNormalized,
                }
            }
            "adaptive" => {
                arity(2)?;
                match args[..] {
                    [grow, shrink] => StepRule::Adaptive { grow, shrink },
                    _ => ADAPTIVE,
                }
            }
            "momentum" => {
                arity(1)?;
                match args[..] {
                    [beta] => StepRule::Momentum { beta },
                    _ => MOMENTUM,
                }
            }
            "adam" => {
                arity(3)?;
                match args[..] {
                    [beta1, beta2, eps] => StepRule::Adam { beta1, beta2, eps },
                    _ => ADAM,
                }
            }
            _ => {
                return Err(format!(
                    "unknown step rule `{s}` (expected one of {})",
                    Self::NAMES.join(", ")
                ));
            }
        };
        rule.validate()
            .map_err(|e| format!("step rule `{s}`: {e}"))?;
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in StepRule::NAMES.into_iter().chain([
            "adaptive:1.5:0.25",
            "momentum:0.5",
            "adam:0.8:0.99:0.001",
        ]) {
            let rule: StepRule = s.parse().unwrap();
            assert_eq!(rule.to_string(), s);
        }
        assert_eq!("adaptive".parse::<StepRule>().unwrap(), ADAPTIVE);
        assert_eq!(
            "adaptive:1.1:0.5".parse::<StepRule>().unwrap().to_string(),
            "adaptive"
        );
    }

    #[test]
    fn bad_rules_are_explained() {
        let e = |s: &str| s.parse::<StepRule>().unwrap_err();
        assert!(e("sgd").contains("unknown step rule `sgd`"));
        assert!(e("constant:1").contains("takes 0"));
        assert!(e("momentum:x").contains("`x` is not a number"));
        assert!(e("momentum:1").contains("beta must be in [0, 1)"));
        assert!(e("adaptive:0.9:0.5").contains("grow"));
        assert!(e("adaptive:1.1:1").contains("shrink"));
        assert!(e("adam:0.9:0.999:0").contains("eps"));
        assert!(e("adam:0.9").contains("takes 0 or 3"));
    }

    #[test]
    fn log_domain_rules() {
        assert!(StepRule::LossNormalized.uses_log_loss());
        assert!(StepRule::GradNormalized.uses_log_loss());
        assert!(ADAPTIVE.uses_log_loss());
        assert!(!StepRule::Constant.uses_log_loss());
        assert!(!ADAM.uses_log_loss());
    }
}
