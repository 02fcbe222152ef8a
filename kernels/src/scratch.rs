//! Reusable packing buffers, so that a product does not allocate and fault in fresh pages on
//! every call: one per thread for serial work, one per part slot in a [`crate::parallel::Team`]
//! (see [`crate::parallel::Parallelism`]).

use std::cell::RefCell;

use crate::Element;

/// Two growable buffers, kept as `f64` words so that either element type fits.
#[derive(Default)]
pub(crate) struct Scratch {
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Scratch {
    /// Two buffers of `a_len` and `b_len` elements, each starting on a 64-byte cache line.
    pub(crate) fn buffers<E: Element>(
        &mut self,
        a_len: usize,
        b_len: usize,
    ) -> (&mut [E], &mut [E]) {
        (
            aligned::<E>(&mut self.a, a_len),
            aligned::<E>(&mut self.b, b_len),
        )
    }
}

/// A `len`-element slice of `store` (grown as needed) starting on a 64-byte boundary.
fn aligned<E: Element>(store: &mut Vec<f64>, len: usize) -> &mut [E] {
    const LINE: usize = 64;
    let words = (len * size_of::<E>()).div_ceil(size_of::<f64>()) + LINE / size_of::<f64>();
    if store.len() < words {
        store.resize(words, 0.0);
    }
    let skip = store
        .as_ptr()
        .align_offset(LINE)
        .min(LINE / size_of::<f64>());
    let elems: &mut [E] = bytemuck::cast_slice_mut(&mut store[skip..]);
    &mut elems[..len]
}

thread_local! {
    static THREAD_SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers, or fresh ones if they are already in use (a
/// product started from inside another on the same thread).
pub(crate) fn with_thread_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    THREAD_SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::default()),
    })
}
