//! The metrics a run logs, one typed value per name in the `metric` column of `metrics.csv`.

use std::fmt;

/// One logged quantity. The recorder writes them, claims and plots read them back by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Mean training loss R (may underflow to 0; see [`Metric::LogLoss`]).
    Loss,
    /// ln R, computed in the log domain (finite far below 1e-300).
    LogLoss,
    /// Fraction of training examples with a positive margin.
    Accuracy,
    /// min_i y_i f(x_i).
    MinMargin,
    /// min_i y_i f(x_i) / Π_k ‖W_k‖_F.
    NormalizedMargin,
    /// Training examples on which the network outputs exactly 0: every unit of some layer is
    /// inactive there, so no gradient reaches them and training can never fit them.
    DeadExamples,
    /// The step size the optimizer used at this step.
    Lr,
    /// The gradient norm the optimizer saw at this step.
    GradNorm,
    /// Largest singular value σ₁ of a layer.
    Sigma1,
    /// Frobenius norm ‖W‖_F of a layer.
    Frobenius,
    /// r = σ₁ / ‖W‖_F (1 exactly for a rank-one matrix).
    Ratio,
    /// Stable rank ‖W‖_F² / σ₁².
    StableRank,
    /// ‖W‖_F² − σ₁², the mass off the top direction: the rate bound says it stays bounded.
    RankOneGap,
    /// Second singular value of a layer.
    Sigma2,
    /// Third singular value of a layer.
    Sigma3,
    /// Fourth singular value of a layer.
    Sigma4,
    /// Fifth singular value of a layer.
    Sigma5,
    /// Weights whose sign changed since the previous log.
    SignFlips,
    /// Activation-pattern changes (unit, example) since the previous log.
    PatternChanges,
    /// |⟨v₁ of the upper layer, u₁ of the lower layer⟩|.
    Alignment,
    /// ‖Δ(t) − Δ(0)‖_F / (‖W_k‖_F² + ‖W_k+1‖_F²) for Δ = W_{k+1}ᵀW_{k+1} − W_kW_kᵀ.
    DriftFull,
    /// The same on the diagonal of Δ.
    DriftDiagonal,
    /// The same off the diagonal of Δ.
    DriftOffDiagonal,
    /// The same on the block of stably-active neurons.
    DriftActive,
    /// How many neurons are in the stably-active block.
    ActiveCount,
    /// Largest drift of a per-neuron conserved quantity (incoming² − outgoing²), each relative to
    /// that neuron's own incoming² + outgoing².
    DriftNeuron,
    /// Drift of the per-layer conserved quantity ‖W_k‖_F² − ‖W_k+1‖_F², relative to
    /// ‖W_k‖_F² + ‖W_k+1‖_F².
    DriftLayer,
    /// The degree L of positive homogeneity of the network in its trained parameters (0: not
    /// homogeneous), the premise of the direction family's margin results.
    HomogeneityDegree,
    /// Lyu & Li's smoothed normalized margin ℓ⁻¹(Σ_i ℓ(q_i)) / ‖θ‖^L.
    SmoothedMargin,
    /// ‖θ/‖θ‖ − θ′/‖θ′‖‖ since the previous log's trained parameters θ′.
    DirectionChange,
    /// cos(θ, −∇R) over the trained parameters.
    GradAlignment,
    /// ‖θ − Σ_i λ_i ∇q_i‖ / ‖θ‖ for the non-negative least-squares λ: distance from a KKT point
    /// of the margin problem.
    KktResidual,
    /// Σ_i λ_i (q̂_i − 1) / Σ_i λ_i q̂_i (q̂ = q / min q): the multipliers' share off the margin.
    KktSlack,
    /// Effective rank exp(−Σ p_i ln p_i), p_i = σ_i / Σ_j σ_j, of a matrix (Roy & Vetterli 2007).
    EffectiveRank,
    /// ‖P_Ωᶜ(W − M)‖_F / ‖P_Ωᶜ(M)‖_F: the relative error of a completion on the entries it did
    /// not see.
    UnobservedError,
    /// ‖P_Ω(W − M)‖_F / ‖P_Ω(M)‖_F: the relative error of a completion on the entries it saw.
    ObservedError,
}

