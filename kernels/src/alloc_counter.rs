//! A counting global allocator, for tests that prove a hot path allocates nothing.
//!
//! A test binary installs it with
//! `#[global_allocator] static GLOBAL: CountingAllocator = CountingAllocator;`
//! calls [`watch_threads`] from the test, and reads [`allocations`] before and after the code
//! under test. Only watched threads are counted: the test's own thread and the workers of its
//! rayon pool, where the code under test runs. The test harness's threads are left out, since
//! they allocate on their own schedule (a loaded machine can delay the harness's first wait on its
//! channel into the measured window).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` initialisation: reading it never allocates (which would recurse into the allocator).
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

/// The system allocator, counting the allocations and reallocations of watched threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingAllocator;

/// Allocations (including reallocations) counted so far, over all watched threads.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// Starts counting the calling thread and every worker of the current rayon pool.
///
/// It also starts the pool's workers and waits until each has run a job: workers start lazily
/// and allocate while they start, which must not land inside a measured window.
pub fn watch_threads() {
    WATCHED.with(|w| w.set(true));
    rayon::broadcast(|_| WATCHED.with(|w| w.set(true)));
}

fn count() {
    // `try_with`: a thread being torn down may still free or allocate after its locals are gone.
    if WATCHED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the bookkeeping touches only an atomic and a const-initialised thread-local, neither
// of which allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: our caller upholds `alloc`'s layout contract, which we pass on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` (through this allocator) with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: our caller upholds the layout contract, which we pass on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from `System` with `layout`; our caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
