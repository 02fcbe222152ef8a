//! What the `completion` experiment writes: the files of one run (trained outside the runner)
//! and the charts that compare runs.

use std::fmt::Write;

use serde_json::json;

use super::{CHARTED_SIGMAS, Config, Done, NAME};
use crate::claims::completion as claims;
use crate::data::Completion;
use crate::error::RunError;
use crate::metrics::Metric;
use crate::metrics::log::Scope;
use crate::report::plot::{Chart, Series};
use crate::report::summary::Summary;
use crate::report::table::Table;
use crate::report::{
    chart, chart_links, configuration_and_outcome, final_metrics, series, write_text,
};
use crate::runner::rundir::RunDir;
use crate::suite::Common;
use crate::suite::factorization::{Factorization, PRODUCT, Trained};

/// The product's top singular values at every log of `trained`, one series each.
pub(super) fn spectrum_chart(trained: &Trained, title: &str) -> Chart {
    let mut c = chart(title, "singular value", true);
    let entries = trained.spectra.entries();
    let shown = entries
        .first()
        .map_or(0, |e| e.values.len().min(CHARTED_SIGMAS));
    for k in 0..shown {
        let points = entries
            .iter()
            .filter_map(|e| Some((e.step, *e.values.get(k)?)))
            .collect();
        c.series.push(series(format!("σ{}", k + 1), points));
    }
    c
}

/// The charts of one run, by file stem.
fn run_charts(trained: &Trained) -> Vec<(String, Chart)> {
    let log = &trained.log;
    let at = |m| log.series(Scope::Run, 0, m);
    let mut errors = chart(
        "relative error of the product on the observed and unobserved entries",
        "relative error",
        true,
    );
    errors
        .series
        .push(series("observed".into(), at(Metric::ObservedError)));
    errors
        .series
        .push(series("unobserved".into(), at(Metric::UnobservedError)));
    let mut rank = chart(
        "effective rank of the product (Roy & Vetterli)",
        "effective rank",
        false,
    );
    rank.series
        .push(series("effective rank".into(), at(Metric::EffectiveRank)));
    vec![
        (
            "singular_values".into(),
            spectrum_chart(trained, "the product's top singular values"),
        ),
        ("errors".into(), errors),
        ("effective_rank".into(), rank),
    ]
}

/// The `summary.json` configuration of a run.
pub(super) fn config_json(
    cfg: &Config,
    common: &Common,
    problem: &Completion,
    f: &Factorization,
) -> serde_json::Value {
    let d = problem.size;
    json!({
        "arch": format!("product of {} factors {d}×{d}", f.depth),
        "start": format!("factor entries N(0, α²/d), α = {}", f.alpha),
        "data": {
            "name": format!(
                "completion:size={d},rank={},observed={},seed={}",
                problem.rank,
                problem.observed.len(),
                common.seed
            ),
        },
        "loss": "mean squared error on the observed entries",
        "step_rule": "constant",
        "lr": f.lr,
        "steps": f.steps,
        "seed": common.seed,
        "dtype": common.dtype.to_string(),
        "depth": f.depth,
        "alpha": f.alpha,
        "logged_steps": common.logs(cfg.steps),
    })
}

/// Writes the files of run `name` into `dir` (its staging folder): `metrics.csv`,
/// `spectra.csv`, `summary.json`, its charts and `report.md`.
pub(super) fn write_run(
    dir: &RunDir,
    name: &str,
    config: serde_json::Value,
    trained: &Trained,
) -> Result<(Summary, Vec<String>), RunError> {
    let file =
        |path: std::path::PathBuf| move |e| RunError::io(format!("writing {}", path.display()), e);
    trained
        .log
        .write_csv(&dir.metrics_csv())
        .map_err(file(dir.metrics_csv()))?;
    trained
        .spectra
        .write_csv(&dir.spectra_csv(), &[PRODUCT.to_string()])
        .map_err(file(dir.spectra_csv()))?;
    let summary = Summary {
        name: format!("{NAME}/{name}"),
        reference: claims::PAPER.to_string(),
        config,
        outcome: trained.outcome.clone(),
        data: None,
        final_metrics: final_metrics(&trained.log),
        claims: Vec::new(),
    };
    summary
        .write(&dir.summary_json())
        .map_err(file(dir.summary_json()))?;
    let charts = run_charts(trained);
    for (stem, c) in &charts {
        c.write(&dir.plot(stem))?;
    }
    let mut md = String::new();
    let _ = writeln!(md, "# Run `{}`\n", summary.name);
    let _ = writeln!(
        md,
        "Deep matrix factorization; the experiment judges the claims of {} across its runs.\n",
        claims::PAPER
    );
    md.push_str(&configuration_and_outcome(&summary));
    let mut last = Table::new(&["metric", "value at the end"]);
    for (k, v) in &summary.final_metrics {
        last.push(vec![k.clone(), crate::claims::fmt_value(*v)]);
    }
    let _ = writeln!(md, "\n## The product at the end\n");
    md.push_str(&last.to_markdown());
    let _ = writeln!(md, "\n## Plots\n");
    let stems: Vec<String> = charts.into_iter().map(|(s, _)| s).collect();
    let refs: Vec<&str> = stems.iter().map(String::as_str).collect();
    md.push_str(&chart_links("", &refs));
    write_text(&dir.report_md(), &md)?;
    Ok((summary, stems))
}

/// Effective rank and unobserved error at the end against α, one line per depth.
pub(super) fn against_alpha(
    done: &[Done],
    depths: &[usize],
    metric: Metric,
    title: &str,
    y: &str,
    log_y: bool,
) -> Chart {
    let mut c = Chart {
        title: title.to_string(),
        x_label: "initialization scale α (log scale)".to_string(),
        y_label: y.to_string(),
        log_x: true,
        log_y,
        series: Vec::new(),
        references: Vec::new(),
        y_range: None,
        x_categories: Vec::new(),
    };
    for &depth in depths {
        let mut points: Vec<(f64, f64)> = done
            .iter()
            .filter(|r| r.depth == depth && !r.few)
            .map(|r| (r.alpha, r.end(metric)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        c.series.push(Series {
            label: format!("depth {depth}"),
            points,
        });
    }
    c
}
