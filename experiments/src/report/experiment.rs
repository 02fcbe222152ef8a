//! The reports of an experiment (its runs side by side) and of the whole suite (`lowrank`).

use std::fmt::Write;

use serde_json::json;

use crate::claims::{ClaimSpec, OverSeeds, Quantity, Verdict, catalogue};
use crate::error::RunError;
use crate::report::plot::{Chart, Series};
use crate::report::summary::REFERENCE;
use crate::report::table::{Table, claims_table, seeds_table};
use crate::report::{chart_links, threshold_lines, write_text};
use crate::runner::rundir::RunDir;
use crate::suite::ExperimentResult;
use models::atomic::write_atomic;

/// A table of the runs of an experiment: name, architecture, rule, steps, time, status.
fn runs_table(result: &ExperimentResult) -> Table {
    let mut t = Table::new(&[
        "run",
        "arch",
        "data",
        "step rule",
        "lr",
        "steps",
        "seconds",
        "status",
    ]);
    for r in &result.runs {
        let c = &r.summary.config;
        let text = |key: &str| {
            c.get(key).map_or(String::new(), |v| {
                v.to_string().trim_matches('"').to_string()
            })
        };
        let data = c
            .get("data")
            .and_then(|d| d.get("name"))
            .map_or(String::new(), |v| {
                v.to_string().trim_matches('"').to_string()
            });
        let o = &r.summary.outcome;
        t.push(vec![
            r.folder.clone(),
            text("arch"),
            data,
            text("step_rule"),
            text("lr"),
            o.steps.to_string(),
            format!("{:.2}", o.seconds),
            format!("{:?}", o.status).to_lowercase(),
        ]);
    }
    t
}

/// The body of an experiment's section: runs, claims, and every run's charts under `prefix`.
fn experiment_body(result: &ExperimentResult, prefix: &str, heading: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "{heading} Runs\n");
    md.push_str(&runs_table(result).to_markdown());
    let _ = writeln!(md, "\n{heading} Claims\n");
    md.push_str(&claims_table(&result.claims, true).to_markdown());
    if !result.charts.is_empty() {
        let _ = writeln!(md, "\n{heading} Runs compared\n");
        let stems: Vec<&str> = result.charts.iter().map(String::as_str).collect();
        md.push_str(&chart_links(prefix, &stems));
    }
    for r in &result.runs {
        let _ = writeln!(md, "\n{heading} Run `{}`\n", r.folder);
        let stems: Vec<&str> = r.charts.iter().map(String::as_str).collect();
        md.push_str(&chart_links(&format!("{prefix}{}/", r.folder), &stems));
    }
    md
}

/// Writes `report.md` and `summary.json` of an experiment to its folder.
pub fn write_experiment_report(dir: &RunDir, result: &ExperimentResult) -> Result<(), RunError> {
    let mut md = String::new();
    let _ = writeln!(md, "# Experiment `{}`: {}\n", result.name, result.title);
    let _ = writeln!(
        md,
        "Claims from {}. Each run's folder has its own report, metrics and checkpoint.\n",
        result.reference
    );
    let _ = writeln!(md, "Total time: {:.2} s.\n", result.seconds);
    md.push_str(&experiment_body(result, "", "##"));
    write_text(&dir.report_md(), &md)?;
    let summary = json!({
        "name": result.name,
        "title": result.title,
        "reference": result.reference,
        "seconds": result.seconds,
        "runs": result.runs.iter().map(|r| r.folder.clone()).collect::<Vec<_>>(),
        "claims": result.claims,
    });
    write_summary_json(dir, &summary, "the experiment summary")
}

/// Writes the suite's `report.md` (all claims, then each experiment with its charts) and
/// `summary.json`; `failures` are the experiments that could not run, with the error.
pub fn write_suite_report(
    dir: &RunDir,
    results: &[ExperimentResult],
    failures: &[(String, String)],
    seconds: f64,
) -> Result<(), RunError> {
    let claims: Vec<_> = results.iter().flat_map(|r| r.claims.clone()).collect();
    let holding = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Holds)
        .count();
    let mut md = String::new();
    let _ = writeln!(md, "# The low-rank phenomenon, measured\n");
    let _ = writeln!(
        md,
        "Claims from {REFERENCE} and the results it builds on, each measured on a training run (the source column names each claim's).\n"
    );
    let _ = writeln!(
        md,
        "{holding} of {} claims hold; {} experiments ran, {} failed to run; {seconds:.1} s in all.\n",
        claims.len(),
        results.len(),
        failures.len()
    );
    let _ = writeln!(md, "## All claims\n");
    md.push_str(&claims_table(&claims, true).to_markdown());
    if !failures.is_empty() {
        let _ = writeln!(md, "\n## Experiments that failed to run\n");
        for (name, error) in failures {
            let _ = writeln!(md, "- `{name}`: {error}");
        }
    }
    for result in results {
        let _ = writeln!(
            md,
            "\n## `{}`: {} ({:.2} s)\n",
            result.name, result.title, result.seconds
        );
        md.push_str(&experiment_body(
            result,
            &format!("{}/", result.name),
            "###",
        ));
    }
    write_text(&dir.report_md(), &md)?;
    let summary = json!({
        "reference": REFERENCE,
        "seconds": seconds,
        "experiments": results.iter().map(|r| json!({"name": r.name, "seconds": r.seconds})).collect::<Vec<_>>(),
        "failures": failures.iter().map(|(n, e)| json!({"name": n, "error": e})).collect::<Vec<_>>(),
        "claims": claims,
    });
    write_summary_json(dir, &summary, "the suite summary")
}

