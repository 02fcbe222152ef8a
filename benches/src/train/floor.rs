//! The floor: the same training step written by hand on `kernels`, with no tape. Every buffer
//! is allocated once; ReLU is applied in place on each product, its backward mask in place on
//! each gradient, the backward products read transposed views, and a residual block's input
//! gradient is accumulated straight onto the gradient of its output. What the autodiff's
//! overhead is measured against.

use autodiff::{Element, Tensor};
use kernels::elementwise::axpy;
use kernels::elementwise::fused::relu_backward_assign;
use kernels::elementwise::{sigmoid_scalar, softplus_scalar};
use kernels::parallel::Parallelism;
use kernels::{MatMut, MatRef, gemm, gemm_relu, gemm_relu_backward};
use models::{Activation, Arch, LayerSpec, Network, Skip};

use super::gemms::GemmCall;
use super::probe::{NoProbe, Probe};

/// One piece of the forward pass; the numbers index the weights.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// h ↦ σ(h·Wᵀ), σ = ReLU or the identity.
    Dense { w: usize, relu: bool },
    /// h ↦ h + relu(h·Yᵀ)·Uᵀ.
    Residual { y: usize, u: usize },
}

/// A hand-written full-batch gradient-descent step on the mean logistic loss.
pub struct Floor<T: Element> {
    stages: Vec<Stage>,
    /// [out, in] of each weight.
    shapes: Vec<[usize; 2]>,
    weights: Vec<Vec<T>>,
    grads: Vec<Vec<T>>,
    x: Vec<T>,
    y: Vec<T>,
    n: usize,
    /// Each stage's output.
    outs: Vec<Vec<T>>,
    /// relu(h·Yᵀ) of each residual stage (empty for dense ones).
    inner: Vec<Vec<T>>,
    /// The gradient flowing backwards, and a second buffer to compute the next one into.
    grad: Vec<T>,
    spare: Vec<T>,
    lr: T,
    /// The threads the kernels may use.
    par: Parallelism,
}

/// A row-major view of the first rows·cols elements of `data`.
fn view<T: Element>(data: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_row_major(&data[..rows * cols], rows, cols).expect("buffer sized for the view")
}

/// A writable row-major view of the first rows·cols elements of `data`.
fn view_mut<T: Element>(data: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    MatMut::from_row_major(&mut data[..rows * cols], rows, cols).expect("buffer sized for the view")
}

impl<T: Element> Floor<T> {
    /// The step for `net`'s architecture, starting from its current weights, on x [n, in] and
    /// labels y \[n\]. Errors for architectures outside the benchmark's family (a bias, leaky
    /// ReLU, a learned skip, several outputs).
    pub fn new(net: &Network<T>, x: &Tensor<T>, y: &Tensor<T>, lr: f64) -> Result<Self, String> {
        let stages = stages_of(net.arch())?;
        let layers = net.layers();
        let shapes: Vec<[usize; 2]> = layers.iter().map(|l| l.shape).collect();
        let weights: Vec<Vec<T>> = (0..layers.len())
            .map(|k| net.weight(k).data().to_vec())
            .collect();
        let grads = weights.iter().map(|w| vec![T::ZERO; w.len()]).collect();
        let n = x.rows();
        let out_width = |s: &Stage| match *s {
            Stage::Dense { w, .. } => shapes[w][0],
            Stage::Residual { y, .. } => shapes[y][0],
        };
        let outs = stages
            .iter()
            .map(|s| vec![T::ZERO; n * out_width(s)])
            .collect();
        let inner = stages
            .iter()
            .map(|s| match s {
                Stage::Residual { .. } => vec![T::ZERO; n * out_width(s)],
                Stage::Dense { .. } => Vec::new(),
            })
            .collect();
        let widest = shapes.iter().flatten().copied().max().unwrap_or(1);
        Ok(Self {
            stages,
            shapes,
            weights,
            grads,
            x: x.data().to_vec(),
            y: y.data().to_vec(),
            n,
            outs,
            inner,
            grad: vec![T::ZERO; n * widest],
            spare: vec![T::ZERO; n * widest],
            lr: T::from_f64(lr),
            par: Parallelism::NONE,
        })
    }

    /// Sets the threads the step's kernels may use, as `autodiff::Tape::set_parallelism` does.
    pub fn set_parallelism(&mut self, par: Parallelism) {
        self.par = par;
    }

    /// The current weights, in the order of `Network::layers`.
    pub fn weights(&self) -> &[Vec<T>] {
        &self.weights
    }

    /// One step: forward, loss, backward, update. Returns the loss before the update.
    pub fn step(&mut self) -> T {
        self.step_probed(&mut NoProbe)
    }

