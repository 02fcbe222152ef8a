//! Plain tables: aligned text for the terminal, Markdown for reports, CSV for spreadsheets.

use std::fmt::Write;

use crate::claims::{Claim, OverSeeds, fmt_value};

/// A table of strings with a header row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub headers: Vec<String>,
    /// The rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column names.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (cells beyond the header count are dropped, missing ones left empty).
    pub fn push(&mut self, row: Vec<String>) {
        let mut row = row;
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        widths
    }

    /// Aligned text with a rule under the header, for the terminal.
    pub fn to_text(&self) -> String {
        let widths = self.widths();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            padded.join("  ").trim_end().to_string()
        };
        let mut out = String::new();
        let _ = writeln!(out, "{}", line(&self.headers));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let _ = writeln!(out, "{}", rule.join("  "));
        for row in &self.rows {
            let _ = writeln!(out, "{}", line(row));
        }
        out
    }

    /// A GitHub-flavoured Markdown table (pipes in cells escaped).
    pub fn to_markdown(&self) -> String {
        let cell = |c: &String| c.replace('|', "\\|");
        let mut out = String::new();
        let head: Vec<String> = self.headers.iter().map(cell).collect();
        let _ = writeln!(out, "| {} |", head.join(" | "));
        let _ = writeln!(out, "|{}", " --- |".repeat(self.headers.len()));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(cell).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out
    }

    /// CSV with a header (cells with commas, quotes or newlines quoted).
    pub fn to_csv(&self) -> String {
        let cell = |c: &String| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        };
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let cells: Vec<String> = row.iter().map(cell).collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
        out
    }
}

/// The claims as a table: run, claim, measured, threshold, verdict (and the statement when
/// `with_statement`, for reports).
pub fn claims_table(claims: &[Claim], with_statement: bool) -> Table {
    let mut headers = vec!["run", "claim", "measured", "threshold", "verdict"];
    if with_statement {
        headers.extend(["metric", "statement"]);
    }
    let mut table = Table::new(&headers);
    for c in claims {
        let mut row = vec![
            c.run.clone(),
            c.id.clone(),
            c.measured_text(),
            c.threshold.describe(),
            c.verdict.as_str().to_string(),
        ];
        if with_statement {
            row.extend([c.metric.clone(), c.statement.clone()]);
        }
        table.push(row);
    }
    table
}

/// A table of claims over seeds: run, claim, tally, worst and median value, threshold, source.
pub fn seeds_table(summaries: &[OverSeeds]) -> Table {
    let mut table = Table::new(&[
        "run",
        "claim",
        "verdict",
        "worst",
        "median",
        "threshold",
        "source",
    ]);
    for s in summaries {
        table.push(vec![
            s.run.clone(),
            s.id.clone(),
            s.tally(),
            or_dash(s.worst),
            or_dash(s.median),
            s.threshold.describe(),
            s.source.clone(),
        ]);
    }
    table
}

/// [`seeds_table`] for a terminal, within 100 columns: the tally in short ("4 of 5, 1 n/a":
/// one seed not applicable or not measured), and neither the median nor the source (the report
/// has them).
pub fn seeds_table_brief(summaries: &[OverSeeds]) -> Table {
    let mut table = Table::new(&["run", "claim", "holds", "worst", "threshold"]);
    for s in summaries {
        let mut tally = format!("{} of {}", s.holds, s.seeds);
        if s.unjudged() > 0 {
            tally.push_str(&format!(", {} n/a", s.unjudged()));
        }
        table.push(vec![
            s.run.clone(),
            s.id.clone(),
            tally,
            or_dash(s.worst),
            s.threshold.describe(),
        ]);
    }
    table
}

/// A value as the tables show it, or a dash when there is none.
fn or_dash(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), fmt_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Threshold;

    fn sample() -> Table {
        let mut t = Table::new(&["name", "r"]);
        t.push(vec!["ä|b".into(), "0.99".into()]);
        t.push(vec!["x,y".into()]);
        t
    }

    #[test]
    fn text_markdown_and_csv() {
        let t = sample();
        assert_eq!(t.to_text(), "name  r\n----  ----\nä|b   0.99\nx,y\n");
        assert_eq!(
            t.to_markdown(),
            "| name | r |\n| --- | --- |\n| ä\\|b | 0.99 |\n| x,y |  |\n"
        );
        assert_eq!(t.to_csv(), "name,r\nä|b,0.99\n\"x,y\",\n");
    }

    #[test]
    fn claims_table_shows_verdicts() {
        let c = Claim::evaluate(
            "rank-one",
            "deep-linear",
            "s",
            "m",
            0.5,
            Threshold::Above { value: 0.99 },
        );
        let text = claims_table(&[c], false).to_text();
        assert!(
            text.contains("deep-linear  rank-one  0.5000    > 0.9900   FAILS"),
            "{text}"
        );
    }
}
