//! `lowrank`: every experiment at its defaults, one report with all the claims and their verdicts.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use experiments::cli::{CommonArgs, create_out_dir, print_claims, with_threads};
use experiments::error::RunError;
use experiments::suite::{self, write_suite_report};

const AFTER_HELP: &str = "\
Runs, at their defaults: deep-linear, relu-tail, invariance, counterexample, residual, digits (each
also a binary of its own, whose --help states its claims). The claims come from T. Le and
S. Jegelka, Training invariances and the low-rank phenomenon: beyond linear networks, ICLR 2022
(arXiv:2201.11968): trailing linear layers become rank one (r = σ₁/‖W‖_F > 0.99) and align
(> 0.99); deep linear nets do so in every layer and their normalized margin approaches the SVM
margin; ReLU layers need not (the two-point counterexample keeps r ≈ 1/√2); per-neuron, per-layer
and stably-active invariances are conserved up to O(step²) while the full-matrix one of a ReLU
layer is not.

Writes runs/lowrank/report.md (every claim with its measured value, threshold and verdict, and
the plots) and one folder per experiment. A claim that does not hold is reported as FAILS; the exit
status is non-zero only if an experiment failed to run.";

/// Run every experiment of the low-rank theory and write one report.
#[derive(Parser, Debug)]
#[command(name = "lowrank", version, after_help = AFTER_HELP)]
struct Cli {
    /// Run only these experiments (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let entries = suite::all();
    if let Some(bad) = cli
        .only
        .iter()
        .find(|n| !entries.iter().any(|e| e.name == n.as_str()))
    {
        let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
        eprintln!(
            "error: --only: no experiment `{bad}` (expected one of {})",
            names.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let dir = match create_out_dir(&cli.common.out_dir("lowrank")) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let common = cli.common.common();
    let started = Instant::now();
    let ran = with_threads(cli.common.threads, || {
        let mut results = Vec::new();
        let mut failures = Vec::new();
        for entry in entries
            .iter()
            .filter(|e| cli.only.is_empty() || cli.only.iter().any(|n| n == e.name))
        {
            let outcome = dir
                .child(entry.name)
                .map_err(|e| RunError::io(format!("creating the folder of {}", entry.name), e))
                .and_then(|child| (entry.run_defaults)(&common, &child));
            match outcome {
                Ok(result) => {
                    for d in result.diverged() {
                        eprintln!("error: experiment {}: {d}", entry.name);
                        failures.push((entry.name.to_string(), d));
                    }
                    if !common.quiet {
                        eprintln!("{}: {:.1} s", entry.name, result.seconds);
                    }
                    results.push(result);
                }
                Err(e) => {
                    eprintln!("error: experiment {}: {e}", entry.name);
                    failures.push((entry.name.to_string(), e.to_string()));
                }
            }
        }
        (results, failures)
    });
    let (results, failures) = match ran {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let claims: Vec<_> = results.iter().flat_map(|r| r.claims.clone()).collect();
    print_claims(&claims);
    if let Err(e) = write_suite_report(&dir, &results, &failures, seconds) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "{} experiments in {seconds:.1} s; report: {}",
        results.len(),
        dir.report_md().display()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
