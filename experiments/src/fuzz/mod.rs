//! Fuzzing the loaders on stable Rust: a seeded mutation engine ([`mutate`]) and one target per
//! input the binaries read, each seeded from files the project itself writes.
//!
//! The property of every target: the loader returns `Ok`, or an error with a non-empty message;
//! it never panics (each input runs under [`std::panic::catch_unwind`]), never takes longer than
//! [`TIME_BUDGET`] (the sign of a pathological size: an allocation or a loop the content asked
//! for), and what it accepts is not silently wrong (each target checks the invariants of what it
//! loaded). Inputs stay below [`mutate::MAX_LEN`] bytes per file, so a huge allocation always
//! comes from what a loader believed, never from the input's own size.
//!
//! [`check`] runs one input; [`fuzz`] runs a seeded campaign of mutants. The bounded test
//! (`experiments/tests/fuzz.rs`) and the `fuzz` binary (longer campaigns, `--seconds`) both call
//! [`fuzz`]; an abort (a failed allocation) cannot be caught in-process, so the binary runs each
//! campaign in a child process and reports the input the child was reading when it died.

mod arch;
mod csv;
mod idx;
mod layout;
pub mod mutate;
mod training;
mod weights;

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::data::Dataset;
use mutate::Rng;

/// The longest a loader may take on one (small) input before it counts as a finding.
pub const TIME_BUDGET: Duration = Duration::from_secs(2);

/// One input a target reads: the contents of its files, in the order of [`Target::files`].
pub type Input = Vec<Vec<u8>>;

/// A loader under test.
pub struct Target {
    /// The name `--target` takes.
    pub name: &'static str,
    /// What the target loads and checks, for the binary's `--help`.
    pub about: &'static str,
    /// The names of the files an input consists of, written into the scratch folder.
    pub files: &'static [&'static str],
    /// The seed inputs: files the project writes, made in-process.
    pub seeds: fn() -> Vec<Input>,
    /// Loads the files (named as in `files`, in that folder) and judges what the loaders made
    /// of them; [`check`] catches a panic and times it.
    pub run: fn(&Path) -> Outcome,
}

/// What a target made of one input.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Accepted, and what was loaded checks out.
    Accepted,
    /// Refused, with the loader's message.
    Refused(String),
    /// Accepted, but what was loaded is wrong: a defect, described.
    Wrong(String),
}

/// Every target, in the order the campaign runs them.
pub fn targets() -> Vec<Target> {
    vec![
        arch::target(),
        csv::target(),
        idx::target(),
        weights::target(),
        training::target(),
    ]
}

/// The target called `name`, or an error listing the names.
pub fn target(name: &str) -> Result<Target, String> {
    let all = targets();
    let names: Vec<&str> = all.iter().map(|t| t.name).collect();
    let names = names.join(", ");
    all.into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| format!("--target `{name}`: no such target (the targets are {names})"))
}

/// A property the input broke.
#[derive(Debug, PartialEq)]
pub enum Finding {
    /// The loader panicked, with this message and location.
    Panic(String),
    /// The loader refused the input with an empty message.
    EmptyMessage,
    /// The loader accepted the input but what it loaded is wrong.
    Wrong(String),
    /// The loader took this long (more than [`TIME_BUDGET`]).
    Slow(Duration),
}

