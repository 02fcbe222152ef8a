//! Every claim the experiments judge, each declared once. The experiments list the ones they
//! judge on each run; `--help`, the README's table and the reports are generated from here.
//!
//! Sources: "Le & Jegelka 2022" is T. Le and S. Jegelka, *Training invariances and the low-rank
//! phenomenon: beyond linear networks*, ICLR 2022 (arXiv:2201.11968 v2); the result numbers are
//! the paper's. The deep-linear claims are the earlier result of Z. Ji and M. Telgarsky,
//! *Gradient descent aligns the layers of deep linear networks*, ICLR 2019, that the paper extends.

use super::declare::{ClaimSpec, Over, Quantity, Reduce, Source};
use super::verdict::Threshold;
use models::{Arch, LayerSpec};

use crate::metrics::Metric;

/// r above which a layer counts as rank one, and alignment above which a pair counts as aligned.
pub const RANK_ONE: f64 = 0.99;
/// How close the normalized margin must come to the SVM margin (as a fraction of it).
pub const MARGIN_FRACTION: f64 = 0.95;
/// Largest relative drift of a conserved quantity with the default small step.
pub const CONSERVED: f64 = 1e-3;
/// How many times the full-matrix drift must exceed the largest conserved one.
pub const NOT_CONSERVED_FACTOR: f64 = 10.0;
/// ‖W‖_F² − σ₁² may reach this many times D₀ = Σ ‖W_j(0)‖_F² and still count as bounded by it;
/// the norms must grow past [`NORMS_GROW`] × D₀ for that to say anything.
pub const RATE_BOUND: f64 = 2.0;
/// How far past D₀ the squared norms must grow before a bounded ‖W‖_F² − σ₁² says anything
/// (below it, ‖W‖_F² − σ₁² ≤ ‖W‖_F² ≤ RATE_BOUND·D₀ would hold whatever the rank).
pub const NORMS_GROW: f64 = 10.0;

const THEOREMS: &str =
    "the rank-one and alignment results (Le & Jegelka 2022; Ji & Telgarsky 2019)";
const JI_TELGARSKY: &str =
    "Ji & Telgarsky 2019 (deep linear networks), the result Le & Jegelka 2022 extends";

/// Hypothesis: the data is linearly separable.
pub const SEPARABLE: ClaimSpec = ClaimSpec {
    id: "separable",
    statement: "A hyperplane through the origin separates the two classes; the hard-margin SVM certifies it by a positive margin.",
    source: Source::Hypothesis(THEOREMS),
    quantity: Quantity::SvmMargin,
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 0.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// Hypothesis: the loss falls below ℓ(0)/n, every example classified with room to spare.
pub const FITS: ClaimSpec = ClaimSpec {
    id: "fits",
    statement: "Gradient descent reaches a loss R < ℓ(0)/n at some logged step: every example is classified correctly from then on under gradient flow, and the norms can grow without bound.",
    source: Source::Hypothesis(THEOREMS),
    quantity: Quantity::LossBelowStart,
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Below { value: 0.0 },
    premises: &[],
    needs_exponential_tail: false,
};

/// Hypothesis of the stably-active block: some ReLU unit is active on every example throughout.
pub const ACTIVE_NEURONS: ClaimSpec = ClaimSpec {
    id: "stably-active",
    statement: "Some unit of a ReLU layer is active on every training example at every log since the start.",
    source: Source::Hypothesis(
        "Le & Jegelka 2022, Theorem 1 (its invariance holds on stably-active units)",
    ),
    quantity: Quantity::Last(Metric::ActiveCount),
    over: Over::NonlinearPairs,
    reduce: Reduce::Max,
    threshold: Threshold::Above { value: 0.5 },
    premises: &[],
    needs_exponential_tail: false,
};

/// Premise of the rate bound on a deep linear network: the norms grew far past D₀.
pub const NORMS_GROW_ALL: ClaimSpec = ClaimSpec {
    id: "norms-grow",
    statement: "Every layer's ‖W‖_F² grows far past D₀ = Σ ‖W_j(0)‖_F², so that a bounded ‖W‖_F² − σ₁² is not bounded merely because ‖W‖_F² is.",
    source: Source::Hypothesis("the rate bound (it says something only once the norms grow)"),
    quantity: Quantity::SquaredNormOverInitialMass,
    over: Over::Hidden,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: NORMS_GROW },
    premises: &[],
    needs_exponential_tail: true,
};