/// Writes the suite's top `report.md` and `summary.json` over several seeds: every claim as
/// "holds in k of n" with its worst value and median, then a link to each seed's own report
/// (in the folder `seed-K`); `failures` are the experiments that could not run, by seed.
pub fn write_seeds_report(
    dir: &RunDir,
    seeds: &[u64],
    summaries: &[OverSeeds],
    failures: &[(String, String)],
    seconds: f64,
) -> Result<(), RunError> {
    let always = summaries.iter().filter(|s| s.holds == s.seeds).count();
    let failing = summaries.iter().filter(|s| s.fails > 0).count();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# The low-rank phenomenon, measured over {} seeds\n",
        seeds.len()
    );
    let _ = writeln!(
        md,
        "Claims from {REFERENCE} and the results it builds on, each judged on every seed (the seed of the initialization). The source column says which are theorems and which are our observations.\n"
    );
    let _ = writeln!(
        md,
        "{always} of {} claims hold on every seed; {failing} fail on at least one; {} experiment runs failed to run; {seconds:.1} s in all.\n",
        summaries.len(),
        failures.len()
    );
    md.push_str(&seeds_table(summaries).to_markdown());
    if !failures.is_empty() {
        let _ = writeln!(md, "\n## Experiments that failed to run\n");
        for (name, error) in failures {
            let _ = writeln!(md, "- `{name}`: {error}");
        }
    }
    // A claim comparing runs is one number per seed: its chart is those numbers against the
    // threshold (the claims on one run have a chart of their own in each run's folder).
    let comparing: Vec<(&OverSeeds, &ClaimSpec)> = summaries
        .iter()
        .filter_map(|s| {
            let spec = catalogue::ALL.iter().find(|c| c.id == s.id)?;
            matches!(spec.quantity, Quantity::AcrossRuns(_)).then_some((s, *spec))
        })
        .collect();
    if !comparing.is_empty() {
        let _ = writeln!(md, "\n## Claims comparing runs, seed by seed\n");
        let mut stems = Vec::new();
        for (s, spec) in comparing {
            let stem = format!("seeds-{}-{}", s.run.replace('/', "-"), s.id);
            seeds_chart(s, spec, seeds).write(&dir.plot(&stem))?;
            stems.push(stem);
        }
        let stems: Vec<&str> = stems.iter().map(String::as_str).collect();
        md.push_str(&chart_links("", &stems));
    }
    let _ = writeln!(md, "\n## Each seed\n");
    for seed in seeds {
        let _ = writeln!(md, "- [seed {seed}](seed-{seed}/report.md)");
    }
    write_text(&dir.report_md(), &md)?;
    let summary = json!({
        "reference": REFERENCE,
        "seconds": seconds,
        "seeds": seeds,
        "failures": failures.iter().map(|(n, e)| json!({"name": n, "error": e})).collect::<Vec<_>>(),
        "claims": summaries,
    });
    write_summary_json(dir, &summary, "the suite summary")
}

/// The values of one claim on each seed, against its threshold.
fn seeds_chart(s: &OverSeeds, spec: &ClaimSpec, seeds: &[u64]) -> Chart {
    Chart {
        title: format!("{} on {}, seed by seed", s.id, s.run),
        x_label: "seed".into(),
        y_label: "measured".into(),
        log_x: false,
        log_y: false,
        series: vec![Series {
            label: s.tally(),
            points: s
                .values
                .iter()
                .map(|&(at, v)| (seeds[at] as f64, v))
                .collect(),
        }],
        references: threshold_lines(&[spec], |_| true),
        y_range: None,
        x_categories: Vec::new(),
    }
}

/// Writes `summary` as the folder's `summary.json`, atomically; `what` names it in an error.
fn write_summary_json(
    dir: &RunDir,
    summary: &serde_json::Value,
    what: &str,
) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(summary)
        .map_err(|e| RunError::io(format!("encoding {what}"), std::io::Error::other(e)))?;
    let path = dir.summary_json();
    write_atomic(&path, text.as_bytes())
        .map_err(|e| RunError::io(format!("writing {}", path.display()), e))
}
