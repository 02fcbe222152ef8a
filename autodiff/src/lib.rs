//! `autodiff`: tensors, a reverse-mode tape, ops with their backward rules, gradient checking.
//!
//! Read `tape.rs` (the Wengert list) and `backward.rs` (the reverse sweep) first: together they
//! are the whole mechanism. Every op lives in `ops/`, its forward rule beside its backward rule.

mod backward;
mod gradcheck;
mod ops;
mod pool;
mod shape;
mod tape;
mod tensor;

pub use gradcheck::{GradCheckReport, gradcheck};
pub use kernels::Element;
pub use ops::margin::{MarginLoss, UnknownMarginLoss};
pub use shape::MAX_RANK;
pub use tape::{Tape, Var};
pub use tensor::{Tensor, TensorError};
