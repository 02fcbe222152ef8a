//! The research-scale report: one row per width, size and thread count (medians over the
//! repeated runs), as a markdown table and a JSON file.

use std::fmt::Write as _;

use serde::Serialize;

use super::bound::StepBound;
use super::case::Case;
use super::final_state::FinalState;
use super::phases::Phases;
use crate::timing::median;

/// Everything measured for one case at one thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// The case.
    pub case: Case,
    /// Threads of ours and of the peer.
    pub threads: usize,
    /// Gradient steps of every run.
    pub steps: usize,
    /// Logged steps of every run.
    pub logged_steps: usize,
    /// Ours, one entry per repeat.
    pub ours: Vec<Phases>,
    /// Where our last run ended.
    pub ours_final: FinalState,
    /// The peer, one entry per repeat it completed (paired with ours by position).
    pub torch: Vec<Phases>,
    /// Where the peer's last run ended.
    pub torch_final: Option<FinalState>,
    /// Seconds of the one SVM solve of the data set (outside every run).
    pub svm_seconds: f64,
    /// The step's GEMM bound.
    pub bound: StepBound,
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Width of the hidden layers.
    pub width: usize,
    /// Training examples.
    pub n: usize,
    /// Threads of ours and of the peer.
    pub threads: usize,
    /// Gradient steps.
    pub steps: usize,
    /// Logged steps.
    pub logged_steps: usize,
    /// Ours: the median of each phase over the repeats.
    pub ours: Phases,
    /// Ours: metrics / total at the medians.
    pub ours_metrics_share: f64,
    /// Ours: every repeat.
    pub ours_runs: Vec<Phases>,
    /// Where our last run ended.
    pub ours_final: FinalState,
    /// The peer: the median of each phase, if it ran.
    pub torch: Option<Phases>,
    /// The peer: metrics / total at the medians.
    pub torch_metrics_share: Option<f64>,
    /// The peer: every repeat.
    pub torch_runs: Vec<Phases>,
    /// Where the peer's last run ended.
    pub torch_final: Option<FinalState>,
    /// The peer's total / ours, the median of the per-repeat ratios (above 1: ours is faster).
    pub torch_over_ours: Option<f64>,
    /// Seconds of the one SVM solve of the data set, outside every run.
    pub svm_seconds: f64,
    /// GEMM flops of one training step (forward and backward).
    pub step_gemm_flops: u64,
    /// The GEMM bound of one step: its products timed alone, summed.
    pub gemm_bound_step_seconds: f64,
    /// Our training seconds per evaluated step: training / (steps + 1), since a run computes the
    /// loss and gradient at each of its steps + 1 iterates (the last for its final metrics).
    pub ours_step_seconds: f64,
    /// ours_step_seconds / gemm_bound_step_seconds.
    pub ours_step_over_bound: f64,
    /// Seconds to build the network at its initialization (inside our training phase).
    pub build_seconds: f64,
}

