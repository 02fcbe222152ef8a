//! Trains a two-layer ReLU network on two concentric circles with nothing but this crate,
//! printing the loss as it falls.
//!
//! Run with `cargo run -p autodiff --example two_layer --release`.

use autodiff::{MarginLoss, Tape, Tensor};
use kernels::rng::Rng;

/// Points in the square [−1, 1]², labelled +1 inside the circle of radius 0.6 and −1 outside:
/// no linear classifier separates them.
fn circles(rng: &mut Rng, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b) = (2.0 * rng.uniform() - 1.0, 2.0 * rng.uniform() - 1.0);
        x.extend([a, b]);
        y.push(if a * a + b * b < 0.36 { 1.0 } else { -1.0 });
    }
    (x, y)
}

fn gaussian(rng: &mut Rng, shape: &[usize], std: f64) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| std * rng.normal()).collect(), shape)
        .expect("the data has one value per element")
}

fn main() {
    let mut rng = Rng::new(2024);
    let (n, hidden, steps, lr) = (256, 32, 2000, 0.5);
    let (x, y) = circles(&mut rng, n);

    let mut tape = Tape::<f64>::new();
    let w1 = tape.param(gaussian(&mut rng, &[hidden, 2], 1.0));
    let b1 = tape.param(gaussian(&mut rng, &[hidden], 0.1));
    let w2 = tape.param(gaussian(
        &mut rng,
        &[1, hidden],
        (1.0 / hidden as f64).sqrt(),
    ));

    for step in 0..=steps {
        tape.reset();
        let xs = tape.input(&x, &[n, 2]);
        let ys = tape.input(&y, &[n]);
        let z = tape.linear(xs, w1);
        let z = tape.add(z, b1);
        let h = tape.relu(z);
        let f = tape.linear(h, w2);
        let f = tape.reshape(f, &[n]);
        let margins = tape.mul(f, ys);
        let loss = tape.margin_loss(margins, MarginLoss::Logistic);
        tape.backward(loss);
        tape.update_params(|_, value, grad, _| {
            for (v, g) in value.iter_mut().zip(grad) {
                *v -= lr * g;
            }
        });
        if step % 200 == 0 {
            let m = tape.value(margins).data();
            let accuracy = m.iter().filter(|&&m| m > 0.0).count() as f64 / n as f64;
            println!(
                "step {step:5}  loss {:.5}  training accuracy {:5.1}%",
                tape.value(loss).item(),
                100.0 * accuracy
            );
        }
    }
}
