//! The claims of the `leaky-rank` experiment, from S. Frei, G. Vardi, P. L. Bartlett, N. Srebro
//! and W. Hu, *Implicit bias in leaky ReLU networks trained on high-dimensional data*, ICLR 2023
//! (arXiv 2210.07082): a two-layer leaky-ReLU network, output weights fixed at ±1/√m, trained by
//! gradient descent on nearly orthogonal data. We cite its results by what they say, not by
//! number: we could not check the numbering against the paper's text.
//!
//! Each compares or reads whole runs, so the experiment judges them ([`crate::suite::leaky_rank`]),
//! with the premises about the data and the initialization (which a run's record cannot judge)
//! listed in [`DATA_AND_INIT_PREMISES`].

use super::catalogue::{FITS, SEPARABLE};
use super::declare::{ClaimSpec, Over, Quantity, Reduce, Source};
use super::verdict::Threshold;

/// The paper whose results the `leaky-rank` experiment tests.
pub const PAPER: &str = "S. Frei, G. Vardi, P. L. Bartlett, N. Srebro and W. Hu, Implicit bias in leaky ReLU networks trained on high-dimensional data, ICLR 2023 (arXiv:2210.07082)";

/// The paper, with the result cited (`frei!("main result on gradient flow")`).
macro_rules! frei {
    ($result:literal) => {
        concat!(
            "Frei, Vardi, Bartlett, Srebro & Hu, ICLR 2023 (arXiv 2210.07082), ",
            $result
        )
    };
}

/// How many steps the large-initialization run must keep its stable rank high for.
pub const HIGH_FOR_STEPS: usize = 10;

/// Hypothesis: the data is nearly orthogonal.
pub const NEAR_ORTHOGONAL: ClaimSpec = ClaimSpec {
    id: "near-orthogonal",
    statement: "The inputs are nearly orthogonal: min_i ‖x_i‖² exceeds n · max_{i≠k} |⟨x_i, x_k⟩|. The paper asks for a large constant factor; we ask for a factor above 1, which is weaker.",
    source: Source::Hypothesis(frei!("every result")),
    quantity: Quantity::AcrossRuns("min_i ‖x_i‖² / (n · max_{i≠k} |⟨x_i, x_k⟩|) of the data"),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 1.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// Hypothesis: the initialization is small beside the first step.
pub const SMALL_INIT: ClaimSpec = ClaimSpec {
    id: "small-init",
    statement: "The initialization of the small-init run is small: one gradient step makes the first layer's Frobenius norm more than 10 times larger, so the first update, not the random start, makes up the weights.",
    source: Source::Hypothesis(frei!(
        "main result on gradient descent (a small initialization variance)"
    )),
    quantity: Quantity::AcrossRuns("‖W(1)‖_F / ‖W(0)‖_F of the first layer of the small-init run"),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 10.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// Gradient flow ends at rank at most two.
pub const RANK_AT_MOST_TWO: ClaimSpec = ClaimSpec {
    id: "leaky-rank-at-most-two",
    statement: "Trained to fit the data, the first layer W ∈ ℝ^{m×d} ends with stable rank ‖W‖_F²/‖W‖₂² at most 2 plus a tolerance of 0.5: gradient flow converges in direction to a network of rank at most two (the paper's main result on gradient flow); judged on the small-init run, which reaches that regime within the budget.",
    source: Source::Neighbour(frei!("main result on gradient flow")),
    quantity: Quantity::AcrossRuns(
        "the first layer's stable rank at the end of the small-init run",
    ),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 2.5 },
    premises: &[&SEPARABLE, &FITS],
    needs_exponential_tail: true,
};

/// One step of gradient descent from a small initialization drops the stable rank.
pub const ONE_STEP_DROP: ClaimSpec = ClaimSpec {
    id: "leaky-one-step",
    statement: "From a small initialization (stable rank about m·d/(m+d) at step 0), one gradient step drops the first layer's stable rank to a small constant, here below 3, and it stays below 3 at every later logged step.",
    source: Source::Neighbour(frei!("main result on gradient descent")),
    quantity: Quantity::AcrossRuns(
        "max over the logs from step 1 on of the first layer's stable rank, small-init run",
    ),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 3.0 },
    premises: &[&SEPARABLE],
    needs_exponential_tail: true,
};

/// The contrast: from a large initialization the stable rank stays high.
pub const LARGE_INIT_STAYS_HIGH: ClaimSpec = ClaimSpec {
    id: "leaky-large-init-high",
    statement: "The contrast: from a large initialization (only the scale changed) the first layer keeps more than half its initial stable rank over the first 10 steps, while the small-init run is already near rank one.",
    source: Source::Observation(
        "the contrast Frei et al. 2023 draw in their experiments (a small initialization scale matters)",
    ),
    quantity: Quantity::AcrossRuns(
        "min over the logs of steps 1–10 of the first layer's stable rank / its value at step 0, large-init run",
    ),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 0.5 },
    premises: &[],
    needs_exponential_tail: true,
};

/// The claims the experiment judges, in order.
pub const CLAIMS: &[&ClaimSpec] = &[
    &NEAR_ORTHOGONAL,
    &SMALL_INIT,
    &RANK_AT_MOST_TWO,
    &ONE_STEP_DROP,
    &LARGE_INIT_STAYS_HIGH,
];

/// The premises of each claim that the experiment judges itself (on the data, or across two
/// logged steps of a run), beside those in the claim's own `premises`: a claim is not
/// applicable when one of them does not hold.
pub const DATA_AND_INIT_PREMISES: &[(&ClaimSpec, &[&ClaimSpec])] = &[
    (&RANK_AT_MOST_TWO, &[&NEAR_ORTHOGONAL]),
    (&ONE_STEP_DROP, &[&NEAR_ORTHOGONAL, &SMALL_INIT]),
    (&LARGE_INIT_STAYS_HIGH, &[&NEAR_ORTHOGONAL]),
];
