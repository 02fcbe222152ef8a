//! The conserved quantities of THEORY.md §5 and how far gradient descent lets them drift.
//!
//! For consecutive layers W_k [h, ·] and W_{k+1} [·, h] sharing h hidden units,
//! Δ = W_{k+1}ᵀW_{k+1} − W_kW_kᵀ (h×h). Gradient flow conserves
//! * Δ's diagonal: per neuron, outgoing minus incoming squared weights (Lemma 2, any homogeneous
//!   activation);
//! * its trace: ‖W_{k+1}‖_F² − ‖W_k‖_F² (Lemma 3);
//! * all of Δ for a linear layer k, and for a ReLU layer only the block of neurons active on every
//!   training example (Theorem 1; the full matrix is not conserved, Lemma 4).
//!
//! Gradient descent conserves them up to O(step²) per step. Drifts are reported relative to the
//! current scale ‖W_k‖_F², so that growth of the weights alone does not read as drift.

use kernels::{MatMut, MatRef, gemm};

use super::spectrum::frobenius_sq;

/// Conserved quantities of THEORY.md §5, captured at step 0 and compared later.
#[derive(Clone, Debug)]
pub struct InvarianceBaseline {
    pairs: Vec<PairBaseline>,
}

/// Δ(0) of one pair of layers.
#[derive(Clone, Debug)]
struct PairBaseline {
    lower: usize,
    upper: usize,
    hidden: usize,
    /// Δ(0), h×h row-major.
    delta: Vec<f64>,
}

/// The drift of every conserved quantity of one pair of layers since the baseline, each relative
/// to ‖W_lower‖_F² at the time of measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct PairDrift {
    /// Index of the lower layer k.
    pub lower: usize,
    /// Index of the upper layer k+1.
    pub upper: usize,
    /// ‖Δ(t) − Δ(0)‖_F / ‖W_k‖_F².
    pub full: f64,
    /// The same for the diagonal of Δ only.
    pub diagonal: f64,
    /// The same for the off-diagonal part of Δ only.
    pub off_diagonal: f64,
    /// The same for the block of Δ on the stably-active neurons (all neurons when no mask).
    pub active_block: f64,
    /// How many neurons the active block holds.
    pub active_count: usize,
    /// max over neurons j of |Δ_jj(t) − Δ_jj(0)| / ‖W_k‖_F²: the worst per-neuron drift.
    pub per_neuron: f64,
    /// |trace Δ(t) − trace Δ(0)| / ‖W_k‖_F²: drift of ‖W_{k+1}‖_F² − ‖W_k‖_F².
    pub per_layer: f64,
}

