//! `sweep`: a grid over network family, depth, width, initialization scale, loss, step rule and
//! seed, run in parallel, one summary table; `--shard i/n` and `sweep merge` spread a grid over a
//! cluster's job array.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use autodiff::MarginLoss;
use clap::{Parser, Subcommand};
use experiments::cli::{CommonArgs, create_out_dir, with_threads};
use experiments::data;
use experiments::error::RunError;
use experiments::runner::rundir::RunDir;
use experiments::suite::sweep::{self, Family, Grid, Shard, SweepRow, SweepSettings};
use models::StepRule;

const AFTER_HELP: &str = "\
Each grid point is one run (its own folder with metrics.csv, summary.json, final.safetensors,
report.md and plots); the table (sweep.md, sweep.csv, sweep.json) gives per point the final ln R,
accuracy, the smallest r = σ₁/‖W‖_F over the linear tail, the largest r over ReLU layers, the
smallest alignment in the tail, normalized margin / SVM margin, and the first logged step from which
every tail layer stays above r = 0.99 (the rate claim of Le & Jegelka, ICLR 2022, arXiv:2201.11968:
1 − r² ≤ D/‖W‖_F², so smaller or more balanced initializations and faster norm growth get there
sooner).

Cluster use: run `sweep --shard I/N --out DIR_I` for I = 0..N-1 (e.g. I = $SLURM_ARRAY_TASK_ID),
then `sweep merge DIR_0 … DIR_{N-1} --out DIR`.";

/// Run a grid of training runs and summarize the low-rank metrics in one table.
#[derive(Parser, Debug)]
#[command(name = "sweep", version, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    grid: GridArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Join the tables of several shard folders into one.
    Merge {
        /// The shard folders (each with a sweep.json).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Folder for the merged table.
        #[arg(long, value_name = "DIR", default_value = "runs/sweep")]
        out: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct GridArgs {
    /// Network families: linear (deep linear), relu-tail (a ReLU layer then linear layers).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "linear,relu-tail"
    )]
    families: Vec<Family>,
    /// Depths (number of weight matrices).
    #[arg(long, value_delimiter = ',', default_value = "2,3")]
    depths: Vec<usize>,
    /// Hidden widths.
    #[arg(long, value_delimiter = ',', default_value = "10")]
    widths: Vec<usize>,
    /// Initialization scales s (weights N(0, s²/fan_in)).
    #[arg(long, value_delimiter = ',', default_value = "0.1,1")]
    init_scales: Vec<f64>,
    /// Losses: logistic, exponential, squared.
    #[arg(long, value_delimiter = ',', default_value = "logistic")]
    losses: Vec<MarginLoss>,
    /// Step rules: constant, loss-normalized, grad-normalized, adaptive, momentum, adam.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "grad-normalized,constant"
    )]
    step_rules: Vec<StepRule>,
    /// Seeds.
    #[arg(long, value_delimiter = ',', default_value = "0,1")]
    seeds: Vec<u64>,
    /// The data of every run.
    #[arg(long, default_value = "gaussian:dim=10,n=100,margin=0.1,seed=0")]
    data: String,
    /// Learning rate of every run.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Steps of every run.
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// Run only part I of N of the grid (points whose index is I modulo N; I from 0).
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    shard: Shard,
}

fn run_grid(cli: &Cli) -> Result<bool, RunError> {
    let g = &cli.grid;
    for (name, empty) in [
        ("--depths", g.depths.is_empty()),
        ("--widths", g.widths.is_empty()),
    ] {
        if empty {
            return Err(RunError::Config(format!("{name} needs at least one value")));
        }
    }
    if let Some(d) = g.depths.iter().find(|&&d| d < 2) {
        return Err(RunError::Config(format!(
            "--depths: depth {d} has no hidden layer; use 2 or more"
        )));
    }
    if let Some(s) = g
        .init_scales
        .iter()
        .find(|s| !(s.is_finite() && **s >= 0.0))
    {
        return Err(RunError::Config(format!(
            "--init-scales: {s} is not a non-negative number"
        )));
    }
    let grid = Grid {
        families: g.families.clone(),
        depths: g.depths.clone(),
        widths: g.widths.clone(),
        init_scales: g.init_scales.clone(),
        losses: g.losses.clone(),
        rules: g.step_rules.clone(),
        seeds: g.seeds.clone(),
    };
    let settings = SweepSettings {
        data: data::resolve(&g.data)?,
        lr: g.lr,
        steps: g.steps,
    };
    let dir = create_out_dir(&cli.common.out_dir("sweep"))?;
    let common = cli.common.common();
    let rows = with_threads(cli.common.threads, || {
        sweep::run(&grid, &settings, g.shard, &common, &dir)
    })??;
    Ok(show(&rows, &dir))
}

fn merge(dirs: &[PathBuf], out: &Path) -> Result<bool, RunError> {
    let (rows, notes) = sweep::merge(dirs)?;
    let dir = create_out_dir(out)?;
    sweep::write_tables(
        &dir,
        &rows,
        &format!(
            "Sweep ({} points merged from {} shards)",
            rows.len(),
            dirs.len()
        ),
    )?;
    for note in &notes {
        eprintln!("warning: {note}");
    }
    Ok(show(&rows, &dir))
}

/// Prints the table and where it was written; true when every point ran.
fn show(rows: &[SweepRow], dir: &RunDir) -> bool {
    println!("{}", sweep::table(rows).to_text());
    println!("table: {}", dir.root().join("sweep.md").display());
    rows.iter().all(|r| !r.status.starts_with("error"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Merge { dirs, out }) => merge(dirs, out),
        None => run_grid(&cli),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: some runs failed to run (status `error: …` in the table)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
