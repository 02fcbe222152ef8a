//! After the first step, a training step of a fixed network allocates nothing on the heap.
//!
//! Counted by `kernels::alloc_counter` on the test's thread and its rayon workers.

use autodiff::{MarginLoss, Tape, Tensor};
use kernels::alloc_counter::{CountingAllocator, allocations, watch_threads};
use kernels::rng::Rng;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn randn(rng: &mut Rng, shape: &[usize], std: f64) -> Tensor<f32> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| (std * rng.normal()) as f32).collect(), shape).unwrap()
}

#[test]
fn a_training_step_allocates_nothing_after_the_first() {
    watch_threads();
    let mut rng = Rng::new(31);
    let (n, d, h, batch) = (64, 10, 32, 16);
    let x: Vec<f32> = (0..n * d).map(|_| rng.normal() as f32).collect();
    let y: Vec<f32> = (0..n)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let mut tape = Tape::<f32>::new();
    let w1 = tape.param(randn(&mut rng, &[h, d], 0.3));
    let b1 = tape.param(Tensor::zeros(&[h]));
    let w2 = tape.param(randn(&mut rng, &[1, h], 0.3));
    let mut rows = [0usize; 16];

    let mut losses = Vec::with_capacity(8);
    let mut per_step = Vec::with_capacity(8);
    for step in 0..6 {
        let before = allocations();
        for (k, r) in rows.iter_mut().enumerate() {
            *r = (step * batch + k * 5) % n;
        }
        tape.reset();
        let xs = tape.input(&x, &[n, d]);
        let ys = tape.input(&y, &[n]);
        let xb = tape.gather_rows(xs, &rows);
        let yb = tape.gather_rows(ys, &rows);
        let z = tape.linear(xb, w1);
        let z = tape.add(z, b1);
        let a = tape.relu(z);
        let f = tape.linear(a, w2);
        let f = tape.reshape(f, &[batch]);
        let m = tape.mul(f, yb);
        let loss = tape.margin_loss(m, MarginLoss::Logistic);
        let log_loss = tape.log_margin_loss(m, MarginLoss::Logistic);
        let total = tape.add(loss, log_loss);
        tape.backward(total);
        tape.update_params(|_, value, grad, _| {
            for (v, g) in value.iter_mut().zip(grad) {
                *v -= 0.1 * g;
            }
        });
        let evaluation = tape.no_grad(|t| {
            let z = t.linear(xs, w1);
            let z = t.add(z, b1);
            let a = t.relu(z);
            let f = t.linear(a, w2);
            t.value(f).data()[0]
        });
        per_step.push(allocations() - before);
        losses.push((tape.value(loss).item(), evaluation));
    }
    assert!(per_step[0] > 0, "the first step fills the pool");
    assert_eq!(
        &per_step[1..],
        &[0; 5],
        "allocations per step: {per_step:?}"
    );
    assert!(losses.iter().all(|(l, e)| l.is_finite() && e.is_finite()));
}