impl InvarianceBaseline {
    /// weights: every layer's matrix \[out,in\] in forward order; pairs: adjacent (k, k+1) indices.
    ///
    /// Panics (naming both shapes) if a pair's lower output size differs from its upper input
    /// size, or names a layer that does not exist: both are programmer errors.
    pub fn capture(weights: &[MatRef<'_, f64>], pairs: &[(usize, usize)]) -> Self {
        let pairs = pairs
            .iter()
            .map(|&(lower, upper)| {
                check_pair(weights, lower, upper);
                PairBaseline {
                    lower,
                    upper,
                    hidden: weights[lower].rows(),
                    delta: delta(weights[lower], weights[upper]),
                }
            })
            .collect();
        Self { pairs }
    }

    /// Drifts relative to scale, per pair: ‖Δ(t) − Δ(0)‖_F / ‖W_k‖_F² for Δ = W_{k+1}ᵀW_{k+1} − W_kW_kᵀ,
    /// its diagonal, its off-diagonal part, and its block restricted to `active[k]` neurons (hidden units
    /// at the output of layer k that are stably active; None = all); plus per-neuron and per-layer drifts.
    ///
    /// `active` is indexed by layer; a missing entry counts as None. When ‖W_k‖_F is zero the
    /// drifts are absolute (divided by the smallest positive f64 instead, so any drift shows).
    /// Panics if the shapes differ from the captured ones or a mask has the wrong length.
    pub fn drift(
        &self,
        weights: &[MatRef<'_, f64>],
        active: &[Option<Vec<bool>>],
    ) -> Vec<PairDrift> {
        self.pairs
            .iter()
            .map(|base| {
                check_pair(weights, base.lower, base.upper);
                let h = base.hidden;
                assert_eq!(
                    weights[base.lower].rows(),
                    h,
                    "InvarianceBaseline::drift: layer {} has {} outputs now but {h} at capture",
                    base.lower,
                    weights[base.lower].rows()
                );
                let mask = active.get(base.lower).and_then(Option::as_ref);
                if let Some(mask) = mask {
                    assert_eq!(
                        mask.len(),
                        h,
                        "InvarianceBaseline::drift: the activity mask of layer {} has {} entries \
                         but the layer has {h} outputs",
                        base.lower,
                        mask.len()
                    );
                }
                let mut change = delta(weights[base.lower], weights[base.upper]);
                change
                    .iter_mut()
                    .zip(&base.delta)
                    .for_each(|(now, then)| *now -= then);
                let scale = frobenius_sq(weights[base.lower]).max(f64::MIN_POSITIVE);
                let in_block = |j: usize| mask.is_none_or(|m| m[j]);
                let (mut diagonal, mut off_diagonal, mut block, mut worst, mut trace) =
                    (0.0, 0.0, 0.0, 0.0f64, 0.0);
                for i in 0..h {
                    for j in 0..h {
                        let d = change[i * h + j];
                        if i == j {
                            diagonal += d * d;
                            worst = worst.max(d.abs());
                            trace += d;
                        } else {
                            off_diagonal += d * d;
                        }
                        if in_block(i) && in_block(j) {
                            block += d * d;
                        }
                    }
                }
                PairDrift {
                    lower: base.lower,
                    upper: base.upper,
                    full: (diagonal + off_diagonal).sqrt() / scale,
                    diagonal: diagonal.sqrt() / scale,
                    off_diagonal: off_diagonal.sqrt() / scale,
                    active_block: block.sqrt() / scale,
                    active_count: (0..h).filter(|&j| in_block(j)).count(),
                    per_neuron: worst / scale,
                    per_layer: trace.abs() / scale,
                }
            })
            .collect()
    }
}

/// Checks that layers `lower` and `upper` exist and share their hidden units.
fn check_pair(weights: &[MatRef<'_, f64>], lower: usize, upper: usize) {
    assert!(
        lower < weights.len() && upper < weights.len(),
        "invariance pair ({lower}, {upper}) names a layer beyond the {} given",
        weights.len()
    );
    let (a, b) = (weights[lower], weights[upper]);
    assert_eq!(
        a.rows(),
        b.cols(),
        "invariance pair ({lower}, {upper}): layer {lower} is {}×{} but layer {upper} is {}×{}; \
         the lower layer's outputs must be the upper layer's inputs",
        a.rows(),
        a.cols(),
        b.rows(),
        b.cols()
    );
}

/// Δ = W_upperᵀW_upper − W_lowerW_lowerᵀ, h×h row-major.
fn delta(lower: MatRef<'_, f64>, upper: MatRef<'_, f64>) -> Vec<f64> {
    let h = lower.rows();
    let mut out = vec![0.0; h * h];
    let mut view = MatMut::from_row_major(&mut out, h, h).expect("an h×h buffer holds h·h values");
    gemm(1.0, upper.t(), upper, 0.0, view.rb_mut());
    gemm(-1.0, lower, lower.t(), 1.0, view);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row-major view of `data` with `rows` rows.
    fn view(data: &[f64], rows: usize) -> MatRef<'_, f64> {
        MatRef::from_row_major(data, rows, data.len() / rows).unwrap()
    }

    #[test]
    fn unchanged_weights_have_zero_drift() {
        let w1 = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6];
        let w2 = [0.7, -0.1];
        let weights = [view(&w1, 2), view(&w2, 1)];
        let base = InvarianceBaseline::capture(&weights, &[(0, 1)]);
        let drift = base.drift(&weights, &[Some(vec![true, false])]);
        let d = &drift[0];
        assert_eq!((d.lower, d.upper, d.active_count), (0, 1, 1));
        assert_eq!(
            [
                d.full,
                d.diagonal,
                d.off_diagonal,
                d.active_block,
                d.per_neuron,
                d.per_layer
            ],
            [0.0; 6]
        );
    }

    #[test]
    fn known_perturbation_gives_hand_computed_drifts() {
        // W1 = I₂ (2×2), W2 = [1, 1]: Δ(0) = [[1,1],[1,1]] − I = [[0,1],[1,0]].
        // Perturb W2 to [2, 1]: W2ᵀW2 = [[4,2],[2,1]], Δ(t) = [[3,2],[2,0]],
        // Δ(t) − Δ(0) = [[3,1],[1,0]], ‖W1‖_F² = 2.
        let w1 = [1.0, 0.0, 0.0, 1.0];
        let before = [1.0, 1.0];
        let after = [2.0, 1.0];
        let base = InvarianceBaseline::capture(&[view(&w1, 2), view(&before, 1)], &[(0, 1)]);
        let d = &base.drift(&[view(&w1, 2), view(&after, 1)], &[None, None])[0];
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(d.full, 11f64.sqrt() / 2.0), "full {}", d.full);
        assert!(close(d.diagonal, 3.0 / 2.0));
        assert!(close(d.off_diagonal, 2f64.sqrt() / 2.0));
        assert!(close(d.active_block, d.full) && d.active_count == 2);
        assert!(close(d.per_neuron, 3.0 / 2.0));
        assert!(close(d.per_layer, 3.0 / 2.0));
        // Only neuron 1 stably active: the block is the single entry 0.
        let masked = &base.drift(&[view(&w1, 2), view(&after, 1)], &[Some(vec![false, true])])[0];
        assert_eq!((masked.active_block, masked.active_count), (0.0, 1));
    }

    #[test]
    fn turning_incoming_weights_keeps_the_diagonal_but_moves_the_off_diagonal() {
        // W1 = I₂, W2 = [1, 1]. Turning neuron 0's incoming row from (1, 0) to (1, 1)/√2 keeps
        // every row norm (the diagonal of W1W1ᵀ, hence the per-neuron and per-layer quantities) but
        // makes the rows overlap: (W1W1ᵀ)_01 goes from 0 to 1/√2.
        let w1 = [1.0, 0.0, 0.0, 1.0];
        let w2 = [1.0, 1.0];
        let base = InvarianceBaseline::capture(&[view(&w1, 2), view(&w2, 1)], &[(0, 1)]);
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let turned = [s, s, 0.0, 1.0];
        let d = &base.drift(&[view(&turned, 2), view(&w2, 1)], &[])[0];
        assert!(d.diagonal < 1e-15 && d.per_neuron < 1e-15 && d.per_layer < 1e-15);
        // W1W1ᵀ off-diagonal went from 0 to s, so Δ's off-diagonal moved by −s twice.
        assert!((d.off_diagonal - (2.0 * s * s).sqrt() / 2.0).abs() < 1e-12);
    }

    #[test]
    #[should_panic(expected = "layer 0 is 2×2 but layer 1 is 1×3")]
    fn mismatched_pairs_name_both_shapes() {
        let w1 = [1.0; 4];
        let w2 = [1.0; 3];
        InvarianceBaseline::capture(&[view(&w1, 2), view(&w2, 1)], &[(0, 1)]);
    }
}
