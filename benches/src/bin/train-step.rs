//! `train-step`: times whole training steps (forward, loss, backward, update) of the benchmark
//! workloads: ours (a `models::Network` on its tape), the hand-written floor on `kernels`, the
//! GEMM-bound estimate, `models::Trainer`, and optionally the Python peers (JAX `jax.jit`,
//! `torch.compile`, eager PyTorch), with their ratios and ours against the best peer.
//!
//! ```text
//! cargo run --release -p benches --bin train-step -- --threads 1,2 --vs-peers --json out.json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use benches::timing::Settings;
use benches::train::bench::{measure, profile};
use benches::train::lineup::Lineup;
use benches::train::peers::Peer;
use benches::train::report::{Report, Row, format_table, write_json_atomic};
use benches::train::sample::Plan;
use benches::train::versus::format_versus;
use benches::train::workload::{Dtype, WORKLOADS, Workload, find};
use clap::Parser;
use clap::builder::{PossibleValuesParser, TypedValueParser};

/// Time full training steps of the benchmark networks against a hand-written floor, the GEMM
/// bound and (with --vs-peers) JAX, torch.compile and eager PyTorch.
#[derive(Parser, Debug)]
#[command(name = "train-step", max_term_width = experiments::help::HELP_WIDTH)]
struct Args {
    /// Thread counts of the rayon pool to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Only this element type.
    #[arg(long, value_parser = experiments::values::dtype())]
    dtype: Option<Dtype>,
    /// Only this workload (repeatable).
    #[arg(long = "workload", value_name = "NAME", value_parser = workload())]
    workloads: Vec<Workload>,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also run the Python peers (benches/peers/train_step.py): JAX jit, torch.compile and eager
    /// PyTorch, each in its own process pinned to as many cores as threads, right after ours; a
    /// peer not installed is skipped with a note. Prints ours / the best peer within each thread
    /// count.
    #[arg(long)]
    vs_peers: bool,
    /// With --vs-peers, only this peer (repeatable).
    #[arg(long = "peer", value_name = "NAME", value_parser = peer())]
    peers: Vec<Peer>,
    /// The eager PyTorch peer only: --vs-peers --peer eager.
    #[arg(long)]
    vs_torch: bool,
    /// Few, short samples: a quick look rather than a report.
    #[arg(long)]
    quick: bool,
    /// Print a per-op profile of each workload (ours and the floor) before timing.
    #[arg(long)]
    profile: bool,
    /// Samples per contender.
    #[arg(long, default_value_t = 11)]
    samples: usize,
}

/// Parses `--workload`, listing the workloads' names in `--help` and in the error for others.
fn workload() -> impl TypedValueParser<Value = Workload> {
    PossibleValuesParser::new(WORKLOADS.map(|w| w.name)).try_map(|name| {
        find(&name).ok_or_else(|| format!("no workload `{name}` (the names are the list's)"))
    })
}

/// Parses `--peer`, listing the peers' names in `--help`.
fn peer() -> impl TypedValueParser<Value = Peer> {
    PossibleValuesParser::new(Peer::ALL.map(Peer::name))
        .try_map(|name| Peer::find(&name).ok_or_else(|| format!("no peer `{name}`")))
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", experiments::help::wrap(&format!("train-step: {e}")));
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    if let Some(&t) = args.threads.iter().find(|&&t| t == 0) {
        return Err(format!("--threads {t}: a thread count must be at least 1"));
    }
    if args.samples == 0 {
        return Err("--samples 0: at least one sample is needed".into());
    }
    let workloads: Vec<Workload> = if args.workloads.is_empty() {
        WORKLOADS.to_vec()
    } else {
        args.workloads.clone()
    };
    let jobs: Vec<(Workload, Dtype)> = workloads
        .iter()
        .flat_map(|w| w.dtypes.iter().map(move |&d| (*w, d)))
        .filter(|&(_, d)| args.dtype.is_none_or(|want| want == d))
        .collect();
    if jobs.is_empty() {
        return Err("no workload runs in the requested --dtype".into());
    }
    let (plan, gemm) = if args.quick {
        let plan = Plan {
            warmup: 3,
            samples: args.samples.min(5),
            target: Duration::from_millis(5),
        };
        (plan, Settings::QUICK)
    } else {
        let plan = Plan {
            warmup: 10,
            samples: args.samples,
            target: Duration::from_millis(30),
        };
        (plan, Settings::FULL)
    };
    let peers: Vec<Peer> = match (args.vs_peers, args.peers.is_empty(), args.vs_torch) {
        (true, true, _) => Peer::ALL.to_vec(),
        (true, false, _) => args.peers.clone(),
        (false, _, true) => vec![Peer::Eager],
        (false, true, false) => Vec::new(),
        (false, false, false) => return Err("--peer needs --vs-peers".into()),
    };
    let mut lineup = Lineup::new(&peers);

    let mut rows: Vec<Row> = Vec::new();
    for &threads in &args.threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| format!("cannot start a pool of {threads} threads: {e}"))?;
        pool.install(|| -> Result<(), String> {
            for &(w, dtype) in &jobs {
                if args.profile {
                    let text = match dtype {
                        Dtype::F32 => profile::<f32>(&w, 50, gemm),
                        Dtype::F64 => profile::<f64>(&w, 50, gemm),
                    };
                    println!("profile {} {dtype}, {threads} thread(s):\n{text}", w.name);
                }
                let mut row = match dtype {
                    Dtype::F32 => measure::<f32>(&w, dtype, plan, gemm),
                    Dtype::F64 => measure::<f64>(&w, dtype, plan, gemm),
                };
                eprintln!(
                    "{} {dtype} {threads} thread(s): ours {:.1} µs, floor {:.1} µs, GEMM bound {:.1} µs",
                    w.name, row.ours_us, row.floor_us, row.gemm_bound_us
                );
                // Right after ours, so that both see the machine in the same state: on a
                // shared host a run minutes apart can find it 1.5× slower.
                row.peers = lineup.run(threads, w.name, dtype.name(), plan.samples, args.quick)?;
                rows.push(row);
            }
            Ok(())
        })?;
    }

    let report = Report::new(lineup.into_infos(), rows);
    print!("{}", format_table(&report));
    let versus = format_versus(&report);
    if !versus.is_empty() {
        print!(
            "\nagainst the peers (µs per step; best ≤T: the fastest peer at up to T threads)\n{versus}"
        );
    }
    if let Some(path) = &args.json {
        write_json_atomic(path, &report)
            .map_err(|e| format!("cannot write the report to {}: {e}", path.display()))?;
    }
    Ok(())
}
