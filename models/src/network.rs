//! A network built from an [`Arch`]: its weights live as parameters on its own tape, in forward
//! order, and its forward pass records h = x·Wᵀ per layer (fused with a ReLU that follows it),
//! the activations and the residual sums.

use std::fmt;

use autodiff::{Element, Tape, Tensor, Var};
use kernels::rng::Rng;

use crate::arch::{Activation, Arch, ArchError, LayerSpec, Skip};
use crate::init::Init;
use crate::layers::{LayerInfo, LayerKind, layer_list};

/// A bias-free (except optionally the first layer) MLP or residual MLP with its own tape.
///
/// ```
/// use autodiff::Tensor;
/// use models::{Arch, Init, Network};
///
/// let arch: Arch = "3,relu:8,res(relu),linear:4,1".parse().unwrap();
/// let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 1.0 }, 7);
/// // One line per weight matrix: its name, its shape, whether it is linear.
/// for layer in net.layers() {
///     println!("{} {:?}", layer.name, layer.shape);
/// }
/// let x = Tensor::from_vec(vec![0.1, 0.2, 0.3, -1.0, 0.0, 1.0], &[2, 3]).unwrap();
/// assert_eq!(net.predict(&x).shape(), &[2, 1]);
/// // The same seed gives the same weights, bit for bit.
/// let mut again = Network::<f64>::new(&arch, Init::Gaussian { scale: 1.0 }, 7);
/// assert_eq!(again.predict(&x).data(), net.predict(&x).data());
/// ```
pub struct Network<T: Element> {
    arch: Arch,
    layers: Vec<LayerInfo>,
    pairs: Vec<(usize, usize)>,
    tape: Tape<T>,
    /// The tape parameter of each entry of `layers`.
    weights: Vec<Var>,
    /// The first layer's bias, created right after its weight.
    bias: Option<Var>,
    /// Every parameter in tape order: the weights in forward order, the bias after the first.
    params: Vec<Var>,
    /// Per parameter of `params`, whether training updates it (false under a `!fixed` marker).
    trained: Vec<bool>,
    /// What the last forward pass recorded on the tape, for reading its values back.
    last: Recorded,
}

/// The vars of one forward pass that describe the network's state on its batch.
#[derive(Clone, Debug, Default)]
struct Recorded {
    /// The output var.
    output: Option<Var>,
    /// Per layer, the var after the nonlinearity that follows it (None for linear layers): its
    /// positive entries are the layer's active (example, unit) pairs.
    activations: Vec<Option<Var>>,
    /// The tape's parameter version when the pass ran.
    version: u64,
}

impl<T: Element> Network<T> {
    /// A network of architecture `arch` with weights drawn by `init` from `seed` (layer k draws
    /// from sub-stream k, so the same seed gives the same weights in f32 and f64, up to rounding);
    /// a layer marked `!signs` is drawn by [`Init::Signs`] instead.
    /// Panics if `arch` is invalid (an `Arch` from `FromStr` always is valid; see [`Self::try_new`]).
    pub fn new(arch: &Arch, init: Init, seed: u64) -> Self {
        Self::try_new(arch, init, seed).unwrap_or_else(|e| panic!("Network::new: {e}"))
    }

    /// Like [`Self::new`], with an invalid architecture reported instead of panicking.
    pub fn try_new(arch: &Arch, init: Init, seed: u64) -> Result<Self, ArchError> {
        arch.validate()?;
        let (layers, pairs) = layer_list(arch);
        let rng = Rng::new(seed);
        let mut tape = Tape::new();
        let mut weights = Vec::with_capacity(layers.len());
        let mut bias = None;
        let mut trained = Vec::with_capacity(layers.len() + 1);
        for (k, info) in layers.iter().enumerate() {
            let [rows, cols] = info.shape;
            let drawn_by = if info.marks.signs { Init::Signs } else { init };
            let values = drawn_by.draw(rows, cols, &mut rng.fork(k as u64));
            let values = values.into_iter().map(T::from_f64).collect();
            let w = Tensor::from_vec(values, &info.shape).expect("drawn for this shape");
            weights.push(tape.param(w));
            trained.push(!info.marks.fixed);
            if k == 0 && arch.has_bias() {
                bias = Some(tape.param(Tensor::zeros(&[rows])));
                trained.push(!info.marks.fixed);
            }
        }
        let params = tape.params().to_vec();
        Ok(Self {
            arch: arch.clone(),
            layers,
            pairs,
            tape,
            weights,
            bias,
            params,
            trained,
            last: Recorded::default(),
        })
    }

