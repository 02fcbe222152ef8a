//! The `--data` grammar: a built-in data set name with options, or a file.

use std::path::Path;

use super::csv::split_spec;
use super::{
    CsvOptions, DataError, Dataset, digits, gaussian, gaussian_bytes, load_csv_with, load_idx,
    mixture, mixture_bytes, two_point,
};
use crate::runner::budget::{self, Memory, Need};

/// The grammar, quoted in errors.
const GRAMMAR: &str = "expected `gaussian[:dim=20,n=200,margin=0.1,seed=0]`, \
                       `mixture[:n=100,dim=2000,mu=0.1,seed=0]`, `two-point`, `digits[:A,B]`, `idx:IMAGES,LABELS,A,B`, or a .csv or .csv.gz file with \
                       options `FILE.csv[:label=COL,header=auto|yes|no,drop=COL+COL]`";

/// The `--data` grammar and how the inputs are scaled, for the binaries' `--help`.
pub const HELP: &str = "\
Data (--data): gaussian[:dim=20,n=200,margin=0.1,seed=0] | mixture[:n=100,dim=2000,mu=0.1,seed=0]
  (x = y·μ + ξ, ‖μ‖ = mu, ξ ~ N(0, I/dim)) | two-point | digits[:A,B]
  | idx:IMAGES,LABELS,A,B | FILE.csv[:OPTION,…] (FILE.csv.gz, or any existing file, too)
  A CSV file holds one example per row, comma-separated, fields quoted or not (RFC 4180:
  \"a,b\", \"say \"\"hi\"\"\"); it may be gzipped or start with a UTF-8 byte-order mark. Its label
  column holds {-1,+1} or {0,1} (0 becomes -1); every other column not dropped is a feature, a
  number. OPTIONs, comma-separated after a ':' that follows the file name (the path may hold ':'
  or ','):
    label=COL            the label column (default: the last)
    header=auto|yes|no   whether the first row is a header (auto, the default: when no field of
                         it is a finite number)
    drop=COL[+COL…]      columns that are not features (an id, an index)
  COL is a 0-based index (-1 is the last column, -2 the one before) or a name in the header;
  errors count fields from 1, as they count lines. A first column with an empty name in the
  header holding 0, 1, 2, … is the index pandas' DataFrame.to_csv writes: it is refused, never
  taken for a feature; add drop=0. E.g. --data 'runs/data.csv:label=y,drop=0+id'.
  The inputs are scaled: every input is divided by the largest input norm of the data, so the
  largest has norm 1 (the setting of the theory, ‖x‖ ≤ 1). The divisor is recorded as
  config.data.inputs_divided_by in summary.json and as data.inputs_divided_by in the metadata of
  final.safetensors; divide new inputs by it before feeding them to the trained network.
  config.data in summary.json also records where the data came from: the --data value, the kind,
  the file(s), the label and dropped columns or the classes, and the examples of each label.
";

/// Resolves a `--data` value: "gaussian[:dim=20,n=200,margin=0.1,seed=0]",
/// "mixture[:n=100,dim=2000,mu=0.1,seed=0]" (see [`mixture`]), "two-point",
/// "digits\[:0,1\]", "idx:IMAGES,LABELS,A,B", or a path to a .csv or .csv.gz file with
/// options, "FILE.csv\[:label=COL,header=auto,drop=COL+COL\]" (see [`HELP`]). The data set's
/// provenance records `spec`.
///
/// Gaussian and mixture options may be given in any order and any subset (the defaults are those
/// shown); `margin` must lie in [0, 1), `mu` (the norm of the mixture's mean) be finite and ≥ 0.
/// `digits` alone means digits 0 (+1) against 1 (−1). Any other value
/// ending in `.csv` or `.csv.gz`, or naming an existing file, with or without options after a
/// `:`, is loaded with [`load_csv_with`].
pub fn resolve(spec: &str) -> Result<Dataset, DataError> {
    let mut data = resolve_source(spec)?;
    data.provenance.spec = Some(spec.to_owned());
    Ok(data)
}

/// The data set of `spec`, its provenance without the spec.
fn resolve_source(spec: &str) -> Result<Dataset, DataError> {
    let (head, options) = match spec.split_once(':') {
        Some((head, options)) => (head, Some(options)),
        None => (spec, None),
    };
    match (head, options) {
        ("gaussian", options) => resolve_gaussian(spec, options.unwrap_or("")),
        ("mixture", options) => resolve_mixture(spec, options.unwrap_or("")),
        ("two-point", None) => Ok(two_point()),
        ("digits", None) => digits(0, 1),
        ("digits", Some(options)) => match options.split(',').collect::<Vec<_>>()[..] {
            [a, b] => digits(class(spec, a)?, class(spec, b)?),
            _ => Err(DataError::spec(
                spec,
                "digits takes two classes, as `digits:3,8`",
            )),
        },
        ("idx", Some(options)) => match options.split(',').collect::<Vec<_>>()[..] {
            [images, labels, a, b] => load_idx(
                Path::new(images.trim()),
                Path::new(labels.trim()),
                class(spec, a)?,
                class(spec, b)?,
            ),
            _ => Err(DataError::spec(
                spec,
                "idx takes two files and two classes, as `idx:images.idx,labels.idx,3,8`",
            )),
        },
        _ => match split_spec(spec) {
            Some((file, options)) => {
                load_csv_with(Path::new(file), &CsvOptions::parse(spec, options)?)
            }
            None => Err(DataError::spec(spec, GRAMMAR)),
        },
    }
}

/// The settings of a generated data set: examples, features, its one real parameter (the
/// Gaussian's margin, the mixture's ‖μ‖) and the seed.
struct Generated {
    n: usize,
    dim: usize,
    real: f64,
    seed: u64,
}

/// Parses the `key=value` options of the generator `kind`, whose real parameter is called
/// `real` (any subset, any order, over `defaults`), checking that n and dim are positive and
/// that `bytes` of data for them fit in the memory.
fn generated(
    spec: &str,
    options: &str,
    (kind, real): (&str, &str),
    defaults: Generated,
    bytes: fn(usize, usize) -> Option<u64>,
) -> Result<Generated, DataError> {
    let mut g = defaults;
    for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let Some((key, value)) = option.split_once('=') else {
            return Err(DataError::spec(
                spec,
                format!("option `{option}` is not key=value"),
            ));
        };
        let bad = |what: &str| DataError::spec(spec, format!("{key}=`{value}` is not {what}"));
        let whole = |_| bad("a whole number");
        match key.trim() {
            "dim" => g.dim = value.trim().parse().map_err(whole)?,
            "n" => g.n = value.trim().parse().map_err(whole)?,
            "seed" => g.seed = value.trim().parse().map_err(whole)?,
            k if k == real => g.real = value.trim().parse().map_err(|_| bad("a number"))?,
            other => {
                return Err(DataError::spec(
                    spec,
                    format!("unknown {kind} option `{other}` (known: dim, n, {real}, seed)"),
                ));
            }
        }
    }
    if g.dim == 0 || g.n == 0 {
        return Err(DataError::spec(spec, "dim and n must be positive"));
    }
    let need = Need::new(
        format!("data for {} examples × {} features", g.n, g.dim),
        "--data",
        bytes(g.dim, g.n),
    );
    budget::check(&[need], &Memory::of_this_machine())
        .map_err(|e| DataError::spec(spec, e.to_string()))?;
    Ok(g)
}

