//! Binary data sets for the experiments: synthetic Gaussian data with a margin, the two-class
//! high-dimensional Gaussian mixture, the two-point ReLU counterexample, the bundled 8×8 handwritten digits, and user CSV / IDX files (alone or as an MNIST-format
//! folder). Apart from these, [`Completion`]: a seeded low-rank matrix and the entries of it a
//! matrix completion observes.
//!
//! Every data set has labels in {−1, +1} and is scaled so that its largest input has norm 1, the
//! setting of the theory (‖x_i‖ ≤ 1); the divisor is kept in [`Dataset::input_divisor`] and
//! where the examples came from in [`Dataset::provenance`], so that runs can record both. Loaders
//! never panic on bad input: they return a [`DataError`] naming the file, the line or byte
//! offset, and the problem.

mod completion;
mod csv;
mod digits;
mod error;
mod gzip;
mod idx;
mod mixture;
mod mnist;
mod provenance;
mod resolve;
pub mod svm;
mod synthetic;
mod tensors;

pub use completion::{Completion, completion, low_rank_truth, observed_entries};
pub use csv::{ColumnRef, CsvOptions, HeaderMode, load_csv, load_csv_with};
pub use digits::digits;
pub use error::{DataError, Location};
pub use idx::load_idx;
pub use mixture::{mixture, mixture_bytes, near_orthogonality};
pub use mnist::{TRAIN_IMAGES, TRAIN_LABELS, load_mnist_dir, mnist_files};
pub use provenance::{Classes, Column, DataRecord, PerClass, Provenance, Source};
pub use resolve::{HELP, resolve};
pub use synthetic::{gaussian, gaussian_bytes, two_point};

/// A binary data set, labels in {−1, +1}, scaled so max ‖x_i‖ = 1 (unless empty).
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// A short human-readable name for reports, e.g. `digits(0 vs 1)`.
    pub name: String,
    /// Number of examples.
    pub n: usize,
    /// Dimension of each input.
    pub dim: usize,
    /// Inputs, n×dim row-major.
    pub x: Vec<f64>,
    /// Labels, each −1 or +1.
    pub y: Vec<f64>,
    /// What every input was divided by, the largest input norm as loaded (1 for data generated
    /// already scaled): a model trained on `x` sees a raw input divided by this number.
    pub input_divisor: f64,
    /// Where the examples came from, for `summary.json` (see [`Dataset::record`]).
    pub provenance: Provenance,
}

impl Dataset {
    /// Example `i`'s input, of length `dim`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.dim..(i + 1) * self.dim]
    }

    /// The number of examples labelled +1 and −1.
    pub fn class_counts(&self) -> (usize, usize) {
        let positive = self.y.iter().filter(|&&y| y > 0.0).count();
        (positive, self.n - positive)
    }

    /// The largest input norm (1 after construction, 0 when empty).
    pub fn max_norm(&self) -> f64 {
        (0..self.n).map(|i| norm(self.row(i))).fold(0.0, f64::max)
    }

    /// Builds a data set from unscaled inputs and ±1 labels, dividing every input by the largest
    /// norm; `source` says where they came from. Fails, naming `file`, when there are no
    /// examples, every input is zero (nothing to scale, and no direction can separate a zero
    /// input), or the largest norm exceeds the largest f64 (the data could be scaled, but the
    /// divisor could not be recorded).
    pub(crate) fn scaled(
        name: String,
        dim: usize,
        mut x: Vec<f64>,
        y: Vec<f64>,
        file: &str,
        source: Source,
    ) -> Result<Self, DataError> {
        debug_assert_eq!(x.len(), y.len() * dim);
        if y.is_empty() {
            return Err(DataError::malformed(file, Location::File, "no examples"));
        }
        if dim == 0 {
            return Err(DataError::malformed(file, Location::File, "no features"));
        }
        let max_norm = x.chunks(dim).map(norm).fold(0.0, f64::max);
        if max_norm == 0.0 {
            return Err(DataError::malformed(
                file,
                Location::File,
                "every input is zero, so the data cannot be scaled or separated",
            ));
        }
        if max_norm.is_infinite() {
            let example = x.chunks(dim).position(|row| norm(row).is_infinite());
            return Err(DataError::malformed(
                file,
                Location::File,
                format!(
                    "example {} has a norm above {:e}, the largest f64, so the factor that scales \
                     the inputs to norm 1 cannot be recorded; divide the data by a constant first",
                    example.map_or(0, |i| i + 1),
                    f64::MAX
                ),
            ));
        }
        x.iter_mut().for_each(|v| *v /= max_norm);
        Ok(Self {
            name,
            n: y.len(),
            dim,
            x,
            y,
            input_divisor: max_norm,
            provenance: Provenance::of(source),
        })
    }
}

/// Euclidean norm of a vector, without overflow or underflow (a norm above the largest f64 is ∞).
pub(crate) fn norm(v: &[f64]) -> f64 {
    kernels::reduce::norm2(v)
}