    /// [`Self::step`], reporting each piece of work to `probe`. Never inlined, so that
    /// profiles and instruction counts attribute the step to it.
    #[inline(never)]
    pub fn step_probed(&mut self, probe: &mut impl Probe) -> T {
        self.forward(probe);
        let loss = self.loss();
        probe.lap("loss");
        self.backward(probe);
        let minus_lr = -self.lr;
        for (w, g) in self.weights.iter_mut().zip(&self.grads) {
            axpy(minus_lr, g, w, &self.par);
        }
        probe.lap("update");
        loss
    }

    fn forward(&mut self, probe: &mut impl Probe) {
        let (n, par) = (self.n, &self.par);
        for (i, &stage) in self.stages.iter().enumerate() {
            let (before, rest) = self.outs.split_at_mut(i);
            let input: &[T] = if i == 0 { &self.x } else { &before[i - 1] };
            let out = &mut rest[0];
            match stage {
                Stage::Dense { w, relu } => {
                    let [o, d] = self.shapes[w];
                    let wt = view(&self.weights[w], o, d).t();
                    let product = if relu { gemm_relu } else { gemm };
                    product(
                        T::ONE,
                        view(input, n, d),
                        wt,
                        T::ZERO,
                        view_mut(out, n, o),
                        par,
                    );
                    probe.lap("gemm forward");
                }
                Stage::Residual { y, u } => {
                    let [o, d] = self.shapes[y];
                    let s = &mut self.inner[i];
                    let yt = view(&self.weights[y], o, d).t();
                    gemm_relu(
                        T::ONE,
                        view(input, n, d),
                        yt,
                        T::ZERO,
                        view_mut(s, n, o),
                        par,
                    );
                    probe.lap("gemm forward");
                    out.copy_from_slice(input);
                    probe.lap("skip copy");
                    let ut = view(&self.weights[u], o, o).t();
                    gemm(T::ONE, view(s, n, o), ut, T::ONE, view_mut(out, n, o), par);
                    probe.lap("gemm forward");
                }
            }
        }
    }

    /// The mean logistic loss of the margins y·f, with its gradient with respect to f written
    /// to the start of `grad`.
    fn loss(&mut self) -> T {
        let f = self.outs.last().expect("at least the output stage");
        let n = T::from_usize(self.n);
        let mut total = T::ZERO;
        for ((g, &f), &y) in self.grad.iter_mut().zip(f).zip(&self.y) {
            let m = y * f;
            total += softplus_scalar(-m);
            *g = -y * sigmoid_scalar(-m) / n;
        }
        total / n
    }

    fn backward(&mut self, probe: &mut impl Probe) {
        let (n, par) = (self.n, &self.par);
        for i in (0..self.stages.len()).rev() {
            let input: &[T] = if i == 0 { &self.x } else { &self.outs[i - 1] };
            match self.stages[i] {
                Stage::Dense { w, relu } => {
                    let [o, d] = self.shapes[w];
                    let g = &mut self.grad[..n * o];
                    // A ReLU layer read only by the next dense layer got its gradient through
                    // its mask from that layer's product (below), as the tape does.
                    let read_by_dense = matches!(self.stages.get(i + 1), Some(Stage::Dense { .. }));
                    if relu && !read_by_dense {
                        relu_backward_assign(&self.outs[i], g, par);
                        probe.lap("relu backward");
                    }
                    let gv = view(g, n, o);
                    let dw = view_mut(&mut self.grads[w], o, d);
                    let wv = view(&self.weights[w], o, d);
                    let spare = &mut self.spare;
                    let below_relu =
                        i > 0 && matches!(self.stages[i - 1], Stage::Dense { relu: true, .. });
                    par.join_products(
                        [n * o * d, if i > 0 { n * o * d } else { 0 }],
                        |p| gemm(T::ONE, gv.t(), view(input, n, d), T::ZERO, dw, p),
                        |p| {
                            if i == 0 {
                                return;
                            }
                            let dx = view_mut(spare, n, d);
                            if below_relu {
                                let mask = view(input, n, d);
                                gemm_relu_backward(T::ONE, gv, wv, T::ZERO, dx, mask, p);
                            } else {
                                gemm(T::ONE, gv, wv, T::ZERO, dx, p);
                            }
                        },
                    );
                    if i > 0 {
                        std::mem::swap(&mut self.grad, &mut self.spare);
                    }
                    probe.lap("gemm dW, dX");
                }
                Stage::Residual { y, u } => {
                    let [o, d] = self.shapes[y];
                    let s = &self.inner[i];
                    let g = view(&self.grad, n, o);
                    let du = view_mut(&mut self.grads[u], o, o);
                    let ds = &mut self.spare[..n * o];
                    let uv = view(&self.weights[u], o, o);
                    let sv = view(s, n, o);
                    par.join_products(
                        [n * o * o; 2],
                        |p| gemm(T::ONE, g.t(), sv, T::ZERO, du, p),
                        |p| gemm_relu_backward(T::ONE, g, uv, T::ZERO, view_mut(ds, n, o), sv, p),
                    );
                    probe.lap("gemm dW, dX");
                    let dsv = view(ds, n, o);
                    let dy = view_mut(&mut self.grads[y], o, d);
                    let yv = view(&self.weights[y], o, d);
                    let grad = &mut self.grad;
                    par.join_products(
                        [n * o * d, if i > 0 { n * o * d } else { 0 }],
                        |p| gemm(T::ONE, dsv.t(), view(input, n, d), T::ZERO, dy, p),
                        |p| {
                            if i > 0 {
                                gemm(T::ONE, dsv, yv, T::ONE, view_mut(grad, n, d), p);
                            }
                        },
                    );
                    probe.lap("gemm dW, dX");
                }
            }
        }
    }

