//! The buffer pool: op outputs and gradients borrow their storage here and give it back at
//! `reset()`, so a training step of a fixed network reuses the same buffers every step.

use kernels::Element;

use crate::shape::Shape;
use crate::tensor::Tensor;

/// Free buffers, keyed by length. A step takes and returns the same lengths in the same amounts
/// as the step before, so after the first step every request is served from a free list.
///
/// The lists are searched linearly: a network has a handful of distinct buffer lengths, and a
/// scan of a few integers is cheaper than hashing on every one of a step's many requests.
pub(crate) struct Pool<T> {
    free: Vec<(usize, FreeList<T>)>,
}

/// The free buffers of one length.
struct FreeList<T> {
    buffers: Vec<Vec<T>>,
    /// Buffers of this length ever created. The list keeps room for all of them, so that giving
    /// one back never grows it: the second step is then as allocation-free as the later ones.
    created: usize,
}

impl<T: Element> Pool<T> {
    /// An empty pool.
    pub(crate) fn new() -> Self {
        Self { free: Vec::new() }
    }

    /// A buffer of exactly `len` elements whose contents are stale: the caller overwrites all.
    pub(crate) fn buffer(&mut self, len: usize) -> Vec<T> {
        let list = self.list(len);
        if let Some(buf) = list.buffers.pop() {
            return buf;
        }
        list.created += 1;
        list.buffers.reserve(list.created - list.buffers.len());
        vec![T::ZERO; len]
    }

    /// Gives a buffer back for reuse.
    pub(crate) fn recycle(&mut self, buf: Vec<T>) {
        self.list(buf.len()).buffers.push(buf);
    }

    /// The free list of buffers of `len` elements, created empty if there is none.
    fn list(&mut self, len: usize) -> &mut FreeList<T> {
        let at = match self.free.iter().position(|(l, _)| *l == len) {
            Some(at) => at,
            None => {
                self.free.push((
                    len,
                    FreeList {
                        buffers: Vec::new(),
                        created: 0,
                    },
                ));
                self.free.len() - 1
            }
        };
        &mut self.free[at].1
    }

    /// A tensor of this shape with stale contents: the caller overwrites every element.
    pub(crate) fn tensor(&mut self, shape: Shape) -> Tensor<T> {
        Tensor::from_parts(self.buffer(shape.numel()), shape)
    }

    /// A tensor of this shape filled with zeros.
    pub(crate) fn zeros(&mut self, shape: Shape) -> Tensor<T> {
        let mut t = self.tensor(shape);
        t.data_mut().fill(T::ZERO);
        t
    }

    /// Gives a tensor's buffer back for reuse.
    pub(crate) fn recycle_tensor(&mut self, t: Tensor<T>) {
        self.recycle(t.into_vec());
    }
}
