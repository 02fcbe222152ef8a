//! `fuzz`: a fuzzing campaign against the loaders (the targets of [`experiments::fuzz`]), for as
//! long as asked; every finding is saved with the command that reproduces it.
//!
//! Each target's campaign runs in a child process (this binary with `--worker`), which writes
//! every input to a scratch folder of the parent's before loading it: when the child dies (an
//! abort from a failed allocation, a signal) or stops making progress (a hang), the parent saves
//! that folder as the finding and carries on with a fresh child and the next seed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant, SystemTime};

use clap::Parser;
use clap::builder::PossibleValuesParser;
use experiments::fuzz::{self, Budget, Failure, TIME_BUDGET, Target};

/// A child whose current input has not changed for this long is hung.
const HANG: Duration = Duration::from_secs(30);

/// How often the parent looks at its child.
const POLL: Duration = Duration::from_millis(100);

#[derive(Parser, Debug)]
#[command(
    name = "fuzz",
    about = "Fuzz the loaders (arch grammar, CSV, IDX, checkpoints) with seeded mutants of files \
             the project writes; save every input that panics, hangs, aborts, takes too long, gets \
             an empty message or is accepted but loaded wrong",
    after_help = after_help(),
    max_term_width = experiments::help::HELP_WIDTH
)]
struct Cli {
    /// A target to fuzz (repeat the flag for several); all of them when omitted.
    #[arg(
        long = "target",
        value_name = "NAME",
        value_parser = PossibleValuesParser::new(fuzz::targets().into_iter().map(|t| t.name))
    )]
    targets: Vec<String>,
    /// Seconds of fuzzing in all, shared equally by the targets.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// The seed of the first campaign of each target (the next ones, after a crash, count up).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where the findings are written, one folder per target.
    #[arg(long, default_value = "fuzz-findings")]
    out: PathBuf,
    /// Instead of fuzzing, run the one target (--target) on the input saved in this folder.
    #[arg(long, value_name = "DIR")]
    reproduce: Option<PathBuf>,
    /// Internal: run one target's campaign in this process, writing each input to this folder
    /// (the parent supervises it and saves the folder if the process dies).
    #[arg(long, hide = true, value_name = "DIR")]
    worker: Option<PathBuf>,
}

/// The help after the flags: every target and what it loads, then the exit status.
fn after_help() -> String {
    let targets: Vec<String> = fuzz::targets()
        .iter()
        .map(|t| format!("  {:<9} {}", t.name, t.about))
        .collect();
    format!(
        "Targets (all by default):\n{}\n\nExit status: 0 when nothing was found, 1 when something \
         was, 2 on a bad flag.",
        targets.join("\n")
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{}", experiments::help::error(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// True when no property was broken.
fn run(cli: &Cli) -> Result<bool, String> {
    if !(cli.seconds.is_finite() && cli.seconds > 0.0 && cli.seconds <= 1e7) {
        return Err(format!(
            "--seconds {}: must be a positive number of seconds, at most 1e7",
            cli.seconds
        ));
    }
    let targets = match cli.targets.as_slice() {
        [] => fuzz::targets(),
        names => names
            .iter()
            .map(|n| fuzz::target(n))
            .collect::<Result<_, _>>()?,
    };
    if let Some(dir) = &cli.reproduce {
        let [target] = targets.as_slice() else {
            return Err("--reproduce needs exactly one --target".into());
        };
        return reproduce(target, dir);
    }
    if let Some(current) = &cli.worker {
        let [target] = targets.as_slice() else {
            return Err("--worker needs exactly one --target".into());
        };
        return worker(target, cli.seed, cli.seconds, current, &cli.out);
    }
    let share = cli.seconds / targets.len() as f64;
    let mut clean = true;
    for target in &targets {
        clean &= supervise(target, cli.seed, share, &cli.out)?;
    }
    Ok(clean)
}

/// Runs `target` on the input saved in `dir` and says what happened.
fn reproduce(target: &Target, dir: &Path) -> Result<bool, String> {
    for name in target.files {
        if !dir.join(name).is_file() {
            return Err(format!(
                "--reproduce {}: no file `{name}` (the target {} reads {})",
                dir.display(),
                target.name,
                target.files.join(", ")
            ));
        }
    }
    match fuzz::check(target, dir) {
        Ok(fuzz::Outcome::Refused(message)) => {
            experiments::say!("{}: refused, as it should be: {message}", target.name);
            Ok(true)
        }
        Ok(_) => {
            experiments::say!("{}: accepted, and what it loaded checks out", target.name);
            Ok(true)
        }
        Err(finding) => {
            experiments::say!("{}: {finding}", target.name);
            Ok(false)
        }
    }
}

/// The child: one campaign of `target`, saving each finding as it is found.
fn worker(
    target: &Target,
    seed: u64,
    seconds: f64,
    current: &Path,
    out: &Path,
) -> Result<bool, String> {
    let base = out.join(target.name);
    let started = Instant::now();
    let until = Budget::Until(started + Duration::from_secs_f64(seconds));
    let report = fuzz::fuzz(target, seed, until, current, |failure| {
        let saved = save(&base, &format!("seed{seed}-{}", label(failure)), current);
        report_finding(target, &failure.to_string(), saved);
    })
    .map_err(|e| format!("{}: {e}", current.display()))?;
    experiments::say!(
        "{}: {} inputs in {:.1} s ({} accepted), seed {seed}: {} kinds of finding",
        target.name,
        report.iterations,
        started.elapsed().as_secs_f64(),
        report.accepted,
        report.failures.len()
    );
    for failure in &report.failures {
        experiments::say!("  {}: {} inputs", failure.finding, failure.count);
    }
    Ok(report.failures.is_empty())
}

/// The name of a failure's folder: the mutant, or `seed-input`.
fn label(failure: &Failure) -> String {
    failure
        .iteration
        .map_or("seed-input".to_string(), |i| format!("mutant{i}"))
}

/// Copies the input in `current` to `base/finding-NAME`, returning the folder.
fn save(base: &Path, name: &str, current: &Path) -> Result<PathBuf, String> {
    let dest = base.join(format!("finding-{name}"));
    let copy = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dest)?;
        for entry in std::fs::read_dir(current)? {
            let entry = entry?;
            std::fs::copy(entry.path(), dest.join(entry.file_name()))?;
        }
        Ok(())
    };
    copy().map_err(|e| format!("cannot save the finding to {}: {e}", dest.display()))?;
    Ok(dest)
}

