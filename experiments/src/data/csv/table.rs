//! The text of a CSV file and its numeric rows: RFC 4180 fields (`"a,b"`, doubled quotes) read by
//! the `csv` crate, an optional header, every other field a finite number.

use super::super::gzip::{gunzip, is_gzip};
use super::super::{DataError, Location};
use super::HeaderMode;

/// The UTF-8 byte-order mark some editors (and Excel) put at the start of a text file.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Numeric rows of a comma-separated text, each with its 1-based line number.
pub(crate) struct Table {
    /// The header's line number and names, when the first row is a header.
    pub header: Option<(usize, Vec<String>)>,
    /// Fields per row (every row has exactly this many).
    pub columns: usize,
    /// (line number, values) for every data row.
    pub rows: Vec<(usize, Vec<f64>)>,
}

impl Table {
    /// The header's names, when there is a header.
    pub fn names(&self) -> Option<&[String]> {
        self.header.as_ref().map(|(_, names)| names.as_slice())
    }

    /// The line of the header, or else of the first row: where a problem with the columns shows.
    pub fn first_line(&self) -> usize {
        self.header
            .as_ref()
            .map_or_else(|| self.rows[0].0, |(line, _)| *line)
    }
}

/// Field `column` (0-based) in words, counted from 1 like lines, with its header name if any:
/// "field 2" or "field 2 (`b`)".
pub(crate) fn field_name(column: usize, names: Option<&[String]>) -> String {
    match names.and_then(|n| n.get(column)) {
        Some(name) => format!("field {} (`{name}`)", column + 1),
        None => format!("field {}", column + 1),
    }
}

/// Parses comma-separated numbers, fields quoted as RFC 4180 allows and trimmed of white space.
/// Blank lines are skipped. The first row is a header as `header` says; for
/// [`HeaderMode::Auto`], when none of its fields is a finite number (so a column named `nan` or
/// `inf` is a header's name, not a value). Every row must have the header's (or the first
/// row's) field count and only finite numbers; errors name `file`, the line, the field and the
/// problem.
pub(crate) fn parse_table(text: &str, file: &str, header: HeaderMode) -> Result<Table, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table {
        header: None,
        columns: 0,
        rows: Vec::new(),
    };
    for record in reader.records() {
        let mut record = record
            .map_err(|e| DataError::malformed(file, Location::File, format!("not CSV: {e}")))?;
        record.trim();
        let line_no = record.position().map_or(0, |p| p.line() as usize);
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        let fields: Vec<&str> = record.iter().collect();
        let first_row = table.header.is_none() && table.rows.is_empty();
        if first_row && is_header(&fields, header) {
            table.columns = fields.len();
            table.header = Some((line_no, fields.iter().map(|f| (*f).to_owned()).collect()));
            continue;
        }
        if first_row && table.header.is_none() {
            table.columns = fields.len();
        }
        if fields.len() != table.columns {
            return Err(DataError::malformed(
                file,
                Location::Line(line_no),
                format!(
                    "{} fields, but the {} has {} (ragged rows)",
                    fields.len(),
                    if table.header.is_some() {
                        "header"
                    } else {
                        "first row"
                    },
                    table.columns
                ),
            ));
        }
        let values = fields
            .iter()
            .enumerate()
            .map(|(column, field)| parse_field(field, column, &table, file, line_no))
            .collect::<Result<Vec<f64>, DataError>>()?;
        table.rows.push((line_no, values));
    }
    if table.rows.is_empty() {
        let problem = if table.header.is_some() {
            "a header but no examples"
        } else {
            "empty: no examples"
        };
        return Err(DataError::malformed(file, Location::File, problem));
    }
    Ok(table)
}

/// Whether the first row, `fields`, is a header.
fn is_header(fields: &[&str], header: HeaderMode) -> bool {
    match header {
        HeaderMode::Yes => true,
        HeaderMode::No => false,
        HeaderMode::Auto => !fields
            .iter()
            .any(|f| f.parse::<f64>().is_ok_and(f64::is_finite)),
    }
}

