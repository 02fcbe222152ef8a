//! Which columns of a CSV table are the label and the features: the options' column names and
//! indices resolved against the table, and pandas' index column refused as a feature.

use super::super::{Column, DataError, Location};
use super::table::{Table, field_name};
use super::{ColumnRef, CsvOptions};

/// The roles of a table's columns, as 0-based indices.
pub(crate) struct Layout {
    /// The label column.
    pub label: usize,
    /// The feature columns, in the file's order.
    pub features: Vec<usize>,
    /// The dropped columns, in the file's order.
    pub dropped: Vec<usize>,
}

impl Layout {
    /// Resolves `options` against `table` (of `file`, named in errors): the label column (the
    /// last by default), the dropped ones, the rest features. Errors at the header's (or first
    /// row's) line: fewer than two columns, a column that is not there (listing the header's
    /// names), a name without a header, a name the header has twice, a column dropped twice or
    /// the label dropped, no feature left, and an unnamed first column holding 0, 1, 2, …
    /// (pandas' index) that is not dropped.
    pub fn of(table: &Table, options: &CsvOptions, file: &str) -> Result<Self, DataError> {
        if table.columns < 2 {
            return Err(DataError::malformed(
                file,
                Location::Line(table.rows[0].0),
                "a row needs at least one feature and a label",
            ));
        }
        let error = |problem: String| {
            DataError::malformed(file, Location::Line(table.first_line()), problem)
        };
        let label_ref = options.label.clone().unwrap_or(ColumnRef::Index(-1));
        let label = resolve(table, "label", &label_ref).map_err(error)?;
        let mut dropped = Vec::new();
        for column in &options.drop {
            let index = resolve(table, "drop", column).map_err(error)?;
            let name = field_name(index, table.names());
            if index == label {
                return Err(error(format!("drop={column} is the label column, {name}")));
            }
            if dropped.contains(&index) {
                return Err(error(format!("drop= names {name} twice")));
            }
            dropped.push(index);
        }
        dropped.sort_unstable();
        let features: Vec<usize> = (0..table.columns)
            .filter(|c| *c != label && !dropped.contains(c))
            .collect();
        if features.is_empty() {
            return Err(error(format!(
                "no feature is left: of the {} columns, one is the label and drop= names the \
                 others",
                table.columns
            )));
        }
        if features[0] == 0 && is_pandas_index(table) {
            return Err(error(format!(
                "field 1 has an empty name in the header and holds 0, 1, 2, …: the index column \
                 pandas' DataFrame.to_csv writes unless index=False, not a feature; add drop=0 \
                 to the options (as in `{file}:drop=0`), or name the column in the header to \
                 keep it"
            )));
        }
        Ok(Self {
            label,
            features,
            dropped,
        })
    }

    /// Column `index` of `table` as the provenance records it.
    pub fn column(table: &Table, index: usize) -> Column {
        Column {
            index,
            name: table.names().map(|names| names[index].clone()),
        }
    }
}

/// True when the table has a header whose first name is empty and its first column holds
/// 0, 1, 2, … in order: what `DataFrame.to_csv` writes for a default index.
fn is_pandas_index(table: &Table) -> bool {
    table.names().is_some_and(|names| names[0].is_empty())
        && table
            .rows
            .iter()
            .enumerate()
            .all(|(i, (_, values))| values[0] == i as f64)
}

