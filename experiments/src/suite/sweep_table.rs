//! The sweep's tables, from one list of columns: `sweep.md` to read,
//! rounded, with `—` for what is missing; `sweep.csv` tidy for pandas and the like, with
//! snake_case headers, numbers at full precision (the shortest text that reads back to the same
//! f64) and empty cells for missing values; `sweep.json`, the rows themselves.
//!
//! The columns, in this order: `index`, `family`, `depth`, `width`, `init_scale`, `loss`,
//! `step_rule`, `seed`, `status`, `steps`, `seconds`, `log_loss` (ln R at the end), `accuracy`,
//! then for each claim of the sweep in judging order (premises first) `<claim>` (its measured
//! value) and `<claim>_verdict`, with the claim id's hyphens as underscores, and last
//! `rank_one_step`. The table printed on the terminal keeps it under 100 columns: the point, ln R,
//! how many claims hold, and the rank-one step.

use crate::claims::{Verdict, fmt_value, in_judging_order};
use crate::error::RunError;
use crate::report::table::Table;
use crate::runner::rundir::RunDir;
use models::atomic::write_atomic;

use super::sweep::{CLAIMS, SweepRow};

/// One cell before it is written for a reader or for a machine.
enum Cell {
    Text(String),
    /// A text that may be missing (a verdict of a run that failed).
    Label(Option<&'static str>),
    Number(Option<f64>),
    Step(Option<usize>),
}

impl Cell {
    /// For a reader: rounded numbers, `—` for a missing value, `never` for a missing step.
    fn readable(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Label(s) => s.unwrap_or("—").to_string(),
            Cell::Number(v) => v.map_or_else(|| "—".to_string(), fmt_value),
            Cell::Step(s) => s.map_or_else(|| "never".to_string(), |s| s.to_string()),
        }
    }

    /// For a machine: full precision, empty when missing.
    fn tidy(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Label(s) => s.unwrap_or_default().to_string(),
            Cell::Number(v) => v.map_or_else(String::new, |v| v.to_string()),
            Cell::Step(s) => s.map_or_else(String::new, |s| s.to_string()),
        }
    }
}

/// One column: its snake_case name (the CSV header), its header for readers, and its cells.
struct Column {
    name: String,
    header: String,
    cell: Box<dyn Fn(&SweepRow) -> Cell>,
}

fn column(name: &str, header: &str, cell: impl Fn(&SweepRow) -> Cell + 'static) -> Column {
    Column {
        name: name.to_string(),
        header: header.to_string(),
        cell: Box::new(cell),
    }
}

fn text(s: impl ToString) -> Cell {
    Cell::Text(s.to_string())
}

/// The columns of the sweep table, in their documented order.
fn columns() -> Vec<Column> {
    let mut columns = vec![
        column("index", "index", |r| text(r.index)),
        column("family", "family", |r| text(r.point.family.name())),
        column("depth", "depth", |r| text(r.point.depth)),
        column("width", "width", |r| text(r.point.width)),
        column("init_scale", "init", |r| {
            Cell::Number(Some(r.point.init_scale))
        }),
        column("loss", "loss", |r| text(&r.point.loss)),
        column("step_rule", "rule", |r| text(&r.point.rule)),
        column("seed", "seed", |r| text(r.point.seed)),
        column("status", "status", |r| text(&r.status)),
        column("steps", "steps", |r| text(r.steps)),
        column("seconds", "seconds", |r| Cell::Number(Some(r.seconds))),
        column("log_loss", "ln R", |r| Cell::Number(r.log_loss)),
        column("accuracy", "accuracy", |r| Cell::Number(r.accuracy)),
    ];
    for spec in in_judging_order(CLAIMS) {
        let id = spec.id;
        let name = id.replace('-', "_");
        columns.push(column(&name, id, move |r| {
            Cell::Number(
                r.claims
                    .iter()
                    .find(|c| c.id == id)
                    .and_then(|c| c.measured),
            )
        }));
        columns.push(column(
            &format!("{name}_verdict"),
            &format!("{id} verdict"),
            // A run that failed judged nothing.
            move |r| {
                Cell::Label(
                    r.claims
                        .iter()
                        .find(|c| c.id == id)
                        .map(|c| c.verdict.as_str()),
                )
            },
        ));
    }
    columns.push(column("rank_one_step", "rank-one step", |r| {
        Cell::Step(r.rank_one_step)
    }));
    columns
}

/// The table with the given header and cell text per column.
fn build(
    rows: &[SweepRow],
    header: impl Fn(&Column) -> &str,
    write: impl Fn(&Cell) -> String,
) -> Table {
    let columns = columns();
    let headers: Vec<&str> = columns.iter().map(&header).collect();
    let mut table = Table::new(&headers);
    for row in rows {
        table.push(columns.iter().map(|c| write(&(c.cell)(row))).collect());
    }
    table
}

/// The sweep table for readers (`sweep.md`, and what the binary prints).
pub fn table(rows: &[SweepRow]) -> Table {
    build(rows, |c| c.header.as_str(), Cell::readable)
}

/// The columns of the printed table, by name.
const PRINTED: [&str; 9] = [
    "index",
    "family",
    "depth",
    "width",
    "init_scale",
    "loss",
    "step_rule",
    "seed",
    "log_loss",
];

