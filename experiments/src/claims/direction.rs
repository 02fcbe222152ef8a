//! The claims of the `direction` experiment, from K. Lyu and J. Li, *Gradient descent maximizes
//! the margin of homogeneous neural networks*, ICLR 2020 (arXiv 1906.05890), and Z. Ji and
//! M. Telgarsky, *Directional convergence and alignment in deep learning*, NeurIPS 2020 (arXiv
//! 2006.06657): an L-homogeneous network trained with an exponentially-tailed loss past the point
//! where every example is fit. We cite their results by what they say, not by number: we could
//! not check the numbering against the papers' texts.
//!
//! Each claim reads one run's log of the direction family (`metrics::direction`), so the runner
//! judges it on every run of the experiment.

use super::catalogue::{FITS, SEPARABLE};
use super::declare::{ClaimSpec, Over, Quantity, Reduce, Source};
use super::verdict::Threshold;
use crate::metrics::Metric;

/// The two papers whose results the `direction` experiment tests.
pub const PAPERS: &str = "K. Lyu and J. Li, Gradient descent maximizes the margin of homogeneous neural networks, ICLR 2020 (arXiv:1906.05890); Z. Ji and M. Telgarsky, Directional convergence and alignment in deep learning, NeurIPS 2020 (arXiv:2006.06657)";

/// Lyu & Li, with the result cited.
macro_rules! lyu_li {
    ($result:literal) => {
        concat!("Lyu & Li, ICLR 2020 (arXiv 1906.05890), ", $result)
    };
}

/// Ji & Telgarsky, with the result cited.
macro_rules! ji_telgarsky {
    ($result:literal) => {
        concat!("Ji & Telgarsky, NeurIPS 2020 (arXiv 2006.06657), ", $result)
    };
}

/// Hypothesis: the network is positively homogeneous in its parameters.
pub const HOMOGENEOUS: ClaimSpec = ClaimSpec {
    id: "homogeneous",
    statement: "The network is positively homogeneous of some degree L ≥ 1 in its trained parameters θ, f(c·θ; x) = c^L·f(θ; x) for c > 0: bias-free fully-connected layers with ReLU, leaky-ReLU or identity activations, no skip connection, every layer trained. The value is L (0: not homogeneous).",
    source: Source::Hypothesis("Lyu & Li 2020 and Ji & Telgarsky 2020 (homogeneous networks)"),
    quantity: Quantity::Last(Metric::HomogeneityDegree),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 0.5 },
    premises: &[],
    needs_exponential_tail: false,
};

/// The premises every claim of the experiment rests on.
const PREMISES: &[&ClaimSpec] = &[&SEPARABLE, &FITS, &HOMOGENEOUS];

/// The smoothed normalized margin does not decrease once the data is fit.
pub const MARGIN_MONOTONE: ClaimSpec = ClaimSpec {
    id: "smoothed-margin-monotone",
    statement: "Once every example is fit (Σ_i ℓ(q_i) < ℓ(0)), the smoothed normalized margin ℓ⁻¹(Σ_i ℓ(q_i))/‖θ‖^L does not decrease: between successive logs it falls by at most 1e-4 of its value. Shown for gradient flow, and for gradient descent with a loss-based step size, which the experiment's adaptive rule is.",
    source: Source::Neighbour(lyu_li!(
        "monotonicity of the smoothed normalized margin (gradient flow and gradient descent)"
    )),
    quantity: Quantity::LargestFallAfterFit(Metric::SmoothedMargin),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 1e-4 },
    premises: PREMISES,
    needs_exponential_tail: true,
};

/// θ/‖θ‖ converges.
pub const DIRECTION_CONVERGES: ClaimSpec = ClaimSpec {
    id: "direction-converges",
    statement: "θ/‖θ‖ converges: its change between the last two logs is below 1% of its largest change between successive logs once the data is fit.",
    source: Source::Neighbour(ji_telgarsky!("directional convergence of θ/‖θ‖")),
    quantity: Quantity::LastOverLargestAfterFit(Metric::DirectionChange),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.01 },
    premises: PREMISES,
    needs_exponential_tail: true,
};

/// The negative gradient aligns with the parameters.
pub const GRADIENT_ALIGNS: ClaimSpec = ClaimSpec {
    id: "gradient-aligns",
    statement: "The negative gradient aligns with the parameters: cos(θ, −∇R) ends above 0.99 (it tends to 1).",
    source: Source::Neighbour(ji_telgarsky!(
        "alignment of the parameters with the negative gradient"
    )),
    quantity: Quantity::Last(Metric::GradAlignment),
    over: Over::Run,
    reduce: Reduce::Min,
    threshold: Threshold::Above { value: 0.99 },
    premises: PREMISES,
    needs_exponential_tail: true,
};

/// The end point is close to a KKT point: small residual.
pub const KKT_RESIDUAL: ClaimSpec = ClaimSpec {
    id: "kkt-residual",
    statement: "θ, rescaled to minimum margin 1, is close to a KKT point of min ‖θ‖² s.t. y_i f(x_i; θ) ≥ 1: for the non-negative least-squares multipliers λ, ‖θ − Σ_i λ_i ∇q_i‖ ends below 0.1·‖θ‖ (the limit direction is a KKT point; the residual falls slowly, like the margin).",
    source: Source::Neighbour(lyu_li!(
        "convergence to a KKT point of the margin maximization problem"
    )),
    quantity: Quantity::Last(Metric::KktResidual),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.1 },
    premises: PREMISES,
    needs_exponential_tail: true,
};

/// The multipliers sit on the examples at the minimum margin.
pub const KKT_SLACK: ClaimSpec = ClaimSpec {
    id: "kkt-complementary",
    statement: "The same multipliers sit on the examples at the minimum margin (complementary slackness): Σ_i λ_i (q̂_i − 1) ends below 0.05·Σ_i λ_i q̂_i, with q̂ the margins over their minimum.",
    source: Source::Neighbour(lyu_li!(
        "convergence to a KKT point of the margin maximization problem"
    )),
    quantity: Quantity::Last(Metric::KktSlack),
    over: Over::Run,
    reduce: Reduce::Max,
    threshold: Threshold::Below { value: 0.05 },
    premises: PREMISES,
    needs_exponential_tail: true,
};

/// The claims judged on every run of the experiment, in order.
pub const CLAIMS: &[&ClaimSpec] = &[
    &MARGIN_MONOTONE,
    &DIRECTION_CONVERGES,
    &GRADIENT_ALIGNS,
    &KKT_RESIDUAL,
    &KKT_SLACK,
];
