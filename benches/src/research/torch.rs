//! The PyTorch peer, `benches/peers/research_scale.py`: the same run (data, network,
//! initialization distribution, steps, step rule, log schedule) in PyTorch, timed in the same
//! phases; σ₁ by `torch.linalg.svdvals`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::case::{CLASSES, Case};
use super::final_state::FinalState;
use super::phases::Phases;

/// The peer script, beside the benches crate.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/research_scale.py")
}

/// What one run of the peer measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TorchRun {
    /// `torch.__version__`.
    pub version: String,
    /// Its phases (`other` is 0: it writes nothing).
    pub phases: Phases,
    /// Where it ended.
    pub end: FinalState,
    /// The steps it logged metrics at.
    pub logged_steps: Vec<usize>,
}

/// The peer's JSON document.
#[derive(Deserialize)]
struct Doc {
    torch: String,
    setup_seconds: f64,
    training_seconds: f64,
    metrics_seconds: f64,
    total_seconds: f64,
    logged_steps: Vec<usize>,
    #[serde(rename = "final")]
    end: FinalState,
}

/// Reads the peer's JSON output; an error says what is malformed.
pub fn parse(text: &str) -> Result<TorchRun, String> {
    let doc: Doc =
        serde_json::from_str(text).map_err(|e| format!("the peer's output is malformed: {e}"))?;
    let times = [
        doc.setup_seconds,
        doc.training_seconds,
        doc.metrics_seconds,
        doc.total_seconds,
    ];
    if times.iter().any(|t| !t.is_finite() || *t < 0.0) {
        return Err(format!(
            "the peer's output has a negative or non-finite time: {times:?}"
        ));
    }
    let other = doc.total_seconds - doc.setup_seconds - doc.training_seconds - doc.metrics_seconds;
    Ok(TorchRun {
        version: doc.torch,
        phases: Phases {
            setup: doc.setup_seconds,
            training: doc.training_seconds,
            metrics: doc.metrics_seconds,
            other: other.max(0.0),
            total: doc.total_seconds,
        },
        end: doc.end,
        logged_steps: doc.logged_steps,
    })
}

/// How the peer runs every case.
#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    /// Gradient steps.
    pub steps: usize,
    /// The steps to log metrics at.
    pub log_steps: Vec<usize>,
    /// `torch.set_num_threads`.
    pub threads: u16,
    /// The MNIST-format folder.
    pub data_dir: PathBuf,
    /// Compute σ₁ and ‖W‖_F in f64, as ours does (else on the f32 weights, as a researcher's
    /// script would).
    pub f64_metrics: bool,
}

/// The command line of the peer for `case`, writing its results to `json`.
pub fn command(case: Case, peer: &Peer, json: &Path) -> Command {
    let logs: Vec<String> = peer.log_steps.iter().map(usize::to_string).collect();
    let mut cmd = Command::new("python3");
    cmd.arg(script())
        .arg("--data-dir")
        .arg(&peer.data_dir)
        .args(["--classes", &format!("{},{}", CLASSES.0, CLASSES.1)])
        .args(["--width", &case.width.to_string()])
        .args(["--n", &case.n.to_string()])
        .args(["--steps", &peer.steps.to_string()])
        .args(["--log-steps", &logs.join(",")])
        .args(["--threads", &peer.threads.to_string()])
        .args([
            "--metric-dtype",
            if peer.f64_metrics { "f64" } else { "f32" },
        ])
        .arg("--json")
        .arg(json);
    cmd
}

/// Runs the peer on `case` (see [`command`]) and reads its results. A failure (no python3, no
/// torch, missing data, a crash) is an error naming the script and quoting the last line it
/// printed to stderr.
pub fn run(case: Case, peer: &Peer) -> Result<TorchRun, String> {
    let json = std::env::temp_dir().join(format!(
        "research-scale-torch-{}-{}.json",
        std::process::id(),
        case.name()
    ));
    let text = crate::python::run_script(command(case, peer, &json), &script(), &json)?
        .ok_or_else(|| format!("cannot start python3 for {}", script().display()))?;
    let run = parse(&text)?;
    if run.logged_steps != peer.log_steps {
        return Err(format!(
            "the peer logged at steps {:?}, not {:?}",
            run.logged_steps, peer.log_steps
        ));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"torch": "2.15.0", "threads": 2, "width": 128, "n": 1000,
        "steps": 2, "logged_steps": [0, 1, 2], "setup_seconds": 0.5,
        "training_seconds": 2.0, "metrics_seconds": 0.25, "total_seconds": 2.75,
        "final": {"loss": 0.1, "accuracy": 1.0, "r": [0.5, 0.9, 0.99, 1.0]}}"#;

    #[test]
    fn parses_the_peers_output() {
        let run = parse(GOOD).unwrap();
        assert_eq!(run.version, "2.15.0");
        assert_eq!(run.logged_steps, vec![0, 1, 2]);
        assert_eq!(
            run.phases,
            Phases {
                setup: 0.5,
                training: 2.0,
                metrics: 0.25,
                other: 0.0,
                total: 2.75
            }
        );
        assert_eq!(run.end.accuracy, Some(1.0));
        assert_eq!(run.end.r.len(), 4);
    }

    #[test]
    fn malformed_output_is_an_error() {
        assert!(parse("").unwrap_err().contains("malformed"));
        assert!(parse("{\"torch\": 1}").unwrap_err().contains("malformed"));
        let bad = GOOD.replace("\"metrics_seconds\": 0.25", "\"metrics_seconds\": -1");
        assert!(parse(&bad).unwrap_err().contains("negative"));
        let null = GOOD.replace("\"loss\": 0.1", "\"loss\": null");
        assert_eq!(parse(&null).unwrap().end.loss, None);
    }

    #[test]
    fn the_command_names_every_setting() {
        let peer = Peer {
            steps: 20,
            log_steps: vec![0, 1, 20],
            threads: 2,
            data_dir: "/d".into(),
            f64_metrics: false,
        };
        let case = Case {
            width: 512,
            n: 1000,
        };
        let cmd = command(case, &peer, Path::new("/o.json"));
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(
            joined.ends_with(
                "--data-dir /d --classes 1,8 --width 512 --n 1000 --steps 20 --log-steps 0,1,20 \
                 --threads 2 --metric-dtype f32 --json /o.json"
            ),
            "{joined}"
        );
    }
}
