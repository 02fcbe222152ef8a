//! What the tape promises across uses: fan-out sums, fresh gradients every step, no-grad mode,
//! gradients of unused parameters and nodes, expired handles.

use autodiff::{Tape, Tensor};

fn vector(data: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), &[data.len()]).unwrap()
}

#[test]
fn fan_out_gradients_are_summed() {
    // y = Σ (x·x + x + relu(x)): x is used four times, dy/dx = 2x + 1 + [x > 0].
    let mut tape = Tape::<f64>::new();
    let x = tape.param(vector(&[1.5, -2.0, 0.25]));
    let sq = tape.mul(x, x);
    let lin = tape.add(sq, x);
    let r = tape.relu(x);
    let all = tape.add(lin, r);
    let y = tape.sum(all);
    tape.backward(y);
    assert_eq!(tape.grad(x).unwrap().data(), &[5.0, -3.0, 2.5]);
    // An intermediate node used twice also receives the sum: ∂y/∂sq = 1.
    assert_eq!(tape.grad(sq).unwrap().data(), &[1.0, 1.0, 1.0]);
}

#[test]
fn consecutive_steps_see_fresh_gradients() {
    let mut tape = Tape::<f64>::new();
    let w = tape.param(vector(&[1.0, 2.0]));
    let step = |tape: &mut Tape<f64>| {
        tape.reset();
        let sq = tape.square(w);
        let loss = tape.sum(sq);
        tape.backward(loss);
        tape.value(loss).item()
    };
    assert_eq!(step(&mut tape), 5.0);
    assert_eq!(tape.grad(w).unwrap().data(), &[2.0, 4.0]);
    tape.update_params(|i, value, grad, _| {
        assert_eq!(i, 0);
        for (v, g) in value.iter_mut().zip(grad) {
            *v -= 0.25 * g;
        }
    });
    assert_eq!(tape.value(w).data(), &[0.5, 1.0]);
    assert_eq!(step(&mut tape), 1.25);
    assert_eq!(tape.grad(w).unwrap().data(), &[1.0, 2.0]);
}

#[test]
fn backward_twice_on_one_graph_does_not_double() {
    let mut tape = Tape::<f64>::new();
    let w = tape.param(vector(&[3.0]));
    let y = tape.scale(w, 2.0);
    let l = tape.sum(y);
    tape.backward(l);
    tape.backward(l);
    assert_eq!(tape.grad(w).unwrap().data(), &[2.0]);
}

#[test]
fn no_grad_mode_computes_values_and_records_no_gradient_path() {
    let mut tape = Tape::<f64>::new();
    let w = tape.param(vector(&[1.0, -1.0]));
    let with_grad = {
        let e = tape.exp(w);
        let s = tape.sum(e);
        tape.value(s).item()
    };
    let loss = tape.no_grad(|t| {
        assert!(!t.grad_enabled());
        let e = t.exp(w);
        t.sum(e)
    });
    assert!(tape.grad_enabled());
    assert_eq!(tape.value(loss).item(), with_grad);
    tape.backward(loss);
    // The loss does not lead back to w: nothing was recorded.
    assert_eq!(tape.grad(w).unwrap().data(), &[0.0, 0.0]);

    tape.set_grad_enabled(false);
    let e = tape.exp(w);
    tape.set_grad_enabled(true);
    let s = tape.sum(e);
    tape.backward(s);
    assert_eq!(tape.grad(w).unwrap().data(), &[0.0, 0.0]);
    assert!(tape.grad(e).is_none());
}

#[test]
fn unused_parameters_get_zeros_and_unreached_nodes_none() {
    let mut tape = Tape::<f64>::new();
    let used = tape.param(vector(&[2.0]));
    let unused = tape.param(Tensor::full(&[2, 2], 7.0));
    let side = tape.exp(unused);
    let x = tape.input(&[3.0], &[1]);
    let p = tape.mul(used, x);
    let loss = tape.sum(p);
    tape.backward(loss);
    assert_eq!(tape.params(), &[used, unused]);
    assert_eq!(tape.grad(used).unwrap().data(), &[3.0]);
    assert_eq!(tape.grad(unused).unwrap(), &Tensor::zeros(&[2, 2]));
    assert!(tape.grad(side).is_none());
    assert!(tape.grad(x).is_none(), "inputs are constants");
    let mut seen = Vec::new();
    tape.update_params(|i, _, g, _| seen.push((i, g.to_vec())));
    assert_eq!(seen, vec![(0, vec![3.0]), (1, vec![0.0; 4])]);
}

#[test]
fn parameters_survive_reset_and_can_be_edited() {
    let mut tape = Tape::<f32>::new();
    let w = tape.param(Tensor::full(&[2], 1.0));
    tape.param_mut(w).data_mut()[1] = 4.0;
    tape.reset();
    assert_eq!(tape.value(w).data(), &[1.0, 4.0]);
}

#[test]
#[should_panic(expected = "is a node of an earlier step")]
fn handles_expire_at_reset() {
    let mut tape = Tape::<f64>::new();
    let x = tape.input(&[1.0], &[1]);
    tape.reset();
    tape.value(x);
}

#[test]
#[should_panic(expected = "param_mut")]
fn param_mut_refuses_nodes() {
    let mut tape = Tape::<f64>::new();
    let x = tape.input(&[1.0], &[1]);
    tape.param_mut(x);
}

#[test]
#[should_panic(expected = "input: shape [2, 2] holds 4 elements but the data has 3")]
fn input_with_the_wrong_length_panics_naming_both() {
    Tape::<f64>::new().input(&[1.0, 2.0, 3.0], &[2, 2]);
}

#[test]
#[should_panic(expected = "backward: the loss must have exactly one element but has shape [2]")]
fn backward_needs_a_scalar() {
    let mut tape = Tape::<f64>::new();
    let w = tape.param(vector(&[1.0, 2.0]));
    let y = tape.exp(w);
    tape.backward(y);
}
