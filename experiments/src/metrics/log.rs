//! The metrics of a run in long format: one row per logged step, entity (the run, a layer, or a
//! pair of adjacent layers) and metric, written to `metrics.csv` with the columns
//! `step,scope,index,name,metric,value`.

use std::io::{self, Write};
use std::path::Path;

use crate::metrics::Metric;
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
}

impl Scope {
    /// The name written in the `scope` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Run => "run",
            Scope::Layer => "layer",
            Scope::Pair => "pair",
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
#[derive(Clone, Debug, Default)]
pub struct MetricsLog {
    rows: Vec<Row>,
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
        self.rows.push(Row {
            step,
            scope,
            index,
            name: name.to_string(),
            metric,
            value,
        });
    }

    /// Every row.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The (step, value) series of one metric of one entity, in step order.
    pub fn series(&self, scope: Scope, index: usize, metric: Metric) -> Vec<(usize, f64)> {
        self.rows
            .iter()
            .filter(|r| r.scope == scope && r.index == index && r.metric == metric)
            .map(|r| (r.step, r.value))
            .collect()
    }

    /// The entities (index, name) of a scope that have a value of `metric`, by index.
    pub fn entities(&self, scope: Scope, metric: Metric) -> Vec<(usize, String)> {
        let mut found: Vec<(usize, String)> = Vec::new();
        for r in self
            .rows
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
        self.rows
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
        for r in &self.rows {
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