/// Premise of the rate bound in a linear tail: its hidden layers' norms grew far past D₀.
pub const NORMS_GROW_TAIL: ClaimSpec = ClaimSpec {
    id: "tail-norms-grow",
    over: Over::TailHidden,
    statement: "Every hidden layer of the linear tail has ‖W‖_F² far past D₀ = Σ ‖W_j(0)‖_F² over the tail, so that a bounded ‖W‖_F² − σ₁² is not bounded merely because ‖W‖_F² is.",
    ..NORMS_GROW_ALL
};

/// Deep linear networks: every layer becomes rank one.
pub const ALL_RANK_ONE: ClaimSpec = ClaimSpec {
    id: "rank-one",
    statement: "Deep linear network: every layer below the output row becomes rank one (r = σ₁/‖W‖_F → 1).",
    source: Source::Prior(JI_TELGARSKY),
    quantity: Quantity::Last(Metric::Ratio),
    over: Over::Hidden,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: RANK_ONE },
    premises: &[&SEPARABLE, &FITS],
    needs_exponential_tail: true,
};

/// Deep linear networks: adjacent layers align.
pub const ALL_ALIGNED: ClaimSpec = ClaimSpec {
    id: "aligned",
    statement: "Deep linear network: adjacent layers align (the top left singular vector of W_k meets the top right singular vector of W_{k+1}).",
    quantity: Quantity::Last(Metric::Alignment),
    over: Over::Pairs,
    ..ALL_RANK_ONE
};

/// Deep linear networks: the normalized margin tends to the SVM margin.
pub const MARGIN_TO_SVM: ClaimSpec = ClaimSpec {
    id: "margin-to-svm",
    statement: "Deep linear network: the normalized margin min_i y_i f(x_i) / Π_k ‖W_k‖_F tends to the hard-margin SVM margin of the data.",
    quantity: Quantity::MarginOverSvm,
    over: Over::Run,
    threshold: Threshold::Above {
        value: MARGIN_FRACTION,
    },
    ..ALL_RANK_ONE
};

/// Deep linear networks: the mass off the top direction stays bounded.
pub const ALL_RATE_BOUND: ClaimSpec = ClaimSpec {
    id: "rate-bound",
    statement: "Deep linear network: ‖W‖_F² − σ₁² stays bounded by a constant fixed at initialization while the norms grow, which is what drives r to 1 (1 − r² ≤ D/‖W‖_F²); here at most 2·D₀.",
    quantity: Quantity::OverInitialMass(Metric::RankOneGap),
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: RATE_BOUND },
    premises: &[&SEPARABLE, &FITS, &NORMS_GROW_ALL],
    ..ALL_RANK_ONE
};

/// The hidden layers of a linear tail become rank one.
pub const TAIL_RANK_ONE: ClaimSpec = ClaimSpec {
    id: "tail-rank-one",
    statement: "The hidden linear layers of the tail (behind the nonlinear layers, before the output row, which is rank one by its shape) become rank one.",
    source: Source::Paper("Corollary 1"),
    quantity: Quantity::Last(Metric::Ratio),
    over: Over::TailHidden,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: RANK_ONE },
    premises: &[&SEPARABLE, &FITS],
    needs_exponential_tail: true,
};

/// Adjacent layers of a linear tail align.
pub const TAIL_ALIGNED: ClaimSpec = ClaimSpec {
    id: "tail-aligned",
    statement: "Adjacent layers of the linear tail (the output row included) align.",
    quantity: Quantity::Last(Metric::Alignment),
    over: Over::TailPairs,
    ..TAIL_RANK_ONE
};

/// The mass off the top direction stays bounded in a linear tail.
pub const TAIL_RATE_BOUND: ClaimSpec = ClaimSpec {
    id: "tail-rate-bound",
    statement: "In the hidden linear layers of the tail, ‖W‖_F² − σ₁² stays bounded by a constant fixed at initialization while the norms grow (here at most 2·D₀, D₀ = Σ ‖W_j(0)‖_F² over the tail).",
    quantity: Quantity::OverInitialMass(Metric::RankOneGap),
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: RATE_BOUND },
    premises: &[&SEPARABLE, &FITS, &NORMS_GROW_TAIL],
    ..TAIL_RANK_ONE
};

