//! The metrics of a run in long format: one row per logged step, entity (the run, a layer, or a
//! pair of adjacent layers) and metric, written to `metrics.csv` with the columns
//! `step,scope,index,name,metric,value`.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use crate::metrics::Metric;
use models::Attachments;
use models::atomic::write_atomic_with;

/// What a metrics row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The whole run: loss, accuracy, margins.
    Run,
    /// One weight matrix, by its index in the forward order.
    Layer,
    /// A pair of adjacent weight matrices (the lower one's output feeds the upper one), indexed
    /// by its position in the network's list of adjacent pairs.
    Pair,
    /// A hidden state written by two matrices together (a learned-skip block's U and Z) and
    /// read by the layers after it, indexed by its position among such states
    /// ([`crate::metrics::joint_states`]).
    State,
}

impl Scope {
    /// Every scope (checkpoints store a scope as its position here: new ones go last).
    pub const ALL: [Scope; 4] = [Scope::Run, Scope::Layer, Scope::Pair, Scope::State];

    /// The name written in the `scope` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Run => "run",
            Scope::Layer => "layer",
            Scope::Pair => "pair",
            Scope::State => "state",
        }
    }
}

/// One measured value.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Steps completed when the value was measured (0 = at initialization).
    pub step: usize,
    /// What the value is about.
    pub scope: Scope,
    /// Layer index, pair position, or 0 for the run.
    pub index: usize,
    /// The entity's name: a checkpoint tensor name, `lower>upper` for a pair, `run` for the run.
    pub name: String,
    /// What was measured.
    pub metric: Metric,
    /// The value.
    pub value: f64,
}

/// All the rows of a run, in the order they were measured.
///
/// The rows are shared with the cuts [`MetricsLog::until`] makes, so a cut costs no copy (a
/// claim's chart takes one per logged step); appending to a shared log copies it first.
#[derive(Clone, Debug, Default)]
pub struct MetricsLog {
    /// The rows, of which this log holds the first `len`.
    all: Arc<Vec<Row>>,
    len: usize,
}

