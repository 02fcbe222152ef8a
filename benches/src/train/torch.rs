//! Running the PyTorch peer (`benches/peers/train_step.py`) and reading its JSON results.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The peer script, beside the benches crate.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/train_step.py")
}

/// One workload timed by the peer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TorchTiming {
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
}

#[derive(Deserialize)]
struct TorchDoc {
    torch: String,
    results: Vec<TorchTiming>,
}

/// The peer's results for one thread count, with the PyTorch version.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchRun {
    /// `torch.__version__`.
    pub version: String,
    /// Every workload it timed.
    pub timings: Vec<TorchTiming>,
}

impl TorchRun {
    /// The timing of `workload` in `dtype`, if the peer ran it.
    pub fn get(&self, workload: &str, dtype: &str) -> Option<&TorchTiming> {
        self.timings
            .iter()
            .find(|t| t.workload == workload && t.dtype == dtype)
    }
}

/// Whether `python3 -c "import torch"` works here.
pub fn available() -> bool {
    Command::new("python3")
        .args(["-c", "import torch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the peer on `threads` threads for `workloads` (and only `dtype` if given).
pub fn run(
    threads: usize,
    workloads: &[&str],
    dtype: Option<&str>,
    quick: bool,
) -> Result<TorchRun, String> {
    let out = std::env::temp_dir().join(format!(
        "train-step-torch-{}-{threads}.json",
        std::process::id()
    ));
    let mut cmd = Command::new("python3");
    cmd.arg(script())
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--json")
        .arg(&out);
    for w in workloads {
        cmd.arg("--workload").arg(w);
    }
    if let Some(d) = dtype {
        cmd.arg("--dtype").arg(d);
    }
    if quick {
        cmd.arg("--quick");
    }
    let status = cmd
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot start python3 for {}: {e}", script().display()))?;
    if !status.success() {
        return Err(format!("{} failed ({status})", script().display()));
    }
    let text = std::fs::read_to_string(&out)
        .map_err(|e| format!("cannot read the peer's results {}: {e}", out.display()))?;
    // A leftover temp file is harmless; failing to remove it is not worth an error.
    let _ = std::fs::remove_file(&out);
    let doc: TorchDoc = serde_json::from_str(&text)
        .map_err(|e| format!("the peer's results {} are malformed: {e}", out.display()))?;
    Ok(TorchRun {
        version: doc.torch,
        timings: doc.results,
    })
}
