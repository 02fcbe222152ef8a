//! After warm-up, a training step of every `train-step` workload allocates nothing on the heap:
//! ours (the network's tape), the hand-written floor, and `models::Trainer`.
//!
//! Counted by `kernels::alloc_counter` on the pool's threads, where the steps run.

use autodiff::Element;
use benches::train::floor::Floor;
use benches::train::ours::{TapeStep, TrainerStep};
use benches::train::workload::{Dtype, LEARNING_RATE, WORKLOADS, Workload};
use kernels::alloc_counter::{CountingAllocator, allocations, watch_threads};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made by `steps` calls of `step` after `warmup` calls (the last loss must be
/// finite).
fn allocations_after_warmup(warmup: usize, steps: usize, mut step: impl FnMut() -> f64) -> usize {
    for _ in 0..warmup {
        step();
    }
    let before = allocations();
    let mut last = 0.0;
    for _ in 0..steps {
        last = step();
    }
    let after = allocations();
    assert!(last.is_finite(), "the loss stays finite, got {last}");
    after - before
}

/// Allocations per contender (ours, floor, trainer) over 3 steps after 2 warm-up steps.
fn per_step_allocations<T: Element>(w: &Workload) -> [usize; 3] {
    let (x, y) = w.data::<T>();
    let net = w.network::<T>();
    let mut floor = Floor::new(&net, &x, &y, LEARNING_RATE).expect("benchmark architecture");
    let mut ours = TapeStep::new(net, x.clone(), y.clone(), LEARNING_RATE);
    // The three share the trainer's team, as in `train-step`.
    let mut trainer = TrainerStep::new(w.network::<T>(), &x, &y, LEARNING_RATE);
    ours.set_parallelism(trainer.parallelism().clone());
    floor.set_parallelism(trainer.parallelism().clone());
    [
        allocations_after_warmup(2, 3, || ours.step().to_f64()),
        allocations_after_warmup(2, 3, || floor.step().to_f64()),
        allocations_after_warmup(2, 3, || trainer.step()),
    ]
}

/// On one thread, and on two threads with the team the trainer leads when the workload is
/// worth one (as `train-step` and `models::train` run).
#[test]
fn every_workload_step_allocates_nothing_after_warmup() {
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a small rayon pool");
        let mut found = Vec::new();
        pool.install(|| {
            watch_threads();
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
                counts, [0; 3],
                "{name} {dtype}, {threads} thread(s): allocations over 3 steps (ours, floor, \
                 trainer)"
            );
        }
    }
}