impl Metric {
    /// Every metric, in declaration order.
    pub const ALL: [Metric; 36] = [
        Metric::Loss,
        Metric::LogLoss,
        Metric::Accuracy,
        Metric::MinMargin,
        Metric::NormalizedMargin,
        Metric::DeadExamples,
        Metric::Lr,
        Metric::GradNorm,
        Metric::Sigma1,
        Metric::Frobenius,
        Metric::Ratio,
        Metric::StableRank,
        Metric::RankOneGap,
        Metric::Sigma2,
        Metric::Sigma3,
        Metric::Sigma4,
        Metric::Sigma5,
        Metric::SignFlips,
        Metric::PatternChanges,
        Metric::Alignment,
        Metric::DriftFull,
        Metric::DriftDiagonal,
        Metric::DriftOffDiagonal,
        Metric::DriftActive,
        Metric::ActiveCount,
        Metric::DriftNeuron,
        Metric::DriftLayer,
        Metric::HomogeneityDegree,
        Metric::SmoothedMargin,
        Metric::DirectionChange,
        Metric::GradAlignment,
        Metric::KktResidual,
        Metric::KktSlack,
        Metric::EffectiveRank,
        Metric::UnobservedError,
        Metric::ObservedError,
    ];

    /// The metrics of the direction family ([`crate::metrics::Family::Direction`]), logged only
    /// when it is computed.
    pub const DIRECTION: [Metric; 6] = [
        Metric::HomogeneityDegree,
        Metric::SmoothedMargin,
        Metric::DirectionChange,
        Metric::GradAlignment,
        Metric::KktResidual,
        Metric::KktSlack,
    ];

    /// The metrics of a matrix completion ([`crate::suite::factorization`]), which no network
    /// run logs.
    pub const COMPLETION: [Metric; 3] = [
        Metric::EffectiveRank,
        Metric::UnobservedError,
        Metric::ObservedError,
    ];

    /// The metric written as `name` in the `metric` column.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// σ₂ … σ₅, in order.
    pub const TOP_SIGMAS: [Metric; 4] = [
        Metric::Sigma2,
        Metric::Sigma3,
        Metric::Sigma4,
        Metric::Sigma5,
    ];

    /// The name written in the `metric` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::LogLoss => "log_loss",
            Metric::Accuracy => "accuracy",
            Metric::MinMargin => "min_margin",
            Metric::NormalizedMargin => "normalized_margin",
            Metric::DeadExamples => "dead_examples",
            Metric::Lr => "lr",
            Metric::GradNorm => "grad_norm",
            Metric::Sigma1 => "sigma1",
            Metric::Frobenius => "frobenius",
            Metric::Ratio => "r",
            Metric::StableRank => "stable_rank",
            Metric::RankOneGap => "rank_one_gap",
            Metric::Sigma2 => "sigma2",
            Metric::Sigma3 => "sigma3",
            Metric::Sigma4 => "sigma4",
            Metric::Sigma5 => "sigma5",
            Metric::SignFlips => "sign_flips",
            Metric::PatternChanges => "pattern_changes",
            Metric::Alignment => "alignment",
            Metric::DriftFull => "drift_full",
            Metric::DriftDiagonal => "drift_diagonal",
            Metric::DriftOffDiagonal => "drift_off_diagonal",
            Metric::DriftActive => "drift_active",
            Metric::ActiveCount => "active_count",
            Metric::DriftNeuron => "drift_neuron",
            Metric::DriftLayer => "drift_layer",
            Metric::HomogeneityDegree => "homogeneity_degree",
            Metric::SmoothedMargin => "smoothed_margin",
            Metric::DirectionChange => "direction_change",
            Metric::GradAlignment => "grad_alignment",
            Metric::KktResidual => "kkt_residual",
            Metric::KktSlack => "kkt_slack",
            Metric::EffectiveRank => "effective_rank",
            Metric::UnobservedError => "unobserved_error",
            Metric::ObservedError => "observed_error",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_distinct_and_reads_back() {
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(Metric::from_name(m.as_str()), Some(m));
            assert_eq!(m as usize, i, "ALL is in declaration order");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(Metric::from_name("R"), None);
    }
}