/// The 0-based index of the column `column` of `table`, named by option `key`; the error says why
/// there is none.
fn resolve(table: &Table, key: &str, column: &ColumnRef) -> Result<usize, String> {
    let count = table.columns;
    match column {
        ColumnRef::Index(i) => {
            let index = if *i < 0 {
                i64::try_from(count)
                    .ok()
                    .and_then(|c| usize::try_from(c + i).ok())
            } else {
                usize::try_from(*i).ok()
            };
            index.filter(|&c| c < count).ok_or_else(|| {
                format!(
                    "{key}={i} is not a column: the file has {count} (0 to {}, or -{count} to -1 \
                     from the end)",
                    count - 1
                )
            })
        }
        ColumnRef::Name(name) => {
            let Some(names) = table.names() else {
                return Err(format!(
                    "{key}={column} names a column, but the file has no header (its first row \
                     is data); give a 0-based index, or header=yes"
                ));
            };
            let matches: Vec<usize> = (0..count).filter(|&c| names[c] == *name).collect();
            match matches[..] {
                [index] => Ok(index),
                [] => Err(format!(
                    "{key}={column} names no column of the header (its columns: {})",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                _ => Err(format!(
                    "{key}={column} names {} columns of the header (indices {}); give an index",
                    matches.len(),
                    matches
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::load;
    use crate::data::{Classes, Column, Source};

    /// Column `index` named `name`.
    fn named(index: usize, name: &str) -> Column {
        Column {
            index,
            name: Some(name.to_owned()),
        }
    }

    #[test]
    fn the_label_is_found_by_name_index_or_index_from_the_end() {
        let text = "a,y,b\n3,1,4\n0,0,1\n";
        for options in ["label=y", "label=1", "label=-2"] {
            let data = load("label", text, options).unwrap();
            assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.2], "{options}");
            assert_eq!(data.y, vec![1.0, -1.0], "{options}");
            let Source::Csv {
                label_column,
                dropped_columns,
                classes,
                header,
                ..
            } = data.provenance.source
            else {
                panic!("{:?}", data.provenance)
            };
            assert_eq!(label_column, named(1, "y"));
            assert_eq!(dropped_columns, vec![]);
            assert!(header);
            assert_eq!(
                classes,
                Classes {
                    positive: Some(1),
                    negative: Some(0)
                }
            );
        }
    }

    #[test]
    fn dropped_columns_are_not_features() {
        let text = "id,a,b,note,y\n7,3,4,5,1\n8,0,1,5,-1\n";
        let data = load("drop", text, "drop=note+0").unwrap();
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.2]);
        let Source::Csv {
            dropped_columns,
            label_column,
            classes,
            ..
        } = data.provenance.source
        else {
            panic!("{:?}", data.provenance)
        };
        assert_eq!(dropped_columns, vec![named(0, "id"), named(3, "note")]);
        assert_eq!(label_column, named(4, "y"));
        assert_eq!(classes.negative, Some(-1));
        let bare = load("bare", "9,3,4,1\n9,0,1,1\n", "drop=0").unwrap();
        let Source::Csv {
            dropped_columns,
            classes,
            header,
            ..
        } = bare.provenance.source
        else {
            panic!("{:?}", bare.provenance)
        };
        assert_eq!(
            dropped_columns,
            vec![Column {
                index: 0,
                name: None
            }]
        );
        assert!(!header);
        assert_eq!(
            classes,
            Classes {
                positive: Some(1),
                negative: None
            }
        );
    }

    #[test]
    fn pandas_index_column_is_refused_unless_dropped() {
        let text = ",a,b,y\n0,3,4,1\n1,0,1,-1\n2,0,1,1\n";
        let message = load("pandas", text, "").unwrap_err().to_string();
        assert!(
            message.contains(
                "/data.csv, line 1: field 1 has an empty name in the header and holds 0, 1, 2, …"
            ) && message.contains("add drop=0"),
            "{message}"
        );
        let dropped = load("pandasdrop", text, "drop=0").unwrap();
        assert_eq!((dropped.n, dropped.dim), (3, 2));
        let named = load("pandasnamed", &text.replacen(',', "i,", 1), "").unwrap();
        assert_eq!(named.dim, 3);
        let not_an_index = load("notindex", ",a,y\n0,3,1\n2,0,-1\n", "").unwrap();
        assert_eq!(not_an_index.dim, 2);
    }

    #[test]
    fn bad_columns_say_what_the_file_has() {
        let text = "a,b,a,y\n3,4,5,1\n0,1,5,-1\n";
        let cases = [
            (
                "label=z",
                "line 1: label=`z` names no column of the header (its columns: `a`, `b`, `a`, `y`)",
            ),
            (
                "label=a",
                "line 1: label=`a` names 2 columns of the header (indices 0, 2); give an index",
            ),
            (
                "label=4",
                "line 1: label=4 is not a column: the file has 4 (0 to 3, or -4 to -1 from the end)",
            ),
            (
                "drop=-5",
                "line 1: drop=-5 is not a column: the file has 4 (0 to 3, or -4 to -1 from the end)",
            ),
            (
                "drop=y",
                "line 1: drop=`y` is the label column, field 4 (`y`)",
            ),
            ("drop=1+b", "line 1: drop= names field 2 (`b`) twice"),
            (
                "drop=0+1+2",
                "line 1: no feature is left: of the 4 columns, one is the label and drop= names \
                 the others",
            ),
        ];
        for (options, expected) in cases {
            let message = load("badcol", text, options).unwrap_err().to_string();
            assert!(
                message.ends_with(&format!("/data.csv, {expected}")),
                "{options}: {message}"
            );
        }
        let headless = load("headless", "3,4,1\n0,1,-1\n", "label=y")
            .unwrap_err()
            .to_string();
        assert!(
            headless
                .contains("data.csv, line 1: label=`y` names a column, but the file has no header"),
            "{headless}"
        );
        let label = load("badlabel", "a,y,b\n3,1,4\n0,2,1\n", "label=y")
            .unwrap_err()
            .to_string();
        assert!(
            label.ends_with(
                "line 3: label 2 is not in {-1, +1} or {0, 1} (the label is field 2 (`y`))"
            ),
            "{label}"
        );
    }
}
