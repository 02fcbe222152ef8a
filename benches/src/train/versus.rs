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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::peers::PeerTiming;
    use crate::train::report::{PeerFigure, PeerInfo};

    /// A row of ours at `threads` with the peers' medians, the figures of a quick run.
    fn row(workload: &str, threads: usize, ours_us: f64, peers: &[(&str, f64)]) -> Row {
        Row {
            workload: workload.into(),
            dtype: "f32".into(),
            threads,
            ours_us,
            ours_steps_per_s: 1e6 / ours_us,
            ours_spread: 0.01,
            ours_cpu_us: None,
            floor_us: ours_us,
            floor_spread: 0.01,
            floor_cpu_us: None,
            trainer_us: ours_us,
            gemm_bound_us: ours_us,
            gemm_flops: 1,
            gemm_gflops: 1.0,
            peers: peers
                .iter()
                .map(|&(peer, us)| PeerFigure {
                    peer: peer.into(),
                    cpus: if threads == 1 { "0" } else { "0,1" }.into(),
                    timing: PeerTiming {
                        workload: workload.into(),
                        dtype: "f32".into(),
                        median_us: us,
                        min_us: us,
                        max_us: us,
                        cpu_us: None,
                        first_steps_s: 1.0,
                        cores_used: threads as f64,
                    },
                })
                .collect(),
        }
    }

    fn quick_run() -> Vec<Row> {
        vec![
            row(
                "mlp20",
                1,
                135.0,
                &[("jax", 178.9), ("compile", 638.1), ("eager", 435.2)],
            ),
            row(
                "mlp784",
                1,
                12306.0,
                &[("jax", 5871.5), ("compile", 11897.4)],
            ),
            row(
                "mlp20",
                2,
                169.8,
                &[("jax", 307.7), ("compile", 456.4), ("eager", 199838.8)],
            ),
            row(
                "mlp784",
                2,
                6996.0,
                &[("jax", 3997.5), ("compile", 11383.4)],
            ),
        ]
    }

    #[test]
    fn a_one_thread_figure_counts_within_two_threads() {
        let rows = quick_run();
        let best = |w, t| best_peer(&rows, w, "f32", t).map(|b| (b.peer, b.threads, b.median_us));
        assert_eq!(best("mlp20", 1), Some(("jax".into(), 1, 178.9)));
        assert_eq!(best("mlp20", 2), Some(("jax".into(), 1, 178.9)));
        assert_eq!(best("mlp784", 1), Some(("jax".into(), 1, 5871.5)));
        assert_eq!(best("mlp784", 2), Some(("jax".into(), 2, 3997.5)));
        assert_eq!(best("res20", 2), None);
        assert_eq!(best("mlp20", 0), None);
    }

    #[test]
    fn ours_is_divided_by_the_best_within_its_thread_count() {
        let v = versus(&quick_run());
        assert_eq!(v.len(), 4);
        assert_eq!(v[2].ours_over_best, Some(169.8 / 178.9));
        assert_eq!(v[3].ours_over_best, Some(6996.0 / 3997.5));
        let alone = versus(&[row("mlp20", 1, 135.0, &[])]);
        assert_eq!(
            (alone[0].best.clone(), alone[0].ours_over_best),
            (None, None)
        );
    }

    #[test]
    fn the_table_has_a_column_per_peer_and_thread_count() {
        let info = |peer: &str, version: Option<&str>| PeerInfo {
            peer: peer.into(),
            version: version.map(Into::into),
            skipped: version.is_none().then(|| "not installed".into()),
        };
        let peers = vec![
            info("jax", Some("0.10.2")),
            info("compile", Some("2.15.0")),
            info("eager", None),
        ];
        let text = format_versus(&Report::new(peers, quick_run()));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        for column in ["ours 2T", "jax 1T", "compile 2T", "best ≤2T", "ours/best"] {
            assert!(lines[0].contains(column), "{column} in {}", lines[0]);
        }
        assert!(!lines[0].contains("eager"), "a skipped peer has no column");
        assert!(lines[2].starts_with("mlp784"), "{text}");
        assert!(
            lines[2].contains("jax 2T") && lines[2].contains("1.750"),
            "{text}"
        );
        assert_eq!(format_versus(&Report::new(Vec::new(), quick_run())), "");
    }
}
