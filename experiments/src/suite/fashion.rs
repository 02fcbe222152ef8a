//! Research scale: two classes of Fashion-MNIST (12,000 examples × 784 pixels for the default
//! pair), a ReLU layer then a linear tail of width 512, trained full batch until it fits the data
//! and the tail reaches the rank-one regime (Corollary 1 of the paper).

use std::path::{Path, PathBuf};

use models::{Arch, Init, StepRule};

use super::{Common, Experiment, ExperimentResult, Training, spec};
use crate::claims::{ClaimSpec, catalogue, help};
use crate::data::{self, DataError, Dataset};
use crate::error::RunError;
use crate::metrics::MetricSet;
use crate::runner::Start;
use crate::runner::rundir::RunDir;

/// The binary's name.
pub const NAME: &str = "fashion";
/// One-line description.
pub const TITLE: &str =
    "two classes of Fashion-MNIST, a ReLU layer then a linear tail of width 512: research scale";
/// Where the Debian package `dataset-fashion-mnist` puts the files.
pub const DEFAULT_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// How to get the files, for the error when they are missing.
pub const HOW_TO_GET: &str = "install the Debian package (`sudo apt-get install \
    dataset-fashion-mnist`), or point --data-dir at a folder holding the MNIST-format files \
    train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (from \
    https://github.com/zalandoresearch/fashion-mnist)";
/// The claims of the run.
pub const CLAIMS: &[&ClaimSpec] = catalogue::LINEAR_TAIL;

/// The claims, for `--help`.
pub fn claims_help() -> String {
    format!(
        "Runs `relu-tail` (--arch) on two classes of the MNIST-format folder. A random 512 × 512 \
start has r ≈ 0.09. The premises are the theory's setting: when one fails, the claims resting on \
it are `not applicable`.\n\n{}\nFashion-MNIST classes: 0 T-shirt, 1 trouser, 2 pullover, 3 dress, \
4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot.",
        help(CLAIMS)
    )
}

/// Settings of the experiment.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Config {
    /// MNIST-format folder with train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (or
    /// the same names uncompressed).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DIR)]
    pub data_dir: PathBuf,
    /// The two classes, first labelled +1, second −1.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    pub classes: Vec<u8>,
    /// The network: a ReLU layer, then the linear tail (see `train --help` for the grammar).
    #[arg(long, default_value = "784,relu:512,linear:512,linear:512,1")]
    pub arch: Arch,
    /// Initialization scale s (weights N(0, s²/fan_in)).
    #[arg(long, default_value_t = 0.01)]
    pub init_scale: f64,
    /// Step rule.
    #[arg(long, default_value = "grad-normalized")]
    pub step_rule: StepRule,
    /// Learning rate.
    #[arg(long, default_value_t = 1.0)]
    pub lr: f64,
    /// Full-batch steps.
    #[arg(long, default_value_t = 600)]
    pub steps: usize,
}

impl Default for Config {
    fn default() -> Self {
        crate::cli::defaults()
    }
}

/// The two classes of the MNIST-format folder `dir`; a missing file is named with how to get it.
pub fn load(dir: &Path, classes: &[u8]) -> Result<Dataset, RunError> {
    let [a, b] = classes[..] else {
        return Err(RunError::Config(format!(
            "--classes takes two classes, got {classes:?}"
        )));
    };
    match data::load_mnist_dir(dir, a, b) {
        Err(e @ DataError::Missing { .. }) => Err(RunError::Config(format!("{e}; {HOW_TO_GET}"))),
        Err(e) => Err(e.into()),
        Ok(data) => Ok(Dataset {
            name: format!("{}({a} vs {b})", folder_name(dir)),
            ..data
        }),
    }
}

/// The folder's last component (`fashion-mnist`), for the data set's name in reports.
fn folder_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Runs the experiment.
pub fn run(cfg: &Config, common: &Common, dir: &RunDir) -> Result<ExperimentResult, RunError> {
    if !(cfg.lr.is_finite() && cfg.lr > 0.0) {
        return Err(RunError::Config(format!(
            "--lr {}: the learning rate must be a positive number",
            cfg.lr
        )));
    }
    if !(cfg.init_scale.is_finite() && cfg.init_scale > 0.0) {
        return Err(RunError::Config(format!(
            "--init-scale {}: the initialization scale must be a positive number",
            cfg.init_scale
        )));
    }
    let data = load(&cfg.data_dir, &cfg.classes)?;
    let mut common = common.clone();
    // The claims need the spectra, the alignments and the accuracy; the invariance drifts are
    // the costly family at width 512 and are computed only when asked for.
    common.metrics.get_or_insert_with(MetricSet::cheap);
    let mut exp = Experiment::new(NAME, TITLE, dir, &common);
    let training = Training::logistic(cfg.step_rule, cfg.lr, cfg.steps);
    let start = Start::Random(Init::Gaussian {
        scale: cfg.init_scale,
    });
    let s = spec("relu-tail", &cfg.arch, start, &data, training, &common)?;
    exp.run(&s, CLAIMS)?;
    exp.finish()
}
