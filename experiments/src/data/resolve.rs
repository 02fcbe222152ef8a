//! The `--data` grammar: a built-in data set name with options, or a file.

use std::path::Path;

use super::{
    DataError, Dataset, digits, gaussian, gaussian_bytes, load_csv, load_idx, mixture,
    mixture_bytes, two_point,
};
use crate::runner::budget::{self, Memory, Need};

/// The grammar, quoted in errors.
const GRAMMAR: &str = "expected `gaussian[:dim=20,n=200,margin=0.1,seed=0]`, \
                       `mixture[:n=100,dim=2000,mu=0.1,seed=0]`, `two-point`, \
                       `digits[:A,B]`, `idx:IMAGES,LABELS,A,B`, or a path to a .csv or .csv.gz file";

/// Resolves a `--data` value: "gaussian[:dim=20,n=200,margin=0.1,seed=0]",
/// "mixture[:n=100,dim=2000,mu=0.1,seed=0]" (see [`mixture`]), "two-point",
/// "digits\[:0,1\]", "idx:IMAGES,LABELS,A,B", or a path to a .csv or .csv.gz file.
///
/// Gaussian and mixture options may be given in any order and any subset (the defaults are those
/// shown); `margin` must lie in [0, 1), `mu` (the norm of the mixture's mean) be finite and ≥ 0. `digits` alone means digits 0 (+1) against 1 (−1). Any other value
/// ending in `.csv` or `.csv.gz`, or naming an existing file, is loaded with [`load_csv`].
pub fn resolve(spec: &str) -> Result<Dataset, DataError> {
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
        _ if [".csv", ".csv.gz"]
            .iter()
            .any(|end| spec.to_ascii_lowercase().ends_with(end))
            || Path::new(spec).is_file() =>
        {
            load_csv(Path::new(spec))
        }
        _ => Err(DataError::spec(spec, GRAMMAR)),
    }
}

/// The Gaussian data set from its `key=value` options.
fn resolve_gaussian(spec: &str, options: &str) -> Result<Dataset, DataError> {
    let (mut dim, mut n, mut margin, mut seed) = (20usize, 200usize, 0.1f64, 0u64);
    for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let Some((key, value)) = option.split_once('=') else {
            return Err(DataError::spec(
                spec,
                format!("option `{option}` is not key=value"),
            ));
        };
        let bad = |what: &str| DataError::spec(spec, format!("{key}=`{value}` is not {what}"));
        match key.trim() {
            "dim" => dim = value.trim().parse().map_err(|_| bad("a whole number"))?,
            "n" => n = value.trim().parse().map_err(|_| bad("a whole number"))?,
            "margin" => margin = value.trim().parse().map_err(|_| bad("a number"))?,
            "seed" => seed = value.trim().parse().map_err(|_| bad("a whole number"))?,
            other => {
                return Err(DataError::spec(
                    spec,
                    format!("unknown gaussian option `{other}` (known: dim, n, margin, seed)"),
                ));
            }
        }
    }
    if dim == 0 || n == 0 {
        return Err(DataError::spec(spec, "dim and n must be positive"));
    }
    if !(0.0..1.0).contains(&margin) {
        return Err(DataError::spec(
            spec,
            format!("margin {margin} must lie in [0, 1): inputs have norm at most 1"),
        ));
    }
    let need = Need::new(
        format!("data for {n} examples × {dim} features"),
        "--data",
        gaussian_bytes(dim, n),
    );
    budget::check(&[need], &Memory::of_this_machine())
        .map_err(|e| DataError::spec(spec, e.to_string()))?;
    Ok(gaussian(dim, n, margin, seed))
}

/// The Gaussian mixture from its `key=value` options.
fn resolve_mixture(spec: &str, options: &str) -> Result<Dataset, DataError> {
    let (mut n, mut dim, mut mu, mut seed) = (100usize, 2000usize, 0.1f64, 0u64);
    for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let Some((key, value)) = option.split_once('=') else {
            return Err(DataError::spec(
                spec,
                format!("option `{option}` is not key=value"),
            ));
        };
        let bad = |what: &str| DataError::spec(spec, format!("{key}=`{value}` is not {what}"));
        match key.trim() {
            "n" => n = value.trim().parse().map_err(|_| bad("a whole number"))?,
            "dim" => dim = value.trim().parse().map_err(|_| bad("a whole number"))?,
            "mu" => mu = value.trim().parse().map_err(|_| bad("a number"))?,
            "seed" => seed = value.trim().parse().map_err(|_| bad("a whole number"))?,
            other => {
                return Err(DataError::spec(
                    spec,
                    format!("unknown mixture option `{other}` (known: n, dim, mu, seed)"),
                ));
            }
        }
    }
    if dim == 0 || n == 0 {
        return Err(DataError::spec(spec, "dim and n must be positive"));
    }
    if !(mu.is_finite() && mu >= 0.0) {
        return Err(DataError::spec(
            spec,
            format!("mu {mu} must be a finite number ≥ 0 (the norm of the mean)"),
        ));
    }
    let need = Need::new(
        format!("data for {n} examples × {dim} features"),
        "--data",
        mixture_bytes(dim, n),
    );
    budget::check(&[need], &Memory::of_this_machine())
        .map_err(|e| DataError::spec(spec, e.to_string()))?;
    Ok(mixture(n, dim, mu, seed))
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

    #[test]
    fn built_in_names_resolve() {
        assert_eq!(resolve("two-point").unwrap(), two_point());
        assert_eq!(resolve("gaussian").unwrap(), gaussian(20, 200, 0.1, 0));
        assert_eq!(
            resolve("gaussian:seed=4, n=30,margin=0.2").unwrap(),
            gaussian(20, 30, 0.2, 4)
        );
        assert_eq!(resolve("mixture").unwrap(), mixture(100, 2000, 0.1, 0));
        assert_eq!(
            resolve("mixture:seed=2, dim=30,mu=0.5,n=7").unwrap(),
            mixture(7, 30, 0.5, 2)
        );
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
        ];
        for (spec, expected) in cases {
            let message = resolve(spec).unwrap_err().to_string();
            assert!(message.contains(expected), "{spec}: {message}");
        }
    }
}
