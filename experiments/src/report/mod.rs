//! `report.md` and the SVG plots of a run: the tables and charts a researcher reads first.

pub mod experiment;
pub mod plot;
pub mod summary;
pub mod table;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::claims::{ClaimSpec, Quantity, fmt_value, in_judging_order};
use crate::error::RunError;
use crate::metrics::Metric;
use crate::metrics::log::{MetricsLog, Scope};
use crate::report::plot::{Chart, Reference, Series};
use crate::report::summary::Summary;
use crate::report::table::{Table, claims_table};
use crate::runner::RunRecord;
use crate::runner::rundir::RunDir;
use models::atomic::write_atomic;

/// The last value of every metric of every entity, keyed `run.<metric>`, `layer.<k>.<metric>`,
/// `pair.<p>.<metric>` or `state.<s>.<metric>`; non-finite values are left out (JSON has no NaN).
pub fn final_metrics(log: &MetricsLog) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for r in log.rows() {
        let key = match r.scope {
            Scope::Run => format!("run.{}", r.metric),
            Scope::Layer => format!("layer.{}.{}", r.index, r.metric),
            Scope::Pair => format!("pair.{}.{}", r.index, r.metric),
            Scope::State => format!("state.{}.{}", r.index, r.metric),
        };
        if r.value.is_finite() {
            out.insert(key, r.value);
        } else {
            out.remove(&key);
        }
    }
    out
}

/// A chart series of logged (step, value) points, plotted at step + 1 for a log step axis that
/// must not meet 0.
pub(crate) fn series(label: String, points: Vec<(usize, f64)>) -> Series {
    Series {
        label,
        points: points
            .into_iter()
            .map(|(s, v)| ((s + 1) as f64, v))
            .collect(),
    }
}

/// The threshold lines of the claims `specs` whose quantity `shown` says the chart shows: the
/// bound of an `Above`/`Below` threshold, the target of a `Near` one, labelled by claim.
pub(crate) fn threshold_lines(
    specs: &[&ClaimSpec],
    shown: impl Fn(&Quantity) -> bool,
) -> Vec<Reference> {
    specs
        .iter()
        .filter(|spec| shown(&spec.quantity))
        .map(|spec| Reference {
            label: format!("{} ({})", spec.id, spec.threshold.describe()),
            y: spec.threshold.reference(),
        })
        .collect()
}

/// The quantity is the last value of one of `metrics`.
fn last_of(metrics: &[Metric]) -> impl Fn(&Quantity) -> bool + '_ {
    move |q| matches!(q, Quantity::Last(m) if metrics.contains(m))
}

pub(crate) fn chart(title: &str, y_label: &str, log_y: bool) -> Chart {
    Chart {
        title: title.to_string(),
        x_label: "step + 1 (log scale)".to_string(),
        y_label: y_label.to_string(),
        log_x: true,
        log_y,
        series: Vec::new(),
        references: Vec::new(),
        y_range: None,
        x_categories: Vec::new(),
    }
}

fn layer_label(record: &RunRecord, k: usize) -> String {
    let l = &record.layers[k];
    format!("{k}: {} ({})", l.name, l.activation)
}

fn pair_label(record: &RunRecord, p: usize) -> String {
    let (lower, upper) = record.pairs[p];
    format!("{lower}>{upper}")
}

/// The file stems of a run's charts, in the order reports show them.
pub const CHART_STEMS: [&str; 6] = [
    "ratio",
    "second_ratio",
    "alignment",
    "log_loss",
    "drift",
    "margin",
];

