//! Hidden states written by two matrices at once: the state σ(U·σ(Y·h) + Z·h) after a block
//! with a learned skip (the paper's ResNetFree block), between it and whatever reads it.
//!
//! Gradient flow conserves the invariances of [`super::invariance`] across such a state when the
//! matrices that write it are taken together and so are those that read it. Write z = U·a + Z·h
//! for the pre-activation (a = σ(Y·h)), s = σ(z) = D·z for the state (D = diag σ′(z), σ positively
//! homogeneous) and δ for the gradient of the loss with respect to s. Then
//! d/dt (UUᵀ + ZZᵀ) = −Σ_examples (D·δ·zᵀ + z·δᵀ·D), since U·a + Z·h = z, and
//! d/dt Σ_c W_cᵀW_c = −Σ_examples (D·z·δᵀ + δ·zᵀ·D) over the matrices W_c that read s, since
//! Σ_c W_cᵀ·(their output gradients) = δ. So Δ = Σ_c W_cᵀW_c − (UUᵀ + ZZᵀ) has a conserved
//! diagonal (every unit) and a conserved block on the units active on every example (D = 1
//! there), exactly as a pair of consecutive layers does. The stacked matrices
//! A = [U Z] (AAᵀ = UUᵀ + ZZᵀ) and B = [W_c₁; W_c₂; …] (BᵀB = Σ_c W_cᵀW_c) make it one pair, so
//! the drifts are those of [`super::InvarianceBaseline`] on (A, B).
//!
//! An identity skip gives no such invariance: the state then also takes h through a weight that
//! training does not move, and U·a alone is not z.

use kernels::MatRef;
use models::LayerKind;

/// One state written by a learned-skip block and the matrices that read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JointState {
    /// The block's U and Z, in that order.
    pub writers: [usize; 2],
    /// Every layer reading the state (the next block's Y and Z, or the layer after), sorted.
    pub readers: Vec<usize>,
}

impl JointState {
    /// The entity name in `metrics.csv`: `u+z>reader+reader…` by checkpoint names.
    pub fn name(&self, names: &[String]) -> String {
        let join = |ks: &[usize]| {
            ks.iter()
                .map(|&k| names[k].as_str())
                .collect::<Vec<_>>()
                .join("+")
        };
        format!("{}>{}", join(&self.writers), join(&self.readers))
    }

    /// A = [U Z], h × (in_U + in_Z), row-major in f64.
    pub fn writers_stacked(&self, weights: &[MatRef<'_, f64>]) -> (Vec<f64>, usize, usize) {
        let [u, z] = self.writers.map(|k| weights[k]);
        let (h, cols) = (u.rows(), u.cols() + z.cols());
        let data = (0..h)
            .flat_map(|i| {
                (0..u.cols())
                    .map(move |j| u.get(i, j))
                    .chain((0..z.cols()).map(move |j| z.get(i, j)))
            })
            .collect();
        (data, h, cols)
    }

    /// B = [W_c₁; W_c₂; …], (Σ out_c) × h, row-major in f64.
    pub fn readers_stacked(&self, weights: &[MatRef<'_, f64>]) -> (Vec<f64>, usize, usize) {
        let h = weights[self.readers[0]].cols();
        let rows = self.readers.iter().map(|&k| weights[k].rows()).sum();
        let data = self
            .readers
            .iter()
            .flat_map(|&k| {
                let w = weights[k];
                (0..w.rows()).flat_map(move |i| (0..w.cols()).map(move |j| w.get(i, j)))
            })
            .collect();
        (data, rows, h)
    }
}

/// The states written by learned-skip blocks of a network with layers of `kinds` and adjacent
/// `pairs` (as `models::layers::layer_list` gives them), in block order: those read only by
/// trained matrices (a fully-connected layer, the output row, the next learned-skip block). A
/// state that an identity-skip block reads is also carried on by its fixed identity, so it has
/// no joint invariance and is left out.
pub fn joint_states(kinds: &[LayerKind], pairs: &[(usize, usize)]) -> Vec<JointState> {
    let mut states = Vec::new();
    for (z, &kind) in kinds.iter().enumerate() {
        let LayerKind::BlockZ { block } = kind else {
            continue;
        };
        let Some(u) = kinds.iter().position(|&k| k == LayerKind::BlockU { block }) else {
            continue;
        };
        let readers: Vec<usize> = pairs
            .iter()
            .filter(|&&(lower, _)| lower == u)
            .map(|&(_, upper)| upper)
            .collect();
        // A block with an identity skip after this one also passes the state on through a weight
        // that is not trained, so the trained readers do not carry all of its gradient.
        let learned = |b: usize| kinds.contains(&LayerKind::BlockZ { block: b });
        let passed_on = readers
            .iter()
            .any(|&r| matches!(kinds[r], LayerKind::BlockY { block: b } if !learned(b)));
        if !readers.is_empty() && !passed_on {
            states.push(JointState {
                writers: [u, z],
                readers,
            });
        }
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learned_skip_block_writes_one_state_read_by_the_next_block_and_no_identity_skip_does() {
        let names_of = |arch: &str| {
            let (layers, pairs) = models::layers::layer_list(&arch.parse().unwrap());
            let kinds: Vec<LayerKind> = layers.iter().map(|l| l.kind).collect();
            let names: Vec<String> = layers.iter().map(|l| l.name.clone()).collect();
            let states = joint_states(&kinds, &pairs);
            states.iter().map(|s| s.name(&names)).collect::<Vec<_>>()
        };
        // The second block's state goes on through the identity skips after it: left out.
        assert_eq!(
            names_of("4,relu:3,resz(relu),resz(relu),resid(relu),res(relu),1"),
            ["blocks.0.u.weight+blocks.0.z.weight>blocks.1.y.weight+blocks.1.z.weight"]
        );
        assert_eq!(
            names_of("4,relu:3,resz(relu),linear:2,1"),
            ["blocks.0.u.weight+blocks.0.z.weight>layers.1.weight"]
        );
        assert!(names_of("4,relu:3,resid(relu),res(relu),1").is_empty());
        assert!(names_of("4,relu:3,1").is_empty());
    }

    #[test]
    fn the_stacks_hold_the_writers_side_by_side_and_the_readers_one_above_the_other() {
        // Layers: U 2×2, Z 2×3, reader 1×2, reader 2×2.
        let (u, z, r1, r2) = (
            [1.0, 2.0, 3.0, 4.0],
            [5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
            [11.0, 12.0],
            [13.0, 14.0, 15.0, 16.0],
        );
        let weights = [
            MatRef::from_row_major(&u, 2, 2).unwrap(),
            MatRef::from_row_major(&z, 2, 3).unwrap(),
            MatRef::from_row_major(&r1, 1, 2).unwrap(),
            MatRef::from_row_major(&r2, 2, 2).unwrap(),
        ];
        let state = JointState {
            writers: [0, 1],
            readers: vec![2, 3],
        };
        assert_eq!(
            state.writers_stacked(&weights),
            (
                vec![1.0, 2.0, 5.0, 6.0, 7.0, 3.0, 4.0, 8.0, 9.0, 10.0],
                2,
                5
            )
        );
        assert_eq!(
            state.readers_stacked(&weights),
            (vec![11.0, 12.0, 13.0, 14.0, 15.0, 16.0], 3, 2)
        );
    }
}
