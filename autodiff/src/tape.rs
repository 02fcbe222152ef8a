//! The tape (a Wengert list): every value computed in a step, in the order it was computed,
//! with the op that made it.
//!
//! Define-by-run: an op computes its output immediately and appends one node recording how
//! (which op, which inputs). Because a node's inputs always come before it, walking the list
//! backwards visits every node after all its consumers: that walk is the whole of
//! backpropagation (see `backward.rs`). Parameters are leaves kept outside the list, so that
//! `reset()` can forget a step's nodes and keep the weights.

use kernels::Element;
use kernels::parallel::Parallelism;

use crate::ops::Op;
use crate::pool::Pool;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// A handle to a value on a [`Tape`]: a parameter, or a node of the current step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Var(pub(crate) Slot);

/// Where a [`Var`]'s value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    /// Parameter number `i`: lives until the tape is dropped.
    Param(usize),
    /// Node `index` of step `step`: valid until the next `reset()`.
    Node {
        /// Position in the Wengert list.
        index: usize,
        /// The step the node belongs to, so a stale handle is caught instead of misread.
        step: u64,
    },
}

/// One entry of the Wengert list.
pub(crate) struct Node<T> {
    /// How the value was computed (`Op::Leaf` for inputs and no-grad results).
    pub(crate) op: Op<T>,
    /// The value itself, in a pooled buffer.
    pub(crate) value: Tensor<T>,
    /// Whether a gradient can flow into this node: some input is a parameter or needs one.
    pub(crate) needs_grad: bool,
    /// Which later ops read the value, as much as the fusion of a ReLU layer's backward rule
    /// into its reader's product needs to know (`ops::matmul`).
    pub(crate) readers: Readers,
}

/// Who reads a node's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Readers {
    /// No op, so far.
    None,
    /// One op, node `reader`, once, as the x of a linear layer (x·wᵀ): its gradient is that
    /// layer's input gradient alone.
    OneLinearInput {
        /// The reading node's index.
        reader: usize,
    },
    /// Any other pattern: several ops, one op twice, or an op of another kind.
    Other,
}

/// The reverse-mode tape: parameters, this step's nodes, and their gradients.
///
/// Parameters live across steps; every op appends a node to this step's Wengert list, and
/// [`Tape::backward`] sweeps it in reverse. [`Tape::reset`] starts the next step.
///
/// ```
/// use autodiff::{Tape, Tensor};
///
/// let mut tape = Tape::<f64>::new();
/// let w = tape.param(Tensor::from_vec(vec![2.0, -1.0], &[1, 2]).unwrap());
/// // f(w) = sum(relu(x·wᵀ)) for the rows x = (1, 1) and (3, 1).
/// let x = tape.input(&[1.0, 1.0, 3.0, 1.0], &[2, 2]);
/// let z = tape.linear(x, w); // [[1], [5]]
/// let h = tape.relu(z);
/// let f = tape.sum(h);
/// assert_eq!(tape.value(f).item(), 6.0);
/// tape.backward(f);
/// // Both rows are active, so ∂f/∂w is their sum.
/// assert_eq!(tape.grad(w).unwrap().data(), &[4.0, 2.0]);
/// tape.reset(); // the next step: w stays, the nodes go
/// ```
pub struct Tape<T: Element> {
    /// The Wengert list of the current step, in creation order.
    pub(crate) nodes: Vec<Node<T>>,
    /// Gradients of the nodes from the last `backward`: `None` where none flowed.
    pub(crate) node_grads: Vec<Option<Tensor<T>>>,
    /// Parameter values, in creation order.
    pub(crate) params: Vec<Tensor<T>>,
    /// Parameter gradients from the last `backward` (zeros when unused).
    pub(crate) param_grads: Vec<Option<Tensor<T>>>,
    /// The handles of the parameters, for [`Tape::params`].
    param_vars: Vec<Var>,
    /// Side storage for ops with a variable number of inputs (concat), cleared each step.
    pub(crate) var_lists: Vec<Var>,
    /// Side storage for row indices and labels, cleared each step.
    pub(crate) index_lists: Vec<usize>,
    /// Recycled buffers for values and gradients.
    pub(crate) pool: Pool<T>,
    /// Counts `reset()` calls, to recognise handles from earlier steps.
    step: u64,
    /// Counts writes to the parameters, so that values computed from older weights are known.
    params_version: u64,
    /// False in no-grad mode: ops compute values but record no way back.
    grad_enabled: bool,
    /// The threads the ops' kernels may use, forward and backward.
    pub(crate) par: Parallelism,
}