/// The charts of a run, each with the file stem it is written under, with the threshold lines
/// of the claims `specs` judged on it.
pub fn run_charts(record: &RunRecord, specs: &[&ClaimSpec]) -> Vec<(String, Chart)> {
    let log = &record.log;
    let mut ratio = chart("r = σ₁/‖W‖_F per layer", "r", false);
    for k in 0..record.layers.len() {
        ratio.series.push(series(
            layer_label(record, k),
            log.series(Scope::Layer, k, Metric::Ratio),
        ));
    }
    ratio.references = threshold_lines(specs, last_of(&[Metric::Ratio]));

    let mut second = chart("σ₂/σ₁ per layer", "σ₂/σ₁", false);
    for k in 0..record.layers.len() {
        let sigma1 = log.series(Scope::Layer, k, Metric::Sigma1);
        let quotient: Vec<(usize, f64)> = log
            .series(Scope::Layer, k, Metric::Sigma2)
            .into_iter()
            .filter_map(|(step, s2)| {
                let s1 = sigma1.iter().find(|(s, _)| *s == step)?.1;
                Some((step, s2 / s1))
            })
            .collect();
        // A single row (the output layer) has no σ₂.
        if !quotient.is_empty() {
            second.series.push(series(layer_label(record, k), quotient));
        }
    }
    second.references = threshold_lines(specs, |q| {
        matches!(q, Quantity::LastRatio(Metric::Sigma2, Metric::Sigma1))
    });

    let mut alignment = chart(
        "alignment |⟨v₁(W_k+1), u₁(W_k)⟩| per pair",
        "alignment",
        false,
    );
    for p in 0..record.pairs.len() {
        alignment.series.push(series(
            pair_label(record, p),
            log.series(Scope::Pair, p, Metric::Alignment),
        ));
    }
    alignment.references = threshold_lines(specs, last_of(&[Metric::Alignment]));

    let loss = loss_chart(log.series(Scope::Run, 0, Metric::LogLoss));

    let mut drift = chart(
        "invariance drift ‖Δ(t) − Δ(0)‖ / the scale of its quantity",
        "relative drift",
        true,
    );
    // A drift is 0 at step 0 by definition: only the later logs say anything.
    let after_start =
        |points: Vec<(usize, f64)>| points.into_iter().filter(|(s, _)| *s > 0).collect();
    for p in 0..record.pairs.len() {
        drift.series.push(series(
            format!("full {}", pair_label(record, p)),
            after_start(log.series(Scope::Pair, p, Metric::DriftFull)),
        ));
        if !record.layers[record.pairs[p].0].linear {
            drift.series.push(series(
                format!("active block {}", pair_label(record, p)),
                after_start(log.series(Scope::Pair, p, Metric::DriftActive)),
            ));
        }
    }
    drift.references = threshold_lines(
        specs,
        last_of(&[Metric::DriftNeuron, Metric::DriftLayer, Metric::DriftActive]),
    );
    for (name, label) in [
        (Metric::DriftNeuron, "per neuron (max)"),
        (Metric::DriftLayer, "per layer (max)"),
    ] {
        drift.series.push(series(
            label.into(),
            after_start(max_over_pairs(record, name)),
        ));
    }

    let mut margin = chart(
        "normalized margin min_i m_i / Π_k ‖W_k‖_F",
        "normalized margin",
        false,
    );
    margin.series.push(series(
        "normalized margin".into(),
        log.series(Scope::Run, 0, Metric::NormalizedMargin),
    ));
    if let Some(m) = record.svm_margin() {
        margin.references.push(Reference {
            label: "SVM margin".into(),
            y: m,
        });
    }
    let claims = in_judging_order(specs)
        .into_iter()
        .filter(|spec| charted(spec, record))
        .map(|spec| (claim_chart_stem(spec.id), claim_chart(spec, record)));
    CHART_STEMS
        .into_iter()
        .map(String::from)
        .zip([ratio, second, alignment, loss, drift, margin])
        .chain(claims)
        .collect()
}

/// The stems of the charts [`run_charts`] draws for `record` judged on `specs`.
pub fn chart_stems(record: &RunRecord, specs: &[&ClaimSpec]) -> Vec<String> {
    CHART_STEMS
        .into_iter()
        .map(String::from)
        .chain(
            in_judging_order(specs)
                .into_iter()
                .filter(|spec| charted(spec, record))
                .map(|spec| claim_chart_stem(spec.id)),
        )
        .collect()
}

/// Whether `spec` gets a chart of its own on `record`: one it asks for
/// ([`ClaimSpec::own_chart`]) that covers part of this network.
fn charted(spec: &ClaimSpec, record: &RunRecord) -> bool {
    spec.own_chart() && !spec.over.select(record).is_empty()
}

