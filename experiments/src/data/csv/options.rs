//! The options of a CSV file in `--data FILE.csv[:OPTION,…]`: its header, its label column and
//! the columns to drop; and where in a `--data` value the file name ends.

use std::path::Path;

use super::super::DataError;

/// The names of the options, as errors list them.
const KNOWN: &str = "label, header, drop";

/// Whether the first row of a CSV file is a header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeaderMode {
    /// A header when none of its fields is a finite number.
    #[default]
    Auto,
    /// Always a header.
    Yes,
    /// Never a header: the first row is data.
    No,
}

/// A column of a CSV file as the user names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnRef {
    /// A 0-based index; negative counts from the end (−1 is the last column).
    Index(i64),
    /// A name in the header.
    Name(String),
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Index(i) => write!(f, "{i}"),
            ColumnRef::Name(name) => write!(f, "`{name}`"),
        }
    }
}

/// How to read a CSV file: by default, a header if the first row looks like one, the label in
/// the last column, every other column a feature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether the first row is a header.
    pub header: HeaderMode,
    /// The label column (the last when none).
    pub label: Option<ColumnRef>,
    /// Columns that are not features, in the order given.
    pub drop: Vec<ColumnRef>,
}

impl CsvOptions {
    /// The options `options`, as `label=y,header=yes,drop=0+id`, of the `--data` value `spec`
    /// (named in errors). Each option at most once; an empty list is the default.
    pub fn parse(spec: &str, options: &str) -> Result<Self, DataError> {
        let mut parsed = Self::default();
        let mut seen = Vec::new();
        for option in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let Some((key, value)) = option.split_once('=') else {
                return Err(DataError::spec(
                    spec,
                    format!("csv option `{option}` is not key=value (known: {KNOWN})"),
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(DataError::spec(
                    spec,
                    format!("csv option `{key}` is given twice"),
                ));
            }
            seen.push(key);
            match key {
                "label" => parsed.label = Some(column(spec, key, value)?),
                "header" => {
                    parsed.header = match value {
                        "auto" => HeaderMode::Auto,
                        "yes" => HeaderMode::Yes,
                        "no" => HeaderMode::No,
                        _ => {
                            return Err(DataError::spec(
                                spec,
                                format!("header=`{value}` is not yes, no or auto"),
                            ));
                        }
                    }
                }
                "drop" => {
                    parsed.drop = value
                        .split('+')
                        .map(|c| column(spec, key, c.trim()))
                        .collect::<Result<_, _>>()?;
                }
                other => {
                    return Err(DataError::spec(
                        spec,
                        format!("unknown csv option `{other}` (known: {KNOWN})"),
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

/// A column named by option `key`: an integer is an index, anything else a header name.
fn column(spec: &str, key: &str, value: &str) -> Result<ColumnRef, DataError> {
    if value.is_empty() {
        return Err(DataError::spec(
            spec,
            format!(
                "{key}= needs a column: a 0-based index, a negative index from the end, or a \
                 name in the header"
            ),
        ));
    }
    Ok(value
        .parse()
        .map_or_else(|_| ColumnRef::Name(value.to_owned()), ColumnRef::Index))
}

/// True when `path` ends in `.csv` or `.csv.gz` (any case).
fn csv_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".csv") || lower.ends_with(".csv.gz")
}

/// The CSV file of the `--data` value `spec` and its options (empty when none), or `None` when
/// `spec` names no CSV file. The file is all of `spec` when that ends in `.csv` or `.csv.gz` or
/// names an existing file; else the part before the last `:` that follows such a name, so that a
/// path may hold `:` and `,`.
pub(crate) fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let file = |path: &str| csv_name(path) || Path::new(path).is_file();
    if file(spec) {
        return Some((spec, ""));
    }
    spec.rmatch_indices(':')
        .map(|(at, _)| (&spec[..at], &spec[at + 1..]))
        .find(|(path, _)| file(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_in_any_order() {
        let options = CsvOptions::parse("f.csv:…", " drop=0+id , label=-2,header=yes").unwrap();
        assert_eq!(
            options,
            CsvOptions {
                header: HeaderMode::Yes,
                label: Some(ColumnRef::Index(-2)),
                drop: vec![ColumnRef::Index(0), ColumnRef::Name("id".into())],
            }
        );
        assert_eq!(
            CsvOptions::parse("f.csv", "").unwrap(),
            CsvOptions::default()
        );
        let by_name = CsvOptions::parse("f.csv:label=y,header=no", "label=y,header=no").unwrap();
        assert_eq!(by_name.label, Some(ColumnRef::Name("y".into())));
        assert_eq!(by_name.header, HeaderMode::No);
    }

    #[test]
    fn bad_options_say_what_is_known() {
        let cases = [
            (
                "labels=y",
                "unknown csv option `labels` (known: label, header, drop)",
            ),
            (
                "label",
                "csv option `label` is not key=value (known: label, header, drop)",
            ),
            ("header=maybe", "header=`maybe` is not yes, no or auto"),
            (
                "label=",
                "label= needs a column: a 0-based index, a negative index from the end, or a name in the header",
            ),
            (
                "drop=0+",
                "drop= needs a column: a 0-based index, a negative index from the end, or a name in the header",
            ),
            ("label=1,label=2", "csv option `label` is given twice"),
        ];
        for (options, expected) in cases {
            let message = CsvOptions::parse("f.csv", options).unwrap_err().to_string();
            assert_eq!(
                message,
                format!("data spec `f.csv`: {expected}"),
                "{options}"
            );
        }
    }

    #[test]
    fn the_file_name_ends_before_the_options() {
        assert_eq!(split_spec("a/b.csv"), Some(("a/b.csv", "")));
        assert_eq!(
            split_spec("b.CSV.gz:label=y"),
            Some(("b.CSV.gz", "label=y"))
        );
        assert_eq!(
            split_spec("x:y,z/b.csv:label=0,drop=1"),
            Some(("x:y,z/b.csv", "label=0,drop=1"))
        );
        assert_eq!(split_spec("b.csv:label=a:b"), Some(("b.csv", "label=a:b")));
        assert_eq!(split_spec("b.txt:label=0"), None);
        assert_eq!(split_spec("mnist"), None);
    }
}
