//! Sweeps: a grid over network family, depth, width, initialization scale, loss, step rule and
//! seed, run in parallel, summarized in one table (`sweep.md`, `sweep.csv`, `sweep.json`).
//!
//! A grid can be split over a cluster's job array: `--shard i/n` runs the points whose index is
//! i modulo n (i counts from 0), and `sweep merge DIR…` joins the shards' `sweep.json` files,
//! reporting points that are missing or duplicated.

pub use super::sweep_table::{printed_table, table, tidy_table, write_tables};

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use autodiff::MarginLoss;
use models::Activation::{Linear, Relu};
use models::{Arch, LayerSpec, StepRule};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::claims::{ClaimSpec, Verdict, catalogue, judge_all};
use crate::data::Dataset;
use crate::error::RunError;
use crate::metrics::Metric;
use crate::metrics::log::Scope;
use crate::runner::progress::Progress;
use crate::runner::rundir::RunDir;
use crate::runner::{self, RunOptions, RunRecord};
use crate::suite::{Common, Training, gaussian_start, scalar_net, spec};

/// The network families a sweep can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// `depth` linear layers (a deep linear network).
    Linear,
    /// One ReLU layer, then `depth − 1` linear layers.
    ReluTail,
}

impl Family {
    /// The network of `depth` weight matrices for input width `dim`.
    pub fn arch(self, dim: usize, depth: usize, width: usize) -> Arch {
        let layers = (1..depth)
            .map(|k| {
                let relu = k == 1 && self == Family::ReluTail;
                LayerSpec::dense(width, if relu { Relu } else { Linear })
            })
            .collect();
        scalar_net(dim, layers)
    }

    /// The family's name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Linear => "linear",
            Family::ReluTail => "relu-tail",
        }
    }
}

/// One point of the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Network family.
    pub family: Family,
    /// Number of weight matrices.
    pub depth: usize,
    /// Hidden width.
    pub width: usize,
    /// Initialization scale s (weights N(0, s²/fan_in)).
    pub init_scale: f64,
    /// Loss name.
    pub loss: String,
    /// Step rule name.
    pub rule: String,
    /// Seed.
    pub seed: u64,
}

impl Point {
    /// A folder name that identifies the point.
    pub fn name(&self) -> String {
        format!(
            "{}-d{}-w{}-s{}-{}-{}-seed{}",
            self.family.name(),
            self.depth,
            self.width,
            self.init_scale,
            self.loss,
            self.rule,
            self.seed
        )
    }
}

/// The axes of a grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Families.
    pub families: Vec<Family>,
    /// Depths.
    pub depths: Vec<usize>,
    /// Widths.
    pub widths: Vec<usize>,
    /// Initialization scales.
    pub init_scales: Vec<f64>,
    /// Losses.
    pub losses: Vec<MarginLoss>,
    /// Step rules.
    pub rules: Vec<StepRule>,
    /// Seeds.
    pub seeds: Vec<u64>,
}

