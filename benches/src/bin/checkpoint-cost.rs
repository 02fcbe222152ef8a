//! `checkpoint-cost`: what checkpoints cost a research-scale run, and how much work a kill loses.
//!
//! The run is the research-scale case (`784,relu:W,linear:W,linear:W,1` on Fashion-MNIST 1 vs 8,
//! f32, full batch, `train`'s default metrics and log schedule) with the chosen step rule.
//! - **Cost.** The run is timed with checkpoints off and with one after every step, the two
//!   interleaved, `--repeats` times each. One checkpoint costs the median of the paired
//!   differences over the number of checkpoints; at the default interval (one checkpoint per
//!   300 s of training) checkpointing takes that over 300 s of a run's time.
//! - **Loss.** A run with checkpoints every `--interval` seconds has its checkpoint watched (the
//!   staging file polled every 2 ms). A kill loses the work since the last checkpoint, so the
//!   most it can lose is the longest gap between two checkpoints, to compare with the interval
//!   plus one step and one checkpoint (the interval is checked after each step). Before the
//!   first checkpoint a kill also loses the run's setup (data, network, SVM margin): that gap is
//!   shown apart.
//!
//! ```text
//! cargo run --release -p benches --bin checkpoint-cost -- --json checkpoint-cost.json
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use benches::research::case::{Case, DEFAULT_DATA_DIR, Settings, run_spec};
use benches::research::data::{first, load_pair};
use benches::timing::median;
use benches::train::report::write_json_atomic;
use clap::Parser;
use experiments::claims::catalogue;
use experiments::cli::with_threads;
use experiments::metrics::MetricSet;
use experiments::runner::{
    self, DEFAULT_CHECKPOINT_SECONDS, Durability, Resume, RunOptions, RunSpec, publish,
};
use models::StepRule;
use serde::Serialize;