    /// The architecture the network was built from.
    pub fn arch(&self) -> &Arch {
        &self.arch
    }

    /// Every weight matrix in forward order, with name, shape, role and following activation.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// The pairs (a, b), a < b, of indices into [`Self::layers`] such that the output side of a
    /// feeds the input side of b. For an MLP these are (k, k+1); in residual nets the skips add
    /// pairs such as (layer before a block, the next block's Y). Sorted.
    pub fn adjacent_pairs(&self) -> Vec<(usize, usize)> {
        self.pairs.clone()
    }

    /// The weight of layer `layer` (an index into [`Self::layers`]), [out, in].
    pub fn weight(&self, layer: usize) -> &Tensor<T> {
        self.tape.value(self.weights[layer])
    }

    /// The weight of layer `layer`, writable.
    pub fn weight_mut(&mut self, layer: usize) -> &mut Tensor<T> {
        self.tape.param_mut(self.weights[layer])
    }

    /// The first layer's bias (\[width\]), if the architecture has one.
    pub fn bias(&self) -> Option<&Tensor<T>> {
        self.bias.map(|b| self.tape.value(b))
    }

    /// The first layer's bias, writable.
    pub fn bias_mut(&mut self) -> Option<&mut Tensor<T>> {
        self.bias.map(|b| self.tape.param_mut(b))
    }

    /// Every parameter with its checkpoint name, in tape order: the weights in forward order,
    /// with `layers.0.bias` right after the first weight if there is a bias.
    pub fn named_params(&self) -> Vec<(String, &Tensor<T>)> {
        let mut out: Vec<(String, &Tensor<T>)> = self
            .layers
            .iter()
            .zip(&self.weights)
            .map(|(l, &w)| (l.name.clone(), self.tape.value(w)))
            .collect();
        if let Some(b) = self.bias {
            out.insert(1, ("layers.0.bias".to_string(), self.tape.value(b)));
        }
        out
    }

    /// Per parameter, in the order of [`Self::named_params`] (which is the tape's), whether
    /// training updates it: false for the matrices (and bias) of an entry marked `!fixed`.
    pub fn trained(&self) -> &[bool] {
        &self.trained
    }

    /// Parameter `i` in the order of [`Self::named_params`], writable.
    pub fn param_mut(&mut self, i: usize) -> &mut Tensor<T> {
        self.tape.param_mut(self.params[i])
    }

    /// The degree L of positive homogeneity of the output in the trained parameters θ, when it
    /// has one: f(c·θ; x) = c^L·f(θ; x) for every c > 0. Every activation here (ReLU, leaky
    /// ReLU, identity) is positively 1-homogeneous, so a chain of bias-free fully-connected
    /// layers, all trained, has L = its number of matrices. None with a bias (degree 0 mixed in),
    /// a residual block (its skip adds a term of another degree) or a `!fixed` entry (the
    /// degree in the trained parameters alone is lower, and a theorem about homogeneous
    /// networks is stated for all of them).
    ///
    /// ```
    /// use models::{Arch, Init, Network};
    ///
    /// let net = |text: &str| {
    ///     let arch: Arch = text.parse().unwrap();
    ///     Network::<f64>::new(&arch, Init::Gaussian { scale: 1.0 }, 0)
    /// };
    /// assert_eq!(net("3,relu:8,linear:4,1").homogeneity_degree(), Some(3));
    /// assert_eq!(net("3,relu:8,res(relu),1").homogeneity_degree(), None);
    /// ```
    pub fn homogeneity_degree(&self) -> Option<usize> {
        let chain = self
            .layers
            .iter()
            .all(|l| matches!(l.kind, LayerKind::Dense { .. } | LayerKind::Output));
        (chain && self.bias.is_none() && self.trained.iter().all(|&t| t))
            .then_some(self.layers.len())
    }

    /// Total number of weights and biases, those of `!fixed` entries included.
    pub fn parameter_count(&self) -> usize {
        self.tape
            .params()
            .iter()
            .map(|&p| self.tape.value(p).len())
            .sum()
    }

