//! `kernels`: the numeric floor of lowrank.
//!
//! Everything that touches raw memory lives here: the packed, cache-blocked GEMM with its SIMD
//! microkernels, the elementwise maps and reductions the autodiff ops call, the small dense linear
//! algebra the metrics need (SVD), and a tiny deterministic random number generator shared by every
//! crate above. This is the only crate of the workspace that may use `unsafe`.

pub mod alloc_counter;
pub mod element;
pub mod elementwise;
pub mod gemm;
pub mod linalg;
pub mod parallel;
pub mod peak;
pub mod reduce;
pub mod rng;
mod scratch;
pub mod view;

pub use element::{Dtype, Element};
pub use gemm::{gemm, gemm_relu, gemm_relu_backward};
pub use view::{MatMut, MatRef, ViewError};