impl Row {
    /// The row of `m`; `None` when ours has no run (or a NaN time).
    pub fn new(m: Measured) -> Option<Row> {
        let ours = Phases::median_of(&m.ours)?;
        let torch = Phases::median_of(&m.torch);
        let ratios: Vec<f64> = m
            .torch
            .iter()
            .zip(&m.ours)
            .filter(|(_, o)| o.total > 0.0)
            .map(|(t, o)| t.total / o.total)
            .collect();
        let ours_step_seconds = ours.training / (m.steps + 1) as f64;
        Some(Row {
            width: m.case.width,
            n: m.case.n,
            threads: m.threads,
            steps: m.steps,
            logged_steps: m.logged_steps,
            ours_metrics_share: ours.metrics_share(),
            ours,
            ours_runs: m.ours,
            ours_final: m.ours_final,
            torch_metrics_share: torch.map(|t| t.metrics_share()),
            torch,
            torch_runs: m.torch,
            torch_final: m.torch_final,
            torch_over_ours: median(&ratios),
            svm_seconds: m.svm_seconds,
            step_gemm_flops: m.bound.flops,
            gemm_bound_step_seconds: m.bound.seconds,
            ours_step_seconds,
            ours_step_over_bound: if m.bound.seconds > 0.0 {
                ours_step_seconds / m.bound.seconds
            } else {
                f64::NAN
            },
            build_seconds: m.bound.build_seconds,
        })
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The PyTorch version, if the peer ran.
    pub torch: Option<String>,
    /// The dtype the peer computes σ₁ and ‖W‖_F in (`f32` or `f64`; ours always uses f64).
    pub torch_metric_dtype: String,
    /// The data folder.
    pub data_dir: String,
    /// Gradient steps of every run.
    pub steps: usize,
    /// The logged steps.
    pub log_steps: Vec<usize>,
    /// The metric families ours computes at each log.
    pub metrics: String,
    /// Runs of each case (the rows hold medians).
    pub repeats: usize,
    /// Every row.
    pub rows: Vec<Row>,
}

/// Seconds at a precision that suits their size: 0.123, 12.34, 123.4.
pub fn secs(v: f64) -> String {
    if !v.is_finite() {
        "-".to_string()
    } else if v < 1.0 {
        format!("{v:.3}")
    } else if v < 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// A share as a whole percentage.
fn percent(v: f64) -> String {
    format!("{:.0}%", 100.0 * v)
}

/// The table's header, one cell per column.
const HEADER: [&str; 18] = [
    "width",
    "n",
    "threads",
    "ours setup s",
    "ours training s",
    "ours metrics s",
    "ours other s",
    "ours total s",
    "ours metrics %",
    "torch setup s",
    "torch training s",
    "torch metrics s",
    "torch total s",
    "torch metrics %",
    "torch / ours",
    "GEMM bound s/step",
    "ours training s/step",
    "ours / bound",
];

/// The report as a markdown table (with a line saying what the columns are).
pub fn markdown(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", HEADER.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(HEADER.len()));
    for r in &report.rows {
        let torch = |f: fn(&Phases) -> f64| r.torch.as_ref().map_or("-".into(), |t| secs(f(t)));
        let cells = [
            r.width.to_string(),
            r.n.to_string(),
            r.threads.to_string(),
            secs(r.ours.setup),
            secs(r.ours.training),
            secs(r.ours.metrics),
            secs(r.ours.other),
            secs(r.ours.total),
            percent(r.ours_metrics_share),
            torch(|t| t.setup),
            torch(|t| t.training),
            torch(|t| t.metrics),
            torch(|t| t.total),
            r.torch_metrics_share.map_or("-".into(), percent),
            r.torch_over_ours.map_or("-".into(), |v| format!("{v:.2}")),
            secs(r.gemm_bound_step_seconds),
            secs(r.ours_step_seconds),
            format!("{:.2}", r.ours_step_over_bound),
        ];
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(
        s,
        "\n{} steps, {} logs, metrics `{}`, medians of {} run(s){}. Training s/step: training / \
         (steps + 1) evaluations; GEMM bound: the step's products timed alone.",
        report.steps,
        report.log_steps.len(),
        report.metrics,
        report.repeats,
        report.torch.as_ref().map_or(String::new(), |v| format!(
            ", PyTorch {v} (σ₁ in {})",
            report.torch_metric_dtype
        )),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phases(total: f64) -> Phases {
        Phases {
            setup: 0.5,
            training: total - 1.5,
            metrics: 0.5,
            other: 0.5,
            total,
        }
    }

    fn measured(with_torch: bool) -> Measured {
        Measured {
            case: Case {
                width: 512,
                n: 1000,
            },
            threads: 2,
            steps: 20,
            logged_steps: 17,
            ours: vec![phases(10.0), phases(12.0), phases(11.0)],
            ours_final: FinalState::default(),
            torch: if with_torch {
                vec![phases(20.0), phases(36.0), phases(11.0)]
            } else {
                Vec::new()
            },
            torch_final: None,
            svm_seconds: 1.0,
            bound: StepBound {
                flops: 1,
                seconds: 0.25,
                build_seconds: 0.01,
            },
        }
    }

    #[test]
    fn rows_take_medians_and_ratios() {
        let r = Row::new(measured(true)).unwrap();
        assert_eq!(r.ours.total, 11.0);
        assert_eq!(r.ours_metrics_share, 0.5 / 11.0);
        assert_eq!(r.torch.unwrap().total, 20.0);
        // Per-repeat ratios 2, 3 and 1: their median.
        assert_eq!(r.torch_over_ours, Some(2.0));
        assert_eq!(r.ours_step_seconds, 9.5 / 21.0);
        assert_eq!(r.ours_step_over_bound, 9.5 / 21.0 / 0.25);
        let alone = Row::new(measured(false)).unwrap();
        assert_eq!((alone.torch, alone.torch_over_ours), (None, None));
        let none = Measured {
            ours: Vec::new(),
            ..measured(true)
        };
        assert_eq!(Row::new(none), None);
    }

    #[test]
    fn seconds_are_printed_to_their_size() {
        assert_eq!(secs(0.01234), "0.012");
        assert_eq!(secs(12.345), "12.35");
        assert_eq!(secs(1234.5), "1234.5");
        assert_eq!(secs(f64::NAN), "-");
    }

    #[test]
    fn the_table_has_one_line_per_row_and_every_column() {
        let report = Report {
            torch: Some("2.15.0".into()),
            torch_metric_dtype: "f32".into(),
            data_dir: "/d".into(),
            steps: 20,
            log_steps: vec![0, 1, 20],
            metrics: "default".into(),
            repeats: 3,
            rows: vec![
                Row::new(measured(true)).unwrap(),
                Row::new(measured(false)).unwrap(),
            ],
        };
        let text = markdown(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("| width | n | threads | ours setup s |"));
        assert_eq!(lines[1].matches("---|").count(), HEADER.len());
        assert_eq!(
            lines[2],
            "| 512 | 1000 | 2 | 0.500 | 9.50 | 0.500 | 0.500 | 11.00 | 5% | 0.500 | 18.50 | \
             0.500 | 20.00 | 2% | 2.00 | 0.250 | 0.452 | 1.81 |"
        );
        assert!(lines[3].contains("| 5% | - | - | - | - | - | - | 0.250 |"));
        assert!(text.contains(
            "20 steps, 3 logs, metrics `default`, medians of 3 run(s), PyTorch 2.15.0 (σ₁ in f32)."
        ));
        for line in &lines[..4] {
            assert_eq!(line.matches('|').count(), HEADER.len() + 1, "{line}");
        }
    }
}