/// On the two-point data the ReLU layer stays away from rank one.
pub const RELU_NOT_RANK_ONE: ClaimSpec = ClaimSpec {
    id: "relu-not-rank-one",
    statement: "On the two-point data (x₁ = e₁ labelled +1, x₂ = e₂ labelled −1) the ReLU layer stays clearly away from rank one. The theory says only that a ReLU layer need not become rank one; on other data it can come close.",
    source: Source::Observation("on data built for it"),
    quantity: Quantity::Last(Metric::Ratio),
    over: Over::Nonlinear,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.9 },
    premises: &[&SEPARABLE, &FITS],
    needs_exponential_tail: true,
};

/// On two orthogonal points a ReLU layer keeps two equal singular values.
pub const RELU_RANK_TWO: ClaimSpec = ClaimSpec {
    id: "relu-rank-two",
    statement: "On two orthogonal points with opposite labels, the ReLU units split into a group active only on x₁ and one active only on x₂, growing to equal norms: the layer keeps two nearly equal singular values (σ₂/σ₁ → 1, r → 1/√2).",
    source: Source::Observation("on data built for it; the paper has no such example"),
    quantity: Quantity::LastRatio(Metric::Sigma2, Metric::Sigma1),
    over: Over::Nonlinear,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 0.9 },
    premises: &[&SEPARABLE, &FITS],
    needs_exponential_tail: true,
};

/// Per-neuron conservation.
pub const NEURON_CONSERVED: ClaimSpec = ClaimSpec {
    id: "neuron-conserved",
    statement: "Per hidden neuron, (sum of squared incoming weights) − (sum of squared outgoing weights) is conserved under gradient flow; gradient descent with a small step moves it little, relative to the neuron's own ‖in‖² + ‖out‖².",
    source: Source::Paper("Lemma 2"),
    quantity: Quantity::Last(Metric::DriftNeuron),
    over: Over::Pairs,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: CONSERVED },
    premises: &[],
    needs_exponential_tail: false,
};

/// Per-layer conservation.
pub const LAYER_CONSERVED: ClaimSpec = ClaimSpec {
    id: "layer-conserved",
    statement: "Per pair of layers, ‖W_k‖_F² − ‖W_k+1‖_F² is conserved under gradient flow, ReLU layers included (relative to ‖W_k‖_F² + ‖W_k+1‖_F²).",
    source: Source::Paper("Lemma 3"),
    quantity: Quantity::Last(Metric::DriftLayer),
    ..NEURON_CONSERVED
};

/// Conservation on the stably-active block.
pub const ACTIVE_CONSERVED: ClaimSpec = ClaimSpec {
    id: "active-conserved",
    statement: "W_k+1ᵀW_k+1 − W_kW_kᵀ restricted to the units of a ReLU layer active on every example since the start is conserved under gradient flow.",
    source: Source::Paper("Theorem 1"),
    quantity: Quantity::Last(Metric::DriftActive),
    over: Over::NonlinearPairs,
    premises: &[&ACTIVE_NEURONS],
    ..NEURON_CONSERVED
};

/// Hypothesis of the stably-active block inside residual blocks.
pub const BLOCK_ACTIVE_NEURONS: ClaimSpec = ClaimSpec {
    id: "block-stably-active",
    statement: "Some unit of σ(Y·h) inside a residual block is active on every training example at every log since the start.",
    over: Over::BlockPairs,
    ..ACTIVE_NEURONS
};

/// Per-neuron conservation inside residual blocks.
pub const BLOCK_NEURON_CONSERVED: ClaimSpec = ClaimSpec {
    id: "block-neuron-conserved",
    statement: "Inside a residual block, per unit of σ(Y·h): (sum of squared weights in from Y) − (sum of squared weights out to U) is conserved under gradient flow, whatever the skip.",
    source: Source::Paper("Theorem 1, its residual-block case"),
    over: Over::BlockPairs,
    ..NEURON_CONSERVED
};

