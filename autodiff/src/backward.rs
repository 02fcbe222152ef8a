//! Backpropagation: one reverse sweep over the Wengert list.
//!
//! Each node's inputs were recorded before it, so when the sweep reaches node i every consumer of
//! node i has already been visited and added its share to node i's gradient: the gradient is
//! complete. The node then hands its own gradient on to its inputs through its op's backward
//! rule. No recursion and no topological sort: creation order already is one.

use kernels::Element;
use kernels::elementwise::add_assign;
use kernels::parallel::Parallelism;

use crate::ops::Op;
use crate::pool::Pool;
use crate::tape::{Node, Readers, Slot, Tape, Var};
use crate::tensor::Tensor;

impl<T: Element> Tape<T> {
    /// Computes the gradient of `loss` (one element) with respect to every parameter and every
    /// node it depends on, replacing the gradients of the previous `backward`.
    pub fn backward(&mut self, loss: Var) {
        let shape = self.shape_of(loss);
        assert!(
            shape.numel() == 1,
            "backward: the loss must have exactly one element but has shape {shape:?}"
        );
        let Tape {
            nodes,
            node_grads,
            params,
            param_grads,
            var_lists,
            index_lists,
            pool,
            par,
            ..
        } = self;

        // Forget the previous sweep: stale gradients must never leak into this one.
        for g in node_grads.drain(..).flatten() {
            pool.recycle_tensor(g);
        }
        node_grads.resize_with(nodes.len(), || None);
        for g in param_grads.iter_mut().filter_map(Option::take) {
            pool.recycle_tensor(g);
        }

        let end = match loss.0 {
            Slot::Node { index, .. } => index + 1,
            Slot::Param(_) => 0,
        };
        let vals = Values {
            nodes,
            swept: end,
            params,
            var_lists,
            index_lists,
            par,
        };
        let mut grads = Grads {
            vals,
            node_grads,
            param_grads,
            pool,
        };
        grads.accumulate(loss, |g| g.fill(T::ONE));
        for i in (0..end).rev() {
            let Some(g) = grads.node_grads[i].take() else {
                continue;
            };
            let node = &nodes[i];
            node.op.backward(i, &node.value, &g, vals, &mut grads);
            grads.node_grads[i] = Some(g);
        }

        // Parameters the loss does not depend on get an honest zero gradient.
        for (g, p) in grads.param_grads.iter_mut().zip(params.iter()) {
            if g.is_none() {
                *g = Some(grads.pool.zeros(p.dims()));
            }
        }
    }
}

/// Read-only access to every value during the sweep.
#[derive(Clone, Copy)]
pub(crate) struct Values<'a, T> {
    nodes: &'a [Node<T>],
    /// How many nodes the sweep visits: those up to the loss.
    swept: usize,
    params: &'a [Tensor<T>],
    /// Input lists of ops with many inputs (concat).
    pub(crate) var_lists: &'a [Var],
    /// Row indices and labels recorded by ops.
    pub(crate) index_lists: &'a [usize],
    /// The threads the backward rules' kernels may use.
    pub(crate) par: &'a Parallelism,
}

impl<'a, T> Values<'a, T> {
    /// The value of a parameter or node.
    pub(crate) fn get(&self, v: Var) -> &'a Tensor<T> {
        match v.0 {
            Slot::Param(i) => &self.params[i],
            Slot::Node { index, .. } => &self.nodes[index].value,
        }
    }

    /// Whether a gradient can flow into `v` (false for inputs and constants).
    pub(crate) fn needs_grad(&self, v: Var) -> bool {
        match v.0 {
            Slot::Param(_) => true,
            Slot::Node { index, .. } => self.nodes[index].needs_grad,
        }
    }

    /// Whether the gradient of `v`, a fused ReLU layer's output, reaches it already through the
    /// ReLU's backward rule: its one reader is a linear layer (`Readers::OneLinearInput`) the
    /// sweep visits, which masked the input gradient by `v` as its product wrote it. Both ends
    /// ask this, so the reader masks exactly when the layer leaves it out.
    pub(crate) fn rectifies(&self, v: Var) -> bool {
        match v.0 {
            Slot::Node { index, .. } => self.arrives_rectified(index),
            Slot::Param(_) => false,
        }
    }

    /// [`Self::rectifies`] for node `index`.
    pub(crate) fn arrives_rectified(&self, index: usize) -> bool {
        let node = &self.nodes[index];
        matches!(node.op, Op::LinearRelu { .. })
            && matches!(node.readers, Readers::OneLinearInput { reader } if reader < self.swept)
    }
}

