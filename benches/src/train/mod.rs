//! The `train-step` benchmark: whole training steps (forward, loss, backward, update) of small
//! bias-free networks, timed three ways and compared.
//!
//! - [`workload`]: the networks, their seeded data and step size;
//! - [`ours`]: the step as users write it, on a `models::Network` and its tape (and through
//!   `models::Trainer`);
//! - [`floor`]: the same step written by hand on `kernels`, no tape: the autodiff's floor;
//! - [`gemms`]: every product of the step timed alone: the GEMM-bound estimate;
//! - [`sample`] and [`probe`]: interleaved timing and the per-op profile;
//! - [`bench`](mod@bench): one workload measured all these ways;
//! - [`torch`]: running the PyTorch peer `benches/peers/train_step.py`;
//! - [`report`]: the table and the JSON file.

pub mod bench;
pub mod floor;
pub mod gemms;
pub mod ours;
pub mod probe;
pub mod report;
pub mod sample;
pub mod torch;
pub mod workload;
