//! Command-line plumbing shared by the binaries: the common flags, the thread pool, the claims
//! table printed at the end, and the exit status (non-zero only when something failed to run).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Command, FromArgMatches};

use crate::claims::{Claim, Verdict};
use crate::error::RunError;
use crate::metrics::MetricSet;
use crate::report::table::claims_table;
use crate::runner::rundir::RunDir;
use crate::runner::{DEFAULT_CHECKPOINT_SECONDS, Dtype, Durability, Resume, interrupt, publish};
use crate::suite::{Common, ExperimentResult};

pub mod config;

/// The defaults of a set of flags, exactly as the command line would give them with no flag set
/// (so the defaults are written once, in the `#[arg]` attributes).
pub fn defaults<A: Args + FromArgMatches>() -> A {
    let command = A::augment_args(Command::new("defaults").no_binary_name(true));
    let matches = command
        .try_get_matches_from(std::iter::empty::<String>())
        .expect("every flag of an experiment has a default");
    A::from_arg_matches(&matches).expect("the defaults parse")
}

/// Flags every experiment binary takes.
#[derive(Args, Clone, Debug, PartialEq)]
pub struct CommonArgs {
    /// Take the flags from this TOML file (keys are the long flags: `steps = 500`,
    /// `step-rule = "adam"`); flags on the command line override it. Every run writes its
    /// resolved configuration as config.toml in its folder, which reproduces it.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Folder for the run's files [default: runs/NAME]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the interrupted runs in DIR (a folder an earlier invocation with the same flags
    /// wrote) from their checkpoints, keeping the runs that finished: the results are bit for
    /// bit those of an uninterrupted invocation. A run of other settings there is an error
    /// naming every setting that differs.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
    /// Write a checkpoint every N steps (as well as every --checkpoint-seconds). Checkpoints
    /// are written into the run's staging folder `.NAME.partial` beside its folder, and on
    /// SIGTERM or SIGUSR1, after which the binary exits with status 75.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,
    /// Write a checkpoint whenever this many seconds of training have passed since the last
    /// one; 0 turns the timed checkpoints off.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_CHECKPOINT_SECONDS, value_parser = seconds)]
    pub checkpoint_seconds: f64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Seed of the initialization (and of anything else random).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Floating-point type to train in: f32 (fine for the early phase and for speed) or f64
    /// (needed for long runs deep into the low-loss regime). Metrics are always computed in f64.
    #[arg(long, default_value_t = Dtype::F64, value_parser = crate::values::dtype())]
    pub dtype: Dtype,
    /// Log metrics every N steps instead of on a log-spaced schedule.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub log_every: Option<u64>,
    /// Logs per decade of steps on the log-spaced schedule.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000), conflicts_with = "log_every")]
    pub log_per_decade: u64,
    /// Metric families to compute at each log, comma-separated: margin, spectral, alignment,
    /// invariance, activity, flips, full-spectrum (every singular value of every layer, to
    /// spectra.csv; a full SVD per layer and log), direction (smoothed margin, cos(θ, −∇R), the
    /// KKT residual: a backward pass per example and log), or all (every family but
    /// full-spectrum and direction),
    /// default (all but invariance), none. A claim whose metric is left out is "not measured"
    /// [default: all for the experiments, default for train]
    #[arg(long, value_name = "LIST", value_parser = crate::values::metric_set())]
    pub metrics: Option<MetricSet>,
    /// Print the result as one JSON document on stdout (the run's summary.json; a sweep's
    /// sweep.json) instead of the tables; messages and warnings stay on stderr.
    #[arg(long)]
    pub json: bool,
}

impl CommonArgs {
    /// The experiment settings these flags give.
    pub fn common(&self) -> Common {
        Common {
            seed: self.seed,
            dtype: self.dtype,
            quiet: self.quiet,
            durability: Durability {
                every_steps: self.checkpoint_every.map(|n| n as usize),
                every_seconds: (self.checkpoint_seconds > 0.0).then_some(self.checkpoint_seconds),
                resume: if self.resume.is_some() {
                    Resume::Strict
                } else {
                    Resume::Fresh
                },
            },
            log_every: self.log_every.map(|n| n as usize),
            log_per_decade: self.log_per_decade as usize,
            metrics: self.metrics.clone(),
        }
    }