    /// Multiply–adds of the largest weight product of a step on a batch of `rows` examples
    /// (each layer's forward product and its two backward ones are the same size): what decides
    /// whether its products are worth sharing between threads.
    pub fn largest_product(&self, rows: usize) -> usize {
        self.layers
            .iter()
            .map(|layer| rows * layer.shape[0] * layer.shape[1])
            .max()
            .unwrap_or(0)
    }

    /// Network outputs for a batch x [n, in], no gradient recorded: [n, out].
    /// Resets the tape (forgetting any recorded step).
    pub fn predict(&mut self, x: &Tensor<T>) -> Tensor<T> {
        self.without_grad(x, |net, xv| {
            let out = net.run(xv, None);
            net.tape.value(out).clone()
        })
    }

    /// The product W·input of every layer in [`Self::layers`] order (plus the bias for the first
    /// layer if it has one), [n, out_features] each, before any activation or residual sum; no
    /// gradient. In a learned-skip block σ acts on the sum of the U and Z products, in a
    /// ResNetIdentity block on the sum of the U product and the block's input.
    /// Resets the tape.
    pub fn preactivations(&mut self, x: &Tensor<T>) -> Vec<Tensor<T>> {
        self.without_grad(x, |net, xv| {
            let mut record = Vec::with_capacity(net.layers.len());
            net.run(xv, Some(&mut record));
            record.iter().map(|&v| net.tape.value(v).clone()).collect()
        })
    }

    /// Records the forward pass on the network's tape (call `tape().reset()` first);
    /// `x` is an [n, in] var on that tape; returns the [n, out] output var.
    pub fn forward(&mut self, x: Var) -> Var {
        self.run(x, None)
    }

    /// The output [n, out] of the last forward pass (of training, [`Self::predict`] or
    /// [`Self::forward`]), read back from the tape: None once the tape has been reset or the
    /// weights written since, so a value is always that of the current weights.
    pub fn last_output(&self) -> Option<&Tensor<T>> {
        self.last_value(self.last.output)
    }

    /// The output [n, out] of layer `layer`'s nonlinearity in the last forward pass, as for
    /// [`Self::last_output`]; None also for a layer that no nonlinearity follows. For the U and Z
    /// matrices of a learned-skip block it is σ of their sum, for the U of a ResNetIdentity block
    /// σ of U's product plus the block's input. Positive entries mark the
    /// (example, unit) pairs on which the unit is active (ReLU, leaky ReLU).
    pub fn last_activation(&self, layer: usize) -> Option<&Tensor<T>> {
        self.last_value(self.last.activations.get(layer).copied().flatten())
    }

    fn last_value(&self, var: Option<Var>) -> Option<&Tensor<T>> {
        var.filter(|&v| self.tape.is_live(v) && self.last.version == self.tape.params_version())
            .map(|v| self.tape.value(v))
    }

    /// The network's tape, for recording a loss after [`Self::forward`] and running backward.
    pub fn tape(&mut self) -> &mut Tape<T> {
        &mut self.tape
    }

    /// The network's tape, read-only (values and gradients of the last step).
    pub fn tape_ref(&self) -> &Tape<T> {
        &self.tape
    }

    /// The same network with its weights converted to another element type.
    pub fn cast<U: Element>(&self) -> Network<U> {
        let mut out = Network::<U>::new(&self.arch, Init::Zeros, 0);
        for (i, (_, t)) in self.named_params().into_iter().enumerate() {
            *out.param_mut(i) = t.cast();
        }
        out
    }

    fn without_grad<R>(&mut self, x: &Tensor<T>, f: impl FnOnce(&mut Self, Var) -> R) -> R {
        self.tape.reset();
        let before = self.tape.grad_enabled();
        self.tape.set_grad_enabled(false);
        let xv = self.tape.input(x.data(), x.shape());
        let result = f(self, xv);
        self.tape.set_grad_enabled(before);
        result
    }

    /// The forward pass on the network's own tape; pushes each product onto `record` if given.
    fn run(&mut self, x: Var, record: Option<&mut Vec<Var>>) -> Var {
        let mut activations = std::mem::take(&mut self.last.activations);
        activations.clear();
        let output = run_on(
            &self.arch,
            &mut self.tape,
            x,
            &self.params,
            record,
            &mut activations,
        );
        self.last = Recorded {
            output: Some(output),
            activations,
            version: self.tape.params_version(),
        };
        output
    }
}