/// The file stem of the chart of claim `id` in a run's folder.
pub fn claim_chart_stem(id: &str) -> String {
    format!("claim-{id}")
}

/// The chart of one claim: what it measures at each logged step, with its threshold.
fn claim_chart(spec: &ClaimSpec, record: &RunRecord) -> Chart {
    let points = spec.series(record);
    // A log axis where the values and the threshold are positive and span decades (drifts).
    let reference = spec.threshold.reference();
    let positive: Vec<f64> = points
        .iter()
        .map(|&(_, v)| v)
        .chain([reference])
        .filter(|v| v.is_finite())
        .collect();
    let (low, high) = positive
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let log_y = positive.iter().all(|&v| v > 0.0) && high >= 100.0 * low;
    let mut c = chart(
        &format!("claim {}: its value at each log", spec.id),
        "measured",
        log_y,
    );
    c.series.push(series(spec.measure(), points));
    c.references = threshold_lines(&[spec], |_| true);
    c
}

/// The log-loss chart: −ln R on a log axis once the loss has fallen by decades of e-folds (ln R
/// from −0.7 to −36,000 on a linear axis leaves the early phase flat), else ln R itself.
fn loss_chart(ln_r: Vec<(usize, f64)>) -> Chart {
    let magnitudes: Vec<f64> = ln_r
        .iter()
        .map(|&(_, v)| v)
        .filter(|v| v.is_finite())
        .map(|v| -v)
        .collect();
    let smallest = magnitudes.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = magnitudes.iter().copied().fold(0.0, f64::max);
    if smallest > 0.0 && largest >= 100.0 * smallest {
        let mut c = chart("log-loss: −ln R (log scale)", "−ln R", true);
        let negated = ln_r.into_iter().map(|(s, v)| (s, -v)).collect();
        c.series.push(series("−ln R".into(), negated));
        c
    } else {
        let mut c = chart("log-loss ln R", "ln R", false);
        c.series.push(series("ln R".into(), ln_r));
        c
    }
}

/// At each logged step, the largest value of a pair metric over all pairs.
pub fn max_over_pairs(record: &RunRecord, name: Metric) -> Vec<(usize, f64)> {
    let mut out: Vec<(usize, f64)> = Vec::new();
    for p in 0..record.pairs.len() {
        for (step, v) in record.log.series(Scope::Pair, p, name) {
            match out.iter_mut().find(|(s, _)| *s == step) {
                Some((_, m)) => *m = m.max(v),
                None => out.push((step, v)),
            }
        }
    }
    out.sort_by_key(|(s, _)| *s);
    out
}

/// Per-layer table of the final spectra.
fn layer_table(record: &RunRecord) -> Table {
    let mut t = Table::new(&[
        "k",
        "name",
        "shape",
        "activation",
        "r",
        "stable rank",
        "σ₁",
        "‖W‖_F",
    ]);
    for (k, l) in record.layers.iter().enumerate() {
        let last = |m| {
            record
                .log
                .last(Scope::Layer, k, m)
                .map_or("—".to_string(), fmt_value)
        };
        t.push(vec![
            k.to_string(),
            l.name.clone(),
            format!("{}×{}", l.shape[0], l.shape[1]),
            l.activation.clone(),
            last(Metric::Ratio),
            last(Metric::StableRank),
            last(Metric::Sigma1),
            last(Metric::Frobenius),
        ]);
    }
    t
}

/// Per-pair table of the final alignments and drifts.
fn pair_table(record: &RunRecord) -> Table {
    let mut t = Table::new(&[
        "pair",
        "alignment",
        "drift full",
        "drift diag",
        "drift off-diag",
        "drift active",
        "active",
        "drift neuron",
        "drift layer",
    ]);
    // The pairs, then the states written by a learned-skip block's U and Z together.
    let pairs = (0..record.pairs.len()).map(|p| (Scope::Pair, p, pair_label(record, p)));
    let states = record
        .log
        .entities(Scope::State, Metric::DriftNeuron)
        .into_iter()
        .map(|(s, name)| (Scope::State, s, name));
    for (scope, index, label) in pairs.chain(states) {
        let last = |m| {
            record
                .log
                .last(scope, index, m)
                .map_or("—".to_string(), fmt_value)
        };
        t.push(vec![
            label,
            last(Metric::Alignment),
            last(Metric::DriftFull),
            last(Metric::DriftDiagonal),
            last(Metric::DriftOffDiagonal),
            last(Metric::DriftActive),
            record
                .log
                .last(scope, index, Metric::ActiveCount)
                .map_or("—".to_string(), |v| format!("{v}")),
            last(Metric::DriftNeuron),
            last(Metric::DriftLayer),
        ]);
    }
    t
}

