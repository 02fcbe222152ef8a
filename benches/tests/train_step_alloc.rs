//! After warm-up, a training step of every `train-step` workload allocates nothing on the heap:
//! ours (the network's tape), the tape with fused ops, the hand-written floor, and
//! `models::Trainer`.
//!
//! A counting global allocator wraps the system one. The count is global (the steps may run
//! work on rayon threads), so this file holds a single test and the step runs alone.

// A global allocator can only be written with `unsafe`; this test is its one use in the crate.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use autodiff::Element;
use benches::train::floor::Floor;
use benches::train::ours::{TapeStep, TrainerStep};
use benches::train::workload::{Dtype, LEARNING_RATE, WORKLOADS, Workload};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counter is a plain atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`; our caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `steps` calls of `step` after `warmup` calls (the last loss must be
/// finite).
fn allocations_after_warmup(warmup: usize, steps: usize, mut step: impl FnMut() -> f64) -> usize {
    for _ in 0..warmup {
        step();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut last = 0.0;
    for _ in 0..steps {
        last = step();
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert!(last.is_finite(), "the loss stays finite, got {last}");
    after - before
}

/// Allocations per contender (ours, fused, floor, trainer) over 3 steps after 2 warm-up steps.
fn per_step_allocations<T: Element>(w: &Workload) -> [usize; 4] {
    let (x, y) = w.data::<T>();
    let net = w.network::<T>();
    let mut floor = Floor::new(&net, &x, &y, LEARNING_RATE).expect("benchmark architecture");
    let mut ours = TapeStep::new(net, x.clone(), y.clone(), LEARNING_RATE);
    let mut fused = TapeStep::fused(w.network::<T>(), x.clone(), y.clone(), LEARNING_RATE);
    let mut trainer = TrainerStep::new(w.network::<T>(), &x, &y, LEARNING_RATE);
    [
        allocations_after_warmup(2, 3, || ours.step().to_f64()),
        allocations_after_warmup(2, 3, || fused.step().to_f64()),
        allocations_after_warmup(2, 3, || floor.step().to_f64()),
        allocations_after_warmup(2, 3, || trainer.step()),
    ]
}

#[test]
fn every_workload_step_allocates_nothing_after_warmup() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let mut found = Vec::new();
    pool.install(|| {
        for w in &WORKLOADS {
            for &dtype in w.dtypes {
                let counts = match dtype {
                    Dtype::F32 => per_step_allocations::<f32>(w),
                    Dtype::F64 => per_step_allocations::<f64>(w),
                };
                found.push((w.name, dtype, counts));
            }
        }
    });
    assert_eq!(found.len(), 5);
    for (name, dtype, counts) in found {
        assert_eq!(
            counts, [0; 4],
            "{name} {dtype}: allocations over 3 steps (ours, fused, floor, trainer)"
        );
    }
}