/// Conservation on the stably-active block inside residual blocks.
pub const BLOCK_ACTIVE_CONSERVED: ClaimSpec = ClaimSpec {
    id: "block-active-conserved",
    statement: "Inside a residual block, W_Uᵀ W_U − W_Y W_Yᵀ restricted to the units of σ(Y·h) active on every example since the start is conserved under gradient flow, whatever the skip.",
    source: Source::Paper("Theorem 1, its residual-block case"),
    over: Over::BlockPairs,
    premises: &[&BLOCK_ACTIVE_NEURONS],
    ..ACTIVE_CONSERVED
};

/// The source of the claims across a learned-skip block's output.
const BETWEEN_BLOCKS: Source = Source::Paper(
    "Theorem 1, between residual blocks; for learned skips with the writers U, Z and the \
     readers of the state taken together, as derived in `metrics::joint`",
);

/// Hypothesis of the stably-active block of the states written by learned-skip blocks.
pub const JOINT_ACTIVE_NEURONS: ClaimSpec = ClaimSpec {
    id: "joint-stably-active",
    statement: "Some unit of the state σ(U·σ(Y·h) + Z·h) written by a learned-skip block is active on every training example at every log since the start.",
    over: Over::JointStates,
    ..ACTIVE_NEURONS
};

/// Per-neuron conservation across the output of learned-skip blocks.
pub const JOINT_NEURON_CONSERVED: ClaimSpec = ClaimSpec {
    id: "joint-neuron-conserved",
    statement: "Per unit of the state σ(U·σ(Y·h) + Z·h) written by a learned-skip block: (sum of squared weights in from U and Z) − (sum of squared weights out to every matrix reading the state) is conserved under gradient flow; U or Z alone against one reader is not.",
    source: BETWEEN_BLOCKS,
    over: Over::JointStates,
    ..NEURON_CONSERVED
};

/// Conservation on the stably-active block across the output of learned-skip blocks.
pub const JOINT_ACTIVE_CONSERVED: ClaimSpec = ClaimSpec {
    id: "joint-active-conserved",
    statement: "Σ_c W_cᵀW_c − (W_U W_Uᵀ + W_Z W_Zᵀ), over the matrices W_c reading the state σ(U·σ(Y·h) + Z·h) of a learned-skip block, restricted to the units of the state active on every example since the start, is conserved under gradient flow.",
    source: BETWEEN_BLOCKS,
    over: Over::JointStates,
    premises: &[&JOINT_ACTIVE_NEURONS],
    ..ACTIVE_CONSERVED
};

/// The full-matrix quantity of a ReLU layer is not conserved.
pub const FULL_NOT_CONSERVED: ClaimSpec = ClaimSpec {
    id: "full-not-conserved",
    statement: "Over all units of a ReLU layer, W_k+1ᵀW_k+1 − W_kW_kᵀ is not conserved: it drifts far more than the conserved quantities of the same run.",
    source: Source::Paper("Lemma 4"),
    quantity: Quantity::FullOverConserved,
    over: Over::NonlinearPairs,
    reduce: Reduce::Min,
    threshold: Threshold::Above {
        value: NOT_CONSERVED_FACTOR,
    },
    premises: &[],
    needs_exponential_tail: false,
};

/// The drifts are gradient descent's departure from gradient flow.
pub const DRIFT_IS_DISCRETIZATION: ClaimSpec = ClaimSpec {
    id: "drift-is-discretization",
    statement: "The measured drifts are gradient descent's distance from gradient flow: a step moves a conserved quantity by exactly η² times a gradient term, so at equal training time halving the step halves the drift. This checks the measurement; it holds by construction of gradient descent and says nothing about conservation, which shows in the contrast with full-not-conserved.",
    source: Source::Observation("an identity of gradient descent"),
    quantity: Quantity::AcrossRuns(
        "per-neuron drift with step η / with step η/2 (twice the steps)",
    ),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Near {
        target: 2.0,
        tolerance: 0.5,
    },
    premises: &[],
    needs_exponential_tail: false,
};

/// The slow control from a larger initialization.
pub const SLOW_FROM_LARGE_INIT: ClaimSpec = ClaimSpec {
    id: "slow-from-large-init",
    statement: "From a larger initialization (only the scale changed), a deep linear network ends the same budget further from rank one than the main run of its depth: the rate bound's D grows with the initial norms.",
    source: Source::Observation(
        "a control consistent with the rate bound, which bounds 1 − r² from above only",
    ),
    quantity: Quantity::AcrossRuns(
        "(1 − min r) of the control / (1 − min r) of the main run of the same depth, at the end; r over the layers below the output row",
    ),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 1.0 },
    premises: &[&SEPARABLE, &FITS],
    needs_exponential_tail: true,
};

