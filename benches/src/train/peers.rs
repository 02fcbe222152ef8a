//! The Python peers of the benchmark (`benches/peers/train_step.py`): JAX with `jax.jit`,
//! PyTorch with `torch.compile`, and eager PyTorch. One process runs one peer at one thread count,
//! pinned to that many cores before the framework is imported; its JSON results are read here.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The peer script, beside the benches crate.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/train_step.py")
}

/// One way of running the same training step in Python.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// JAX: the whole step under `jax.jit` on XLA CPU, parameters donated.
    Jax,
    /// PyTorch: the whole step (loss, `torch.func` gradient, update) under `torch.compile`.
    Compile,
    /// PyTorch eagerly: `nn.Sequential`, `backward` and `optim.SGD`.
    Eager,
}

impl Peer {
    /// Every peer, in the report's column order.
    pub const ALL: [Peer; 3] = [Peer::Jax, Peer::Compile, Peer::Eager];

    /// Its name on the command lines (ours' `--peer` and the script's) and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Jax => "jax",
            Peer::Compile => "compile",
            Peer::Eager => "eager",
        }
    }

    /// The peer called `name`, if any.
    pub fn find(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// One workload timed by a peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerTiming {
    /// Workload name (as in `workload::WORKLOADS`).
    pub workload: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Median µs per step.
    pub median_us: f64,
    /// Fastest sample, µs per step.
    pub min_us: f64,
    /// Slowest sample, µs per step.
    pub max_us: f64,
    /// Median on-CPU µs per step of the Python thread (`time.thread_time`).
    pub cpu_us: Option<f64>,
    /// Seconds of the checked first steps, the first of which compiles: the compile time of
    /// `jax.jit` and `torch.compile`, kept out of the timed steps.
    pub first_steps_s: f64,
    /// CPU seconds of all the process's threads per wall second while sampling: how many cores
    /// the peer kept busy (at most its thread count when the pinning holds).
    pub cores_used: f64,
}

/// A peer's results at one thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerRun {
    /// The framework's version (`torch.__version__`, `jax.__version__`).
    pub version: String,
    /// The thread count it was asked for.
    pub threads: usize,
    /// The cores any of its threads was allowed on at the end, as "0,1": the pinning's proof.
    pub cpus: String,
    /// Threads the process had at the end (library pools included).
    pub process_threads: usize,
    /// Every workload it timed.
    pub timings: Vec<PeerTiming>,
}

impl PeerRun {
    /// The timing of `workload` in `dtype`, if the peer ran it.
    pub fn get(&self, workload: &str, dtype: &str) -> Option<&PeerTiming> {
        self.timings
            .iter()
            .find(|t| t.workload == workload && t.dtype == dtype)
    }

    /// How many cores [`Self::cpus`] lists (0 if unreadable).
    pub fn core_count(&self) -> usize {
        self.cpus
            .split(',')
            .filter(|c| c.trim().parse::<usize>().is_ok())
            .count()
    }
}

/// What running a peer gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// It ran.
    Ran(PeerRun),
    /// It is not installed here (nor Python, maybe): a note saying how to install it.
    Skipped(String),
}

/// The script's JSON: a run, or `{"peer", "skipped"}`.
#[derive(Deserialize)]
struct Doc {
    skipped: Option<String>,
    version: Option<String>,
    threads: Option<usize>,
    cpus: Option<String>,
    process_threads: Option<usize>,
    #[serde(default)]
    results: Vec<PeerTiming>,
}

/// Reads the script's JSON.
pub fn parse(text: &str) -> Result<Outcome, String> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| format!("malformed: {e}"))?;
    if let Some(note) = doc.skipped {
        return Ok(Outcome::Skipped(note));
    }
    let missing = |field: &str| format!("malformed: neither `skipped` nor `{field}`");
    Ok(Outcome::Ran(PeerRun {
        version: doc.version.ok_or_else(|| missing("version"))?,
        threads: doc.threads.ok_or_else(|| missing("threads"))?,
        cpus: doc.cpus.unwrap_or_else(|| "?".into()),
        process_threads: doc.process_threads.unwrap_or(0),
        timings: doc.results,
    }))
}

/// What to ask of one peer process.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The peer.
    pub peer: Peer,
    /// Cores to pin to and threads to use.
    pub threads: usize,
    /// The workload's name.
    pub workload: &'a str,
    /// `f32` or `f64`.
    pub dtype: &'a str,
    /// Samples (the script, like ours, takes at most 5 with `quick`).
    pub samples: usize,
    /// Few, short samples.
    pub quick: bool,
}

/// The command running `request` with `python`, writing its results to `json`.
pub fn command(python: impl AsRef<OsStr>, request: &Request, json: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.arg(script())
        .args(["--peer", request.peer.name()])
        .args(["--threads", &request.threads.to_string()])
        .args(["--workload", request.workload])
        .args(["--dtype", request.dtype])
        .args(["--samples", &request.samples.to_string()])
        .arg("--json")
        .arg(json);
    if request.quick {
        cmd.arg("--quick");
    }
    cmd
}