/// The Markdown lines embedding the charts of a run stored under `prefix` (relative to the report).
pub fn chart_links(prefix: &str, stems: &[&str]) -> String {
    let mut out = String::new();
    for stem in stems {
        let _ = writeln!(out, "![{stem}]({prefix}{stem}.svg)");
    }
    out
}

/// The `## Configuration` table and the `## Outcome` line of a run's `report.md`, from its
/// summary: every run's report, whatever trained it, starts with them.
pub(crate) fn configuration_and_outcome(summary: &Summary) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Configuration\n");
    let mut config = Table::new(&["setting", "value"]);
    if let Some(map) = summary.config.as_object() {
        for (k, v) in map {
            config.push(vec![k.clone(), v.to_string().trim_matches('"').to_string()]);
        }
    }
    md.push_str(&config.to_markdown());
    let o = &summary.outcome;
    let _ = writeln!(
        md,
        "\n## Outcome\n\n{:?} after {} steps ({}), {:.2} s ({:.2} s of it computing metrics).",
        o.status, o.steps, o.stop_reason, o.seconds, o.metrics_seconds
    );
    md
}

/// Writes the run's charts (with the threshold lines of the claims `specs`) and `report.md` to
/// `dir`.
pub fn write_run_report(
    dir: &RunDir,
    record: &RunRecord,
    summary: &Summary,
    specs: &[&ClaimSpec],
) -> Result<(), RunError> {
    let charts = run_charts(record, specs);
    for (stem, chart) in &charts {
        chart.write(&dir.plot(stem))?;
    }
    let mut md = String::new();
    let _ = writeln!(md, "# Run `{}`\n", summary.name);
    if !summary.claims.is_empty() {
        let _ = writeln!(md, "Claims from {}.\n", summary.reference);
    }
    md.push_str(&configuration_and_outcome(summary));
    let _ = writeln!(md, "Data: {}.", record.separability);
    let _ = writeln!(md, "\n## Claims\n");
    md.push_str(&claims_table(&summary.claims, true).to_markdown());
    let _ = writeln!(md, "\n## Layers at the end\n");
    md.push_str(&layer_table(record).to_markdown());
    if !record.pairs.is_empty() {
        let _ = writeln!(md, "\n## Adjacent pairs at the end\n");
        md.push_str(&pair_table(record).to_markdown());
    }
    let _ = writeln!(md, "\n## Plots\n");
    let stems: Vec<&str> = charts.iter().map(|(s, _)| s.as_str()).collect();
    md.push_str(&chart_links("", &stems));
    write_text(&dir.report_md(), &md)
}

/// Writes a text file atomically, naming it in the error.
pub fn write_text(path: &Path, text: &str) -> Result<(), RunError> {
    write_atomic(path, text.as_bytes())
        .map_err(|e| RunError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_loss_goes_on_a_log_axis_once_it_spans_decades() {
        let deep = loss_chart(vec![(0, -0.69), (10, -50.0), (1000, -36_000.0)]);
        assert!(deep.log_y);
        assert_eq!(
            deep.series[0].points,
            [(1.0, 0.69), (11.0, 50.0), (1001.0, 36_000.0)]
        );
        let shallow = loss_chart(vec![(0, -0.69), (10, -5.0)]);
        assert!(!shallow.log_y);
        assert_eq!(shallow.series[0].points, [(1.0, -0.69), (11.0, -5.0)]);
        // A loss above 1 (ln R > 0) cannot go on the log axis of −ln R.
        assert!(!loss_chart(vec![(0, 0.5), (10, -500.0)]).log_y);
    }
}
