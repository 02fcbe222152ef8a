//! The benchmark's workloads: the networks, their data and the training hyperparameters.

use autodiff::{Element, Tensor};
pub use kernels::Dtype;
use kernels::rng::Rng;
use models::{Arch, Init, Network};

/// Step size of the plain gradient descent every workload runs: small enough that thousands of
/// timed steps stay finite.
pub const LEARNING_RATE: f64 = 0.01;

/// Seed of the weights and of the data.
pub const SEED: u64 = 2024;

/// One benchmark network: bias-free, trained full-batch with the logistic loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Its name on the command line and in reports (the PyTorch peer uses the same names).
    pub name: &'static str,
    /// The architecture, in the grammar of `models::Arch`.
    pub arch: &'static str,
    /// Examples in the (full) batch.
    pub examples: usize,
    /// The element types it runs in.
    pub dtypes: &'static [Dtype],
}

/// Every workload, in report order.
pub const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "mlp784",
        arch: "784,relu:512,relu:512,relu:512,1",
        examples: 256,
        dtypes: &[Dtype::F32],
    },
    Workload {
        name: "mlp20",
        arch: "20,relu:100,relu:100,relu:100,1",
        examples: 200,
        dtypes: &[Dtype::F32, Dtype::F64],
    },
    Workload {
        name: "res20",
        arch: "20,relu:100,res(relu),res(relu),res(relu),res(relu),1",
        examples: 200,
        dtypes: &[Dtype::F32],
    },
    Workload {
        name: "linear10",
        arch: "10,linear:20,linear:20,linear:20,1",
        examples: 100,
        dtypes: &[Dtype::F64],
    },
];

/// The workload called `name`, if any.
pub fn find(name: &str) -> Option<Workload> {
    WORKLOADS.into_iter().find(|w| w.name == name)
}

impl Workload {
    /// The parsed architecture (the constants above always parse).
    pub fn parsed_arch(&self) -> Arch {
        self.arch
            .parse()
            .unwrap_or_else(|e| panic!("workload {}: {e}", self.name))
    }

    /// The network at its seeded He initialisation.
    pub fn network<T: Element>(&self) -> Network<T> {
        Network::new(&self.parsed_arch(), Init::He, SEED)
    }

    /// The seeded data set: x \[examples, input\] standard normal, labels y \[examples\] in {−1, +1}
    /// drawn independently of x (so the loss stays away from zero during thousands of steps).
    pub fn data<T: Element>(&self) -> (Tensor<T>, Tensor<T>) {
        let d = self.parsed_arch().input;
        let n = self.examples;
        let mut rng = Rng::new(SEED).fork(1);
        let x = (0..n * d).map(|_| T::from_f64(rng.normal())).collect();
        let y = (0..n)
            .map(|_| T::from_f64(if rng.uniform() < 0.5 { -1.0 } else { 1.0 }))
            .collect();
        (
            Tensor::from_vec(x, &[n, d]).expect("sized for the shape"),
            Tensor::from_vec(y, &[n]).expect("sized for the shape"),
        )
    }
}
