//! Where a data set came from, as `summary.json` records it under `config.data`: the `--data`
//! value, the kind of source, its files, the columns or classes taken from them, and the counts.

use std::path::Path;

use serde::Serialize;

use super::Dataset;

/// Where a data set came from: filled by the loader that built it, serialized with the counts by
/// [`Dataset::record`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Provenance {
    /// The `--data` value it was resolved from (see [`crate::data::resolve`]); none when a
    /// program called a loader itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// The kind of source and what was taken from it.
    #[serde(flatten)]
    pub source: Source,
}

impl Provenance {
    /// The provenance of data from `source`, not (yet) resolved from a `--data` value.
    pub fn of(source: Source) -> Self {
        Self { spec: None, source }
    }
}

/// The kind of source of a data set, serialized as `"kind"` with the fields of that kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// Generated Gaussian data (see [`crate::data::gaussian`]); the counts give `dim` and `n`.
    Gaussian {
        /// The margin asked for.
        margin: f64,
        /// The generator's seed.
        seed: u64,
    },
    /// The generated Gaussian mixture (see [`crate::data::mixture`]); the counts give `dim` and
    /// `n`.
    Mixture {
        /// The norm of the mean, ‖μ‖.
        mu: f64,
        /// The generator's seed.
        seed: u64,
    },
    /// The two-point counterexample (see [`crate::data::two_point`]).
    TwoPoint,
    /// The bundled handwritten digits (see [`crate::data::digits`]).
    Digits {
        /// The bundled file, as the repository holds it.
        bundled: &'static str,
        /// The digit labelled +1 and the one labelled −1.
        classes: Classes,
    },
    /// A pair of IDX files (see [`crate::data::load_idx`]).
    Idx {
        /// The images file, as an absolute path where it can be resolved.
        images: String,
        /// The labels file, as an absolute path where it can be resolved.
        labels: String,
        /// The class labelled +1 and the one labelled −1.
        classes: Classes,
    },
    /// A CSV file (see [`crate::data::load_csv_with`]).
    Csv {
        /// The file, as an absolute path where it can be resolved.
        file: String,
        /// Whether its first row was read as a header.
        header: bool,
        /// The column the labels were read from.
        label_column: Column,
        /// The columns left out of the features, in the file's order.
        dropped_columns: Vec<Column>,
        /// The label values of the file mapped to +1 and to −1.
        classes: Classes,
    },
    /// Examples a program built in memory (tests, benchmarks).
    Memory,
}

/// The raw label (a class, or a CSV label value) mapped to +1 and the one mapped to −1; none
/// when no example of the data carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Classes {
    /// The raw label of the examples labelled +1.
    #[serde(rename = "+1")]
    pub positive: Option<i64>,
    /// The raw label of the examples labelled −1.
    #[serde(rename = "-1")]
    pub negative: Option<i64>,
}

impl Classes {
    /// Class `a` labelled +1 and class `b` labelled −1.
    pub fn pair(a: u8, b: u8) -> Self {
        Self {
            positive: Some(a.into()),
            negative: Some(b.into()),
        }
    }
}

/// A column of a CSV file: its 0-based index and, when the file has a header, its name there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    /// 0-based index among the file's columns.
    pub index: usize,
    /// The name in the header, if the file has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The number of examples of each label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PerClass {
    /// Examples labelled +1.
    #[serde(rename = "+1")]
    pub positive: usize,
    /// Examples labelled −1.
    #[serde(rename = "-1")]
    pub negative: usize,
}

/// What `summary.json` records of a data set under `config.data`: its name, counts and scale,
/// and where it came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataRecord<'a> {
    /// The data set's name in reports.
    pub name: &'a str,
    /// Number of examples.
    pub n: usize,
    /// Number of features.
    pub dim: usize,
    /// Examples of each label.
    pub examples_per_class: PerClass,
    /// What every input was divided by (see [`Dataset::input_divisor`]).
    pub inputs_divided_by: f64,
    /// Where the data came from.
    #[serde(flatten)]
    pub provenance: &'a Provenance,
}

impl Dataset {
    /// What `summary.json` records of this data set.
    pub fn record(&self) -> DataRecord<'_> {
        let (positive, negative) = self.class_counts();
        DataRecord {
            name: &self.name,
            n: self.n,
            dim: self.dim,
            examples_per_class: PerClass { positive, negative },
            inputs_divided_by: self.input_divisor,
            provenance: &self.provenance,
        }
    }
}

/// `path` as an absolute path, so that a record made in one folder still names the file from
/// another; as given when it cannot be resolved.
pub(crate) fn absolute(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::data::{digits, two_point};

    #[test]
    fn a_record_has_the_counts_the_scale_and_the_source() {
        let mut data = digits(3, 8).unwrap();
        data.provenance.spec = Some("digits:3,8".into());
        let json = serde_json::to_value(data.record()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "name": "digits(3 vs 8)",
                "n": 357,
                "dim": 64,
                "examples_per_class": { "+1": 183, "-1": 174 },
                "inputs_divided_by": data.input_divisor,
                "spec": "digits:3,8",
                "kind": "digits",
                "bundled": "experiments/data/digits.csv.gz",
                "classes": { "+1": 3, "-1": 8 },
            })
        );
        let two = serde_json::to_value(two_point().record()).unwrap();
        assert_eq!(two["kind"], "two-point");
        assert_eq!(two.get("spec"), None);
    }
}