impl Finding {
    /// What makes two findings the same defect: the kind and the message without its numbers
    /// and quoted values (which vary from input to input), or a panic's location.
    pub fn signature(&self) -> String {
        let general = |text: &str| {
            let mut out = String::new();
            let mut quoted = false;
            for c in text.chars() {
                match c {
                    '`' => quoted = !quoted,
                    _ if quoted || c.is_ascii_digit() => {}
                    _ => out.push(c),
                }
            }
            out
        };
        match self {
            Finding::Panic(message) => match message.rsplit_once(" at ") {
                Some((_, at)) => format!("panic at {at}"),
                None => format!("panic: {}", general(message)),
            },
            Finding::EmptyMessage => "empty message".to_string(),
            Finding::Wrong(what) => format!("wrong: {}", general(what)),
            Finding::Slow(_) => "slow".to_string(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Panic(message) => write!(f, "panicked: {message}"),
            Finding::EmptyMessage => f.write_str("refused the input with an empty message"),
            Finding::Wrong(what) => write!(f, "accepted it, but {what}"),
            Finding::Slow(took) => write!(
                f,
                "took {:.1} s, more than the {} s budget",
                took.as_secs_f64(),
                TIME_BUDGET.as_secs()
            ),
        }
    }
}

/// Writes `input` into `dir` under the target's file names.
pub fn write_input(target: &Target, input: &Input, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in target.files.iter().zip(input) {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

/// Runs the target on the files in `dir` and checks the property.
pub fn check(target: &Target, dir: &Path) -> Result<Outcome, Finding> {
    install_panic_capture();
    let started = Instant::now();
    CAPTURING.with(|c| *c.borrow_mut() = Some(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(dir)));
    let captured = CAPTURING
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default();
    let took = started.elapsed();
    let outcome = result.map_err(|payload| {
        // A panic on another thread (a rayon worker's) reaches here with its payload only.
        Finding::Panic(if captured.is_empty() {
            payload_message(payload.as_ref())
        } else {
            captured
        })
    })?;
    match &outcome {
        Outcome::Refused(message) if message.trim().is_empty() => Err(Finding::EmptyMessage),
        Outcome::Wrong(what) => Err(Finding::Wrong(what.clone())),
        _ if took > TIME_BUDGET => Err(Finding::Slow(took)),
        _ => Ok(outcome),
    }
}

/// A broken property, with the input that broke it.
#[derive(Debug)]
pub struct Failure {
    /// The target's name.
    pub target: &'static str,
    /// The mutant (0 is the first) that found it; None for a seed input.
    pub iteration: Option<u64>,
    /// What went wrong.
    pub finding: Finding,
    /// The input, as the files the target read.
    pub input: Input,
    /// Inputs that broke the property the same way ([`Finding::signature`]), this one included.
    pub count: u64,
}

/// What a campaign did.
#[derive(Debug, Default)]
pub struct Report {
    /// Inputs tried (the seeds included).
    pub iterations: u64,
    /// Inputs the loader accepted.
    pub accepted: u64,
    /// Every broken property, the first input of each kind (the others are counted).
    pub failures: Vec<Failure>,
}

/// How long a campaign runs.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// This many mutants (after the seeds).
    Iterations(u64),
    /// Until this moment.
    Until(Instant),
}

/// Runs `target` on its seeds, then on mutants drawn with `seed` until `budget` is spent, each
/// written to `dir` first (so that, if the process dies, `dir` holds the input that killed it).
/// `on_failure` sees the first failure of each kind as it is found (the campaign binary saves it
/// at once).
pub fn fuzz(
    target: &Target,
    seed: u64,
    budget: Budget,
    dir: &Path,
    mut on_failure: impl FnMut(&Failure),
) -> std::io::Result<Report> {
    let corpus = (target.seeds)();
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    let mut try_one =
        |input: Input, iteration: Option<u64>, report: &mut Report| -> std::io::Result<()> {
            write_input(target, &input, dir)?;
            report.iterations += 1;
            match check(target, dir) {
                Ok(Outcome::Accepted) => report.accepted += 1,
                Ok(_) => {}
                Err(finding) => {
                    let signature = finding.signature();
                    let known = report
                        .failures
                        .iter_mut()
                        .find(|f| f.finding.signature() == signature);
                    match known {
                        Some(known) => known.count += 1,
                        None => {
                            let failure = Failure {
                                target: target.name,
                                iteration,
                                finding,
                                input,
                                count: 1,
                            };
                            on_failure(&failure);
                            report.failures.push(failure);
                        }
                    }
                }
            }
            Ok(())
        };
    for input in &corpus {
        try_one(input.clone(), None, &mut report)?;
    }
    let mut iteration = 0;
    loop {
        let more = match budget {
            Budget::Iterations(n) => iteration < n,
            Budget::Until(end) => Instant::now() < end,
        };
        if !more {
            return Ok(report);
        }
        try_one(
            mutate::mutate(&corpus, &mut rng),
            Some(iteration),
            &mut report,
        )?;
        iteration += 1;
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = self
            .iteration
            .map_or("a seed input".to_string(), |i| format!("mutant {i}"));
        write!(f, "{}: {from} ", self.target)?;
        if self.count > 1 {
            write!(f, "(and {} more like it) ", self.count - 1)?;
        }
        write!(f, "{}", self.finding)?;
        for (i, file) in self.input.iter().enumerate() {
            let shown = file[..file.len().min(SHOWN)].escape_ascii();
            let more = file.len().saturating_sub(SHOWN);
            write!(f, "\n  file {i} ({} bytes): b\"{shown}\"", file.len())?;
            if more > 0 {
                write!(f, " and {more} more bytes")?;
            }
        }
        Ok(())
    }
}

/// Bytes of each file of an input that a failure shows.
const SHOWN: usize = 200;

/// A scratch folder of this process: in shared memory where there is one, since every input is
/// written before it is read, and rewriting a file thousands of times a second on a disk that
/// discards freed blocks costs milliseconds each; else under the system's temporary folder.
pub fn scratch(name: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("lowrank-fuzz-{name}-{}", std::process::id()))
}

/// The invariants of a data set a loader accepted: examples, finite inputs scaled so that the
/// largest has norm 1 (the theory's setting), labels ±1.
fn dataset_invariants(data: &Dataset) -> Outcome {
    let wrong = |what: String| Outcome::Wrong(format!("the data set {what}"));
    if data.n == 0 || data.x.len() != data.n * data.dim || data.y.len() != data.n {
        return wrong(format!(
            "has n = {}, dim = {}, {} inputs and {} labels",
            data.n,
            data.dim,
            data.x.len(),
            data.y.len()
        ));
    }
    if let Some(v) = data.x.iter().find(|v| !v.is_finite()) {
        return wrong(format!("has an input value {v}"));
    }
    if let Some(v) = data.y.iter().find(|&&v| v != 1.0 && v != -1.0) {
        return wrong(format!("has a label {v}"));
    }
    let max_norm = data.max_norm();
    if (max_norm - 1.0).abs() > 1e-9 {
        return wrong(format!(
            "is scaled to a largest input norm of {max_norm}, not 1"
        ));
    }
    Outcome::Accepted
}

thread_local! {
    /// The message of a panic on this thread while [`check`] runs a target (None otherwise).
    static CAPTURING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once, a panic hook that records the message and location of a panic raised inside
/// [`check`] instead of printing it, and leaves every other panic (a failing test's) to the
/// previous hook.
fn install_panic_capture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = payload_message(info.payload());
            let at = info
                .location()
                .map(|l| {
                    let caller = if l.file().starts_with("/rustc/") {
                        caller()
                    } else {
                        String::new()
                    };
                    format!(" at {}:{}{caller}", l.file(), l.line())
                })
                .unwrap_or_default();
            let captured = CAPTURING.with(|c| match c.borrow_mut().as_mut() {
                Some(slot) => {
                    *slot = format!("{message}{at}");
                    true
                }
                None => false,
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// Crates whose frames name the code that called into the standard library when it panicked
/// (a panic located in `alloc` says nothing about which loader asked for the capacity).
const WORKSPACE: &[&str] = &["models::", "experiments::", "autodiff::", "kernels::"];

/// ` (called from FUNCTION)`: the innermost workspace function on the stack outside this
/// module, or nothing when the backtrace names none.
fn caller() -> String {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    trace
        .lines()
        .filter_map(|line| line.trim().split_once(": ").map(|(_, name)| name))
        .find(|name| {
            WORKSPACE.iter().any(|c| name.starts_with(c)) && !name.starts_with("experiments::fuzz")
        })
        .map(|name| format!(" (called from {name})"))
        .unwrap_or_default()
}

/// The text of a panic's payload.
fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a text message)".to_string())
}
