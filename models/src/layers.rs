//! The inspectable layer list of a network: every weight matrix in forward order, with its name,
//! shape, role and the activation that follows it, plus which matrices feed which.
//!
//! The experiments compute metrics per layer and per adjacent pair from this list alone, without
//! knowing how any architecture is wired.

use crate::arch::{Activation, Arch, LayerSpec, Marks, Skip};

/// The role of one weight matrix in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// A hidden fully-connected layer; `index` is k in its name `layers.{k}.weight`.
    Dense {
        /// Position among the fully-connected layers (the output layer comes last).
        index: usize,
    },
    /// The inner matrix Y of residual block `block` (h ↦ Y·h).
    BlockY {
        /// Position among the residual blocks.
        block: usize,
    },
    /// The outer matrix U of residual block `block` (σ(Y·h) ↦ U·σ(Y·h)).
    BlockU {
        /// Position among the residual blocks.
        block: usize,
    },
    /// The learned skip matrix Z of residual block `block`.
    BlockZ {
        /// Position among the residual blocks.
        block: usize,
    },
    /// The final linear layer producing the network's output.
    Output,
}

/// One weight matrix of the network, in the order the forward pass applies them.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerInfo {
    /// Tensor name in checkpoints: `layers.{k}.weight` or `blocks.{j}.{y,u,z}.weight`.
    pub name: String,
    /// [out_features, in_features], the PyTorch `nn.Linear` convention.
    pub shape: [usize; 2],
    /// What the matrix does in the network.
    pub kind: LayerKind,
    /// The activation applied right after this matrix's product (Linear for the output layer and
    /// for U in a pre-activation block, whose product is added to the skip unchanged).
    pub activation: Activation,
    /// The markers of the architecture's entry the matrix belongs to: how it starts and whether
    /// it is trained.
    pub marks: Marks,
}

impl LayerInfo {
    /// True if nothing nonlinear follows this matrix's product.
    pub fn is_linear(&self) -> bool {
        self.activation.is_linear()
    }
}

