//! `experiments`: the binaries that put the low-rank theory of deep networks to the test.
//!
//! Reference: T. Le and S. Jegelka, *Training invariances and the low-rank phenomenon: beyond
//! linear networks*, ICLR 2022 (arXiv:2201.11968). The paper is theory only; each binary of this
//! crate states one of its claims, measures it on a training run, and says plainly whether it held.
//!
//! # Setting
//! A scalar-output network, bias-free, whose hidden units are positively 1-homogeneous (ReLU,
//! leaky ReLU or linear), trained by gradient descent on binary, linearly separable data scaled so
//! that every input has norm at most 1, with the logistic or exponential loss of the margins
//! m_i = y_i f(x_i).
//!
//! # The claims and how we measure them
//! | claim | metric | threshold |
//! | --- | --- | --- |
//! | **Rank one in the tail**: the trailing linear layers become rank one | r = σ₁/‖W‖_F per layer | r > 0.99 |
//! | **Alignment**: adjacent trailing layers align (top left singular vector of W_k with the top right one of W_{k+1}) | \|⟨v_{k+1}, u_k⟩\| per pair | > 0.99 |
//! | **Deep linear nets**: every layer is rank one and aligned, and the normalized margin min_i m_i / Π‖W_k‖_F tends to the hard-margin SVM margin of the data | normalized margin / SVM margin | > 0.95 |
//! | **ReLU layers need not**: a ReLU layer ahead of a linear tail need not become rank one; on the two-point data it stays clearly away | r of the ReLU layer | r < 0.9 |
//! | **Counterexample**: on two orthogonal points, a ReLU layer keeps rank two | r of the ReLU layer | \|r − 1/√2\| ≤ 0.05 |
//! | **Invariances**: per-neuron and per-layer quantities, and W_{k+1}ᵀW_{k+1} − W_kW_kᵀ on linear layers and on the stably-active block of ReLU layers, are conserved (drift O(step²) under gradient descent); the full-matrix quantity of a ReLU layer is not | drift ‖Δ(t) − Δ(0)‖_F / ‖W_k‖_F² | conserved: < 1e-3 with a small step, and halving the step at equal training time halves the drift (ratio 2 ± 0.5); not conserved: > 10× the conserved ones |
//! | **Rate**: a smaller initialization reaches rank one sooner; a constant step at large initialization is slow | steps until r > 0.99 | slow control stays below 0.99 |
//!
//! The exact statement of each claim, its metric and threshold, is also printed by each binary's
//! `--help` and written with the measured value and the verdict into every run's `summary.json`.
//! `experiments/README.md` has the full table and results from an actual run.
//!
//! # Modules
//! [`runner`] trains one network and records [`record`]s on a [`schedule`]; [`suite`] holds the
//! experiments and [`suite::judge`] the claims as checks; [`sweep`] runs grids; [`report`],
//! [`plot`], [`table`] and [`summary`] write what a run found; [`data`], [`svm`] and [`metrics`]
//! provide the data sets, the SVM reference margin and the spectral and invariance metrics.
//!
//! # Layout of a run directory
//! See [`rundir`]: `metrics.csv` (long format), `summary.json`, `final.safetensors`, `report.md`
//! and the SVG plots it embeds.

pub mod atomic;
pub mod claims;
pub mod cli;
pub mod data;
pub mod error;
pub mod metrics;
pub mod plot;
pub mod progress;
pub mod record;
pub mod report;
pub mod rundir;
pub mod runner;
pub mod schedule;
pub mod suite;
pub mod summary;
pub mod svm;
pub mod sweep;
pub mod table;