/// Time checkpoints on a research-scale run and measure the most work a kill can lose.
#[derive(Parser, Debug)]
#[command(name = "checkpoint-cost", max_term_width = experiments::help::HELP_WIDTH)]
struct Args {
    /// Width W of the hidden layers.
    #[arg(long, default_value_t = 512)]
    width: usize,
    /// Training examples (the first n of the pair; 12000 is all of it).
    #[arg(long, default_value_t = 12000)]
    n: usize,
    /// Steps of each timed run.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// The step rule (adam keeps the most state: two moments per weight).
    #[arg(long, default_value = "adam", value_parser = experiments::values::step_rule())]
    step_rule: StepRule,
    /// Runs with and without checkpoints, each.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Checkpoint interval of the loss measurement, seconds.
    #[arg(long, default_value_t = 2.0)]
    interval: f64,
    /// Steps of the loss measurement's run (long enough for several intervals).
    #[arg(long, default_value_t = 60)]
    loss_steps: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: u16,
    /// The MNIST-format folder holding Fashion-MNIST's training files.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Scratch folder for the runs [default: a folder in the system's temporary folder].
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// What the benchmark measured.
#[derive(Debug, Serialize)]
struct Report {
    arch: String,
    n: usize,
    step_rule: String,
    threads: u16,
    steps: usize,
    /// Seconds of each run without checkpoints.
    runs_off: Vec<f64>,
    /// Seconds of each run with a checkpoint after every step.
    runs_every_step: Vec<f64>,
    /// Checkpoints per run with one after every step.
    checkpoints_per_run: usize,
    /// Bytes of one checkpoint.
    checkpoint_bytes: u64,
    /// Median of the paired differences over the checkpoints: seconds per checkpoint.
    seconds_per_checkpoint: f64,
    /// The share of a run's time checkpointing takes at the default interval.
    share_at_default_interval: f64,
    /// The default interval, seconds.
    default_interval: f64,
    /// The loss measurement's interval, seconds.
    interval: f64,
    /// Seconds from the start of the run (its setup included) to the first checkpoint.
    first_gap: f64,
    /// Gaps between successive checkpoints, seconds.
    gaps: Vec<f64>,
    /// The longest of them: the most a kill after the first checkpoint can lose.
    longest_gap: f64,
    /// Seconds per step in the loss measurement's run (its whole time over its steps).
    loss_run_seconds_per_step: f64,
}

fn options(durability: Durability) -> RunOptions {
    RunOptions {
        quiet: true,
        durability,
        config: None,
    }
}

fn durability(every_steps: Option<usize>, every_seconds: Option<f64>) -> Durability {
    Durability {
        every_steps,
        every_seconds,
        resume: Resume::Fresh,
    }
}

/// Runs `spec` into `out` on `threads` threads; returns its wall-clock seconds.
fn timed(spec: &RunSpec, out: &Path, options: &RunOptions, threads: u16) -> Result<f64, String> {
    let (result, seconds) = with_threads(Some(threads), || {
        let started = Instant::now();
        let result = runner::execute(spec, out, options, catalogue::LINEAR_TAIL);
        (result, started.elapsed().as_secs_f64())
    })
    .map_err(|e| e.to_string())?;
    result.map_err(|e| e.to_string())?;
    Ok(seconds)
}

/// What watching a run's checkpoint file saw.
struct Watched {
    /// Seconds from the start to the first checkpoint.
    first: f64,
    /// Seconds between successive checkpoints.
    gaps: Vec<f64>,
    /// The size of the largest checkpoint, bytes.
    bytes: u64,
}

/// Runs `spec` with checkpoints every `interval` seconds while a thread watches its checkpoint
/// file; returns what it saw and the run's seconds.
fn watched(
    spec: &RunSpec,
    out: &Path,
    interval: f64,
    threads: u16,
) -> Result<(Watched, f64), String> {
    let checkpoint = publish::staging_path(out)
        .map_err(|e| e.to_string())?
        .join("checkpoint.safetensors");
    let running = AtomicBool::new(true);
    let started = Instant::now();
    let (seconds, seen) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut seen: Vec<Instant> = Vec::new();
            let mut bytes = 0;
            let mut last: Option<SystemTime> = None;
            while running.load(Ordering::Relaxed) {
                if let Ok(meta) = std::fs::metadata(&checkpoint) {
                    let modified = meta.modified().ok();
                    if modified != last {
                        seen.push(Instant::now());
                        bytes = bytes.max(meta.len());
                        last = modified;
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            (seen, bytes)
        });
        let seconds = timed(
            spec,
            out,
            &options(durability(None, Some(interval))),
            threads,
        );
        running.store(false, Ordering::Relaxed);
        (seconds, watcher.join().expect("the watcher does not panic"))
    });
    let seconds = seconds?;
    let (seen, bytes) = seen;
    let Some(&earliest) = seen.first() else {
        return Err(format!(
            "no checkpoint in a run of {seconds:.2} s at --interval {interval}: lengthen --loss-steps"
        ));
    };
    let gaps = seen
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_secs_f64())
        .collect();
    let first = earliest.duration_since(started).as_secs_f64();
    Ok((Watched { first, gaps, bytes }, seconds))
}