/// One field as a finite number.
fn parse_field(
    field: &str,
    column: usize,
    table: &Table,
    file: &str,
    line: usize,
) -> Result<f64, DataError> {
    let problem = match field.parse::<f64>() {
        Ok(v) if v.is_finite() => return Ok(v),
        Ok(_) => "not a finite number",
        Err(_) => "not a number",
    };
    Err(DataError::malformed(
        file,
        Location::Line(line),
        format!(
            "{} is `{field}`, {problem}",
            field_name(column, table.names())
        ),
    ))
}

/// The text of a CSV file's bytes: gunzipped if they are gzip (any file name), without a leading
/// UTF-8 byte-order mark. Errors name the line of the first byte that is not text: invalid UTF-8,
/// a UTF-16 byte-order mark, or a control character (a NUL byte is a binary file's sign).
pub(crate) fn text_of(bytes: Vec<u8>, file: &str) -> Result<String, DataError> {
    let mut bytes = if is_gzip(&bytes) {
        gunzip(&bytes, file)?
    } else {
        bytes
    };
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    let line_at =
        |bytes: &[u8], end: usize| bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1;
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Err(DataError::malformed(
            file,
            Location::Line(1),
            "starts with a UTF-16 byte-order mark: save the file as UTF-8 text",
        ));
    }
    if let Some(at) = bytes
        .iter()
        .position(|&b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        let kind = if bytes[at] == 0 {
            "a NUL byte"
        } else {
            "a control byte"
        };
        return Err(DataError::malformed(
            file,
            Location::Line(line_at(&bytes, at)),
            format!(
                "{kind} (0x{:02x}) at byte offset {at}: not a text file",
                bytes[at]
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let line = line_at(e.as_bytes(), e.utf8_error().valid_up_to());
        DataError::malformed(file, Location::Line(line), "not UTF-8 text")
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::load;

    #[test]
    fn quoted_fields_may_hold_commas_quotes_and_line_breaks() {
        let text = "\"x, first\",\"say \"\"hi\"\"\",\"y\nlabel\"\n\"3\",4,1\n\"0\",\" 1 \",-1\n";
        let data = load("quoted", text, "").unwrap();
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 0.2]);
        assert_eq!(data.y, vec![1.0, -1.0]);
        // A comma ends an option: such a column is named by its index.
        let named = load("quotedname", text, "label=x, first").unwrap_err();
        assert!(
            named
                .to_string()
                .contains("csv option `first` is not key=value"),
            "{named}"
        );
        let message = load("quotedline", "\"a\nb\",c,y\n3,4,1\n3,x,1\n", "")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("data.csv, line 4: field 2 (`c`) is `x`, not a number"),
            "{message}"
        );
    }

    #[test]
    fn errors_name_a_field_by_its_header_name() {
        let message = load("named", "a,b,y\n1,2,1\n1,inf,-1\n", "")
            .unwrap_err()
            .to_string();
        assert!(
            message.ends_with("data.csv, line 3: field 2 (`b`) is `inf`, not a finite number"),
            "{message}"
        );
    }

    #[test]
    fn the_header_option_overrides_the_guess() {
        let yes = load("yes", "1,2,3\n3,4,1\n0,1,-1\n", "header=yes").unwrap();
        assert_eq!((yes.n, yes.x.clone()), (2, vec![0.6, 0.8, 0.0, 0.2]));
        let no = load("no", "a,b,y\n3,4,1\n", "header=no")
            .unwrap_err()
            .to_string();
        assert!(
            no.ends_with("data.csv, line 1: field 1 is `a`, not a number"),
            "{no}"
        );
        let auto = load("auto", "3,4,1\n0,1,-1\n", "header=auto").unwrap();
        assert_eq!(auto.n, 2);
    }
}
