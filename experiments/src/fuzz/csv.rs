//! The CSV loader (`--data F.csv`).

use std::path::Path;

use super::{Input, Outcome, Target, dataset_invariants};
use crate::data::{self, Dataset};

/// The `csv` target.
pub(super) fn target() -> Target {
    Target {
        name: "csv",
        about: "the CSV loader (`--data F.csv`), and the scaling of what it accepts",
        files: &["data.csv"],
        seeds,
        run,
    }
}

/// Data sets of the project as CSV: with and without a header, labels ±1 and 0/1.
fn seeds() -> Vec<Input> {
    let gaussian = data::gaussian(3, 12, 0.1, 1);
    let digits = data::digits(0, 1).map_or_else(|_| gaussian.clone(), |d| head(&d, 6));
    vec![
        vec![to_csv(&gaussian, None, false)],
        vec![to_csv(&gaussian, Some("a,b,c,label"), true)],
        vec![to_csv(&digits, None, true)],
    ]
}

/// The first `n` examples of `data`.
fn head(data: &Dataset, n: usize) -> Dataset {
    let n = n.min(data.n);
    Dataset {
        name: data.name.clone(),
        n,
        dim: data.dim,
        x: data.x[..n * data.dim].to_vec(),
        y: data.y[..n].to_vec(),
        input_divisor: data.input_divisor,
        provenance: data.provenance.clone(),
    }
}

/// `data` as CSV text, the label last (as 0/1 when `zero_one`).
fn to_csv(data: &Dataset, header: Option<&str>, zero_one: bool) -> Vec<u8> {
    let mut text = header.map(|h| format!("{h}\n")).unwrap_or_default();
    for i in 0..data.n {
        let label = match (data.y[i] > 0.0, zero_one) {
            (true, _) => "1",
            (false, true) => "0",
            (false, false) => "-1",
        };
        let row: Vec<String> = data.row(i).iter().map(f64::to_string).collect();
        text.push_str(&format!("{},{label}\n", row.join(",")));
    }
    text.into_bytes()
}

fn run(dir: &Path) -> Outcome {
    match data::load_csv(&dir.join("data.csv")) {
        Ok(data) => dataset_invariants(&data),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{scratch, write_input};

    #[test]
    fn every_seed_is_accepted() {
        let dir = scratch("csv-seeds");
        for input in seeds() {
            write_input(&target(), &input, &dir).unwrap();
            assert_eq!(run(&dir), Outcome::Accepted);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