    /// The output folder: `--resume`, `--out`, or `runs/<name>`.
    pub fn out_dir(&self, name: &str) -> PathBuf {
        self.resume
            .clone()
            .or_else(|| self.out.clone())
            .unwrap_or_else(|| RunDir::default_path(name))
    }

    /// Checks that `--resume DIR`, if given, names a folder an earlier invocation wrote into.
    pub fn check_resume(&self) -> Result<(), RunError> {
        match &self.resume {
            Some(dir) if !dir.is_dir() && !has_staging(dir) => Err(RunError::Config(format!(
                "--resume {}: there is no run there (no such folder)",
                dir.display()
            ))),
            _ => Ok(()),
        }
    }
}

/// True when the run published at `out` has a staging folder (it was started).
pub fn has_staging(out: &Path) -> bool {
    publish::staging_path(out).is_ok_and(|p| p.is_dir())
}

/// Parses a run's name into a plain folder name: the run's folder is `runs/NAME`, and a name
/// with a path separator, `.` or `..` would put it elsewhere (`--name ../x` wrote outside runs/).
pub fn folder_name(s: &str) -> Result<String, String> {
    let problem = if s.is_empty() {
        "is empty"
    } else if s.contains(['/', '\\']) {
        "contains a path separator"
    } else if s == "." || s == ".." {
        "means the folder itself or its parent"
    } else if s.contains('\0') {
        "contains a NUL byte"
    } else {
        return Ok(s.to_string());
    };
    Err(format!(
        "`{s}` {problem}: a run's name must be a plain folder name (its folder is runs/NAME; use --out for another place)"
    ))
}

/// Parses a number of seconds: finite and not negative.
fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds (finite, ≥ 0)")),
    }
}

/// Catches SIGTERM and SIGUSR1 for the runs (see [`interrupt`]), naming what failed.
pub fn catch_signals() -> Result<(), RunError> {
    interrupt::install().map_err(RunError::Config)
}

/// The exit status for an error: [`interrupt::EXIT_INTERRUPTED`] for runs stopped by a signal
/// (their checkpoints written; the message says how to continue), failure for the rest.
pub fn exit_for(e: &RunError, out: &Path) -> ExitCode {
    eprintln!("{}", crate::help::error(&e.to_string()));
    if matches!(e, RunError::Interrupted { .. }) {
        eprintln!(
            "{}",
            crate::help::wrap(&format!(
                "continue with the same flags and --resume {} (exit status {})",
                out.display(),
                interrupt::EXIT_INTERRUPTED
            ))
        );
        ExitCode::from(interrupt::EXIT_INTERRUPTED)
    } else {
        ExitCode::FAILURE
    }
}

/// Creates the output folder `out` (from `--out` or its default), naming the flag in the error.
pub fn create_out_dir(out: &Path) -> Result<RunDir, RunError> {
    RunDir::create(out).map_err(|e| RunError::io(format!("--out {}", out.display()), e))
}

/// The warning for `--threads` beyond the cores this process may use (None when within them):
/// more workers than cores give the same results, but they take turns and spin waiting for
/// each other, and a run became more than ten times slower.
pub fn oversubscribed(threads: u16, cores: usize) -> Option<String> {
    (usize::from(threads) > cores).then(|| {
        format!(
            "warning: --threads {threads} is more than the {cores} cores available (std::thread::available_parallelism); the results are the same, but the run will be slower than with --threads {cores}"
        )
    })
}

/// Runs `f` on a rayon pool of `threads` workers (the global pool when None), warning on stderr
/// when there are more workers than cores.
pub fn with_threads<R: Send>(
    threads: Option<u16>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, RunError> {
    if let (Some(n), Ok(cores)) = (threads, std::thread::available_parallelism())
        && let Some(warning) = oversubscribed(n, cores.get())
    {
        eprintln!("{}", crate::help::wrap(&warning));
    }
    match threads {
        None => Ok(f()),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| {
                RunError::Config(format!("--threads {n}: cannot start the thread pool: {e}"))
            }),
    }
}