/// Records the forward pass of architecture `arch` on any tape, with the weights (and bias)
/// given as vars `params` in the order of [`Network::named_params`]. Lets a network's function
/// be recorded on another tape, e.g. the one of `autodiff::gradcheck`.
pub fn record_forward<T: Element>(arch: &Arch, tape: &mut Tape<T>, x: Var, params: &[Var]) -> Var {
    run_on(arch, tape, x, params, None, &mut Vec::new())
}

/// The layers' products h·Wᵀ and their activations. Unless the products are being recorded
/// (which needs each before what follows it), a bias-free ReLU product is recorded as one fused
/// `linear_relu`, and the last product of a residual block with its identity skip as one
/// `linear_add`: the same values and gradients, a buffer and a pass fewer each way. Pushes onto
/// `activations`, per layer in [`Network::layers`] order, the var after its nonlinearity.
fn run_on<T: Element>(
    arch: &Arch,
    tape: &mut Tape<T>,
    x: Var,
    params: &[Var],
    mut record: Option<&mut Vec<Var>>,
    activations: &mut Vec<Option<Var>>,
) -> Var {
    let mut next = params.iter().copied();
    // One layer on h; with `onto`, a linear one whose product is added to that stream.
    let mut layer =
        |tape: &mut Tape<T>, h: Var, with_bias: bool, activation: Activation, onto: Option<Var>| {
            let w = next.next().expect("one parameter per layer");
            if record.is_none() && !with_bias {
                match onto {
                    Some(stream) => return tape.linear_add(stream, h, w),
                    None if activation == Activation::Relu => return tape.linear_relu(h, w),
                    None => {}
                }
            }
            let mut z = tape.linear(h, w);
            if with_bias {
                z = tape.add(z, next.next().expect("the bias follows the first weight"));
            }
            if let Some(r) = record.as_deref_mut() {
                r.push(z);
            }
            let z = activate(tape, z, activation);
            onto.map_or(z, |stream| tape.add(stream, z))
        };
    let nonlinear = |activation: Activation, var: Var| (!activation.is_linear()).then_some(var);
    let mut h = x;
    for (i, spec) in arch.layers.iter().enumerate() {
        match *spec {
            LayerSpec::Dense {
                activation, bias, ..
            } => {
                h = layer(tape, h, i == 0 && bias, activation, None);
                activations.push(nonlinear(activation, h));
            }
            LayerSpec::Block { activation, skip } => {
                let s = layer(tape, h, false, activation, None);
                activations.push(nonlinear(activation, s));
                h = match skip {
                    Skip::PreActivation => {
                        activations.push(None);
                        layer(tape, s, false, Activation::Linear, Some(h))
                    }
                    Skip::ResNetIdentity => {
                        let sum = layer(tape, s, false, Activation::Linear, Some(h));
                        let out = activate(tape, sum, activation);
                        // U feeds the σ after the sum: its units are active where the sum is.
                        activations.push(nonlinear(activation, out));
                        out
                    }
                    Skip::Learned => {
                        let u = layer(tape, s, false, Activation::Linear, None);
                        let z = layer(tape, h, false, Activation::Linear, None);
                        let sum = tape.add(u, z);
                        let out = activate(tape, sum, activation);
                        // U and Z feed one σ: their units are active where the sum is.
                        activations.extend([nonlinear(activation, out); 2]);
                        out
                    }
                };
            }
        }
    }
    activations.push(None);
    layer(tape, h, false, Activation::Linear, None)
}

fn activate<T: Element>(tape: &mut Tape<T>, z: Var, activation: Activation) -> Var {
    match activation {
        Activation::Relu => tape.relu(z),
        Activation::LeakyRelu(slope) => tape.leaky_relu(z, T::from_f64(slope)),
        Activation::Linear => z,
    }
}

impl<T: Element> Clone for Network<T> {
    /// A copy of the weights on a fresh tape (the recorded step is not copied).
    fn clone(&self) -> Self {
        self.cast()
    }
}

impl<T: Element> fmt::Debug for Network<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("arch", &self.arch.to_string())
            .field("dtype", &T::NAME)
            .field("parameters", &self.parameter_count())
            .finish()
    }
}