impl MetricsLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one value.
    pub fn push(
        &mut self,
        step: usize,
        scope: Scope,
        index: usize,
        name: &str,
        metric: Metric,
        value: f64,
    ) {
        let rows = Arc::make_mut(&mut self.all);
        rows.truncate(self.len);
        rows.push(Row {
            step,
            scope,
            index,
            name: name.to_string(),
            metric,
            value,
        });
        self.len += 1;
    }

    /// A log of `rows`.
    fn of(rows: Vec<Row>) -> Self {
        Self {
            len: rows.len(),
            all: Arc::new(rows),
        }
    }

    /// The rows measured up to `step` (inclusive): the log as it stood after that step's log.
    /// Rows are kept in the order measured, which is by step.
    pub fn until(&self, step: usize) -> Self {
        Self {
            all: Arc::clone(&self.all),
            len: self.rows().partition_point(|r| r.step <= step),
        }
    }

    /// Every row.
    pub fn rows(&self) -> &[Row] {
        &self.all[..self.len]
    }

    /// The (step, value) series of one metric of one entity, in step order.
    pub fn series(&self, scope: Scope, index: usize, metric: Metric) -> Vec<(usize, f64)> {
        self.rows()
            .iter()
            .filter(|r| r.scope == scope && r.index == index && r.metric == metric)
            .map(|r| (r.step, r.value))
            .collect()
    }

    /// The entities (index, name) of a scope that have a value of `metric`, by index.
    pub fn entities(&self, scope: Scope, metric: Metric) -> Vec<(usize, String)> {
        let mut found: Vec<(usize, String)> = Vec::new();
        for r in self
            .rows()
            .iter()
            .filter(|r| r.scope == scope && r.metric == metric)
        {
            if !found.iter().any(|(i, _)| *i == r.index) {
                found.push((r.index, r.name.clone()));
            }
        }
        found.sort_by_key(|(i, _)| *i);
        found
    }

    /// The last recorded value of one metric of one entity.
    pub fn last(&self, scope: Scope, index: usize, metric: Metric) -> Option<f64> {
        self.rows()
            .iter()
            .rev()
            .find(|r| r.scope == scope && r.index == index && r.metric == metric)
            .map(|r| r.value)
    }

    /// The first step at which `metric` of an entity satisfies `pred` and keeps satisfying it at
    /// every later logged step (None if it never settles).
    pub fn settled_at(
        &self,
        scope: Scope,
        index: usize,
        metric: Metric,
        pred: impl Fn(f64) -> bool,
    ) -> Option<usize> {
        let series = self.series(scope, index, metric);
        let mut since = None;
        for (step, value) in series {
            match (pred(value), since) {
                (true, None) => since = Some(step),
                (false, _) => since = None,
                _ => {}
            }
        }
        since
    }

    /// Writes the log as CSV with a header.
    pub fn write_csv_to(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "step,scope,index,name,metric,value")?;
        for r in self.rows() {
            writeln!(
                out,
                "{},{},{},{},{},{}",
                r.step,
                r.scope.as_str(),
                r.index,
                r.name,
                r.metric,
                r.value
            )?;
        }
        Ok(())
    }

    /// Writes the log atomically to `path` as CSV.
    pub fn write_csv(&self, path: &Path) -> io::Result<()> {
        write_atomic_with(path, |w| self.write_csv_to(w))
    }

    /// Reads a log written by [`MetricsLog::write_csv`] back, value for value (the values are
    /// written in Rust's shortest round-trip form); the error names the line and what is wrong.
    pub fn read_csv(text: &str) -> Result<Self, String> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, "step,scope,index,name,metric,value")) => {}
            _ => {
                return Err("line 1 is not the header `step,scope,index,name,metric,value`".into());
            }
        }
        let mut rows = Vec::new();
        for (i, line) in lines {
            let bad = |what: &str| format!("line {}: {what}", i + 1);
            let fields: Vec<&str> = line.split(',').collect();
            let [step, scope, index, name, metric, value] = fields[..] else {
                return Err(bad("not 6 fields"));
            };
            let scope = Scope::ALL
                .into_iter()
                .find(|s| s.as_str() == scope)
                .ok_or_else(|| bad(&format!("unknown scope `{scope}`")))?;
            let metric = Metric::from_name(metric)
                .ok_or_else(|| bad(&format!("unknown metric `{metric}`")))?;
            rows.push(Row {
                step: step.parse().map_err(|_| bad("the step is not a count"))?,
                scope,
                index: index.parse().map_err(|_| bad("the index is not a count"))?,
                name: name.to_string(),
                metric,
                value: value
                    .parse()
                    .map_err(|_| bad("the value is not a number"))?,
            });
        }
        Ok(Self::of(rows))
    }

    /// Adds the log to a training checkpoint's attachments (values bit for bit).
    pub fn attach(&self, extra: &mut Attachments) {
        let mut names: Vec<&str> = Vec::new();
        let mut name_of = Vec::with_capacity(self.rows().len());
        for r in self.rows() {
            let at = names.iter().position(|n| *n == r.name).unwrap_or_else(|| {
                names.push(&r.name);
                names.len() - 1
            });
            name_of.push(at as u64);
        }
        let column = |f: &dyn Fn(&Row) -> u64| self.rows().iter().map(f).collect::<Vec<u64>>();
        let counts = [
            ("log.step", column(&|r| r.step as u64)),
            ("log.scope", column(&|r| r.scope as u64)),
            ("log.index", column(&|r| r.index as u64)),
            ("log.metric", column(&|r| r.metric as u64)),
            ("log.name", name_of),
        ];
        for (key, values) in counts {
            extra.counts.insert(key.to_string(), values);
        }
        let values = self.rows().iter().map(|r| r.value).collect();
        extra.reals.insert("log.value".to_string(), values);
        extra
            .texts
            .insert("log.names".to_string(), names.join("\n"));
    }

    /// The log that [`MetricsLog::attach`] stored.
    pub fn from_attachments(extra: &Attachments) -> Result<Self, String> {
        let counts = |key: &str| {
            extra
                .counts
                .get(key)
                .ok_or_else(|| format!("the metrics log has no `{key}`"))
        };
        let (steps, scopes, indices, metrics, names) = (
            counts("log.step")?,
            counts("log.scope")?,
            counts("log.index")?,
            counts("log.metric")?,
            counts("log.name")?,
        );
        let values = extra
            .reals
            .get("log.value")
            .ok_or("the metrics log has no values")?;
        let table: Vec<&str> = extra
            .texts
            .get("log.names")
            .map_or_else(Vec::new, |t| t.split('\n').collect());
        let n = values.len();
        if [steps, scopes, indices, metrics, names]
            .iter()
            .any(|c| c.len() != n)
        {
            return Err("the metrics log's columns differ in length".into());
        }
        fn pick<X: Copy>(i: u64, list: &[X]) -> Option<X> {
            list.get(usize::try_from(i).ok()?).copied()
        }
        let rows = (0..n)
            .map(|i| {
                Some(Row {
                    step: usize::try_from(steps[i]).ok()?,
                    scope: pick(scopes[i], &Scope::ALL)?,
                    index: usize::try_from(indices[i]).ok()?,
                    name: pick(names[i], &table)?.to_string(),
                    metric: pick(metrics[i], &Metric::ALL)?,
                    value: values[i],
                })
            })
            .collect::<Option<Vec<Row>>>()
            .ok_or("the metrics log has an out-of-range entry")?;
        Ok(Self::of(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MetricsLog {
        let mut log = MetricsLog::new();
        for (step, r) in [
            (0, 0.5),
            (10, 0.995),
            (100, 0.98),
            (1000, 0.999),
            (2000, 0.9995),
        ] {
            log.push(step, Scope::Layer, 1, "layers.1.weight", Metric::Ratio, r);
            log.push(step, Scope::Layer, 0, "layers.0.weight", Metric::Ratio, 0.3);
        }
        log.push(2000, Scope::Run, 0, "run", Metric::Loss, 1e-5);
        log
    }

    #[test]
    fn csv_is_long_format_with_header() {
        let mut out = Vec::new();
        sample().write_csv_to(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "step,scope,index,name,metric,value");
        assert_eq!(lines[1], "0,layer,1,layers.1.weight,r,0.5");
        assert_eq!(lines.last().unwrap(), &"2000,run,0,run,loss,0.00001");
        assert_eq!(lines.len(), 12);
    }

    #[test]
    fn the_csv_and_the_attachments_read_back_bit_for_bit() {
        let mut log = sample();
        log.push(3, Scope::Pair, 0, "a>b", Metric::Alignment, f64::NAN);
        log.push(
            3,
            Scope::Run,
            0,
            "run",
            Metric::MinMargin,
            f64::NEG_INFINITY,
        );
        log.push(3, Scope::Run, 0, "run", Metric::GradNorm, -0.0);
        log.push(4, Scope::Run, 0, "run", Metric::Lr, 0.1 + 0.2);
        let same = |a: &MetricsLog, b: &MetricsLog| {
            a.rows().len() == b.rows().len()
                && a.rows().iter().zip(b.rows()).all(|(x, y)| {
                    (
                        x.step,
                        x.scope,
                        x.index,
                        &x.name,
                        x.metric,
                        x.value.to_bits(),
                    ) == (
                        y.step,
                        y.scope,
                        y.index,
                        &y.name,
                        y.metric,
                        y.value.to_bits(),
                    )
                })
        };
        let mut csv = Vec::new();
        log.write_csv_to(&mut csv).unwrap();
        let back = MetricsLog::read_csv(&String::from_utf8(csv).unwrap()).unwrap();
        assert!(same(&back, &log));
        let mut extra = Attachments::default();
        log.attach(&mut extra);
        assert!(same(&MetricsLog::from_attachments(&extra).unwrap(), &log));
        let e = MetricsLog::read_csv("step,scope,index,name,metric,value\n1,run,0,run,nope,1")
            .unwrap_err();
        assert!(e.contains("line 2") && e.contains("`nope`"), "{e}");
        assert!(MetricsLog::read_csv("x").unwrap_err().contains("header"));
    }

    #[test]
    fn series_last_entities_and_settling() {
        let log = sample();
        assert_eq!(log.series(Scope::Layer, 1, Metric::Ratio).len(), 5);
        assert_eq!(log.last(Scope::Layer, 1, Metric::Ratio), Some(0.9995));
        assert_eq!(log.last(Scope::Pair, 0, Metric::Ratio), None);
        assert_eq!(
            log.entities(Scope::Layer, Metric::Ratio),
            vec![
                (0, "layers.0.weight".to_string()),
                (1, "layers.1.weight".to_string())
            ]
        );
        let cut = log.until(100);
        assert_eq!(cut.last(Scope::Layer, 1, Metric::Ratio), Some(0.98));
        assert_eq!(cut.rows().len(), 6);
        assert!(log.until(0).rows().iter().all(|r| r.step == 0));
        // The dip at step 100 resets the count: settled only from step 1000 on.
        assert_eq!(
            log.settled_at(Scope::Layer, 1, Metric::Ratio, |r| r > 0.99),
            Some(1000)
        );
        assert_eq!(
            log.settled_at(Scope::Layer, 0, Metric::Ratio, |r| r > 0.99),
            None
        );
    }
}