/// Runs `request` with `python3`.
pub fn run(request: &Request) -> Result<Outcome, String> {
    let json = std::env::temp_dir().join(format!(
        "train-step-{}-{}-{}.json",
        request.peer.name(),
        std::process::id(),
        request.threads
    ));
    run_command(command("python3", request, &json), &json)
}

/// Runs a command made by [`command`] and reads what it wrote to `json`. No Python is a
/// [`Outcome::Skipped`]; a failure of the script (a wrong loss, a crash) is an error quoting the
/// last line it printed to stderr.
pub fn run_command(cmd: Command, json: &Path) -> Result<Outcome, String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    match crate::python::run_script(cmd, &script(), json)? {
        None => Ok(Outcome::Skipped(format!(
            "{program} not found: the peers need Python 3 \
             (pip install -r benches/peers/requirements.txt)"
        ))),
        Some(text) => {
            parse(&text).map_err(|e| format!("the peer's results {}: {e}", json.display()))
        }
    }
}

/// Whether `python3 -c "import torch"` works here.
pub fn torch_available() -> bool {
    Command::new("python3")
        .args(["-c", "import torch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `train_step.py --peer jax --threads 2 --quick --workload mlp20 --dtype f32` wrote.
    const JAX_RUN: &str = r#"{
 "peer": "jax",
 "version": "0.10.2",
 "threads": 2,
 "cpus": "0,1",
 "process_threads": 19,
 "results": [
  {
   "workload": "mlp20",
   "dtype": "f32",
   "median_us": 300.63681813110384,
   "min_us": 251.1684546003711,
   "max_us": 362.93609098885844,
   "cpu_us": 19.115636363637396,
   "steps_per_s": 3326.272564406642,
   "samples": 5,
   "steps_per_sample": 11,
   "first_steps_s": 0.5048609140012559,
   "cores_used": 1.0014097010760425
  }
 ]
}"#;

    #[test]
    fn a_run_is_read_with_its_pinning() {
        let Ok(Outcome::Ran(run)) = parse(JAX_RUN) else {
            panic!("not a run: {:?}", parse(JAX_RUN));
        };
        assert_eq!((run.version.as_str(), run.threads), ("0.10.2", 2));
        assert_eq!((run.cpus.as_str(), run.core_count()), ("0,1", 2));
        assert_eq!(run.process_threads, 19);
        let t = run.get("mlp20", "f32").expect("mlp20 f32 ran");
        assert_eq!(t.median_us, 300.63681813110384);
        assert_eq!(t.first_steps_s, 0.5048609140012559);
        assert_eq!(t.cores_used, 1.0014097010760425);
        assert!(run.get("mlp20", "f64").is_none());
    }

    #[test]
    fn a_skipped_peer_is_a_note() {
        let text = r#"{"peer": "jax", "skipped": "JAX not installed: pip install 'jax[cpu]'"}"#;
        assert_eq!(
            parse(text),
            Ok(Outcome::Skipped(
                "JAX not installed: pip install 'jax[cpu]'".into()
            ))
        );
    }

    #[test]
    fn bad_results_are_errors() {
        for text in ["", "{", "[]", r#"{"peer": "jax"}"#, r#"{"version": "1"}"#] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn peers_are_found_by_name() {
        for p in Peer::ALL {
            assert_eq!(Peer::find(p.name()), Some(p));
        }
        assert_eq!(Peer::find("tensorflow"), None);
    }

    fn request() -> Request<'static> {
        Request {
            peer: Peer::Jax,
            threads: 1,
            workload: "linear10",
            dtype: "f64",
            samples: 1,
            quick: true,
        }
    }

    #[test]
    fn no_python_is_a_note() {
        let json = std::env::temp_dir().join("train-step-peers-test-no-python.json");
        let cmd = command("/nonexistent/python3", &request(), &json);
        let Ok(Outcome::Skipped(note)) = run_command(cmd, &json) else {
            panic!("not skipped");
        };
        assert!(note.contains("not found"), "{note}");
    }

    /// The real script, with a `jax` package on PYTHONPATH that fails to import as a missing JAX
    /// does: a note, not an error (or, without Python or NumPy here, their note).
    #[test]
    fn a_peer_that_does_not_import_is_a_note() {
        let dir = std::env::temp_dir().join(format!("train-step-no-jax-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("jax")).expect("a temp folder");
        std::fs::write(
            dir.join("jax/__init__.py"),
            "raise ImportError('No module named jax')\n",
        )
        .expect("a temp file");
        let json = dir.join("out.json");
        let mut cmd = command("python3", &request(), &json);
        cmd.env("PYTHONPATH", &dir);
        let outcome = run_command(cmd, &json);
        let _ = std::fs::remove_dir_all(&dir);
        let Ok(Outcome::Skipped(note)) = outcome else {
            panic!("not skipped: {outcome:?}");
        };
        assert!(
            note == "JAX not installed: pip install 'jax[cpu]'"
                || note.contains("NumPy")
                || note.contains("python3"),
            "{note}"
        );
    }
}
