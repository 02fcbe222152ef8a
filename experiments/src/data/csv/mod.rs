//! CSV data: one example per row, comma-separated, quoted as RFC 4180 allows; numeric features
//! and a label column, an optional header, columns to drop (see [`CsvOptions`]).

mod columns;
mod options;
mod table;

use std::path::Path;

pub(crate) use options::split_spec;
pub use options::{ColumnRef, CsvOptions, HeaderMode};
pub(crate) use table::parse_table;

use self::columns::Layout;
use self::table::{field_name, text_of};
use super::provenance::absolute;
use super::{Classes, DataError, Dataset, Location, Source};

/// Loads a CSV file with the default options: features then the label in the last column, a
/// header if the first row has no finite number (see [`load_csv_with`]).
pub fn load_csv(path: &Path) -> Result<Dataset, DataError> {
    load_csv_with(path, &CsvOptions::default())
}

/// Loads a CSV file: one example per row, comma-separated (a field may be quoted, `"1,5"` or
/// `"a ""b"""`), the label in the column `options` name (the last by default), every column but
/// the label and the dropped ones a feature. The first row is a header as `options` say (by
/// default when none of its fields is a finite number). The file may be gzipped (`.csv.gz`) and
/// may start with a UTF-8 byte-order mark. Labels are all in {−1, +1} or all in {0, 1} (0 is then
/// mapped to −1). Inputs are divided by the largest input norm, so the largest has norm 1.
///
/// Errors name the file, the line, the field and the problem: unreadable file, bytes that are not
/// text, empty file, ragged rows, fields that are not finite numbers, a row with no feature, a
/// column of the options that is not there, pandas' index column kept as a feature (a first
/// column with an empty name in the header holding 0, 1, 2, …), a label outside the set, or
/// labels mixing the two conventions.
pub fn load_csv_with(path: &Path, options: &CsvOptions) -> Result<Dataset, DataError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        file: file.clone(),
        source,
    })?;
    let text = text_of(bytes, &file)?;
    let table = parse_table(&text, &file, options.header)?;
    let layout = Layout::of(&table, options, &file)?;
    let label_field = field_name(layout.label, table.names());
    let dim = layout.features.len();
    // The first line with a −1 and the first with a 0: both set means the two conventions mix.
    let (mut first_minus, mut first_zero) = (None, None);
    let mut x = Vec::with_capacity(table.rows.len() * dim);
    let mut y = Vec::with_capacity(table.rows.len());
    for (line, values) in &table.rows {
        let (line, label) = (*line, values[layout.label]);
        if label == -1.0 {
            first_minus.get_or_insert(line);
        } else if label == 0.0 {
            first_zero.get_or_insert(line);
        } else if label != 1.0 {
            return Err(DataError::malformed(
                &file,
                Location::Line(line),
                format!(
                    "label {label} is not in {{-1, +1}} or {{0, 1}} (the label is {label_field})"
                ),
            ));
        }
        if let (Some(minus), Some(zero)) = (first_minus, first_zero) {
            return Err(DataError::malformed(
                &file,
                Location::Line(line),
                format!(
                    "labels mix {{-1, +1}} and {{0, 1}} (line {minus} has -1, line {zero} has 0)"
                ),
            ));
        }
        x.extend(layout.features.iter().map(|&c| values[c]));
        y.push(if label == 1.0 { 1.0 } else { -1.0 });
    }
    let positive = y.contains(&1.0).then_some(1);
    let negative = match (first_minus, first_zero) {
        (Some(_), _) => Some(-1),
        (_, Some(_)) => Some(0),
        _ => None,
    };
    let source = Source::Csv {
        file: absolute(path),
        header: table.header.is_some(),
        label_column: Layout::column(&table, layout.label),
        dropped_columns: layout
            .dropped
            .iter()
            .map(|&c| Layout::column(&table, c))
            .collect(),
        classes: Classes { positive, negative },
    };
    let name = path
        .file_name()
        .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
    Dataset::scaled(name, dim, x, y, &file, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `contents` to the file `name` in a per-test temporary folder and returns its path.
    fn write_named(test: &str, name: &str, contents: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("lowrank-csv-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Writes `contents` to `data.csv` in a per-test temporary folder and returns its path.
    fn write(test: &str, contents: &[u8]) -> std::path::PathBuf {
        write_named(test, "data.csv", contents)
    }

    /// Loads `contents` as `data.csv` with the options `options` (as after `data.csv:`).
    pub(super) fn load(test: &str, contents: &str, options: &str) -> Result<Dataset, DataError> {
        let options = CsvOptions::parse("data.csv", options)?;
        load_csv_with(&write(test, contents.as_bytes()), &options)
    }

    /// True when `a` and `b` agree to a relative `tolerance`.
    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs()
    }

    /// The error message of loading `contents`.
    fn error(test: &str, contents: &[u8]) -> String {
        load_csv(&write(test, contents)).unwrap_err().to_string()
    }

    #[test]
    fn loads_plus_minus_labels_with_a_header_and_scales() {
        let path = write("pm", b"a,b,label\n3,4,1\n\n0,1,-1\n");
        let data = load_csv(&path).unwrap();
        assert_eq!((data.n, data.dim), (2, 2));
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.2]);
        assert_eq!(data.y, vec![1.0, -1.0]);
        assert_eq!(data.name, "data.csv");
        assert_eq!(data.input_divisor, 5.0);
    }

    #[test]
    fn values_up_to_the_largest_f64_are_scaled_not_zeroed() {
        let data = load_csv(&write("big", b"1e308,1e308,1e308,1\n1,0,0,-1\n")).unwrap();
        let third = 1.0 / 3f64.sqrt();
        assert!(
            data.x[..3].iter().all(|&v| close(v, third, 1e-15)),
            "{:?}",
            data.x
        );
        assert!(close(data.input_divisor, 3f64.sqrt() * 1e308, 1e-15));
        assert!(close(data.x[3], 1.0 / data.input_divisor, 1e-15) && data.x[3] > 0.0);
        let max = load_csv(&write("max", b"1.7976931348623157e308,0,1\n0,1,-1\n")).unwrap();
        assert_eq!((max.x[0], max.x[1], max.x[2]), (1.0, 0.0, 0.0));
        assert_eq!(max.input_divisor, f64::MAX);
        assert!(close(max.x[3], 1.0 / f64::MAX, 1e-12) && max.x[3] > 0.0);
    }

    #[test]
    fn subnormal_inputs_are_nonzero_and_scaled() {
        let data = load_csv(&write("tiny", b"3e-320,4e-320,1\n0,1e-320,-1\n")).unwrap();
        let want = [0.6, 0.8, 0.0, 0.2];
        for (got, want) in data.x.iter().zip(want) {
            assert!((got - want).abs() < 1e-3, "{:?}", data.x);
        }
        assert!(
            close(data.input_divisor, 5e-320, 1e-3),
            "{}",
            data.input_divisor
        );
    }

    #[test]
    fn a_norm_beyond_the_largest_f64_is_named() {
        let max = f64::MAX;
        let message = error("huge", format!("1,0,1\n{max:e},{max:e},-1\n").as_bytes());
        assert!(
            message.contains(
                "data.csv: example 2 has a norm above 1.7976931348623157e308, the largest f64"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_utf8_byte_order_mark_is_skipped() {
        let data = load_csv(&write("bom", b"\xef\xbb\xbf1.488185,2,1\n0,1,-1\n")).unwrap();
        assert_eq!((data.n, data.dim), (2, 2));
        assert!(close(
            data.input_divisor,
            (1.488185f64.powi(2) + 4.0).sqrt(),
            1e-15
        ));
        let header = load_csv(&write("bomhead", b"\xef\xbb\xbfa,b,y\n3,4,1\n")).unwrap();
        assert_eq!(header.x, vec![0.6, 0.8]);
    }

    #[test]
    fn a_column_named_nan_or_inf_is_part_of_a_header() {
        let data = load_csv(&write("nanhead", b"x,nan,inf,label\n3,4,0,1\n0,0,1,-1\n")).unwrap();
        assert_eq!((data.n, data.dim), (2, 3));
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.0, 0.0, 0.2]);
    }

    #[test]
    fn gzipped_csv_is_read() {
        let gz = crate::data::gzip::member(b"a,b,y\n3,4,1\n0,1,-1\n");
        let path = write_named("gz", "data.csv.gz", &gz);
        let data = crate::data::resolve(path.to_str().unwrap()).unwrap();
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.2]);
        assert_eq!(data.name, "data.csv.gz");
        let garbage = [gz.clone(), b"xx".to_vec()].concat();
        let message = load_csv(&write_named("gzjunk", "data.csv.gz", &garbage))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(&format!(
                "data.csv.gz, byte offset {} of the gzip file: 2 bytes after the gzip data",
                gz.len()
            )),
            "{message}"
        );
    }

    #[test]
    fn binary_bytes_are_not_text() {
        let nul = error("nul", &[0; 64]);
        assert!(
            nul.contains("data.csv, line 1: a NUL byte (0x00) at byte offset 0: not a text file"),
            "{nul}"
        );
        let control = error("ctl", b"1,2,1\n1,\x01,1\n");
        assert!(
            control.contains("line 2: a control byte (0x01) at byte offset 8: not a text file"),
            "{control}"
        );
        let utf16 = error("utf16", b"\xff\xfe1\x00,\x001\x00");
        assert!(
            utf16.contains("line 1: starts with a UTF-16 byte-order mark"),
            "{utf16}"
        );
    }

    #[test]
    fn maps_zero_one_labels_without_a_header() {
        let data = load_csv(&write("01", b"1,0,1\r\n0,2,0\r\n2,0,1\r\n")).unwrap();
        assert_eq!(data.y, vec![1.0, -1.0, 1.0]);
        assert_eq!(data.x, vec![0.5, 0.0, 0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn malformed_files_are_named_with_line_and_problem() {
        let cases: [(&str, &[u8], &str); 9] = [
            (
                "ragged",
                b"1,2,1\n1,2\n",
                "line 2: 2 fields, but the first row has 3",
            ),
            (
                "nan",
                b"1,2,1\n1,x,-1\n",
                "line 2: field 2 is `x`, not a number",
            ),
            (
                "inf",
                b"1,inf,1\n",
                "line 1: field 2 is `inf`, not a finite number",
            ),
            (
                "label",
                b"1,2,1\n1,2,2\n",
                "line 2: label 2 is not in {-1, +1} or {0, 1}",
            ),
            (
                "mixed",
                b"1,2,0\n1,2,1\n1,2,-1\n",
                "line 3: labels mix {-1, +1} and {0, 1}",
            ),
            ("empty", b"", "empty: no examples"),
            ("header", b"a,b,c\n\n", "a header but no examples"),
            (
                "onecol",
                b"1\n0\n",
                "line 1: a row needs at least one feature and a label",
            ),
            ("zero", b"0,0,1\n0,0,-1\n", "every input is zero"),
        ];
        for (test, contents, expected) in cases {
            let message = error(test, contents);
            assert!(message.contains("data.csv"), "{test}: {message}");
            assert!(message.contains(expected), "{test}: {message}");
        }
    }

    #[test]
    fn header_width_must_match_rows() {
        let message = error("hwidth", b"a,b\n1,2,1\n");
        assert!(
            message.contains("line 2: 3 fields, but the header has 2"),
            "{message}"
        );
    }

    #[test]
    fn non_utf8_and_missing_files_are_reported() {
        let message = error("utf8", b"1,2,1\n\xff,2,1\n");
        assert!(message.contains("line 2: not UTF-8 text"), "{message}");
        let missing = load_csv(Path::new("/nonexistent/lowrank.csv")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("/nonexistent/lowrank.csv: cannot read")
        );
    }
}
