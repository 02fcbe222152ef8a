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
//! of ours), the metric it reads as a typed [`metrics::Metric`], the layers or pairs it covers, the
//! reduction, the threshold and its premises. A claim whose premise fails is *not applicable*,
//! never "holds". The judge, each binary's `--help`, `experiments/README.md`'s table, the reports,
//! the sweep's columns and the threshold lines of the plots are generated from the declarations;
//! `lowrank` judges them over several seeds ([`claims::over_seeds`]).
//!
//! # Modules, in the order a run takes them
//! - [`data`]: the data sets (synthetic, digits, CSV, MNIST-format IDX) and their hard-margin SVM
//!   margin ([`data::svm`]), the reference the margin claims compare against;
//! - [`runner`]: trains one network ([`runner::execute`]) on a log [`runner::schedule`], into a
//!   run folder ([`runner::rundir`]);
//! - [`metrics`]: what is recorded at each log, as a typed [`metrics::Metric`] in a
//!   [`metrics::log::MetricsLog`]: spectra, alignment, invariance drifts, activity, margins;
//! - [`claims`]: the claims, each declared once, judged on a run's record and over seeds;
//! - [`report`]: what a run, an experiment and the suite found (`report.md`, `summary.json`,
//!   the plots and tables);
//! - [`suite`]: the experiments, each a small declaration of its runs and of the claims judged on
//!   them, and [`suite::sweep`], the grids;
//! - [`cli`], [`values`], [`help`] and [`error`]: the binaries' shared flags, the parsers of their
//!   named values, the form of their help, and their errors (files are written by
//!   [`models::atomic`], the one atomic writer).
//!
//! # Layout of a run directory
//! See [`runner::rundir`]: `metrics.csv` (long format), `summary.json`, `final.safetensors`, `report.md`
//! and the SVG plots it embeds.

pub mod claims;
pub mod cli;
pub mod data;
pub mod error;
pub mod fuzz;
pub mod help;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod suite;
pub mod values;