/// The gradients being accumulated, and the pool their buffers come from.
pub(crate) struct Grads<'a, T> {
    vals: Values<'a, T>,
    node_grads: &'a mut [Option<Tensor<T>>],
    param_grads: &'a mut [Option<Tensor<T>>],
    pool: &'a mut Pool<T>,
}

impl<'a, T> Grads<'a, T> {
    /// The threads the backward rules' kernels may use.
    pub(crate) fn parallelism(&self) -> &'a Parallelism {
        self.vals.par
    }
}

impl<T: Element> Grads<'_, T> {
    /// Whether `v` wants a gradient; backward rules skip the work for inputs and constants.
    pub(crate) fn wants(&self, v: Var) -> bool {
        self.vals.needs_grad(v)
    }

    /// Adds a contribution to `v`'s gradient: `write` fills a buffer shaped like `v` with it
    /// (stale contents: all of it).
    ///
    /// The first contribution is written straight into a fresh gradient buffer; later ones (a
    /// value used several times) go through a scratch buffer and are summed in.
    pub(crate) fn accumulate(&mut self, v: Var, write: impl FnOnce(&mut [T])) {
        if self.wants(v) {
            let mut buf = self.pool.buffer(self.vals.get(v).len());
            write(&mut buf);
            self.close(v, buf);
        }
    }

    /// A buffer for a contribution to `v`'s gradient, for a rule whose kernel adds onto its
    /// output (GEMM's β), or `None` if `v` wants no gradient: `v`'s gradient so far with β = 1
    /// if it has one, else a fresh buffer (stale contents) with β = 0. Either way the rule writes
    /// β·buf + its contribution and hands the buffer back with [`Self::close`]; split in two so
    /// that a rule can compute several contributions at once, on different threads. A second
    /// contribution to a residual stream so costs no scratch buffer and no extra pass over the
    /// gradient, and rounds as the separate sum did (when the product's depth is one block).
    pub(crate) fn open(&mut self, v: Var) -> Option<(Vec<T>, T)> {
        if !self.wants(v) {
            return None;
        }
        Some(match self.slot(v).take() {
            Some(g) => (g.into_vec(), T::ONE),
            None => (self.pool.buffer(self.vals.get(v).len()), T::ZERO),
        })
    }

    /// Takes back a buffer holding a contribution to `v`'s gradient (from [`Self::open`] or
    /// [`Self::accumulate`]): it becomes the gradient if `v` has none (a first contribution, or
    /// one written onto the gradient so far), else it is summed in and recycled (a later one, or
    /// the second buffer of a value one rule opened twice, as `a` in a·a).
    pub(crate) fn close(&mut self, v: Var, buf: Vec<T>) {
        let dims = self.vals.get(v).dims();
        let par = self.vals.par;
        let slot = self.slot(v);
        match slot {
            None => *slot = Some(Tensor::from_parts(buf, dims)),
            Some(g) => {
                add_assign(g.data_mut(), &buf, par);
                self.pool.recycle(buf);
            }
        }
    }

    /// Where `v`'s gradient is kept.
    fn slot(&mut self, v: Var) -> &mut Option<Tensor<T>> {
        match v.0 {
            Slot::Param(i) => &mut self.param_grads[i],
            Slot::Node { index, .. } => &mut self.node_grads[index],
        }
    }

    /// A pooled buffer of `len` elements with stale contents, for intermediate results.
    pub(crate) fn scratch(&mut self, len: usize) -> Vec<T> {
        self.pool.buffer(len)
    }

    /// Gives a scratch buffer back.
    pub(crate) fn recycle(&mut self, buf: Vec<T>) {
        self.pool.recycle(buf);
    }
}
