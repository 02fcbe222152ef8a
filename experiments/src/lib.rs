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
//! # The claims
//! Each claim is declared once in [`claims::catalogue`]: its statement, its source (a numbered
//! result of the paper, the earlier deep-linear result it extends, a hypothesis, or an observation
//! of ours), the metric it reads as a typed [`runner::Metric`], the layers or pairs it covers, the
//! reduction, the threshold and its premises. A claim whose premise fails is *not applicable*,
//! never "holds". The judge, each binary's `--help`, `experiments/README.md`'s table, the reports,
//! the sweep's columns and the threshold lines of the plots are generated from the declarations;
//! `lowrank` judges them over several seeds ([`claims::over_seeds`]).
//!
//! # Modules
//! [`runner`] trains one network and records [`record`]s on a [`schedule`]; [`suite`] holds the
//! experiments, each a list of runs and the claims judged on them; [`claims`] declares and judges
//! the claims; [`sweep`] runs grids; [`report`], [`plot`], [`table`] and [`summary`] write what a
//! run found; [`data`], [`svm`] and [`metrics`] provide the data sets, the SVM reference margin and
//! the spectral and invariance metrics.
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
