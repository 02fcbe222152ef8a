//! Reusable packing buffers, so that a product does not allocate and fault in fresh pages on
//! every call: one set per thread, kept by the thread for serial work and by its
//! [`crate::parallel::Team`] for a team's (see [`crate::parallel::Parallelism`]).

use std::cell::RefCell;

use crate::Element;

/// Two growable buffers, kept as `f64` words so that either element type fits.
#[derive(Default)]
pub(crate) struct Scratch {
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Scratch {
    /// Buffers big enough for the packed blocks of any product ([`crate::gemm::PACKED_BYTES`]),
    /// so that no tiled product grows them. Allocated zeroed, which the system hands out as
    /// untouched pages: memory a thread never packs into costs nothing.
    pub(crate) fn for_any_block() -> Self {
        let words = |bytes: usize| (bytes + LINE).div_ceil(size_of::<f64>());
        let [a, b] = crate::gemm::PACKED_BYTES;
        Self {
            a: vec![0.0; words(a)],
            b: vec![0.0; words(b)],
        }
    }

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

/// The cache line the buffers start on, bytes.
const LINE: usize = 64;

/// A `len`-element slice of `store` (grown as needed) starting on a 64-byte boundary.
fn aligned<E: Element>(store: &mut Vec<f64>, len: usize) -> &mut [E] {
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