/// The Gaussian data set from its `key=value` options.
fn resolve_gaussian(spec: &str, options: &str) -> Result<Dataset, DataError> {
    let defaults = Generated {
        n: 200,
        dim: 20,
        real: 0.1,
        seed: 0,
    };
    let g = generated(
        spec,
        options,
        ("gaussian", "margin"),
        defaults,
        gaussian_bytes,
    )?;
    if !(0.0..1.0).contains(&g.real) {
        return Err(DataError::spec(
            spec,
            format!(
                "margin {} must lie in [0, 1): inputs have norm at most 1",
                g.real
            ),
        ));
    }
    Ok(gaussian(g.dim, g.n, g.real, g.seed))
}

/// The Gaussian mixture from its `key=value` options.
fn resolve_mixture(spec: &str, options: &str) -> Result<Dataset, DataError> {
    let defaults = Generated {
        n: 100,
        dim: 2000,
        real: 0.1,
        seed: 0,
    };
    let g = generated(spec, options, ("mixture", "mu"), defaults, mixture_bytes)?;
    if !(g.real.is_finite() && g.real >= 0.0) {
        return Err(DataError::spec(
            spec,
            format!(
                "mu {} must be a finite number ≥ 0 (the norm of the mean)",
                g.real
            ),
        ));
    }
    Ok(mixture(g.n, g.dim, g.real, g.seed))
}

