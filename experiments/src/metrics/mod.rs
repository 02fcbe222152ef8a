//! The metrics logged during a run (THEORY.md, "Metrics"): the spectrum of each layer, the
//! alignment of adjacent layers, the drift of the conserved quantities, stably-active units and
//! activation-pattern changes, the normalized margin, and sign flips.
//!
//! All of it works on f64 views of the weights ([out, in]) and costs a few matrix products or one
//! small SVD per layer, so computing it on a log-spaced schedule never dominates a run.

mod activity;
mod flips;
mod invariance;
mod margin;
mod spectrum;

pub use activity::{ActivityChange, ActivityTracker};
pub use flips::sign_flips;
pub use invariance::{InvarianceBaseline, PairDrift};
pub use margin::normalized_margin;
pub use spectrum::{Spectrum, TOP, alignment, spectrum};
