//! The claims of the theory as checks on a finished run: each reads the logged metrics and
//! returns a [`Claim`] whose verdict follows from the measured value and the threshold alone.

use std::f64::consts::FRAC_1_SQRT_2;

use crate::claims::{Claim, Threshold, Verdict};
use crate::record::Scope;
use crate::runner::{RunRecord, metric};
use crate::svm::SvmReport;

/// r above which a layer counts as rank one, and alignment above which a pair counts as aligned.
pub const RANK_ONE: f64 = 0.99;
/// r below which a ReLU layer counts as "clearly not rank one".
pub const CLEARLY_BELOW: f64 = 0.9;
/// How close the normalized margin must come to the SVM margin (as a fraction of it).
pub const MARGIN_FRACTION: f64 = 0.95;
/// Distance from 1/√2 allowed for the counterexample's ReLU layer.
pub const COUNTEREXAMPLE_TOLERANCE: f64 = 0.05;

/// The smallest last-logged value of `metric` over the entities `indices` (NaN if there are none).
pub fn last_min(record: &RunRecord, scope: Scope, indices: &[usize], metric: &str) -> f64 {
    fold_last(record, scope, indices, metric, f64::min)
}

/// The largest last-logged value of `metric` over the entities `indices` (NaN if there are none).
pub fn last_max(record: &RunRecord, scope: Scope, indices: &[usize], metric: &str) -> f64 {
    fold_last(record, scope, indices, metric, f64::max)
}

fn fold_last(
    record: &RunRecord,
    scope: Scope,
    indices: &[usize],
    metric: &str,
    pick: fn(f64, f64) -> f64,
) -> f64 {
    let values: Vec<f64> = indices
        .iter()
        .map(|&i| record.log.last(scope, i, metric).unwrap_or(f64::NAN))
        .collect();
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    values.into_iter().reduce(pick).unwrap_or(f64::NAN)
}

/// Statement: every layer of a deep linear network becomes rank one.
pub const ALL_RANK_ONE: &str =
    "Deep linear network: every layer becomes rank one (r = σ₁/‖W‖_F → 1).";
/// Statement: adjacent layers of a deep linear network align.
pub const ALL_ALIGNED: &str = "Deep linear network: adjacent layers align (the top left singular vector of W_k meets the top right singular vector of W_{k+1}).";
/// Statement: the normalized margin tends to the SVM margin.
pub const MARGIN_TO_SVM: &str = "Deep linear network: the normalized margin min_i y_i f(x_i) / Π_k ‖W_k‖_F tends to the hard-margin SVM margin of the data.";
/// Statement: the linear tail behind nonlinear layers becomes rank one.
pub const TAIL_RANK_ONE: &str = "The trailing linear layers behind nonlinear layers (and the output layer) become rank one: ‖W‖_F² − σ₁² stays bounded while ‖W‖_F grows.";
/// Statement: the linear tail aligns.
pub const TAIL_ALIGNED: &str = "Adjacent trailing linear layers align.";
/// Statement: a ReLU layer need not become rank one.
pub const RELU_NOT_RANK_ONE: &str = "A ReLU layer breaks the chain: it need not become rank one, and here stays clearly away from it.";

/// The claim `id` on `record` that `measured` (a smallest r or alignment) is above [`RANK_ONE`].
fn above_rank_one(
    record: &RunRecord,
    id: &str,
    statement: &str,
    measure: &str,
    measured: f64,
) -> Claim {
    let above = Threshold::Above { value: RANK_ONE };
    Claim::evaluate(id, &record.name, statement, measure, measured, above)
}

/// Every layer of `record` reaches r above [`RANK_ONE`].
pub fn all_rank_one(record: &RunRecord) -> Claim {
    let all: Vec<usize> = (0..record.layers.len()).collect();
    above_rank_one(
        record,
        "rank-one",
        ALL_RANK_ONE,
        "min over layers of r at the end",
        last_min(record, Scope::Layer, &all, metric::RATIO),
    )
}

/// Every adjacent pair of `record` reaches alignment above [`RANK_ONE`].
pub fn all_aligned(record: &RunRecord) -> Claim {
    let all: Vec<usize> = (0..record.pairs.len()).collect();
    above_rank_one(
        record,
        "aligned",
        ALL_ALIGNED,
        "min over adjacent pairs of |⟨v₁(W_k+1), u₁(W_k)⟩| at the end",
        last_min(record, Scope::Pair, &all, metric::ALIGNMENT),
    )
}

/// The normalized margin ends within [`MARGIN_FRACTION`] of the SVM margin.
pub fn margin_to_svm(record: &RunRecord) -> Claim {
    let normalized = record
        .log
        .last(Scope::Run, 0, metric::NORMALIZED_MARGIN)
        .unwrap_or(f64::NAN);
    let ratio = record.svm_margin.map_or(f64::NAN, |svm| normalized / svm);
    Claim::evaluate(
        "margin-to-svm",
        &record.name,
        MARGIN_TO_SVM,
        "normalized margin / SVM margin at the end",
        ratio,
        Threshold::Above {
            value: MARGIN_FRACTION,
        },
    )
}

