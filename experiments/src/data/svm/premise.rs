//! Whether a data set meets the premise of the theorems, that a hyperplane through the origin
//! separates its two classes, and the evidence either way: what a run states beside its claims,
//! so that a claim resting on separability is never judged on data without it.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{SvmOptions, SvmResult, cached_solve};
use crate::claims::fmt_value;
use crate::data::Dataset;

/// The data's separability with its evidence. Examples are numbered from 1, in file order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Separability {
    /// The hard-margin SVM certifies a positive margin.
    Separable {
        /// The SVM margin.
        margin: f64,
    },
    /// Every example has the same label: there are not two classes to separate.
    OneClass {
        /// The one label (+1 or −1).
        label: f64,
        /// How many examples carry it.
        examples: usize,
    },
    /// Two examples have the same input and opposite labels: no classifier separates them.
    Contradictory {
        /// The first such example.
        first: usize,
        /// An example with the same input and the other label.
        second: usize,
        /// How many examples have an input that some example of the other label also has.
        examples: usize,
    },
    /// An input is zero, which no direction gives a positive margin.
    ZeroInput {
        /// The first zero input.
        example: usize,
    },
    /// The SVM found no separating direction: its certificate is the final bracket.
    NotSeparable {
        /// The margin achieved by the solver's final direction (≤ 0: it misclassifies a point).
        lower: f64,
        /// An upper bound on the margin of any direction.
        upper: f64,
        /// Sweeps the solver made.
        sweeps: usize,
        /// False when the work budget ran out before the bracket decided (the data may then be
        /// separable by a margin too thin to find).
        converged: bool,
    },
}

impl Separability {
    /// The separability of `data`: a class count and a search for contradictory or zero inputs
    /// first, whose evidence is plainer than a solver's, then the (cached) hard-margin SVM.
    pub fn of(data: &Dataset) -> Self {
        let (positive, negative) = data.class_counts();
        if data.n > 0 && (positive == 0 || negative == 0) {
            return Separability::OneClass {
                label: if positive > 0 { 1.0 } else { -1.0 },
                examples: data.n,
            };
        }
        if let Some(found) = contradictory(data) {
            return found;
        }
        if let Some(i) = (0..data.n).find(|&i| data.row(i).iter().all(|&v| v == 0.0)) {
            return Separability::ZeroInput { example: i + 1 };
        }
        let report = cached_solve(data);
        match report.result {
            SvmResult::Separable { margin, .. } => Separability::Separable { margin },
            SvmResult::NotSeparable => Separability::NotSeparable {
                lower: report.lower,
                upper: report.upper,
                sweeps: report.epochs,
                converged: report.converged,
            },
        }
    }

    /// The SVM margin when the data is separable.
    pub fn margin(&self) -> Option<f64> {
        match self {
            Separability::Separable { margin } => Some(*margin),
            _ => None,
        }
    }

    /// Why a separability claim says nothing either way on this data (it has no two classes),
    /// None when it can be judged.
    pub fn inapplicable(&self) -> Option<String> {
        matches!(self, Separability::OneClass { .. })
            .then(|| format!("the data breaks a premise: {self}"))
    }
}

impl fmt::Display for Separability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Separability::Separable { margin } => write!(
                f,
                "linearly separable through the origin, hard-margin SVM margin {}",
                fmt_value(margin)
            ),
            Separability::OneClass { label, examples } => write!(
                f,
                "a single class: all {examples} examples are labelled {}, so there are not two \
                 classes to separate",
                if label > 0.0 { "+1" } else { "-1" }
            ),
            Separability::Contradictory {
                first,
                second,
                examples,
            } => write!(
                f,
                "contradictory: examples {first} and {second} have the same input and opposite \
                 labels ({examples} examples share an input with one of the other label), so no \
                 classifier separates the classes"
            ),
            Separability::ZeroInput { example } => write!(
                f,
                "not separable: the input of example {example} is zero, which no direction \
                 classifies with a positive margin"
            ),
            Separability::NotSeparable {
                lower,
                upper,
                sweeps,
                converged: true,
            } => write!(
                f,
                "not linearly separable through the origin: after {sweeps} sweeps the \
                 hard-margin SVM bounds every direction's margin by {} (below its floor {}), and \
                 its best direction's margin is {}",
                fmt_value(upper),
                fmt_value(SvmOptions::default().min_margin),
                fmt_value(lower)
            ),
            Separability::NotSeparable {
                lower,
                upper,
                sweeps,
                converged: false,
            } => write!(
                f,
                "no separating direction found: the hard-margin SVM ran out of its budget after \
                 {sweeps} sweeps with its best direction's margin at {} and every direction's at \
                 most {}",
                fmt_value(lower),
                fmt_value(upper)
            ),
        }
    }
}

