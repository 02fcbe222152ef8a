//! Measuring lowrank against its peers: shared helpers of the criterion benches and the report
//! binaries (`roofline`, `train-step`, `research-scale` and `checkpoint-cost`).
//!
//! Timing, flop counting, the benchmark shapes, the operands and the peer GEMM wrappers live here
//! so that every bench and report measures the same products the same way.

pub mod blas;
pub mod cblas_layout;
pub mod flops;
pub mod operands;
pub mod peers;
pub mod plot;
pub mod python;
pub mod report;
pub mod research;
pub mod shapes;
pub mod timing;
pub mod train;