/// The linear tail of `record` reaches r above [`RANK_ONE`].
pub fn tail_rank_one(record: &RunRecord) -> Claim {
    above_rank_one(
        record,
        "tail-rank-one",
        TAIL_RANK_ONE,
        "min over the linear tail of r at the end",
        last_min(record, Scope::Layer, &record.linear_tail(), metric::RATIO),
    )
}

/// The adjacent pairs inside the linear tail reach alignment above [`RANK_ONE`].
pub fn tail_aligned(record: &RunRecord) -> Claim {
    let tail = record.linear_tail();
    let pairs = record.pairs_where(|k| tail.contains(&k));
    above_rank_one(
        record,
        "tail-aligned",
        TAIL_ALIGNED,
        "min over pairs inside the linear tail of the alignment at the end",
        last_min(record, Scope::Pair, &pairs, metric::ALIGNMENT),
    )
}

/// Every ReLU (nonlinear) layer ends with r below [`CLEARLY_BELOW`].
pub fn relu_not_rank_one(record: &RunRecord) -> Claim {
    Claim::evaluate(
        "relu-not-rank-one",
        &record.name,
        RELU_NOT_RANK_ONE,
        "max over ReLU layers of r at the end",
        last_max(
            record,
            Scope::Layer,
            &record.nonlinear_layers(),
            metric::RATIO,
        ),
        Threshold::Below {
            value: CLEARLY_BELOW,
        },
    )
}

/// Statement of the counterexample.
pub const COUNTEREXAMPLE: &str = "Counterexample: on two orthogonal points with opposite labels, the ReLU layer keeps rank two with equal singular values, r → 1/√2 ≈ 0.7071.";

/// The first nonlinear layer ends with r within [`COUNTEREXAMPLE_TOLERANCE`] of 1/√2.
pub fn counterexample_rank_two(record: &RunRecord) -> Claim {
    let relu = record.nonlinear_layers();
    Claim::evaluate(
        "relu-rank-two",
        &record.name,
        COUNTEREXAMPLE,
        "r of the ReLU layer at the end",
        last_max(record, Scope::Layer, &relu, metric::RATIO),
        Threshold::Near {
            target: FRAC_1_SQRT_2,
            tolerance: COUNTEREXAMPLE_TOLERANCE,
        },
    )
}

/// Statement: the hidden layers of the linear tail become rank one.
pub const TAIL_HIDDEN_RANK_ONE: &str = "The hidden linear layers of the tail (behind the nonlinear layers, before the output row, which is rank one by its shape) become rank one (Corollary 1): ‖W‖_F² − σ₁² stays bounded while ‖W‖_F grows.";

/// The hidden layers of the linear tail of `record` reach r above `threshold`. The output row is
/// left out (a 1 × w matrix has r = 1 whatever training does); a network with no hidden linear
/// layer in its tail gets `not applicable`.
pub fn tail_hidden_rank_one(record: &RunRecord, threshold: f64) -> Claim {
    let mut hidden = record.linear_tail();
    hidden.pop();
    let claim = Claim::evaluate(
        "tail-rank-one",
        &record.name,
        TAIL_HIDDEN_RANK_ONE,
        "min over the hidden linear layers of the tail of r at the end",
        last_min(record, Scope::Layer, &hidden, metric::RATIO),
        Threshold::Above { value: threshold },
    );
    if hidden.is_empty() {
        claim.inapplicable("the network has no hidden linear layer in its tail")
    } else {
        claim
    }
}

/// Statement of the premise that the data is linearly separable.
pub const SEPARABLE: &str = "Premise: a hyperplane through the origin separates the two classes (the theory's setting); the hard-margin SVM's direction certifies it by a positive margin.";
/// Statement of the premise that training fits the data.
pub const FITS: &str = "Premise: gradient descent fits the training data, every example classified correctly (100% training accuracy), so the loss can go to 0 and the norms grow.";

/// The premise that `report`'s direction separates the data: its achieved margin is positive.
pub fn separable(record: &RunRecord, report: &SvmReport) -> Claim {
    Claim::evaluate(
        "separable",
        &record.name,
        SEPARABLE,
        "min_i y_i⟨u, x_i⟩ for the hard-margin SVM direction u",
        report.lower,
        Threshold::Above { value: 0.0 },
    )
}

/// The premise that training ends with every one of the `n` examples classified correctly,
/// measured as the number misclassified at the end.
pub fn fits(record: &RunRecord, n: usize) -> Claim {
    let accuracy = record
        .log
        .last(Scope::Run, 0, metric::ACCURACY)
        .unwrap_or(f64::NAN);
    Claim::evaluate(
        "fits",
        &record.name,
        FITS,
        "training examples misclassified at the end",
        (n as f64 * (1.0 - accuracy)).round(),
        Threshold::Below { value: 0.5 },
    )
}

/// The premises followed by the claims, each claim `not applicable` (naming the first premise
/// that failed) unless every premise holds.
pub fn given(premises: Vec<Claim>, claims: Vec<Claim>) -> Vec<Claim> {
    let failed = premises
        .iter()
        .find(|p| p.verdict != Verdict::Holds)
        .map(|p| format!("premise `{}` is {}", p.id, p.verdict.as_str()));
    let claims = claims.into_iter().map(|c| match &failed {
        Some(reason) => c.inapplicable(reason),
        None => c,
    });
    premises.iter().cloned().chain(claims).collect()
}