/// Writes a line of human output to stdout, like `println!`, but a reader that stopped early
/// (`train | head -3`) is not a panic: the run's files are written, so the rest of the output is
/// dropped. Any other failure to write is said on stderr.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::say_line(format_args!($($arg)*))
    };
}

/// The body of [`say!`].
pub fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("{}", crate::help::error(&format!("writing to stdout: {e}")));
        }
        _ => {}
    }
}

/// Prints the document `file` (a summary.json or sweep.json the run just wrote) on stdout, for
/// `--json`: exactly the file, so a pipe and the folder agree.
pub fn print_json(file: &Path) -> Result<(), RunError> {
    use std::io::Write;
    let text = std::fs::read_to_string(file)
        .map_err(|e| RunError::io(format!("reading {}", file.display()), e))?;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", text.trim_end()).and_then(|()| stdout.flush()) {
        // A reader that stopped early (`| head`) has what it wanted; the files are written.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|e| RunError::io("writing the JSON to stdout".to_string(), e)),
    }
}

/// Prints the claims table and a one-line tally to stdout.
pub fn print_claims(claims: &[Claim]) {
    let holding = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Holds)
        .count();
    crate::say!("\n{}", claims_table(claims, false).to_text());
    crate::say!("{holding} of {} claims hold.", claims.len());
}

/// The body of an experiment binary: parses its command line `C` (with its `--config` file, see
/// [`config::parse`]), runs the experiment into its folder beside the resolved `config.toml`,
/// prints the claims table, and exits non-zero only if the experiment failed to run (an error,
/// or a diverged run). `common_of` picks the common flags out of `C`.
pub fn experiment_main<C: clap::Parser + Sync>(
    name: &str,
    common_of: fn(&C) -> &CommonArgs,
    run: impl FnOnce(&C, &Common, &RunDir) -> Result<ExperimentResult, RunError> + Send,
) -> ExitCode {
    let invocation = config::parse::<C>();
    let cli = &invocation.args;
    let args = common_of(cli);
    let out = args.out_dir(name);
    let existed = out.exists();
    let outcome = (|| {
        catch_signals()?;
        args.check_resume()?;
        let dir = create_out_dir(&out)?;
        write_config(&dir, &invocation.resolved())?;
        let common = args.common();
        let result = with_threads(args.threads, || run(cli, &common, &dir))??;
        Ok::<_, RunError>((result, dir))
    })();
    match outcome {
        Ok((result, dir)) => {
            if args.json {
                if let Err(e) = print_json(&dir.summary_json()) {
                    return exit_for(&e, &out);
                }
            } else {
                print_claims(&result.claims);
                crate::say!(
                    "{} in {:.1} s; report: {}",
                    result.name,
                    result.seconds,
                    dir.report_md().display()
                );
            }
            let diverged = result.diverged();
            for d in &diverged {
                eprintln!(
                    "{}",
                    crate::help::error(&format!(
                        "{d} (its files are written; its claims are not judged)"
                    ))
                );
            }
            if diverged.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            if !existed {
                // An experiment refused before its first run (a run too big for the memory, a
                // bad setting) leaves no folder behind holding only its config.toml; remove_dir
                // keeps anything else written.
                let config = RunDir::at(&out).config_toml();
                let only_config = std::fs::read_dir(&out)
                    .is_ok_and(|entries| entries.flatten().all(|e| e.path() == config));
                if only_config {
                    let _ = std::fs::remove_file(&config);
                }
                let _ = std::fs::remove_dir(&out);
            }
            exit_for(&e, &out)
        }
    }
}