/// The first pair of examples with equal inputs and opposite labels, and how many examples are in
/// such pairs: a sort of the rows, so O(n log n) comparisons and no copy of the inputs.
fn contradictory(data: &Dataset) -> Option<Separability> {
    // Adding 0.0 turns −0.0 into 0.0, so inputs equal as numbers compare equal.
    let compare = |a: &usize, b: &usize| {
        let (ra, rb) = (data.row(*a), data.row(*b));
        ra.iter()
            .zip(rb)
            .map(|(x, y)| (x + 0.0).total_cmp(&(y + 0.0)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    };
    let mut order: Vec<usize> = (0..data.n).collect();
    order.sort_by(|a, b| compare(a, b).then(a.cmp(b)));
    let mut first: Option<(usize, usize)> = None;
    let mut examples = 0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && compare(&order[start], &order[end]).is_eq() {
            end += 1;
        }
        let group = &order[start..end];
        let positive = group.iter().find(|&&i| data.y[i] > 0.0);
        let negative = group.iter().find(|&&i| data.y[i] < 0.0);
        if let (Some(&p), Some(&q)) = (positive, negative) {
            examples += group.len();
            let pair = (p.min(q), p.max(q));
            if first.is_none_or(|f| pair < f) {
                first = Some(pair);
            }
        }
        start = end;
    }
    first.map(|(a, b)| Separability::Contradictory {
        first: a + 1,
        second: b + 1,
        examples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Provenance, Source};

    fn data(rows: &[[f64; 2]], y: &[f64]) -> Dataset {
        Dataset {
            name: "t".into(),
            n: y.len(),
            dim: 2,
            x: rows.iter().flatten().copied().collect(),
            y: y.to_vec(),
            input_divisor: 1.0,
            provenance: Provenance::of(Source::Memory),
        }
    }

    #[test]
    fn one_class_is_found_before_the_svm() {
        let d = data(&[[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], &[-1.0, -1.0, -1.0]);
        let s = Separability::of(&d);
        assert_eq!(
            s,
            Separability::OneClass {
                label: -1.0,
                examples: 3
            }
        );
        assert_eq!(
            s.to_string(),
            "a single class: all 3 examples are labelled -1, so there are not two classes to \
             separate"
        );
        assert_eq!(
            s.inapplicable().unwrap(),
            format!("the data breaks a premise: {s}")
        );
        assert_eq!(s.margin(), None);
    }

    #[test]
    fn equal_inputs_with_opposite_labels_are_named() {
        let d = data(
            &[[0.5, 0.5], [1.0, 0.0], [0.0, 1.0], [1.0, -0.0], [0.0, 1.0]],
            &[1.0, 1.0, -1.0, -1.0, -1.0],
        );
        let s = Separability::of(&d);
        assert_eq!(
            s,
            Separability::Contradictory {
                first: 2,
                second: 4,
                examples: 2
            }
        );
        assert!(
            s.to_string()
                .starts_with("contradictory: examples 2 and 4 have the same input and opposite labels (2 examples"),
            "{s}"
        );
        assert_eq!(s.inapplicable(), None);
        // Duplicates with the same label contradict nothing.
        let d = data(&[[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], &[1.0, 1.0, -1.0]);
        assert_eq!(Separability::of(&d).margin(), Some(1.0));
    }

    #[test]
    fn a_zero_input_and_xor_are_not_separable_with_evidence() {
        let d = data(&[[1.0, 0.0], [0.0, 0.0], [-1.0, 0.0]], &[1.0, 1.0, -1.0]);
        assert_eq!(Separability::of(&d), Separability::ZeroInput { example: 2 });
        let xor = data(
            &[[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]],
            &[1.0, 1.0, -1.0, -1.0],
        );
        let s = Separability::of(&xor);
        let Separability::NotSeparable {
            lower,
            upper,
            converged,
            ..
        } = s
        else {
            panic!("xor: {s:?}");
        };
        assert!(converged && lower <= 0.0, "{s:?}");
        assert!(upper < SvmOptions::default().min_margin, "{s:?}");
        assert!(
            s.to_string()
                .starts_with("not linearly separable through the origin: after "),
            "{s}"
        );
        let text = serde_json::to_string(&s).unwrap();
        assert!(
            text.starts_with("{\"finding\":\"not_separable\",\"lower\":"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Separability>(&text).unwrap(), s);
    }
}
