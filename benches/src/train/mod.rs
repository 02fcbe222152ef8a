//! The `train-step` benchmark: whole training steps (forward, loss, backward, update) of small
//! bias-free networks, timed three ways and compared, with peers.
//!
//! - [`workload`]: the networks, their seeded data and step size;
//! - [`ours`]: the step as users write it, on a `models::Network` and its tape (and through
//!   `models::Trainer`);
//! - [`floor`]: the same step written by hand on `kernels`, no tape: the autodiff's floor;
//! - [`gemms`]: every product of the step timed alone: the GEMM-bound estimate;
//! - [`sample`] and [`probe`]: interleaved timing and the per-op profile;
//! - [`bench`](mod@bench): one workload measured all these ways;
//! - [`peers`]: running the Python peers (`benches/peers/train_step.py`: JAX, `torch.compile`,
//!   eager PyTorch), one pinned process per peer and thread count, and [`lineup`]: all of those
//!   asked for across the benchmark, the missing ones skipped with a note;
//! - [`report`]: the table and the JSON file, and [`versus`]: ours against the best peer.

pub mod bench;
pub mod floor;
pub mod gemms;
pub mod lineup;
pub mod ours;
pub mod peers;
pub mod probe;
pub mod report;
pub mod sample;
pub mod versus;
pub mod workload;
