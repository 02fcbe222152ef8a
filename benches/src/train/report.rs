//! The train-step report: one row per workload, dtype and thread count, as a text table and a
//! JSON file.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use serde::Serialize;

use super::peers::PeerTiming;
use super::versus::{Versus, versus};

/// One workload measured at one thread count (times in µs per step).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Workload name.
    pub workload: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Threads of the rayon pool.
    pub threads: usize,
    /// Ours (the network's tape): median µs per step.
    pub ours_us: f64,
    /// Ours: steps per second at the median.
    pub ours_steps_per_s: f64,
    /// Ours: (max − min) / median over the samples.
    pub ours_spread: f64,
    /// Ours: median on-CPU µs per step of the timing thread (the steadier figure on a loaded
    /// machine; with several threads it leaves out the other threads' work).
    pub ours_cpu_us: Option<f64>,
    /// The hand-written floor: median µs per step.
    pub floor_us: f64,
    /// The floor's spread.
    pub floor_spread: f64,
    /// The floor: median on-CPU µs per step of the timing thread.
    pub floor_cpu_us: Option<f64>,
    /// `models::Trainer` (evaluate + update): median µs per step.
    pub trainer_us: f64,
    /// The GEMM-bound estimate: the step's products timed alone, summed.
    pub gemm_bound_us: f64,
    /// The step's GEMM flops.
    pub gemm_flops: u64,
    /// The step's GEMM rate at the bound, GFLOP/s.
    pub gemm_gflops: f64,
    /// Every peer that ran this workload at this thread count.
    pub peers: Vec<PeerFigure>,
}

/// One peer's timing of a row's workload at the row's thread count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeerFigure {
    /// The peer's name (`peers::Peer::name`).
    pub peer: String,
    /// The cores any of its threads was allowed on, as "0,1".
    pub cpus: String,
    /// What it measured.
    #[serde(flatten)]
    pub timing: PeerTiming,
}

/// A peer asked for: its version if it ran, the note if it was skipped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeerInfo {
    /// The peer's name (`peers::Peer::name`).
    pub peer: String,
    /// The framework's version, once it ran.
    pub version: Option<String>,
    /// Why it did not run (not installed), if so.
    pub skipped: Option<String>,
}

impl Row {
    /// ours / floor.
    pub fn over_floor(&self) -> f64 {
        self.ours_us / self.floor_us
    }

    /// ours / GEMM bound.
    pub fn over_bound(&self) -> f64 {
        self.ours_us / self.gemm_bound_us
    }

    /// ours / floor in on-CPU time of the timing thread, if measured.
    pub fn cpu_over_floor(&self) -> Option<f64> {
        Some(self.ours_cpu_us? / self.floor_cpu_us?)
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The peers asked for, in column order.
    pub peers: Vec<PeerInfo>,
    /// Every measurement.
    pub rows: Vec<Row>,
    /// Derived ratios per row, in the same order.
    pub ratios: Vec<Ratios>,
    /// Ours against the best peer, per row, in the same order.
    pub versus: Vec<Versus>,
}

/// The ratios of one row (lower is better for ours).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ratios {
    /// ours / floor.
    pub ours_over_floor: f64,
    /// ours / GEMM bound.
    pub ours_over_gemm_bound: f64,
    /// ours / floor in on-CPU time of the timing thread.
    pub cpu_ours_over_floor: Option<f64>,
    /// ours at this thread count / ours at 1 thread, when both were measured.
    pub over_one_thread: Option<f64>,
}

impl Report {
    /// A report of `rows`, deriving the ratios.
    pub fn new(peers: Vec<PeerInfo>, rows: Vec<Row>) -> Self {
        let ratios = rows
            .iter()
            .map(|r| Ratios {
                ours_over_floor: r.over_floor(),
                ours_over_gemm_bound: r.over_bound(),
                cpu_ours_over_floor: r.cpu_over_floor(),
                over_one_thread: rows
                    .iter()
                    .find(|o| o.threads == 1 && o.workload == r.workload && o.dtype == r.dtype)
                    .map(|o| r.ours_us / o.ours_us),
            })
            .collect();
        Self {
            peers,
            versus: versus(&rows),
            rows,
            ratios,
        }
    }
}

/// The report as an aligned text table.
pub fn format_table(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<9} {:<4} {:>3} {:>10} {:>9} {:>6} {:>10} {:>6} {:>10} {:>6} {:>7} {:>10} {:>6} {:>9} {:>9}",
        "workload",
        "type",
        "thr",
        "ours µs",
        "steps/s",
        "spread",
        "floor µs",
        "/floor",
        "gemm µs",
        "/gemm",
        "GF/s",
        "trainer µs",
        "/1thr",
        "cpu ours",
        "cpu/floor"
    );
    for (r, q) in report.rows.iter().zip(&report.ratios) {
        let opt = |v: Option<f64>, digits: usize| match v {
            Some(v) => format!("{v:.digits$}"),
            None => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "{:<9} {:<4} {:>3} {:>10.1} {:>9.0} {:>5.0}% {:>10.1} {:>6.3} {:>10.1} {:>6.3} {:>7.1} {:>10.1} {:>6} {:>9} {:>9}",
            r.workload,
            r.dtype,
            r.threads,
            r.ours_us,
            r.ours_steps_per_s,
            100.0 * r.ours_spread,
            r.floor_us,
            q.ours_over_floor,
            r.gemm_bound_us,
            q.ours_over_gemm_bound,
            r.gemm_gflops,
            r.trainer_us,
            opt(q.over_one_thread, 3),
            opt(r.ours_cpu_us, 1),
            opt(q.cpu_ours_over_floor, 3),
        );
    }
    s
}

/// Writes a report as JSON to `path` atomically (a temp file in the same folder, renamed).
pub fn write_json_atomic<R: Serialize>(path: &Path, report: &R) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let mut file = std::fs::File::create(&tmp)?;
    serde_json::to_writer_pretty(&mut file, report).map_err(io::Error::other)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
