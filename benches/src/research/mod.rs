//! The `research-scale` benchmark: whole runs of `train` on Fashion-MNIST (trouser vs bag) at
//! research widths and sizes, each timed in its phases (setup, training, metrics), against the
//! same runs in PyTorch.
//!
//! - [`case`]: what one run is (width, examples) and how `train` would configure it;
//! - [`data`]: the Fashion-MNIST pair and its first n examples;
//! - [`final_state`]: where a run ended (loss, accuracy, r per layer), ours and the peer's;
//! - [`ours`]: one run through `experiments::runner::execute`, timed;
//! - [`phases`]: the phases of a timed run and their medians;
//! - [`torch`]: the PyTorch peer `benches/peers/research_scale.py`;
//! - [`bound`]: the GEMM bound of a training step;
//! - [`report`]: the rows (medians over the repeats), the JSON file and the markdown table.

pub mod bound;
pub mod case;
pub mod data;
pub mod final_state;
pub mod ours;
pub mod phases;
pub mod report;
pub mod torch;
