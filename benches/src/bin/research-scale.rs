//! `research-scale`: whole runs of `train` on Fashion-MNIST 1 vs 8 at research widths and sizes,
//! timed phase by phase (setup, training, metrics), with the GEMM bound of a training step and,
//! with --vs-torch, the same runs in PyTorch (`benches/peers/research_scale.py`).
//!
//! ```text
//! cargo run --release -p benches --bin research-scale -- --vs-torch --json research.json
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use benches::research::bound;
use benches::research::case::{Case, DEFAULT_DATA_DIR, Settings, schedule};
use benches::research::data::{first, load_pair};
use benches::research::ours::{self, warm_svm};
use benches::research::phases::Phases;
use benches::research::report::{Measured, Report, Row, markdown, secs};
use benches::research::torch;
use benches::timing;
use benches::train::report::write_json_atomic;
use clap::Parser;
use experiments::cli::with_threads;
use experiments::metrics::MetricSet;
use experiments::suite::TrainArgs;
use models::Init;

/// Time whole training runs (setup, training, metrics) of `784,relu:W,linear:W,linear:W,1` on
/// Fashion-MNIST trousers (1) vs bags (8), as `train --dtype f32` runs them, against PyTorch.
#[derive(Parser, Debug)]
#[command(name = "research-scale", max_term_width = experiments::help::HELP_WIDTH)]
struct Args {
    /// Widths W of the hidden layers, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128,512,2048")]
    widths: Vec<usize>,
    /// Training examples, comma-separated: the first n of the pair (12000 is all of it).
    #[arg(long, value_delimiter = ',', default_value = "1000,12000")]
    sizes: Vec<usize>,
    /// Gradient steps of every run.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Thread counts, comma-separated (ours and the peer's torch.set_num_threads).
    #[arg(long, value_delimiter = ',', default_value = "2")]
    threads: Vec<u16>,
    /// Runs of each case; the table shows medians.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Metric families ours computes at each log, as `train --metrics` [default: train's
    /// default, all but invariance].
    #[arg(
        long,
        value_name = "LIST",
        default_value = "default",
        value_parser = experiments::values::metric_set()
    )]
    metrics: MetricSet,
    /// The MNIST-format folder holding Fashion-MNIST's training files.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Also run the PyTorch peer (benches/peers/research_scale.py) after each of our runs.
    #[arg(long)]
    vs_torch: bool,
    /// The peer computes σ₁ and ‖W‖_F in f64, as ours does [default: on its f32 weights].
    #[arg(long)]
    torch_f64_metrics: bool,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Keep the runs' folders here [default: a temporary folder, removed at the end].
    #[arg(long, value_name = "DIR")]
    runs: Option<PathBuf>,
    /// Time the GEMM bound briefly (a quick look rather than a report).
    #[arg(long)]
    quick: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "{}",
                experiments::help::wrap(&format!("research-scale: {e}"))
            );
            ExitCode::FAILURE
        }
    }
}

/// The widest network the benchmark builds: its 16384² f32 matrices take 1 GiB each.
const MAX_WIDTH: usize = 16_384;

/// Checks the flags that clap cannot.
fn check(args: &Args) -> Result<(), String> {
    if let Some(w) = args.widths.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
        return Err(format!("--widths {w}: a width must lie in 1..={MAX_WIDTH}"));
    }
    if let Some(t) = args.threads.iter().find(|&&t| t == 0) {
        return Err(format!("--threads {t}: a thread count must be at least 1"));
    }
    if args.steps == 0 {
        return Err("--steps 0: at least one step is needed".into());
    }
    if args.repeats == 0 {
        return Err("--repeats 0: at least one run is needed".into());
    }
    if args.widths.is_empty() || args.sizes.is_empty() || args.threads.is_empty() {
        return Err("--widths, --sizes and --threads each need at least one value".into());
    }
    Ok(())
}