/// The slow control with a constant step.
pub const SLOW_WITH_CONSTANT_STEP: ClaimSpec = ClaimSpec {
    id: "slow-with-constant-step",
    statement: "With a constant step instead of the main runs' rule (only the rule changed, same learning rate), a deep linear network ends the same budget further from rank one than the main run of its depth: its norms grow only like a power of log t.",
    ..SLOW_FROM_LARGE_INIT
};

/// The claims on a deep linear network.
pub const DEEP_LINEAR: &[&ClaimSpec] =
    &[&ALL_RANK_ONE, &ALL_ALIGNED, &MARGIN_TO_SVM, &ALL_RATE_BOUND];

/// The claims on the linear tail of any network.
pub const LINEAR_TAIL: &[&ClaimSpec] = &[&TAIL_RANK_ONE, &TAIL_ALIGNED, &TAIL_RATE_BOUND];

/// The claims that apply to the network `arch`: [`DEEP_LINEAR`] when every layer is a linear
/// fully-connected one, [`LINEAR_TAIL`] otherwise.
pub fn for_arch(arch: &Arch) -> &'static [&'static ClaimSpec] {
    let all_linear = arch
        .layers
        .iter()
        .all(|l| matches!(l, LayerSpec::Dense { activation, .. } if activation.is_linear()));
    if all_linear { DEEP_LINEAR } else { LINEAR_TAIL }
}

/// Every declaration, in the order of the README's table.
pub const ALL: &[&ClaimSpec] = &[
    &SEPARABLE,
    &FITS,
    &ACTIVE_NEURONS,
    &NORMS_GROW_ALL,
    &NORMS_GROW_TAIL,
    &ALL_RANK_ONE,
    &ALL_ALIGNED,
    &MARGIN_TO_SVM,
    &ALL_RATE_BOUND,
    &TAIL_RANK_ONE,
    &TAIL_ALIGNED,
    &TAIL_RATE_BOUND,
    &RELU_NOT_RANK_ONE,
    &RELU_RANK_TWO,
    &NEURON_CONSERVED,
    &LAYER_CONSERVED,
    &ACTIVE_CONSERVED,
    &BLOCK_ACTIVE_NEURONS,
    &BLOCK_NEURON_CONSERVED,
    &BLOCK_ACTIVE_CONSERVED,
    &JOINT_ACTIVE_NEURONS,
    &JOINT_NEURON_CONSERVED,
    &JOINT_ACTIVE_CONSERVED,
    &FULL_NOT_CONSERVED,
    &DRIFT_IS_DISCRETIZATION,
    &SLOW_FROM_LARGE_INIT,
    &SLOW_WITH_CONSTANT_STEP,
    &super::leaky::NEAR_ORTHOGONAL,
    &super::leaky::SMALL_INIT,
    &super::leaky::RANK_AT_MOST_TWO,
    &super::leaky::ONE_STEP_DROP,
    &super::leaky::LARGE_INIT_STAYS_HIGH,
    &super::direction::HOMOGENEOUS,
    &super::direction::MARGIN_MONOTONE,
    &super::direction::DIRECTION_CONVERGES,
    &super::direction::GRADIENT_ALIGNS,
    &super::direction::KKT_RESIDUAL,
    &super::direction::KKT_SLACK,
    &super::completion::OBSERVED_FIT,
    &super::completion::SMALL_INIT,
    &super::completion::LOW_RANK_AT_SMALL_INIT,
    &super::completion::RECOVERS_AT_SMALL_INIT,
    &super::completion::RANK_GROWS_WITH_INIT,
    &super::completion::ERROR_GROWS_WITH_INIT,
    &super::completion::DEPTH_HELPS_ERROR,
    &super::completion::DEPTH_HELPS_RANK,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_premise_is_declared() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| b.id != a.id), "{} twice", a.id);
            for p in a.premises {
                assert!(
                    ALL.iter().any(|s| s.id == p.id),
                    "{}: premise {}",
                    a.id,
                    p.id
                );
            }
        }
    }
}
