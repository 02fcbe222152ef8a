//! The ops: one file per op family, each with its forward and backward rules side by side.
//!
//! An op method on [`Tape`] checks shapes, computes its output into a pooled buffer and records
//! an [`Op`] naming its inputs. The backward sweep calls [`Op::backward`], which dispatches to
//! the rule of the same file. An enum rather than boxed closures: recording an op then costs no
//! allocation, and every backward rule can be found by name.

mod activation;
mod arith;
mod broadcast;
mod gather;
mod layout;
pub(crate) mod margin;
mod matmul;
mod pointwise;
mod reduce;
mod slice;
mod softmax;

use std::ops::Range;

use kernels::{Element, MatMut, MatRef};

use crate::backward::{Grads, Values};
use crate::tape::Var;
use crate::tensor::Tensor;

pub(crate) use activation::Activation;
pub(crate) use arith::Binary;
pub(crate) use margin::MarginLoss;
pub(crate) use pointwise::Pointwise;

/// How a node was computed: what the backward sweep needs to propagate its gradient.
pub(crate) enum Op<T> {
    /// An input, a constant, or a value computed without gradients: nothing to propagate.
    Leaf,
    /// a·b (`matmul.rs`).
    MatMul { a: Var, b: Var },
    /// x·wᵀ (`matmul.rs`).
    Linear { x: Var, w: Var },
    /// relu(x·wᵀ), fused (`matmul.rs`).
    LinearRelu { x: Var, w: Var },
    /// h + x·wᵀ, fused (`matmul.rs`).
    LinearAdd { h: Var, x: Var, w: Var },
    /// a ∘ b for ∘ in +, −, ×, ÷, with broadcasting (`arith.rs`).
    Arith(Binary),
    /// An elementwise function (`pointwise.rs`).
    Pointwise { f: Pointwise<T>, a: Var },
    /// An activation function (`activation.rs`).
    Activation { f: Activation<T>, a: Var },
    /// `scale` times the sum over all elements or over one axis: sum and mean (`reduce.rs`).
    Sum {
        a: Var,
        axis: Option<usize>,
        scale: T,
    },
    /// Matrix transpose (`layout.rs`).
    Transpose { a: Var },
    /// Same elements, new shape (`layout.rs`).
    Reshape { a: Var },
    /// `a[.., start..start + len, ..]` along `axis` (`slice.rs`).
    Slice { a: Var, axis: usize, start: usize },
    /// Parts joined along `axis`; the parts are `Tape::var_lists[parts]` (`slice.rs`).
    Concat { parts: Range<usize>, axis: usize },
    /// Rows `Tape::index_lists[rows]` of `a` (`gather.rs`).
    GatherRows { a: Var, rows: Range<usize> },
    /// The mean loss R of margins (`margin.rs`).
    MarginLoss { m: Var, kind: MarginLoss },
    /// ln R of margins, in the log domain (`margin.rs`).
    LogMarginLoss { m: Var, kind: MarginLoss },
    /// Mean softmax cross-entropy; labels are `Tape::index_lists[labels]` (`softmax.rs`).
    SoftmaxCrossEntropy { logits: Var, labels: Range<usize> },
}

impl<T: Element> Op<T> {
    /// The x of a linear layer (x·wᵀ, fused or not), whose input gradient the layer's backward
    /// rule can take through a ReLU's backward rule (`matmul.rs`).
    pub(crate) fn linear_input(&self) -> Option<Var> {
        match *self {
            Op::Linear { x, .. } | Op::LinearRelu { x, .. } | Op::LinearAdd { x, .. } => Some(x),
            _ => None,
        }
    }

    /// Adds this op's share of the gradient to its inputs, given `g`, the gradient of its output
    /// `out`, node `node` of the tape.
    pub(crate) fn backward(
        &self,
        node: usize,
        out: &Tensor<T>,
        g: &Tensor<T>,
        vals: Values<T>,
        grads: &mut Grads<T>,
    ) {
        match *self {
            Op::Leaf => {}
            Op::MatMul { a, b } => matmul::matmul_backward(a, b, g, vals, grads),
            Op::Linear { x, w } => matmul::linear_backward(x, w, g, vals, grads),
            Op::LinearRelu { x, w } => {
                let rectified = vals.arrives_rectified(node);
                matmul::linear_relu_backward(x, w, out, g, rectified, vals, grads)
            }
            Op::LinearAdd { h, x, w } => matmul::linear_add_backward(h, x, w, g, vals, grads),
            Op::Arith(ref op) => op.backward(out, g, vals, grads),
            Op::Pointwise { f, a } => f.backward(a, out, g, vals, grads),
            Op::Activation { f, a } => f.backward(a, out, g, vals, grads),
            Op::Sum { a, axis, scale } => reduce::sum_backward(a, axis, scale, g, vals, grads),
            Op::Transpose { a } => layout::transpose_backward(a, g, grads),
            Op::Reshape { a } => layout::reshape_backward(a, g, grads),
            Op::Slice { a, axis, start } => slice::slice_backward(a, axis, start, g, vals, grads),
            Op::Concat { ref parts, axis } => {
                slice::concat_backward(&vals.var_lists[parts.clone()], axis, g, vals, grads)
            }
            Op::GatherRows { a, ref rows } => {
                gather::gather_backward(a, &vals.index_lists[rows.clone()], g, vals, grads)
            }
            Op::MarginLoss { m, kind } => margin::margin_backward(m, kind, g, vals, grads),
            Op::LogMarginLoss { m, kind } => {
                margin::log_margin_backward(m, kind, out, g, vals, grads)
            }
            Op::SoftmaxCrossEntropy { logits, ref labels } => softmax::softmax_ce_backward(
                logits,
                &vals.index_lists[labels.clone()],
                g,
                vals,
                grads,
            ),
        }
    }
}

/// A row-major matrix view of a buffer the caller sized as `rows × cols`.
pub(crate) fn mat<T: Element>(data: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_row_major(data, rows, cols).expect("buffer sized for the view")
}

/// A writable row-major matrix view of a buffer the caller sized as `rows × cols`.
pub(crate) fn mat_mut<T: Element>(data: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    MatMut::from_row_major(data, rows, cols).expect("buffer sized for the view")
}

#[cfg(test)]
pub(crate) mod testing;