fn run(args: Args) -> Result<(), String> {
    check(&args)?;
    let pair = load_pair(&args.data_dir)?;
    // Every size is checked before anything runs.
    let data: Vec<_> = args
        .sizes
        .iter()
        .map(|&n| first(&pair, n))
        .collect::<Result<_, _>>()?;
    drop(pair);
    let with_torch = args.vs_torch && benches::train::peers::torch_available();
    if args.vs_torch && !with_torch {
        eprintln!(
            "research-scale: `python3 -c \"import torch\"` fails; skipping the PyTorch peer \
             (pip install torch numpy)"
        );
    }
    let settings = Settings {
        steps: args.steps,
        metrics: args.metrics.clone(),
    };
    let log_steps = schedule(args.steps).steps().to_vec();
    let temp = args.runs.is_none();
    let runs_root = args.runs.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("research-scale-{}", std::process::id()))
    });
    let gemm = if args.quick {
        timing::Settings::QUICK
    } else {
        timing::Settings::FULL
    };
    // The runs' initialization distribution (`train`'s default), for the network the bound
    // is measured on.
    let train: TrainArgs = experiments::cli::defaults();
    let init = Init::Gaussian {
        scale: train.init_scale,
    };

    let plan = Plan {
        settings,
        log_steps: log_steps.clone(),
        data_dir: args.data_dir.clone(),
        runs_root: runs_root.clone(),
        repeats: args.repeats,
        with_torch,
        torch_f64_metrics: args.torch_f64_metrics,
        init,
        gemm,
    };
    let mut rows = Vec::new();
    let mut torch_version = None;
    let result = (|| -> Result<(), String> {
        for (data, &n) in data.iter().zip(&args.sizes) {
            let svm_seconds = warm_svm(data);
            eprintln!(
                "n = {n}: SVM margin solved in {} s (once)",
                secs(svm_seconds)
            );
            for &threads in &args.threads {
                for &width in &args.widths {
                    let (m, version) = plan.measure(Case { width, n }, threads, svm_seconds)?;
                    torch_version = version.or(torch_version.take());
                    rows.extend(Row::new(m));
                }
            }
        }
        Ok(())
    })();
    if temp {
        // Leftover run folders in the temp directory are harmless.
        let _ = std::fs::remove_dir_all(&runs_root);
    }
    result?;

    let report = Report {
        torch: torch_version,
        torch_metric_dtype: if args.torch_f64_metrics { "f64" } else { "f32" }.to_string(),
        data_dir: args.data_dir.display().to_string(),
        steps: args.steps,
        log_steps,
        metrics: args.metrics.to_string(),
        repeats: args.repeats,
        rows,
    };
    print!("{}", markdown(&report));
    if let Some(path) = &args.json {
        write(path, &report)?;
    }
    Ok(())
}

/// What every case is measured with.
struct Plan {
    settings: Settings,
    log_steps: Vec<usize>,
    data_dir: PathBuf,
    runs_root: PathBuf,
    repeats: usize,
    with_torch: bool,
    torch_f64_metrics: bool,
    init: Init,
    gemm: timing::Settings,
}

impl Plan {
    /// The GEMM bound of `case`, then its repeated runs, each of ours followed by the peer's
    /// (so that both see the machine in the same state); also the PyTorch version if it ran.
    /// A failing peer run is reported and left out.
    fn measure(
        &self,
        case: Case,
        threads: u16,
        svm_seconds: f64,
    ) -> Result<(Measured, Option<String>), String> {
        let bound = with_threads(Some(threads), || {
            bound::measure(case, self.init, 0, self.gemm)
        })
        .map_err(|e| e.to_string())??;
        let mut m = Measured {
            case,
            threads: usize::from(threads),
            steps: self.settings.steps,
            logged_steps: self.log_steps.len(),
            ours: Vec::new(),
            ours_final: Default::default(),
            torch: Vec::new(),
            torch_final: None,
            svm_seconds,
            bound,
        };
        let mut version = None;
        for rep in 0..self.repeats {
            let out = self
                .runs_root
                .join(format!("{}-t{threads}-r{rep}", case.name()));
            let o = ours::run(case, &self.settings, &self.data_dir, threads, &out)?;
            eprint!(
                "{} threads {threads} run {}: ours {}",
                case.name(),
                rep + 1,
                phases(&o.phases)
            );
            m.ours.push(o.phases);
            m.ours_final = o.end;
            if self.with_torch {
                let peer = torch::Peer {
                    steps: self.settings.steps,
                    log_steps: self.log_steps.clone(),
                    threads,
                    data_dir: self.data_dir.clone(),
                    f64_metrics: self.torch_f64_metrics,
                };
                match torch::run(case, &peer) {
                    Ok(t) => {
                        eprint!("; torch {}", phases(&t.phases));
                        m.torch.push(t.phases);
                        m.torch_final = Some(t.end);
                        version = Some(t.version);
                    }
                    Err(e) => eprint!("; torch failed: {e}"),
                }
            }
            eprintln!();
        }
        Ok((m, version))
    }
}

/// A run's phases in a progress line.
fn phases(p: &Phases) -> String {
    format!(
        "{} s (setup {}, training {}, metrics {})",
        secs(p.total),
        secs(p.setup),
        secs(p.training),
        secs(p.metrics)
    )
}

/// Writes the JSON report, naming the file in the error.
fn write(path: &Path, report: &Report) -> Result<(), String> {
    write_json_atomic(path, report)
        .map_err(|e| format!("cannot write the report to {}: {e}", path.display()))
}