fn measure(args: &Args) -> Result<Report, String> {
    if args.repeats == 0 || args.steps < 2 || args.loss_steps == 0 {
        return Err("--repeats must be ≥ 1, --steps ≥ 2 and --loss-steps ≥ 1".into());
    }
    if !(args.interval.is_finite() && args.interval > 0.0) {
        return Err(format!(
            "--interval {}: give a positive number of seconds",
            args.interval
        ));
    }
    let scratch = args.scratch.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("lowrank-checkpoint-cost-{}", std::process::id()))
    });
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let case = Case {
        width: args.width,
        n: args.n,
    };
    let data = first(&load_pair(&args.data_dir)?, args.n)?;
    let settings = |steps| Settings {
        steps,
        metrics: MetricSet::cheap(),
    };
    let with_rule = |steps| -> Result<RunSpec, String> {
        let mut spec = run_spec(case, &settings(steps), &data)?;
        spec.train.rule = args.step_rule;
        Ok(spec)
    };
    let spec = with_rule(args.steps)?;
    // One untimed run first: the SVM margin is solved and cached, the pages are warm.
    let out = scratch.join("run");
    timed(&spec, &out, &options(durability(None, None)), args.threads)?;
    let (mut off, mut every) = (Vec::new(), Vec::new());
    for i in 0..args.repeats {
        eprintln!("checkpoint-cost: pair {} of {}", i + 1, args.repeats);
        off.push(timed(
            &spec,
            &out,
            &options(durability(None, None)),
            args.threads,
        )?);
        every.push(timed(
            &spec,
            &scratch.join("every"),
            &options(durability(Some(1), None)),
            args.threads,
        )?);
    }
    let differences: Vec<f64> = off.iter().zip(&every).map(|(a, b)| b - a).collect();
    let checkpoints = args.steps - 1;
    let per_checkpoint = median(&differences).unwrap_or(f64::NAN) / checkpoints as f64;
    eprintln!(
        "checkpoint-cost: the loss measurement ({} steps)",
        args.loss_steps
    );
    let (watch, loss_seconds) = watched(
        &with_rule(args.loss_steps)?,
        &scratch.join("watched"),
        args.interval,
        args.threads,
    )?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(Report {
        arch: spec.arch.to_string(),
        n: args.n,
        step_rule: args.step_rule.to_string(),
        threads: args.threads,
        steps: args.steps,
        runs_off: off,
        runs_every_step: every,
        checkpoints_per_run: checkpoints,
        checkpoint_bytes: watch.bytes,
        seconds_per_checkpoint: per_checkpoint,
        share_at_default_interval: per_checkpoint / DEFAULT_CHECKPOINT_SECONDS,
        default_interval: DEFAULT_CHECKPOINT_SECONDS,
        interval: args.interval,
        longest_gap: watch.gaps.iter().copied().fold(0.0, f64::max),
        first_gap: watch.first,
        gaps: watch.gaps,
        loss_run_seconds_per_step: loss_seconds / args.loss_steps as f64,
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let report = match measure(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", experiments::help::error(&e.to_string()));
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{} on n = {}, {} rule, {} threads, {} steps; medians of {} pairs",
        report.arch, report.n, report.step_rule, report.threads, report.steps, args.repeats
    );
    println!(
        "run without checkpoints {:.3} s; with one after every step {:.3} s",
        median(&report.runs_off).unwrap_or(f64::NAN),
        median(&report.runs_every_step).unwrap_or(f64::NAN)
    );
    println!(
        "one checkpoint ({:.1} MB): {:.4} s = {:.3} steps; at the default interval ({} s): {:.4}% of a run",
        report.checkpoint_bytes as f64 / 1e6,
        report.seconds_per_checkpoint,
        report.seconds_per_checkpoint / report.loss_run_seconds_per_step,
        report.default_interval,
        100.0 * report.share_at_default_interval
    );
    println!(
        "checkpoints every {} s ({} of them, {:.3} s per step): longest gap {:.3} s, the most a kill loses (interval + one step + one checkpoint: {:.3} s); before the first, with the setup: {:.3} s",
        report.interval,
        report.gaps.len() + 1,
        report.loss_run_seconds_per_step,
        report.longest_gap,
        report.interval + report.loss_run_seconds_per_step + report.seconds_per_checkpoint,
        report.first_gap
    );
    if let Some(path) = &args.json {
        if let Err(e) = write_json_atomic(path, &report) {
            eprintln!("{}", experiments::help::error(&e.to_string()));
            return ExitCode::FAILURE;
        }
        println!("json: {}", path.display());
    }
    ExitCode::SUCCESS
}