impl Grid {
    /// Every point, in a fixed order (seeds vary fastest).
    pub fn points(&self) -> Vec<Point> {
        let mut out = Vec::new();
        for &family in &self.families {
            for &depth in &self.depths {
                for &width in &self.widths {
                    for &init_scale in &self.init_scales {
                        for loss in &self.losses {
                            for rule in &self.rules {
                                for &seed in &self.seeds {
                                    out.push(Point {
                                        family,
                                        depth,
                                        width,
                                        init_scale,
                                        loss: loss.to_string(),
                                        rule: rule.to_string(),
                                        seed,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// Part `index` of `count` of a grid (`--shard index/count`, index from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which part, 0 ≤ index < count.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("shard `{s}` is not I/N with 0 ≤ I < N (e.g. 0/4)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl Shard {
    /// True when grid point `i` belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

/// The result of one grid point: one row of the sweep table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// Index of the point in the whole grid.
    pub index: usize,
    /// Size of the whole grid.
    pub total: usize,
    /// The point.
    pub point: Point,
    /// `completed`, `diverged`, or `error: …`.
    pub status: String,
    /// Steps taken.
    pub steps: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// ln R at the end.
    pub log_loss: Option<f64>,
    /// Training accuracy at the end.
    pub accuracy: Option<f64>,
    /// The claims of [`CLAIMS`] (premises included) on the point's run.
    pub claims: Vec<PointClaim>,
    /// First logged step from which every hidden layer of the tail stays above the rank-one
    /// threshold of `tail-rank-one` (None: never, or no such layer).
    pub rank_one_step: Option<usize>,
}

/// The claims judged on every point, which are also the table's claim columns.
pub const CLAIMS: &[&ClaimSpec] = catalogue::LINEAR_TAIL;

/// One claim on one point: its value and verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointClaim {
    /// The claim's id.
    pub id: String,
    /// The measured value (None: not finite).
    pub measured: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl SweepRow {
    fn from_record(index: usize, total: usize, point: Point, record: &RunRecord) -> Self {
        let rank_one = catalogue::TAIL_RANK_ONE;
        let hidden = rank_one.over.select(record);
        let rank_one_step = (!hidden.is_empty())
            .then(|| {
                hidden
                    .iter()
                    .map(|&k| {
                        record.log.settled_at(Scope::Layer, k, Metric::Ratio, |r| {
                            rank_one.threshold.holds(r)
                        })
                    })
                    .try_fold(0, |acc, s| s.map(|s| acc.max(s)))
            })
            .flatten();
        let last = |m| record.log.last(Scope::Run, 0, m).and_then(finite);
        Self {
            index,
            total,
            point,
            status: format!("{:?}", record.outcome.status).to_lowercase(),
            steps: record.outcome.steps,
            seconds: record.outcome.seconds,
            log_loss: last(Metric::LogLoss),
            accuracy: last(Metric::Accuracy),
            claims: judge_all(CLAIMS, record)
                .into_iter()
                .map(|c| PointClaim {
                    id: c.id,
                    measured: c.measured,
                    verdict: c.verdict,
                })
                .collect(),
            rank_one_step,
        }
    }

    fn failed(index: usize, total: usize, point: Point, error: &RunError) -> Self {
        Self {
            index,
            total,
            point,
            status: format!("error: {error}"),
            steps: 0,
            seconds: 0.0,
            log_loss: None,
            accuracy: None,
            claims: Vec::new(),
            rank_one_step: None,
        }
    }
}

/// Fixed settings of every run of a sweep.
#[derive(Clone, Debug)]
pub struct SweepSettings {
    /// The data.
    pub data: Dataset,
    /// Learning rate.
    pub lr: f64,
    /// Steps per run.
    pub steps: usize,
}

/// Runs the points of `grid` owned by `shard` in parallel, each into `dir/<point name>/`, and
/// writes the sweep tables. Returns the rows (failed runs included, with an `error:` status).
pub fn run(
    grid: &Grid,
    settings: &SweepSettings,
    shard: Shard,
    common: &Common,
    dir: &RunDir,
) -> Result<Vec<SweepRow>, RunError> {
    let points = grid.points();
    let total = points.len();
    let mine: Vec<(usize, Point)> = points
        .into_iter()
        .enumerate()
        .filter(|(i, _)| shard.owns(*i))
        .collect();
    let progress = Progress::new(mine.len() as u64, "sweep", common.quiet);
    let done = AtomicUsize::new(0);
    let quiet = Common {
        quiet: true,
        ..common.clone()
    };
    let mut rows: Vec<SweepRow> = mine
        .into_par_iter()
        .map(|(i, point)| {
            let row = match run_point(&point, settings, &quiet, dir) {
                Ok(record) => SweepRow::from_record(i, total, point, &record),
                // Stopped by a signal: the whole shard stops (its checkpoints are written).
                Err(e @ RunError::Interrupted { .. }) => return Err(e),
                Err(e) => SweepRow::failed(i, total, point, &e),
            };
            progress.set(done.fetch_add(1, Ordering::Relaxed) as u64 + 1);
            Ok(row)
        })
        .collect::<Result<_, _>>()?;
    progress.finish();
    rows.sort_by_key(|r| r.index);
    let title = format!(
        "Sweep (shard {}/{} of {total} points)",
        shard.index, shard.count
    );
    write_tables(dir, &rows, &title)?;
    Ok(rows)
}

fn run_point(
    point: &Point,
    settings: &SweepSettings,
    common: &Common,
    dir: &RunDir,
) -> Result<RunRecord, RunError> {
    let bad = |what: &str, e: String| {
        RunError::Config(format!("sweep point {}: {what}: {e}", point.name()))
    };
    let loss: MarginLoss = point
        .loss
        .parse()
        .map_err(|e: <MarginLoss as std::str::FromStr>::Err| bad("loss", e.to_string()))?;
    let rule: StepRule = point
        .rule
        .parse()
        .map_err(|e: <StepRule as std::str::FromStr>::Err| bad("step rule", e.to_string()))?;
    let common = Common {
        seed: point.seed,
        ..common.clone()
    };
    let training = Training {
        loss,
        rule,
        lr: settings.lr,
        steps: settings.steps,
    };
    let arch = point
        .family
        .arch(settings.data.dim, point.depth, point.width);
    let s = spec(
        &point.name(),
        &arch,
        gaussian_start(point.init_scale),
        &settings.data,
        training,
        &common,
    )?;
    let options = RunOptions {
        quiet: true,
        ..common.options()
    };
    runner::execute(&s, &dir.root().join(&s.name), &options, CLAIMS).map(|(_, record)| record)
}

/// The shards of a sweep joined into one table.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The rows, sorted by grid index, each point once.
    pub rows: Vec<SweepRow>,
    /// The grid indices no shard holds.
    pub missing: Vec<usize>,
    /// What else is off: points that appear twice (the first copy is kept), shards from grids
    /// of different sizes.
    pub notes: Vec<String>,
}

impl Merged {
    /// True when every point of the grid is there, from one grid.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && !self.notes.iter().any(|n| n.contains("different sizes"))
    }
}

/// Joins the `sweep.json` of several shard folders into one table, sorted by grid index. Fails
/// (naming the folder) on a missing or unreadable file; duplicated and missing points are
/// reported in the result.
pub fn merge(dirs: &[impl AsRef<Path>]) -> Result<Merged, RunError> {
    let mut rows: Vec<SweepRow> = Vec::new();
    let mut notes = Vec::new();
    for dir in dirs {
        let path = dir.as_ref().join("sweep.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| RunError::io(format!("reading {}", path.display()), e))?;
        let part: Vec<SweepRow> = serde_json::from_str(&text).map_err(|e| {
            RunError::Config(format!("{} is not a sweep table: {e}", path.display()))
        })?;
        for row in part {
            if rows.iter().any(|r| r.index == row.index) {
                notes.push(format!(
                    "point {} appears twice (again in {}); the first copy is kept",
                    row.index,
                    path.display()
                ));
            } else {
                rows.push(row);
            }
        }
    }
    rows.sort_by_key(|r| r.index);
    let mut missing = Vec::new();
    let totals: Vec<usize> = rows.iter().map(|r| r.total).collect();
    if let Some(&total) = totals.first() {
        if totals.iter().any(|&t| t != total) {
            notes.push("the shards come from grids of different sizes".to_string());
        }
        missing = (0..total)
            .filter(|i| !rows.iter().any(|r| r.index == *i))
            .collect();
    }
    Ok(Merged {
        rows,
        missing,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            families: vec![Family::Linear, Family::ReluTail],
            depths: vec![2, 3],
            widths: vec![4],
            init_scales: vec![0.5],
            losses: vec![MarginLoss::Logistic],
            rules: vec![StepRule::GradNormalized],
            seeds: vec![0, 1, 2],
        }
    }

    #[test]
    fn grid_points_and_shards_partition() {
        let points = grid().points();
        assert_eq!(points.len(), 12);
        assert_eq!(
            points[0].name(),
            "linear-d2-w4-s0.5-logistic-grad-normalized-seed0"
        );
        let shards: Vec<Shard> = (0..5).map(|i| format!("{i}/5").parse().unwrap()).collect();
        for i in 0..points.len() {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1);
        }
        assert_eq!(
            Family::ReluTail.arch(10, 3, 8).to_string(),
            "10,relu:8,linear:8,1"
        );
        assert_eq!(Family::Linear.arch(10, 2, 8).to_string(), "10,linear:8,1");
    }

    #[test]
    fn bad_shards_are_rejected() {
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn merge_joins_sorts_and_reports_gaps() {
        let base = std::env::temp_dir().join(format!("lowrank-merge-{}", std::process::id()));
        let point = grid().points()[0].clone();
        let row = |i| SweepRow::failed(i, 4, point.clone(), &RunError::Config("x".into()));
        let a = RunDir::create(&base.join("a")).unwrap();
        let b = RunDir::create(&base.join("b")).unwrap();
        write_tables(&a, &[row(2), row(0)], "a").unwrap();
        write_tables(&b, &[row(0), row(3)], "b").unwrap();
        let merged = merge(&[a.root(), b.root()]).unwrap();
        assert_eq!(
            merged.rows.iter().map(|r| r.index).collect::<Vec<_>>(),
            vec![0, 2, 3]
        );
        assert!(
            merged
                .notes
                .iter()
                .any(|n| n.contains("point 0 appears twice")),
            "{merged:?}"
        );
        assert_eq!(merged.missing, vec![1]);
        assert!(!merged.is_complete());
        let e = merge(&[base.join("nope")]).unwrap_err().to_string();
        assert!(e.contains("nope/sweep.json"), "{e}");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