/// The layer list and adjacency of an architecture (which must be valid): what a network of it
/// holds, known before anything is allocated (the experiments size a run from it).
pub fn layer_list(arch: &Arch) -> (Vec<LayerInfo>, Vec<(usize, usize)>) {
    let mut layers = Vec::new();
    let mut pairs = Vec::new();
    // The layers whose outputs make up the current hidden state h (none: h is the input).
    let mut producers: Vec<usize> = Vec::new();
    let mut width = arch.input;
    let mut dense = 0;
    let mut blocks = 0;
    let mut push = |layers: &mut Vec<LayerInfo>, info: LayerInfo, inputs: &[usize]| {
        let k = layers.len();
        pairs.extend(inputs.iter().map(|&p| (p, k)));
        layers.push(info);
        k
    };
    for (entry, spec) in arch.layers.iter().enumerate() {
        let marks = arch.marks_of(entry);
        match *spec {
            LayerSpec::Dense {
                width: w,
                activation,
                ..
            } => {
                let info = LayerInfo {
                    name: format!("layers.{dense}.weight"),
                    shape: [w, width],
                    kind: LayerKind::Dense { index: dense },
                    activation,
                    marks,
                };
                let k = push(&mut layers, info, &producers);
                producers = vec![k];
                dense += 1;
                width = w;
            }
            LayerSpec::Block { activation, skip } => {
                let j = blocks;
                let matrix = |name: &str, kind, activation| LayerInfo {
                    name: format!("blocks.{j}.{name}.weight"),
                    shape: [width, width],
                    kind,
                    activation,
                    marks,
                };
                let y = push(
                    &mut layers,
                    matrix("y", LayerKind::BlockY { block: j }, activation),
                    &producers,
                );
                let after_u = match skip {
                    Skip::PreActivation => Activation::Linear,
                    Skip::ResNetIdentity | Skip::Learned => activation,
                };
                let u = push(
                    &mut layers,
                    matrix("u", LayerKind::BlockU { block: j }, after_u),
                    &[y],
                );
                match skip {
                    // h + U·σ(Y·h) and σ(U·σ(Y·h) + h): the new state is made of the old
                    // one and U's output.
                    Skip::PreActivation | Skip::ResNetIdentity => producers.push(u),
                    Skip::Learned => {
                        let z = push(
                            &mut layers,
                            matrix("z", LayerKind::BlockZ { block: j }, activation),
                            &producers,
                        );
                        producers = vec![u, z];
                    }
                }
                blocks += 1;
            }
        }
    }
    let out = LayerInfo {
        name: format!("layers.{dense}.weight"),
        shape: [arch.output, width],
        kind: LayerKind::Output,
        activation: Activation::Linear,
        marks: arch.marks_of(arch.layers.len()),
    };
    push(&mut layers, out, &producers);
    pairs.sort_unstable();
    (layers, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> (Vec<LayerInfo>, Vec<(usize, usize)>) {
        layer_list(&s.parse().unwrap())
    }

    #[test]
    fn mlp_layers_are_a_chain() {
        let (layers, pairs) = list("20,relu:100,leaky(0.1):50,linear:30,1");
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "layers.0.weight",
                "layers.1.weight",
                "layers.2.weight",
                "layers.3.weight"
            ]
        );
        let shapes: Vec<[usize; 2]> = layers.iter().map(|l| l.shape).collect();
        assert_eq!(shapes, [[100, 20], [50, 100], [30, 50], [1, 30]]);
        let linear: Vec<bool> = layers.iter().map(LayerInfo::is_linear).collect();
        assert_eq!(linear, [false, false, true, true]);
        assert_eq!(layers[3].kind, LayerKind::Output);
        assert_eq!(layers[1].kind, LayerKind::Dense { index: 1 });
        assert_eq!(pairs, [(0, 1), (1, 2), (2, 3)]);
    }

    #[test]
    fn residual_layers_name_blocks_and_follow_the_wiring() {
        let (layers, pairs) = list("4,relu:6,res(relu),resz(leaky(0.2)),linear:3,1");
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "layers.0.weight",
                "blocks.0.y.weight",
                "blocks.0.u.weight",
                "blocks.1.y.weight",
                "blocks.1.u.weight",
                "blocks.1.z.weight",
                "layers.1.weight",
                "layers.2.weight",
            ]
        );
        assert!(layers[1..6].iter().all(|l| l.shape == [6, 6]));
        assert_eq!(layers[6].shape, [3, 6]);
        assert_eq!(layers[7].shape, [1, 3]);
        // Pre-activation U feeds the sum unchanged; learned-skip U and Z feed σ.
        assert!(layers[2].is_linear());
        assert_eq!(layers[4].activation, Activation::LeakyRelu(0.2));
        assert_eq!(layers[5].kind, LayerKind::BlockZ { block: 1 });
        // h0 = layers.0 feeds block 0's Y; block 0's state (layers.0 + U0) feeds block 1's Y and Z;
        // block 1's U and Z feed layers.1.
        assert_eq!(
            pairs,
            [
                (0, 1),
                (0, 3),
                (0, 5),
                (1, 2),
                (2, 3),
                (2, 5),
                (3, 4),
                (4, 6),
                (5, 6),
                (6, 7)
            ]
        );
    }

    #[test]
    fn a_resnet_identity_block_wires_like_an_identity_skip_with_sigma_after_u() {
        let (layers, pairs) = list("4,relu:6,resid(relu),linear:3,1");
        assert_eq!(layers[1].kind, LayerKind::BlockY { block: 0 });
        assert_eq!(layers[2].kind, LayerKind::BlockU { block: 0 });
        assert_eq!(layers[2].activation, Activation::Relu);
        // The state σ(U·σ(Y·h) + h) is made of h (layers.0) and U, which both feed layers.1.
        assert_eq!(pairs, [(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)]);
    }

    #[test]
    fn a_block_right_after_the_input_has_the_input_width() {
        let (layers, pairs) = list("5,res(relu),2");
        assert_eq!(layers[0].shape, [5, 5]);
        assert_eq!(layers[2].shape, [2, 5]);
        assert_eq!(pairs, [(0, 1), (1, 2)]);
    }

    #[test]
    fn every_matrix_of_an_entry_carries_its_markers() {
        let (layers, _) = list("4,relu:6!signs,resz(relu)!fixed,1!signs!fixed");
        let marks: Vec<(bool, bool)> = layers
            .iter()
            .map(|l| (l.marks.signs, l.marks.fixed))
            .collect();
        assert_eq!(
            marks,
            [
                (true, false),
                (false, true),
                (false, true),
                (false, true),
                (true, true)
            ]
        );
    }
}
