//! Ours against the best peer: at T threads the best peer is the fastest figure of any peer at
//! any thread count up to T, since a researcher with T cores would run each peer as it is
//! fastest (a peer whose one-thread step beats its two-thread step counts at one thread).

use std::fmt::Write as _;

use serde::Serialize;

use super::report::{Report, Row};

/// The fastest peer figure found for a workload within a thread budget.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Best {
    /// The peer's name.
    pub peer: String,
    /// The thread count it ran at (at most the budget).
    pub threads: usize,
    /// Its median µs per step.
    pub median_us: f64,
}

/// Ours at one thread count against the best peer within it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Versus {
    /// Workload name.
    pub workload: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Ours' thread count, the peers' budget.
    pub threads: usize,
    /// Ours: median µs per step.
    pub ours_us: f64,
    /// The best peer within the budget, if any ran.
    pub best: Option<Best>,
    /// ours / best (below 1: ours is faster).
    pub ours_over_best: Option<f64>,
}

/// The fastest peer figure among `rows` for `workload` in `dtype` at no more than `threads`.
pub fn best_peer(rows: &[Row], workload: &str, dtype: &str, threads: usize) -> Option<Best> {
    rows.iter()
        .filter(|r| r.workload == workload && r.dtype == dtype && r.threads <= threads)
        .flat_map(|r| {
            r.peers.iter().map(|p| Best {
                peer: p.peer.clone(),
                threads: r.threads,
                median_us: p.timing.median_us,
            })
        })
        .filter(|b| b.median_us.is_finite() && b.median_us > 0.0)
        .min_by(|a, b| a.median_us.total_cmp(&b.median_us))
}

/// Ours against the best peer, for every row.
pub fn versus(rows: &[Row]) -> Vec<Versus> {
    rows.iter()
        .map(|r| {
            let best = best_peer(rows, &r.workload, &r.dtype, r.threads);
            Versus {
                workload: r.workload.clone(),
                dtype: r.dtype.clone(),
                threads: r.threads,
                ours_us: r.ours_us,
                ours_over_best: best.as_ref().map(|b| r.ours_us / b.median_us),
                best,
            }
        })
        .collect()
}

/// The peers table: one line per workload and dtype; ours and each peer that ran at each thread
/// count (µs per step), then the best peer within each thread count and ours / best. Empty if no
/// peer ran.
pub fn format_versus(report: &Report) -> String {
    let peers: Vec<&str> = report
        .peers
        .iter()
        .filter(|p| p.version.is_some())
        .map(|p| p.peer.as_str())
        .collect();
    if peers.is_empty() {
        return String::new();
    }
    let mut threads: Vec<usize> = report.rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in &report.rows {
        if !keys.contains(&(r.workload.as_str(), r.dtype.as_str())) {
            keys.push((&r.workload, &r.dtype));
        }
    }

    let mut s = format!("{:<9} {:<4}", "workload", "type");
    for who in std::iter::once("ours").chain(peers.iter().copied()) {
        for t in &threads {
            let _ = write!(s, " {:>11}", format!("{who} {t}T"));
        }
    }
    for t in &threads {
        let _ = write!(
            s,
            " {:>11} {:>9}",
            format!("best ≤{t}T"),
            format!("ours/best")
        );
    }
    s.push('\n');
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
    for (workload, dtype) in keys {
        let row = |t: usize| {
            report
                .rows
                .iter()
                .find(|r| r.workload == workload && r.dtype == dtype && r.threads == t)
        };
        let _ = write!(s, "{workload:<9} {dtype:<4}");
        for t in &threads {
            let _ = write!(s, " {:>11}", cell(row(*t).map(|r| r.ours_us)));
        }
        for peer in &peers {
            for t in &threads {
                let us = row(*t)
                    .and_then(|r| r.peers.iter().find(|p| p.peer == *peer))
                    .map(|p| p.timing.median_us);
                let _ = write!(s, " {:>11}", cell(us));
            }
        }
        for t in &threads {
            let v = report
                .versus
                .iter()
                .find(|v| v.workload == workload && v.dtype == dtype && v.threads == *t);
            let best = v
                .and_then(|v| v.best.as_ref())
                .map_or_else(|| "-".to_string(), |b| format!("{} {}T", b.peer, b.threads));
            let ratio = v
                .and_then(|v| v.ours_over_best)
                .map_or_else(|| "-".to_string(), |q| format!("{q:.3}"));
            let _ = write!(s, " {best:>11} {ratio:>9}");
        }
        s.push('\n');
    }
    s
}
