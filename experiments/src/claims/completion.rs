//! The claims of the `completion` experiment: deep matrix factorization, from S. Gunasekar,
//! B. Woodworth, S. Bhojanapalli, B. Neyshabur and N. Srebro, *Implicit regularization in matrix
//! factorization*, NeurIPS 2017 (arXiv 1705.09280), and S. Arora, N. Cohen, W. Hu and Y. Luo,
//! *Implicit regularization in deep matrix factorization*, NeurIPS 2019 (arXiv 1905.13655). We
//! cite their results by what they say, not by number: we could not check the numbering against
//! the papers' text.
//!
//! Each compares or reads whole runs, so the experiment judges them
//! ([`crate::suite::completion`]), with the premises about the fit and the initialization listed
//! in [`FIT_AND_INIT_PREMISES`].

use super::declare::{ClaimSpec, Over, Quantity, Reduce, Source};
use super::verdict::Threshold;

/// The papers whose results the `completion` experiment tests.
pub const PAPER: &str = "S. Gunasekar, B. Woodworth, S. Bhojanapalli, B. Neyshabur and N. Srebro, Implicit regularization in matrix factorization, NeurIPS 2017 (arXiv:1705.09280); S. Arora, N. Cohen, W. Hu and Y. Luo, Implicit regularization in deep matrix factorization, NeurIPS 2019 (arXiv:1905.13655)";

/// Gunasekar et al., with the result cited.
macro_rules! gunasekar {
    ($result:literal) => {
        concat!(
            "Gunasekar, Woodworth, Bhojanapalli, Neyshabur & Srebro, NeurIPS 2017 (arXiv 1705.09280), ",
            $result
        )
    };
}

/// Arora et al., with the result cited.
macro_rules! arora {
    ($result:literal) => {
        concat!(
            "Arora, Cohen, Hu & Luo, NeurIPS 2019 (arXiv 1905.13655), ",
            $result
        )
    };
}

/// Hypothesis: gradient descent fitted the observed entries.
pub const OBSERVED_FIT: ClaimSpec = ClaimSpec {
    id: "observed-fit",
    statement: "Every run fits the entries it observes: the relative error ‖P_Ω(W − M)‖_F / ‖P_Ω(M)‖_F ends below 0.01. The results are about the solutions gradient descent reaches; a run that has not fitted its data has not reached one.",
    source: Source::Hypothesis(gunasekar!(
        "and Arora et al. 2019: the solution found by gradient descent on the observed entries"
    )),
    quantity: Quantity::AcrossRuns("max over every run of the relative observed error at the end"),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.01 },
    premises: &[],
    needs_exponential_tail: false,
};

/// Hypothesis: the smallest initialization scale is small.
pub const SMALL_INIT: ClaimSpec = ClaimSpec {
    id: "completion-small-init",
    statement: "The smallest initialization is small: the product's Frobenius norm at step 0 is below 1% of the truth's in the smallest-α run of every depth. The results hold in the limit of an initialization near zero.",
    source: Source::Hypothesis(gunasekar!(
        "and Arora et al. 2019: an initialization near zero"
    )),
    quantity: Quantity::AcrossRuns("max over the depths of ‖W(0)‖_F / ‖M‖_F in the smallest-α run"),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.01 },
    premises: &[],
    needs_exponential_tail: false,
};

/// From a small initialization the product ends near the true rank.
pub const LOW_RANK_AT_SMALL_INIT: ClaimSpec = ClaimSpec {
    id: "low-rank-at-small-init",
    statement: "From a small initialization, gradient descent on the factors ends at a product of low effective rank: its effective rank (Roy & Vetterli: exp of the entropy of the normalized singular values) exceeds the true rank r by less than 0.5, at every depth. Gunasekar et al. conjecture, and prove in special cases, that the limit is the minimum-nuclear-norm fit; Arora et al. find the product's singular values driven apart, towards low rank.",
    source: Source::Neighbour(gunasekar!(
        "the conjecture and result that gradient flow from a near-zero initialization finds the minimum nuclear norm solution; Arora et al. 2019, the analysis of the singular values' dynamics"
    )),
    quantity: Quantity::AcrossRuns(
        "max over the depths of (effective rank of the product − r) at the end of the smallest-α run",
    ),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.5 },
    premises: &[],
    needs_exponential_tail: false,
};