/// Prints a finding and how to reproduce it.
fn report_finding(target: &Target, what: &str, saved: Result<PathBuf, String>) {
    experiments::say!("FINDING {what}");
    match saved {
        Ok(dir) => experiments::say!(
            "  saved in {0}; reproduce with:\n  cargo run --release -p experiments --bin fuzz -- \
             --target {1} --reproduce {0}",
            dir.display(),
            target.name
        ),
        Err(e) => experiments::say!("  {e}"),
    }
}

/// The parent: runs campaigns of `target` in children for `seconds`, a fresh child (and seed)
/// after each one that died. True when no property was broken.
fn supervise(target: &Target, seed: u64, seconds: f64, out: &Path) -> Result<bool, String> {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let current = fuzz::scratch(&format!("campaign-{}", target.name));
    let mut clean = true;
    let mut seed = seed;
    loop {
        let left = end.saturating_duration_since(Instant::now()).as_secs_f64();
        if left < 0.1 {
            let _ = std::fs::remove_dir_all(&current);
            return Ok(clean);
        }
        // An earlier worker's input would look stalled before this one writes its first.
        if current.exists() {
            std::fs::remove_dir_all(&current)
                .map_err(|e| format!("cannot clear {}: {e}", current.display()))?;
        }
        let mut child = spawn(target, seed, left, &current, out)?;
        match watch(&mut child, &current)? {
            Ended::Finished(ok) => {
                let _ = std::fs::remove_dir_all(&current);
                return Ok(clean && ok);
            }
            Ended::Died(how) => {
                clean = false;
                let what = format!(
                    "{}: the worker (seed {seed}) {how}, on the input it was reading",
                    target.name
                );
                let name = format!("seed{seed}-died");
                report_finding(target, &what, save(&out.join(target.name), &name, &current));
            }
        }
        seed += 1;
    }
}

/// Starts the worker of one campaign.
fn spawn(
    target: &Target,
    seed: u64,
    seconds: f64,
    current: &Path,
    out: &Path,
) -> Result<Child, String> {
    // This very image, even when a rebuild has replaced the file it was started from.
    let own = Path::new("/proc/self/exe");
    let exe = if own.exists() {
        own.to_path_buf()
    } else {
        std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?
    };
    Command::new(exe)
        .arg("--worker")
        .arg(current)
        .args(["--target", target.name])
        .args([
            "--seed",
            &seed.to_string(),
            "--seconds",
            &seconds.to_string(),
        ])
        .arg("--out")
        .arg(out)
        .spawn()
        .map_err(|e| format!("cannot start the worker: {e}"))
}

/// How a worker ended.
enum Ended {
    /// It finished its campaign: true when it found nothing.
    Finished(bool),
    /// It died or hung, described.
    Died(String),
}

/// Waits for the worker, killing it when its current input has not changed for [`HANG`].
fn watch(child: &mut Child, current: &Path) -> Result<Ended, String> {
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(match status.code() {
                Some(0) => Ended::Finished(true),
                Some(1) => Ended::Finished(false),
                _ => Ended::Died(describe(status)),
            });
        }
        if stalled(current) {
            child
                .kill()
                .map_err(|e| format!("cannot stop a hung worker: {e}"))?;
            child.wait().map_err(|e| e.to_string())?;
            return Ok(Ended::Died(format!(
                "hung (no new input for {} s; each may take {} s)",
                HANG.as_secs(),
                TIME_BUDGET.as_secs()
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// True when the newest file of `current` is older than [`HANG`].
fn stalled(current: &Path) -> bool {
    let newest = std::fs::read_dir(current).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
            .max()
    });
    newest.is_some_and(|t| {
        SystemTime::now()
            .duration_since(t)
            .is_ok_and(|age| age > HANG)
    })
}

/// A worker's exit status in words (an abort is signal 6).
fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (_, Some(6)) => "aborted (signal 6: a failed allocation?)".to_string(),
        (_, Some(signal)) => format!("was killed by signal {signal}"),
        (Some(code), _) => format!("exited with status {code}"),
        _ => format!("ended: {status}"),
    }
}
