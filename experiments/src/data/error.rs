//! The error every data loader returns: it names the source, where in it, and what is wrong.

use std::fmt;

/// Where a problem was found inside a data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// The source as a whole (empty file, missing class, …).
    File,
    /// A 1-based line of a text file.
    Line(usize),
    /// A 0-based byte offset into a binary file (into the decompressed stream for gzip files).
    Offset(u64),
    /// A 0-based byte offset into a gzip file as stored, before decompression.
    Compressed(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(line) => write!(f, ", line {line}"),
            Location::Offset(offset) => write!(f, ", byte offset {offset}"),
            Location::Compressed(offset) => write!(f, ", byte offset {offset} of the gzip file"),
        }
    }
}

/// A data set could not be read or built; the message names the source, the place and the problem.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file, as the user named it.
        file: String,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A file the data set needs is not there (under any of the names it may take).
    #[error("{file}: missing{also}")]
    Missing {
        /// The file, as the loader looked for it first.
        file: String,
        /// The other names tried, as `(nor NAME)`, or empty.
        also: String,
    },
    /// The contents are malformed or unusable.
    #[error("{file}{at}: {problem}")]
    Malformed {
        /// The file (or bundled data set) being read.
        file: String,
        /// Where in the file.
        at: Location,
        /// What is wrong, in words.
        problem: String,
    },
    /// A `--data` value does not follow the grammar of [`crate::data::resolve`].
    #[error("data spec `{spec}`: {problem}")]
    Spec {
        /// The value as given.
        spec: String,
        /// What is wrong, in words.
        problem: String,
    },
}

impl DataError {
    /// A malformed-content error at `at` in `file`.
    pub fn malformed(file: &str, at: Location, problem: impl Into<String>) -> Self {
        DataError::Malformed {
            file: file.to_owned(),
            at,
            problem: problem.into(),
        }
    }

    /// A `--data` grammar error.
    pub fn spec(spec: &str, problem: impl Into<String>) -> Self {
        DataError::Spec {
            spec: spec.to_owned(),
            problem: problem.into(),
        }
    }
}
