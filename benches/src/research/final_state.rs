//! Where a run ended: what shows that ours and the peer did the same work.

use serde::{Deserialize, Serialize};

/// The last logged values of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FinalState {
    /// The mean logistic loss R at the final weights.
    pub loss: Option<f64>,
    /// The fraction of examples with a positive margin.
    pub accuracy: Option<f64>,
    /// r = σ₁/‖W‖_F of every layer, in forward order.
    pub r: Vec<f64>,
}