/// The sweep table printed on the terminal: the point and ln R, then how many of its claims hold
/// (or the point's status when it did not complete) and the rank-one step; the rest is in
/// `sweep.md`.
pub fn printed_table(rows: &[SweepRow]) -> Table {
    let columns: Vec<Column> = columns()
        .into_iter()
        .filter(|c| PRINTED.contains(&c.name.as_str()))
        .collect();
    let mut headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
    headers.extend(["holds", "rank one"]);
    let mut table = Table::new(&headers);
    for row in rows {
        let mut cells: Vec<String> = columns.iter().map(|c| (c.cell)(row).readable()).collect();
        let held = row
            .claims
            .iter()
            .filter(|c| c.verdict == Verdict::Holds)
            .count();
        cells.push(if row.status == "completed" {
            format!("{held}/{}", row.claims.len())
        } else {
            row.status.split(':').next().unwrap_or_default().to_string()
        });
        cells.push(Cell::Step(row.rank_one_step).readable());
        table.push(cells);
    }
    table
}

/// The tidy sweep table (`sweep.csv`).
pub fn tidy_table(rows: &[SweepRow]) -> Table {
    build(rows, |c| c.name.as_str(), Cell::tidy)
}

/// Writes `sweep.json`, `sweep.csv` and `sweep.md` to `dir`.
pub fn write_tables(dir: &RunDir, rows: &[SweepRow], title: &str) -> Result<(), RunError> {
    let write = |name: &str, text: &str| {
        let path = dir.root().join(name);
        write_atomic(&path, text.as_bytes())
            .map_err(|e| RunError::io(format!("writing {}", path.display()), e))
    };
    let json = serde_json::to_string_pretty(rows)
        .map_err(|e| RunError::io("encoding sweep.json", std::io::Error::other(e)))?;
    write("sweep.json", &json)?;
    write("sweep.csv", &tidy_table(rows).to_csv())?;
    write(
        "sweep.md",
        &format!("# {title}\n\n{}", table(rows).to_markdown()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::sweep::{Family, Point, PointClaim};

    fn row(index: usize, status: &str, judged: bool) -> SweepRow {
        let claims = in_judging_order(CLAIMS)
            .iter()
            .map(|s| PointClaim {
                id: s.id.to_string(),
                measured: (s.id != "tail-aligned").then_some(0.1 + 0.2),
                verdict: Verdict::Holds,
            })
            .collect();
        SweepRow {
            index,
            total: 2,
            point: Point {
                family: Family::ReluTail,
                depth: 3,
                width: 10,
                init_scale: 0.5,
                loss: "logistic".into(),
                rule: "adam".into(),
                seed: 7,
            },
            status: status.into(),
            steps: 100,
            seconds: 1.0 / 3.0,
            log_loss: judged.then_some(-12.345_678_901_234_5),
            accuracy: judged.then_some(1.0),
            claims: if judged { claims } else { Vec::new() },
            rank_one_step: judged.then_some(40),
        }
    }

    #[test]
    fn the_printed_table_is_narrow_and_counts_the_claims_that_hold() {
        let mut wide = row(0, "completed", true);
        wide.point.loss = "exponential".into();
        let rows = [wide, row(1, "error: bad, very bad", false)];
        let text = printed_table(&rows).to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "index  family     depth  width  init    loss         rule  seed  ln R      holds  rank one"
        );
        assert!(lines[2].ends_with("  7     -12.3457  6/6    40"), "{text}");
        assert!(
            lines[3].ends_with("  7     —         error  never"),
            "{text}"
        );
        for line in &lines {
            assert!(line.chars().count() <= 100, "{line}");
        }
    }

    #[test]
    fn the_tidy_table_has_snake_case_headers_full_precision_and_empty_missing_cells() {
        let rows = [
            row(0, "completed", true),
            row(1, "error: bad, very bad", false),
        ];
        let csv = tidy_table(&rows).to_csv();
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        assert!(
            header.starts_with("index,family,depth,width,init_scale,loss,step_rule,seed,status,steps,seconds,log_loss,accuracy,"),
            "{header}"
        );
        assert!(header.ends_with(",rank_one_step"), "{header}");
        assert!(
            header.contains(",tail_rank_one,tail_rank_one_verdict,"),
            "{header}"
        );
        assert!(
            header
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b','),
            "{header}"
        );
        let judged = lines.next().unwrap();
        assert!(
            judged.starts_with("0,relu-tail,3,10,0.5,logistic,adam,7,completed,100,0.3333333333333333,-12.3456789012345,1,"),
            "{judged}"
        );
        // 0.1 + 0.2 at full precision; tail-aligned's missing value an empty cell.
        assert!(judged.contains(",0.30000000000000004,holds,"), "{judged}");
        assert!(judged.contains(",,holds,"), "{judged}");
        assert!(judged.ends_with(",40"), "{judged}");
        let failed = lines.next().unwrap();
        assert!(
            failed
                .starts_with("1,relu-tail,3,10,0.5,logistic,adam,7,\"error: bad, very bad\",100,"),
            "{failed}"
        );
        assert!(
            failed.ends_with(",,,"),
            "every claim cell and the step empty: {failed}"
        );
        assert_eq!(header.split(',').count(), judged.split(',').count());
    }

    #[test]
    fn the_readable_table_rounds_and_marks_what_is_missing() {
        let text = table(&[row(1, "error: x", false)]).to_text();
        assert!(
            text.contains("ln R") && text.contains("tail-rank-one verdict"),
            "{text}"
        );
        assert!(text.contains('—') && text.contains("never"), "{text}");
        let text = table(&[row(0, "completed", true)]).to_text();
        assert!(
            text.contains("-12.3457") && text.contains("0.3000"),
            "{text}"
        );
    }
}