    /// Every product one step computes, in order, with the layouts it reads them in.
    pub fn gemm_calls(&self) -> Vec<GemmCall> {
        calls_of(&self.stages, &self.shapes, self.n)
    }
}

/// Every product one step of `net` on a full batch of `n` examples computes, in order, with the
/// layouts the floor reads them in (those of [`Floor::gemm_calls`], without allocating the
/// floor's buffers). Errors for architectures outside the floor's family, as [`Floor::new`].
pub fn gemm_calls_for<T: Element>(net: &Network<T>, n: usize) -> Result<Vec<GemmCall>, String> {
    let stages = stages_of(net.arch())?;
    let shapes: Vec<[usize; 2]> = net.layers().iter().map(|l| l.shape).collect();
    Ok(calls_of(&stages, &shapes, n))
}

/// The stages of `arch`, numbering its weights in forward order.
fn stages_of(arch: &Arch) -> Result<Vec<Stage>, String> {
    if arch.output != 1 {
        return Err(format!("`{arch}`: the floor handles scalar outputs only"));
    }
    let mut stages = Vec::new();
    let mut next = 0;
    for spec in &arch.layers {
        let relu = |a: Activation| match a {
            Activation::Relu => Ok(true),
            Activation::Linear => Ok(false),
            Activation::LeakyRelu(_) => Err(format!("`{arch}`: the floor has no leaky ReLU")),
        };
        match *spec {
            LayerSpec::Dense {
                activation,
                bias: false,
                ..
            } => {
                stages.push(Stage::Dense {
                    w: next,
                    relu: relu(activation)?,
                });
                next += 1;
            }
            LayerSpec::Block {
                activation: Activation::Relu,
                skip: Skip::PreActivation,
            } => {
                stages.push(Stage::Residual {
                    y: next,
                    u: next + 1,
                });
                next += 2;
            }
            _ => return Err(format!("`{arch}`: the floor has no layer `{spec}`")),
        }
    }
    stages.push(Stage::Dense {
        w: next,
        relu: false,
    });
    Ok(stages)
}

/// The products of one step through `stages` (weights of `shapes`) on `n` examples.
fn calls_of(stages: &[Stage], shapes: &[[usize; 2]], n: usize) -> Vec<GemmCall> {
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    for (i, &stage) in stages.iter().enumerate() {
        let first = i == 0;
        match stage {
            Stage::Dense { w, .. } => {
                let [o, d] = shapes[w];
                forward.push(GemmCall::forward(n, d, o, false));
                backward.push(GemmCall::weight_grad(o, n, d));
                if !first {
                    backward.push(GemmCall::input_grad(n, o, d, false));
                }
            }
            Stage::Residual { y, .. } => {
                let [o, d] = shapes[y];
                forward.push(GemmCall::forward(n, d, o, false));
                forward.push(GemmCall::forward(n, o, o, true));
                backward.push(GemmCall::weight_grad(o, n, o));
                backward.push(GemmCall::input_grad(n, o, o, false));
                backward.push(GemmCall::weight_grad(o, n, d));
                if !first {
                    backward.push(GemmCall::input_grad(n, o, d, true));
                }
            }
        }
    }
    forward.extend(backward);
    forward
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::workload::WORKLOADS;

    #[test]
    fn the_calls_without_a_floor_are_the_floors() {
        for w in WORKLOADS {
            let (x, y) = w.data::<f32>();
            let net = w.network::<f32>();
            let floor = Floor::new(&net, &x, &y, 0.01).unwrap();
            assert_eq!(
                gemm_calls_for(&net, w.examples).unwrap(),
                floor.gemm_calls(),
                "{}",
                w.name
            );
        }
        let leaky: Arch = "3,leaky(0.1):4,1".parse().unwrap();
        let net = Network::<f32>::new(&leaky, models::Init::He, 0);
        assert!(gemm_calls_for(&net, 5).unwrap_err().contains("leaky"));
    }
}
