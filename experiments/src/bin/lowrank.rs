//! `lowrank`: every experiment at its defaults, one report with all the claims and their verdicts.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use clap::builder::PossibleValuesParser;
use experiments::claims::{Claim, over_seeds};
use experiments::cli::{self, CommonArgs, create_out_dir, with_threads};
use experiments::error::RunError;
use experiments::help;
use experiments::report::table::seeds_table_brief;
use experiments::runner::rundir::RunDir;
use experiments::suite::{self, Common, write_seeds_report, write_suite_report};

const AFTER_HELP: &str = "\
Runs, at their defaults: deep-linear, relu-tail, invariance, counterexample, residual, digits,
leaky-rank, direction, completion (each also a binary of its own, whose --help states its claims,
their sources and thresholds), once per seed: --seeds N runs the seeds --seed, --seed + 1, …,
--seed + N − 1 (the seed of the initialization). Every claim is reported as \"holds in k of n\"
with its worst value and median over the seeds where it could be judged; a claim whose premise
fails on a seed is not applicable there.

Writes runs/lowrank/report.md (the claims over the seeds), and one folder per seed (seed-K) with its
own report, every claim on that seed, the plots and one folder per experiment. A claim that does
not hold is reported as FAILS; the exit status is non-zero only if an experiment failed to run.";

/// Run every experiment of the low-rank theory and write one report.
#[derive(Parser, Debug)]
#[command(
    name = "lowrank",
    version,
    after_help = AFTER_HELP,
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default("lowrank"))
)]
struct Cli {
    /// Run only these experiments (comma-separated names).
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        value_parser = PossibleValuesParser::new(suite::all().into_iter().map(|e| e.name))
    )]
    only: Vec<String>,
    /// How many seeds to judge every claim on, from --seed on.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    seeds: u64,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let invocation = cli::config::parse::<Cli>();
    let cli = &invocation.args;
    let entries = suite::all();
    let out = cli.common.out_dir("lowrank");
    let dir = match cli::catch_signals()
        .and_then(|()| cli.common.check_resume())
        .and_then(|()| create_out_dir(&out))
        .and_then(|dir| cli::write_config(&dir, &invocation.resolved()).map(|()| dir))
    {
        Ok(dir) => dir,
        Err(e) => return cli::exit_for(&e, &out),
    };
    let base = cli.common.common();
    let Some(seeds) = (0..cli.seeds)
        .map(|k| base.seed.checked_add(k))
        .collect::<Option<Vec<u64>>>()
    else {
        eprintln!(
            "error: --seed {} --seeds {}: the last seed passes {}",
            base.seed,
            cli.seeds,
            u64::MAX
        );
        return ExitCode::FAILURE;
    };
    let started = Instant::now();
    let selected: Vec<&suite::Entry> = entries
        .iter()
        .filter(|e| cli.only.is_empty() || cli.only.iter().any(|n| n == e.name))
        .collect();
    let ran = with_threads(cli.common.threads, || {
        let mut per_seed = Vec::new();
        let mut failures = Vec::new();
        for &seed in &seeds {
            let common = Common {
                seed,
                ..base.clone()
            };
            let (claims, failed) = run_seed(&dir, seed, &selected, &common)?;
            per_seed.push(claims);
            failures.extend(failed);
        }
        Ok::<_, RunError>((per_seed, failures))
    });
    let (per_seed, failures) = match ran.and_then(|r| r) {
        Ok(r) => r,
        Err(e) => return cli::exit_for(&e, &out),
    };
    let seconds = started.elapsed().as_secs_f64();
    let summaries = over_seeds(&per_seed);
    experiments::say!("\n{}", seeds_table_brief(&summaries).to_text());
    if let Err(e) = write_seeds_report(&dir, &seeds, &summaries, &failures, seconds) {
        eprintln!("{}", experiments::help::error(&e.to_string()));
        return ExitCode::FAILURE;
    }
    let always = summaries.iter().filter(|s| s.holds == s.seeds).count();
    experiments::say!(
        "{}",
        experiments::help::wrap(&format!(
            "{always} of {} claims hold on every one of {} seeds; {} experiment runs failed to \
             run; {seconds:.1} s; report: {}",
            summaries.len(),
            seeds.len(),
            failures.len(),
            dir.report_md().display()
        ))
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// An experiment that failed to run: its name (`seed K: experiment`) and the error.
type Failure = (String, String);

/// Runs the experiments `entries` on one seed into `dir/seed-K`, writes that seed's report, and
/// returns its claims and the experiments that failed to run (named `seed K: experiment`).
fn run_seed(
    dir: &RunDir,
    seed: u64,
    entries: &[&suite::Entry],
    common: &Common,
) -> Result<(Vec<Claim>, Vec<Failure>), RunError> {
    let started = Instant::now();
    let seed_dir = dir
        .child(&format!("seed-{seed}"))
        .map_err(|e| RunError::io(format!("creating the folder of seed {seed}"), e))?;
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for entry in entries {
        let name = format!("seed {seed}: {}", entry.name);
        let outcome = seed_dir
            .child(entry.name)
            .map_err(|e| RunError::io(format!("creating the folder of {}", entry.name), e))
            .and_then(|child| (entry.run_defaults)(common, &child));
        match outcome {
            // Stopped by a signal: the suite stops (the run's checkpoint is written).
            Err(e @ RunError::Interrupted { .. }) => return Err(e),
            Ok(result) => {
                for d in result.diverged() {
                    eprintln!("{}", experiments::help::error(&format!("{name}: {d}")));
                    failures.push((name.clone(), d));
                }
                if !common.quiet {
                    eprintln!("{name}: {:.1} s", result.seconds);
                }
                results.push(result);
            }
            Err(e) => {
                eprintln!("{}", experiments::help::error(&format!("{name}: {e}")));
                failures.push((name, e.to_string()));
            }
        }
    }
    write_suite_report(
        &seed_dir,
        &results,
        &failures,
        started.elapsed().as_secs_f64(),
    )?;
    Ok((
        results.into_iter().flat_map(|r| r.claims).collect(),
        failures,
    ))
}