/// A class label 0–255.
fn class(spec: &str, text: &str) -> Result<u8, DataError> {
    text.trim()
        .parse()
        .map_err(|_| DataError::spec(spec, format!("class `{text}` is not a number 0-255")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `data` as resolved from `spec`: its provenance records the spec.
    fn from(spec: &str, mut data: Dataset) -> Dataset {
        data.provenance.spec = Some(spec.to_owned());
        data
    }

    #[test]
    fn built_in_names_resolve() {
        assert_eq!(
            resolve("two-point").unwrap(),
            from("two-point", two_point())
        );
        assert_eq!(
            resolve("gaussian").unwrap(),
            from("gaussian", gaussian(20, 200, 0.1, 0))
        );
        let spec = "gaussian:seed=4, n=30,margin=0.2";
        assert_eq!(resolve(spec).unwrap(), from(spec, gaussian(20, 30, 0.2, 4)));
        assert_eq!(
            resolve("mixture").unwrap(),
            from("mixture", mixture(100, 2000, 0.1, 0))
        );
        let spec = "mixture:seed=2, dim=30,mu=0.5,n=7";
        assert_eq!(resolve(spec).unwrap(), from(spec, mixture(7, 30, 0.5, 2)));
        assert_eq!(resolve("digits").unwrap().name, "digits(0 vs 1)");
        assert_eq!(resolve("digits:3,8").unwrap().name, "digits(3 vs 8)");
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let cases = [
            ("gaussian:dim=x", "dim=`x` is not a whole number"),
            ("gaussian:margin=1.5", "margin 1.5 must lie in [0, 1)"),
            ("gaussian:n=0", "dim and n must be positive"),
            ("gaussian:width=3", "unknown gaussian option `width`"),
            ("gaussian:dim", "option `dim` is not key=value"),
            // Regression: n=1000000000 aborted allocating 24 GB; this is beyond any machine.
            (
                "gaussian:dim=20,n=10000000000000000",
                "data spec `gaussian:dim=20,n=10000000000000000`: --data asks for 3.5 EB of data \
                 for 10000000000000000 examples × 20 features; this machine has",
            ),
            (
                "gaussian:dim=18446744073709551615,n=2",
                "--data asks for more than 18.4 EB of data",
            ),
            ("mixture:mu=-1", "mu -1 must be a finite number ≥ 0"),
            ("mixture:mu=inf", "mu inf must be a finite number ≥ 0"),
            ("mixture:dim=0", "dim and n must be positive"),
            ("mixture:margin=0.1", "unknown mixture option `margin`"),
            ("mixture:n=x", "n=`x` is not a whole number"),
            ("mixture:n=100000000000,dim=100000000000", "--data asks for"),
            ("digits:3", "digits takes two classes"),
            ("digits:3,x", "class `x` is not a number"),
            ("digits:3,3", "two different digits"),
            ("idx:a,b", "idx takes two files and two classes"),
            (
                "idx:/nonexistent/i,/nonexistent/l,1,2",
                "/nonexistent/i: cannot read",
            ),
            ("mnist", "expected `gaussian"),
            (
                "/nonexistent/data.csv",
                "/nonexistent/data.csv: cannot read",
            ),
            (
                "/nonexistent/data.csv.gz",
                "/nonexistent/data.csv.gz: cannot read",
            ),
            (
                "/nonexistent/data.csv:label=y",
                "/nonexistent/data.csv: cannot read",
            ),
            (
                "data.csv:labels=y",
                "data spec `data.csv:labels=y`: unknown csv option `labels` (known: label, \
                 header, drop)",
            ),
            ("data.txt:label=0", "expected `gaussian"),
        ];
        for (spec, expected) in cases {
            let message = resolve(spec).unwrap_err().to_string();
            assert!(message.contains(expected), "{spec}: {message}");
        }
    }

    #[test]
    fn a_csv_path_may_hold_colons_and_commas_before_its_options() {
        let dir =
            std::env::temp_dir().join(format!("lowrank-resolve-{}/a:b,c", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data");
        std::fs::write(&path, "y,a,b\n1,3,4\n-1,0,1\n").unwrap();
        let spec = format!("{}:label=0", path.display());
        let data = resolve(&spec).unwrap();
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.2]);
        assert_eq!(data.provenance.spec.as_deref(), Some(spec.as_str()));
        let plain = resolve(path.to_str().unwrap()).unwrap_err().to_string();
        assert!(plain.contains("line 2: label 4 is not in"), "{plain}");
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }
}
