//! The hand-written floor computes the same training step as the framework: starting from the
//! same weights on the same data, both follow the same loss curve and end at the same weights.

use autodiff::Element;
use benches::train::floor::Floor;
use benches::train::ours::TapeStep;
use benches::train::workload::{Dtype, LEARNING_RATE, WORKLOADS, Workload};

/// Runs 4 steps of the floor and of ours and returns the largest relative difference of the
/// losses and of the final weights.
fn worst_difference<T: Element>(w: &Workload) -> (f64, f64) {
    let (x, y) = w.data::<T>();
    let net = w.network::<T>();
    let mut floor = Floor::new(&net, &x, &y, LEARNING_RATE).expect("benchmark architecture");
    let mut ours = TapeStep::new(net, x, y, LEARNING_RATE);
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-3);
    let mut losses = 0.0f64;
    for _ in 0..4 {
        let (a, b) = (ours.step().to_f64(), floor.step().to_f64());
        assert!(a.is_finite() && a > 0.0, "{}: loss {a}", w.name);
        losses = losses.max(rel(a, b));
    }
    let mut weights = 0.0f64;
    for (k, fw) in floor.weights().iter().enumerate() {
        let ow = ours.network().weight(k).data();
        for (&a, &b) in ow.iter().zip(fw) {
            weights = weights.max((a.to_f64() - b.to_f64()).abs() / (1.0 + b.to_f64().abs()));
        }
    }
    (losses, weights)
}

#[test]
fn floor_and_tape_take_the_same_steps() {
    for w in &WORKLOADS {
        for &dtype in w.dtypes {
            let (losses, weights, tol) = match dtype {
                Dtype::F32 => {
                    let (l, w) = worst_difference::<f32>(w);
                    (l, w, 1e-5)
                }
                Dtype::F64 => {
                    let (l, w) = worst_difference::<f64>(w);
                    (l, w, 1e-12)
                }
            };
            assert!(
                losses < tol && weights < tol,
                "{} {dtype}: losses differ by {losses:e}, weights by {weights:e} (tolerance \
                 {tol:e})",
                w.name
            );
        }
    }
}

/// Ours after 3 steps of workload `w` on a pool of `threads` threads: the final weights.
fn weights_after_steps(w: &Workload, threads: usize) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        let (x, y) = w.data::<f32>();
        let mut ours = TapeStep::new(w.network::<f32>(), x, y, LEARNING_RATE);
        for _ in 0..3 {
            ours.step();
        }
        let net = ours.network();
        (0..net.layers().len())
            .map(|k| net.weight(k).data().to_vec())
            .collect()
    })
}

#[test]
fn the_step_is_the_same_on_one_and_two_threads() {
    for w in &WORKLOADS {
        assert!(
            weights_after_steps(w, 1) == weights_after_steps(w, 2),
            "{}: the weights after 3 steps depend on the thread count",
            w.name
        );
    }
}