impl<T: Element> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Tape<T> {
    /// An empty tape with gradients enabled.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            node_grads: Vec::new(),
            params: Vec::new(),
            param_grads: Vec::new(),
            param_vars: Vec::new(),
            var_lists: Vec::new(),
            index_lists: Vec::new(),
            pool: Pool::new(),
            step: 0,
            params_version: 0,
            grad_enabled: true,
            par: Parallelism::NONE,
        }
    }

    /// Sets the threads the ops' kernels may use from now on, forward and backward: a
    /// [`kernels::parallel::Team`]'s parallelism, or [`Parallelism::NONE`] (the default) for
    /// the calling thread alone. Results are bitwise the same either way.
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.par = par;
    }

    /// The threads the ops' kernels may use ([`Self::set_parallelism`]).
    pub fn parallelism(&self) -> &Parallelism {
        &self.par
    }

    /// Registers a parameter: a leaf that lives across steps and always has a gradient.
    pub fn param(&mut self, value: Tensor<T>) -> Var {
        let var = Var(Slot::Param(self.params.len()));
        self.param_grads.push(Some(self.pool.zeros(value.dims())));
        self.params.push(value);
        self.param_vars.push(var);
        var
    }

    /// The parameters, in creation order.
    pub fn params(&self) -> &[Var] {
        &self.param_vars
    }

    /// The value of a parameter or of a node of the current step.
    pub fn value(&self, v: Var) -> &Tensor<T> {
        match v.0 {
            Slot::Param(i) => &self.params[i],
            Slot::Node { index, .. } => &self.nodes[self.node_index(v, index)].value,
        }
    }

    /// The value of a parameter, writable; panics for a node.
    pub fn param_mut(&mut self, p: Var) -> &mut Tensor<T> {
        self.params_version += 1;
        match p.0 {
            Slot::Param(i) => &mut self.params[i],
            Slot::Node { .. } => panic!("param_mut: {p:?} is a node of the step, not a parameter"),
        }
    }

    /// Visits every parameter with its value (writable), its gradient from the last `backward`
    /// (zeros if it did not influence the loss) and the threads the tape's kernels may use
    /// ([`Self::parallelism`]), for the update's own. Optimizers use this.
    pub fn update_params(&mut self, mut f: impl FnMut(usize, &mut [T], &[T], &Parallelism)) {
        self.params_version += 1;
        for (i, (value, grad)) in self.params.iter_mut().zip(&self.param_grads).enumerate() {
            let grad = grad
                .as_ref()
                .expect("parameter gradients are refilled by backward");
            f(i, value.data_mut(), grad.data(), &self.par);
        }
    }

    /// How many times the parameters have been handed out for writing ([`Self::param_mut`],
    /// [`Self::update_params`]): a value computed at one version was computed from the current
    /// weights exactly while the version is unchanged.
    pub fn params_version(&self) -> u64 {
        self.params_version
    }

    /// Whether `v` still has a value: a parameter, or a node of the current step.
    pub fn is_live(&self, v: Var) -> bool {
        match v.0 {
            Slot::Param(_) => true,
            Slot::Node { index, step } => step == self.step && index < self.nodes.len(),
        }
    }

    /// Forgets this step's nodes and gradients and recycles their buffers; parameters stay.
    pub fn reset(&mut self) {
        for node in self.nodes.drain(..) {
            self.pool.recycle_tensor(node.value);
        }
        for grad in self.node_grads.drain(..).flatten() {
            self.pool.recycle_tensor(grad);
        }
        self.var_lists.clear();
        self.index_lists.clear();
        self.step += 1;
    }

    /// A constant leaf holding a copy of `data` (in a pooled buffer); panics, naming the shape
    /// and the length, if they disagree.
    pub fn input(&mut self, data: &[T], shape: &[usize]) -> Var {
        let shape = Shape::of("input", shape);
        assert!(
            data.len() == shape.numel(),
            "input: shape {shape:?} holds {} elements but the data has {}",
            shape.numel(),
            data.len()
        );
        let mut value = self.pool.tensor(shape);
        value.data_mut().copy_from_slice(data);
        self.push(value, Op::Leaf, &[])
    }

    /// A constant leaf holding a copy of `t`.
    pub fn constant(&mut self, t: &Tensor<T>) -> Var {
        self.input(t.data(), t.shape())
    }

    /// The gradient of the last `backward`'s loss with respect to `v`: always `Some` for a
    /// parameter (zeros if unused), `None` for a node no gradient reached.
    pub fn grad(&self, v: Var) -> Option<&Tensor<T>> {
        match v.0 {
            Slot::Param(i) => self.param_grads[i].as_ref(),
            Slot::Node { index, .. } => self.node_grads.get(self.node_index(v, index))?.as_ref(),
        }
    }

    /// Turns recording on or off; with it off (no-grad mode), ops only compute values.
    pub fn set_grad_enabled(&mut self, enabled: bool) {
        self.grad_enabled = enabled;
    }

    /// Whether ops record how to propagate gradients.
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled
    }

    /// Runs `f` in no-grad mode, then restores the previous mode.
    pub fn no_grad<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let before = self.grad_enabled;
        self.grad_enabled = false;
        let result = f(self);
        self.grad_enabled = before;
        result
    }

    /// Appends a node computed by `op` from `inputs` and returns its handle. The op is kept only
    /// if gradients are enabled and some input can carry one; otherwise the node is a leaf.
    pub(crate) fn push(&mut self, value: Tensor<T>, op: Op<T>, inputs: &[Var]) -> Var {
        let needs_grad = self.grad_enabled && inputs.iter().any(|&v| self.needs_grad(v));
        let index = self.nodes.len();
        // Only an op that passes gradients back counts as a reader.
        let linear_input = op.linear_input();
        for &v in inputs.iter().filter(|_| needs_grad) {
            if let Slot::Node { index: read, .. } = v.0 {
                let readers = &mut self.nodes[read].readers;
                *readers = match *readers {
                    Readers::None if Some(v) == linear_input => {
                        Readers::OneLinearInput { reader: index }
                    }
                    _ => Readers::Other,
                };
            }
        }
        let op = if needs_grad { op } else { Op::Leaf };
        let var = Var(Slot::Node {
            index,
            step: self.step,
        });
        self.nodes.push(Node {
            op,
            value,
            needs_grad,
            readers: Readers::None,
        });
        var
    }

    /// Whether a gradient can flow into `v`.
    pub(crate) fn needs_grad(&self, v: Var) -> bool {
        match v.0 {
            Slot::Param(_) => true,
            Slot::Node { index, .. } => self.nodes[self.node_index(v, index)].needs_grad,
        }
    }

    /// The shape of `v`'s value.
    pub(crate) fn shape_of(&self, v: Var) -> Shape {
        self.value(v).dims()
    }

    /// Checks that a node handle belongs to the current step.
    fn node_index(&self, v: Var, index: usize) -> usize {
        match v.0 {
            Slot::Node { step, .. } if step == self.step && index < self.nodes.len() => index,
            _ => panic!(
                "{v:?} is a node of an earlier step: node handles expire at reset() (this is step {})",
                self.step
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_grad_records_leaves_only() {
        let mut tape = Tape::<f64>::new();
        let w = tape.param(Tensor::full(&[3], 2.0));
        let recorded = tape.exp(w);
        let skipped = tape.no_grad(|t| {
            let e = t.exp(w);
            t.sum(e)
        });
        assert!(matches!(tape.nodes[0].op, Op::Pointwise { .. }));
        assert!(tape.needs_grad(recorded));
        assert!(tape.nodes[1..].iter().all(|n| matches!(n.op, Op::Leaf)));
        assert!(!tape.needs_grad(skipped));
    }

    #[test]
    fn constants_do_not_need_gradients() {
        let mut tape = Tape::<f32>::new();
        let x = tape.input(&[1.0, 2.0], &[2]);
        let y = tape.square(x);
        assert!(!tape.needs_grad(y));
        assert!(matches!(tape.nodes[1].op, Op::Leaf));
    }

    #[test]
    fn reset_recycles_buffers_and_keeps_capacity() {
        let mut tape = Tape::<f64>::new();
        let x = tape.input(&[1.0, 2.0], &[2]);
        let first = tape.value(x).data().as_ptr();
        tape.reset();
        let capacity = tape.nodes.capacity();
        let x = tape.input(&[3.0, 4.0], &[2]);
        assert_eq!(tape.value(x).data().as_ptr(), first, "the buffer is reused");
        assert_eq!(tape.nodes.capacity(), capacity);
        assert_eq!(tape.value(x).data(), &[3.0, 4.0]);
    }
}
