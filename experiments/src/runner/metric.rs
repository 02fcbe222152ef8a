//! The names of the metrics in `metrics.csv` (the `metric` column).

/// Mean training loss R (may underflow to 0; see [`LOG_LOSS`]).
pub const LOSS: &str = "loss";
/// ln R, computed in the log domain (finite far below 1e-300).
pub const LOG_LOSS: &str = "log_loss";
/// Fraction of training examples with a positive margin.
pub const ACCURACY: &str = "accuracy";
/// min_i y_i f(x_i).
pub const MIN_MARGIN: &str = "min_margin";
/// min_i y_i f(x_i) / Π_k ‖W_k‖_F.
pub const NORMALIZED_MARGIN: &str = "normalized_margin";
/// The step size the optimizer used at this step.
pub const LR: &str = "lr";
/// The gradient norm the optimizer saw at this step.
pub const GRAD_NORM: &str = "grad_norm";
/// Largest singular value σ₁ of a layer.
pub const SIGMA1: &str = "sigma1";
/// Frobenius norm ‖W‖_F of a layer.
pub const FROBENIUS: &str = "frobenius";
/// r = σ₁ / ‖W‖_F (1 exactly for a rank-one matrix).
pub const RATIO: &str = "r";
/// Stable rank ‖W‖_F² / σ₁².
pub const STABLE_RANK: &str = "stable_rank";
/// σ₂ … σ₅ of a layer (as many as it has).
pub const TOP_SIGMAS: [&str; 4] = ["sigma2", "sigma3", "sigma4", "sigma5"];
/// Weights whose sign changed since the previous log.
pub const SIGN_FLIPS: &str = "sign_flips";
/// Activation-pattern changes (unit, example) since the previous log.
pub const PATTERN_CHANGES: &str = "pattern_changes";
/// |⟨v₁ of the upper layer, u₁ of the lower layer⟩|.
pub const ALIGNMENT: &str = "alignment";
/// ‖Δ(t) − Δ(0)‖_F / ‖W_k‖_F² for Δ = W_{k+1}ᵀW_{k+1} − W_kW_kᵀ.
pub const DRIFT_FULL: &str = "drift_full";
/// The same on the diagonal of Δ.
pub const DRIFT_DIAGONAL: &str = "drift_diagonal";
/// The same off the diagonal of Δ.
pub const DRIFT_OFF_DIAGONAL: &str = "drift_off_diagonal";
/// The same on the block of stably-active neurons.
pub const DRIFT_ACTIVE: &str = "drift_active";
/// How many neurons are in the stably-active block.
pub const ACTIVE_COUNT: &str = "active_count";
/// Largest relative drift of a per-neuron conserved quantity (incoming² − outgoing²).
pub const DRIFT_NEURON: &str = "drift_neuron";
/// Relative drift of the per-layer conserved quantity ‖W_k‖_F² − ‖W_{k+1}‖_F².
pub const DRIFT_LAYER: &str = "drift_layer";