/// From a small initialization the unobserved entries are recovered.
pub const RECOVERS_AT_SMALL_INIT: ClaimSpec = ClaimSpec {
    id: "recovers-at-small-init",
    statement: "From a small initialization the product recovers the entries it never saw: the relative unobserved error ‖P_Ωᶜ(W − M)‖_F / ‖P_Ωᶜ(M)‖_F ends below 0.05 at every depth (a model that learnt nothing off Ω scores 1).",
    source: Source::Neighbour(arora!(
        "the experiments on matrix completion: deep factorizations from a small initialization recover low-rank matrices"
    )),
    quantity: Quantity::AcrossRuns(
        "max over the depths of the relative unobserved error at the end of the smallest-α run",
    ),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.05 },
    premises: &[],
    needs_exponential_tail: false,
};

/// A larger initialization raises the effective rank.
pub const RANK_GROWS_WITH_INIT: ClaimSpec = ClaimSpec {
    id: "rank-grows-with-init",
    statement: "The implicit bias towards low rank is a property of the small initialization: at every depth the largest-α run ends with an effective rank more than 2 times that of the smallest-α run.",
    source: Source::Neighbour(arora!(
        "the experiments varying the initialization's scale: a larger one weakens the bias to low rank"
    )),
    quantity: Quantity::AcrossRuns(
        "min over the depths of effective rank (largest α) / effective rank (smallest α), at the end",
    ),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 2.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// A larger initialization raises the unobserved error.
pub const ERROR_GROWS_WITH_INIT: ClaimSpec = ClaimSpec {
    id: "error-grows-with-init",
    statement: "Leaving the low-rank regime costs generalization: at every depth the largest-α run ends with a relative unobserved error more than 5 times that of the smallest-α run, though both fit the observed entries.",
    source: Source::Neighbour(arora!(
        "the experiments varying the initialization's scale: a larger one recovers worse"
    )),
    quantity: Quantity::AcrossRuns(
        "min over the depths of unobserved error (largest α) / unobserved error (smallest α), at the end",
    ),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 5.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// With few observations, depth lowers the unobserved error.
pub const DEPTH_HELPS_ERROR: ClaimSpec = ClaimSpec {
    id: "depth-helps-error",
    statement: "With few observed entries, the deeper factorization recovers better: at the smallest α, the deepest run's relative unobserved error is below half the shallowest's (depth 3 against depth 2 at the defaults).",
    source: Source::Neighbour(arora!(
        "the matrix-completion experiments: with few observations, depth 3 and more recover where depth 2 (and the minimum nuclear norm) does not"
    )),
    quantity: Quantity::AcrossRuns(
        "unobserved error (deepest) / unobserved error (shallowest), few-observation runs at the smallest α",
    ),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.5 },
    premises: &[],
    needs_exponential_tail: false,
};

/// With few observations, depth lowers the effective rank.
pub const DEPTH_HELPS_RANK: ClaimSpec = ClaimSpec {
    id: "depth-helps-rank",
    statement: "With few observed entries, the deeper factorization ends closer to low rank: at the smallest α, the deepest run's effective rank is below the shallowest's (ratio below 1).",
    source: Source::Neighbour(arora!(
        "the analysis and experiments showing that depth strengthens the bias towards low rank"
    )),
    quantity: Quantity::AcrossRuns(
        "effective rank (deepest) / effective rank (shallowest), few-observation runs at the smallest α",
    ),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 1.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// The claims the experiment judges, in order.
pub const CLAIMS: &[&ClaimSpec] = &[
    &OBSERVED_FIT,
    &SMALL_INIT,
    &LOW_RANK_AT_SMALL_INIT,
    &RECOVERS_AT_SMALL_INIT,
    &RANK_GROWS_WITH_INIT,
    &ERROR_GROWS_WITH_INIT,
    &DEPTH_HELPS_ERROR,
    &DEPTH_HELPS_RANK,
];

/// The premises of each claim, judged by the experiment across its runs: a claim is not
/// applicable when one of them does not hold.
pub const FIT_AND_INIT_PREMISES: &[(&ClaimSpec, &[&ClaimSpec])] = &[
    (&LOW_RANK_AT_SMALL_INIT, &[&OBSERVED_FIT, &SMALL_INIT]),
    (&RECOVERS_AT_SMALL_INIT, &[&OBSERVED_FIT, &SMALL_INIT]),
    (&RANK_GROWS_WITH_INIT, &[&OBSERVED_FIT, &SMALL_INIT]),
    (&ERROR_GROWS_WITH_INIT, &[&OBSERVED_FIT, &SMALL_INIT]),
    (&DEPTH_HELPS_ERROR, &[&OBSERVED_FIT, &SMALL_INIT]),
    (&DEPTH_HELPS_RANK, &[&OBSERVED_FIT, &SMALL_INIT]),
];