/// Writes an invocation's resolved configuration `config` (see [`config::Invocation::resolved`])
/// into its folder `dir`.
pub fn write_config(dir: &RunDir, config: &str) -> Result<(), RunError> {
    let path = dir.config_toml();
    models::atomic::write_atomic(&path, config.as_bytes())
        .map_err(|e| RunError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
    }

    #[test]
    fn defaults_match_an_empty_command_line() {
        let d: CommonArgs = defaults();
        assert_eq!(d, Cli::parse_from(["x"]).common);
        assert_eq!(d.seed, 0);
        assert_eq!(d.dtype, Dtype::F64);
        assert_eq!(d.out_dir("abc"), PathBuf::from("runs/abc"));
        assert_eq!(d.common().log_per_decade, 20);
    }

    #[test]
    fn bad_flags_are_clear_errors() {
        let e = Cli::try_parse_from(["x", "--threads", "0"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--threads"), "{e}");
        let e = Cli::try_parse_from(["x", "--dtype", "f16"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("f16") && e.contains("f32"), "{e}");
        assert!(Cli::try_parse_from(["x", "--seed", "-1"]).is_err());
        for bad in ["-1", "nan", "inf", "x"] {
            let e = Cli::try_parse_from(["x".to_string(), format!("--checkpoint-seconds={bad}")])
                .unwrap_err()
                .to_string();
            assert!(e.contains("--checkpoint-seconds"), "{e}");
        }
        assert!(Cli::try_parse_from(["x", "--checkpoint-every", "0"]).is_err());
        let e = Cli::try_parse_from(["x", "--out", "a", "--resume", "b"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--resume") && e.contains("--out"), "{e}");
        let resumed = Cli::parse_from(["x", "--resume", "/nonexistent/lowrank"]).common;
        assert_eq!(resumed.common().durability.resume, Resume::Strict);
        assert_eq!(resumed.out_dir("n"), PathBuf::from("/nonexistent/lowrank"));
        let e = resumed.check_resume().unwrap_err().to_string();
        assert!(
            e.contains("--resume /nonexistent/lowrank") && e.contains("no run"),
            "{e}"
        );
        assert!(Cli::try_parse_from(["x", "--bogus"]).is_err());
    }

    /// Regression: `--log-per-decade` beside `--log-every` was silently ignored.
    #[test]
    fn log_per_decade_conflicts_with_log_every_only_when_given() {
        let e = Cli::try_parse_from(["x", "--log-every", "5", "--log-per-decade", "3"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--log-per-decade") && e.contains("--log-every"),
            "{e}"
        );
        let every = Cli::parse_from(["x", "--log-every", "5"]).common;
        assert_eq!(every.common().log_every, Some(5));
    }

    /// Regression: `--name ../x` wrote outside runs/.
    #[test]
    fn run_names_are_plain_folder_names() {
        assert_eq!(folder_name("deep-linear_2.a").unwrap(), "deep-linear_2.a");
        assert_eq!(folder_name("..x").unwrap(), "..x");
        for (bad, problem) in [
            ("../x", "contains a path separator"),
            ("a/b", "contains a path separator"),
            ("/abs", "contains a path separator"),
            ("a\\b", "contains a path separator"),
            ("..", "means the folder itself or its parent"),
            (".", "means the folder itself or its parent"),
            ("", "is empty"),
            ("a\0b", "contains a NUL byte"),
        ] {
            let e = folder_name(bad).unwrap_err();
            assert!(
                e.starts_with(&format!(
                    "`{bad}` {problem}: a run's name must be a plain folder name"
                )),
                "{bad}: {e}"
            );
        }
    }

    /// Regression: `--threads 500` on 2 cores ran more than ten times slower without a word.
    #[test]
    fn more_threads_than_cores_is_warned_naming_both() {
        assert_eq!(oversubscribed(2, 2), None);
        assert_eq!(oversubscribed(1, 8), None);
        let w = oversubscribed(500, 2).unwrap();
        assert!(
            w.starts_with("warning: --threads 500 is more than the 2 cores available"),
            "{w}"
        );
    }

    #[test]
    fn thread_pool_runs_the_closure() {
        assert_eq!(
            with_threads(Some(2), rayon::current_num_threads).unwrap(),
            2
        );
        assert_eq!(with_threads(None, || 7).unwrap(), 7);
    }
}
