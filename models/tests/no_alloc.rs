//! After warm-up, a training step (evaluate + update) allocates nothing on the heap, for every
//! step rule, full batch and mini-batch. Counted with a global allocator wrapper, so this test
//! lives in its own binary.

// A global allocator can only be written with `unsafe`; this test is its one use in the crate
// (as in autodiff's zero-allocation test).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use autodiff::{MarginLoss, Tensor};
use kernels::rng::Rng;
use models::{Arch, Init, Network, StepRule, TrainConfig, Trainer};

thread_local! {
    // Per thread, so the test harness's own threads cannot disturb the count; `const` so that
    // reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counter is a plain thread-local cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: `ptr` was allocated by `System` with `layout`; our caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn training_steps_do_not_allocate_after_warm_up() {
    let arch: Arch = "4,relu:8+bias,res(relu),resz(leaky(0.1)),linear:4,1"
        .parse()
        .unwrap();
    let mut rng = Rng::new(1);
    let n = 12;
    let x = Tensor::from_vec((0..n * 4).map(|_| rng.normal()).collect(), &[n, 4]).unwrap();
    let y = Tensor::from_vec((0..n).map(|i| [1.0, -1.0][i % 2]).collect(), &[n]).unwrap();
    let rules = [
        "constant",
        "loss-normalized",
        "grad-normalized",
        "adaptive",
        "momentum",
        "adam",
    ];
    for rule in rules {
        for batch_size in [None, Some(5)] {
            let mut net = Network::<f64>::new(&arch, Init::He, 2);
            let cfg = TrainConfig {
                batch_size,
                ..TrainConfig::new(
                    MarginLoss::Logistic,
                    rule.parse::<StepRule>().unwrap(),
                    0.05,
                    0,
                )
            };
            let start = allocations();
            let mut trainer = Trainer::new(&net, &x, &y, &cfg).unwrap();
            assert!(allocations() > start, "the counter counts");
            for _ in 0..3 {
                trainer.evaluate(&mut net).unwrap();
                trainer.update(&mut net).unwrap();
            }
            let before = allocations();
            for _ in 0..10 {
                trainer.evaluate(&mut net).unwrap();
                trainer.update(&mut net).unwrap();
            }
            let count = allocations() - before;
            assert_eq!(
                count, 0,
                "{rule}, batch {batch_size:?}: {count} allocations in 10 steps"
            );
        }
    }
}
