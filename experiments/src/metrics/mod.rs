//! The metrics logged during a run (THEORY.md, "Metrics"): the spectrum of each layer, the
//! alignment of adjacent layers, the drift of the conserved quantities, stably-active units and
//! activation-pattern changes, the normalized margin, and sign flips. Each is a [`Metric`]; the
//! [`Recorder`] computes the families a [`MetricSet`] selects at each logged step into a
//! [`log::MetricsLog`].
//!
//! All of it is computed in f64 from views of the weights ([out, in]). What each costs per log, for
//! a layer [out, in] (h units between a pair), n examples:
//! * spectrum: a few hundred matrix–vector products (`kernels::linalg::top_svd`), O(out·in)
//!   memory beyond the matrix for its Krylov bases of at most 32 vectors;
//! * alignment: a dot product of the spectra's vectors;
//! * invariance: 2·h²·(in + out) multiply–adds per pair in blocks of at most
//!   [`BLOCK_ENTRIES`] entries, plus the step-0 weights kept: O(parameters) memory;
//! * activity: one bit per (example, unit) of each nonlinear layer, O(n × width);
//! * margins and sign flips: O(n + parameters);
//! * full spectra (only when named): a Jacobi SVD of each layer, O(min(out, in)² · max(out, in))
//!   per sweep and 4 · out · in f64 of workspace;
//! * direction (only when named): one forward and backward pass per example, an n × parameters
//!   Jacobian and a non-negative least squares over its n columns.

mod activity;
mod direction;
mod effective_rank;
mod flips;
mod full_spectrum;
mod invariance;
mod joint;
pub mod log;
mod loss;
mod margin;
mod metric;
mod recorder;
mod selection;
mod spectrum;

pub use activity::{ActivityChange, ActivityTracker};
pub use direction::{
    Kkt, direction_change, gradient_alignment, kkt, margin_gradients, smoothed_margin,
    trained_params,
};
pub use effective_rank::effective_rank;
pub use flips::sign_flips;
pub use full_spectrum::{LayerSpectrum, SpectraLog, singular_values};
pub use invariance::{BLOCK_ENTRIES, InvarianceBaseline, PairDrift};
pub use joint::{JointState, joint_states};
pub use loss::{log_loss_term, log_mean_loss};
pub use margin::normalized_margin;
pub use metric::Metric;
pub use recorder::Recorder;
pub use selection::{Family, MetricSet};
pub use spectrum::{Spectrum, TOP, alignment, spectrum};
