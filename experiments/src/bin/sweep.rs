//! `sweep`: a grid over network family, depth, width, initialization scale, loss, step rule and
//! seed, run in parallel, one summary table; `--shard i/n` and `sweep merge` spread a grid over a
//! cluster's job array.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use autodiff::MarginLoss;
use clap::{Args, CommandFactory, Parser, Subcommand};
use experiments::claims;
use experiments::cli::config::{self, Invocation};
use experiments::cli::{self, CommonArgs, create_out_dir, with_threads};
use experiments::data;
use experiments::error::RunError;
use experiments::help;
use experiments::runner::Resume;
use experiments::runner::budget::Askers;
use experiments::runner::rundir::RunDir;
use experiments::suite::slurm::ArrayJob;
use experiments::suite::sweep::{self, Family, Grid, Shard, SweepRow, SweepSettings};
use experiments::suite::{self, Common, Training};
use experiments::values;
use models::StepRule;

const TABLE_HELP: &str = "\
Each grid point is one run (its own folder with metrics.csv, summary.json, final.safetensors,
report.md and plots); the table (sweep.md, sweep.csv, sweep.json) gives per point the final ln R,
the accuracy, each claim below with its value and verdict (premises first; a claim whose premise
fails is not applicable), and the first logged step from which every hidden layer of the tail stays
rank one (1 − r² ≤ D/‖W‖_F²: smaller or more balanced initializations and faster norm growth get
there sooner).

A rerun into the same --out keeps the points that finished with the same settings and continues
interrupted ones from their checkpoints (--fresh recomputes everything). On SIGTERM or SIGUSR1
the running points write their checkpoints and the sweep exits with status 75.

Cluster use: run `sweep --shard I/N --out DIR_I` for I = 0..N-1; without --shard, a Slurm array
task takes I = $SLURM_ARRAY_TASK_ID and N = $SLURM_ARRAY_TASK_COUNT. Then
`sweep merge DIR_0 … DIR_{N-1} --out DIR`, which fails naming the missing points unless
--allow-partial. Every value of an axis must be distinct (a point twice would race on its
folder).";

/// The help after the flags: the table, cluster use, the data grammar, and the claims of every
/// point.
fn after_help() -> String {
    format!(
        "{TABLE_HELP}\n\n{}\n{}",
        data::HELP,
        claims::help(sweep::CLAIMS)
    )
}

/// Run a grid of training runs and summarize the low-rank metrics in one table.
#[derive(Parser, Debug)]
#[command(
    name = "sweep",
    version,
    after_help = after_help(),
    args_conflicts_with_subcommands = true,
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default("sweep"))
)]
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
        /// Write the table even when points are missing (they are still listed, as warnings).
        #[arg(long)]
        allow_partial: bool,
    },
    /// Write a Slurm job array that runs the grid (the same flags as a sweep) in shards, and a
    /// merge job that joins their tables once every task has succeeded.
    #[command(mut_arg("out", help::out_default("sweep")))]
    Slurm(Box<SlurmArgs>),
}

#[derive(clap::Args, Debug)]
struct SlurmArgs {
    #[command(flatten)]
    grid: GridArgs,
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    job: JobArgs,
}

/// What the job array asks Slurm for.
#[derive(clap::Args, Debug)]
struct JobArgs {
    /// Array tasks, each a shard of the grid [default: one per point]
    #[arg(long, value_name = "N")]
    tasks: Option<usize>,
    /// At most K tasks at once (the array's %K) [default: all]
    #[arg(long, value_name = "K")]
    max_running: Option<usize>,
    /// Time limit of each attempt of a task, in Slurm's format (minutes, HH:MM:SS, D-HH:MM:SS…);
    /// before it a task writes its checkpoints and requeues itself.
    #[arg(long, default_value = "1:00:00")]
    time: String,
    /// Seconds before the time limit at which a task checkpoints and requeues (Slurm may signal
    /// up to a minute earlier).
    #[arg(long, value_name = "S", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    signal_seconds: u32,
    /// CPUs per task: the sweep's --threads, unless that is given.
    #[arg(long, value_name = "C", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    cpus_per_task: u16,
    /// The partition of both jobs.
    #[arg(long)]
    partition: Option<String>,
    /// The account of both jobs.
    #[arg(long)]
    account: Option<String>,
    /// The array's job name (the merge job's is NAME-merge).
    #[arg(long, value_name = "NAME", default_value = "lowrank-sweep")]
    job_name: String,
    /// A further #SBATCH option for both jobs, e.g. --sbatch=--mem=4G (repeatable).
    #[arg(long, value_name = "OPTION", allow_hyphen_values = true)]
    sbatch: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct GridArgs {
    /// Network families.
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
    /// Losses.
    #[arg(long, value_delimiter = ',', default_value = "logistic", value_parser = values::loss())]
    losses: Vec<MarginLoss>,
    /// Step rules, each with its parameters after colons if not the defaults (as train's
    /// --step-rule).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "grad-normalized,constant",
        value_parser = values::step_rule()
    )]
    step_rules: Vec<StepRule>,
    /// Seeds.
    #[arg(long, value_delimiter = ',', default_value = "0,1")]
    seeds: Vec<u64>,
    /// The data of every run (grammar below).
    #[arg(long, default_value = "gaussian:dim=10,n=100,margin=0.1,seed=0")]
    data: String,
    /// Learning rate of every run.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Steps of every run.
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// Recompute every point. Without it a rerun keeps the points that finished with the same
    /// settings and continues the interrupted ones from their checkpoints.
    #[arg(long)]
    fresh: bool,
    /// Run only part I of N of the grid (points whose index is I modulo N; I from 0). Default:
    /// the Slurm array task ($SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT), else the whole grid.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
}

/// The shard to run: `--shard`, else the Slurm array task's, else the whole grid.
fn shard(flag: Option<Shard>) -> Result<Shard, RunError> {
    if let Some(shard) = flag {
        return Ok(shard);
    }
    let var = |name: &str| std::env::var(name).ok();
    match (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
        (Some(id), Some(count)) => format!("{id}/{count}").parse().map_err(|e: String| {
            RunError::Config(format!(
                "SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_COUNT={count}: {e} (the array must be 0-(N-1), or pass --shard)"
            ))
        }),
        (Some(id), None) => Err(RunError::Config(format!(
            "SLURM_ARRAY_TASK_ID={id} is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard I/N"
        ))),
        _ => Ok(Shard { index: 0, count: 1 }),
    }
}

/// The first value that `values` holds twice, as text.
fn repeated<T: PartialEq + std::fmt::Display>(values: &[T]) -> Option<String> {
    values
        .iter()
        .enumerate()
        .find(|(i, v)| values[..*i].contains(v))
        .map(|(_, v)| v.to_string())
}

/// The grid and the fixed settings the flags give, checked: distinct values on every axis, no
/// `--seed`, depths of 2 or more, scales that are numbers.
fn checked(g: &GridArgs, seed_given: bool) -> Result<(Grid, SweepSettings), RunError> {
    if seed_given {
        return Err(RunError::Config(
            "--seed does not apply to a sweep: give its seeds with --seeds (e.g. --seeds 5)".into(),
        ));
    }
    let families: Vec<&str> = g.families.iter().map(|f| f.name()).collect();
    for (name, twice) in [
        ("--families", repeated(&families)),
        ("--depths", repeated(&g.depths)),
        ("--widths", repeated(&g.widths)),
        ("--init-scales", repeated(&g.init_scales)),
        ("--losses", repeated(&g.losses)),
        ("--step-rules", repeated(&g.step_rules)),
        ("--seeds", repeated(&g.seeds)),
    ] {
        if let Some(v) = twice {
            return Err(RunError::Config(format!(
                "{name}: `{v}` appears twice; every grid point must be distinct"
            )));
        }
    }
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
    Ok((grid, settings))
}

/// Checks, before the sweep's folder is created, that each point of the grid fits in the
/// memory, naming its depth and width flags and the point.
fn points_fit(grid: &Grid, settings: &SweepSettings, common: &Common) -> Result<(), RunError> {
    for point in grid.points() {
        let arch = point
            .family
            .arch(settings.data.dim, point.depth, point.width);
        let rule: StepRule = point.rule.parse().map_err(|e| {
            RunError::Config(format!("sweep point {}: step rule: {e}", point.name()))
        })?;
        // The loss does not change the size.
        let training = Training::logistic(rule, settings.lr, settings.steps);
        let name = point.name();
        let askers = Askers {
            network: format!(
                "--depths {} --widths {} (point {name}, network `{arch}`)",
                point.depth, point.width
            ),
            data: format!("--data {}", settings.data.name),
            logs: format!("--steps {} with {}", settings.steps, common.schedule_flag()),
            metrics: format!("--metrics {}", common.metric_set()),
        };
        suite::fits(&arch, &settings.data, &training, common, &askers)?;
    }
    Ok(())
}

fn run_grid(invocation: &Invocation<Cli>) -> Result<bool, RunError> {
    let cli = &invocation.args;
    let g = &cli.grid;
    let (grid, settings) = checked(g, invocation.given("seed"))?;
    let shard = shard(g.shard)?;
    cli.common.check_resume()?;
    let mut common = cli.common.common();
    points_fit(&grid, &settings, &common)?;
    let dir = create_out_dir(&cli.common.out_dir("sweep"))?;
    // A sweep's seeds are --seeds; its --seed, refused when given, is not part of it.
    cli::write_config(&dir, &invocation.resolved_without(&["seed"]))?;
    if common.durability.resume == Resume::Fresh && !g.fresh {
        common.durability.resume = Resume::IfSame;
    }
    let rows = with_threads(cli.common.threads, || {
        sweep::run(&grid, &settings, shard, &common, &dir)
    })??;
    if cli.common.json {
        cli::print_json(&dir.root().join("sweep.json"))?;
        return Ok(rows.iter().all(|r| !r.status.starts_with("error")));
    }
    Ok(show(&rows, &dir))
}

/// The sweep flags given on `sweep slurm`'s command line, each as one `--name=value` word (so
/// the tasks run exactly the grid checked here), without the array's own flags and the ones
/// the array decides (`--out`, `--shard`).
fn forwarded(invocation: &Invocation<Cli>) -> Result<Vec<String>, RunError> {
    let matches = invocation
        .matches
        .subcommand_matches("slurm")
        .expect("the slurm subcommand was given");
    let own = JobArgs::augment_args(clap::Command::new("job"));
    let skip = |id: &str| {
        ["out", "shard", "resume"].contains(&id) || own.get_arguments().any(|a| a.get_id() == id)
    };
    let command = Cli::command();
    let slurm = command
        .find_subcommand("slurm")
        .expect("sweep has a slurm subcommand");
    let mut words = Vec::new();
    for arg in slurm.get_arguments() {
        let id = arg.get_id().as_str();
        if skip(id) || !invocation.given(id) {
            continue;
        }
        let Some(long) = arg.get_long() else { continue };
        if !arg.get_action().takes_values() {
            words.push(format!("--{long}"));
            continue;
        }
        let values = matches
            .get_raw(id)
            .into_iter()
            .flatten()
            .map(|v| {
                v.to_str().map(str::to_owned).ok_or_else(|| {
                    RunError::Config(format!("--{long}: `{}` is not UTF-8", v.display()))
                })
            })
            .collect::<Result<Vec<String>, _>>()?;
        match arg.get_value_delimiter() {
            Some(d) => words.push(format!("--{long}={}", values.join(&d.to_string()))),
            None => words.extend(values.iter().map(|v| format!("--{long}={v}"))),
        }
    }
    Ok(words)
}

fn slurm(invocation: &Invocation<Cli>, args: &SlurmArgs) -> Result<bool, RunError> {
    let SlurmArgs { grid, common, job } = args;
    let refuse = |e: &str| Err(RunError::Config(e.into()));
    if common.resume.is_some() {
        return refuse(
            "--resume does not apply to `sweep slurm`: a requeued task continues by itself (to go on after a failure, submit the same sweep into the same --out)",
        );
    }
    if grid.shard.is_some() {
        return refuse(
            "--shard does not apply to `sweep slurm`: the array's tasks are the shards (see --tasks)",
        );
    }
    if grid.fresh {
        return refuse(
            "--fresh does not apply to `sweep slurm`: a requeued task would start its points again (remove the old --out folder instead)",
        );
    }
    let seed_given = invocation.given("seed");
    let (points, _) = checked(grid, seed_given)?;
    let points = points.points().len();
    let out_flag = common.out_dir("sweep");
    let out = std::path::absolute(&out_flag)
        .map_err(|e| RunError::io(format!("--out {}", out_flag.display()), e))?;
    let binary = std::env::current_exe()
        .map_err(|e| RunError::io("finding the sweep binary".to_string(), e))?;
    let tasks = job.tasks.unwrap_or(points);
    let mut options: Vec<String> = [("partition", &job.partition), ("account", &job.account)]
        .into_iter()
        .filter_map(|(name, v)| v.as_ref().map(|v| format!("--{name}={v}")))
        .collect();
    options.extend(job.sbatch.iter().cloned());
    let array = ArrayJob {
        binary,
        flags: forwarded(invocation)?,
        out,
        points,
        tasks,
        max_running: job.max_running.unwrap_or(tasks).min(tasks),
        time: job.time.clone(),
        signal_seconds: job.signal_seconds,
        cpus_per_task: job.cpus_per_task,
        job_name: job.job_name.clone(),
        options,
    };
    let submit = array.write()?;
    experiments::say!(
        "a job array of {tasks} tasks over {points} points and its merge job: {}",
        submit.with_file_name("").display()
    );
    experiments::say!("submit with: {}", submit.display());
    Ok(true)
}

fn merge(dirs: &[PathBuf], out: &Path, allow_partial: bool) -> Result<bool, RunError> {
    let merged = sweep::merge(dirs)?;
    if !merged.is_complete() && !allow_partial {
        let missing: Vec<String> = merged.missing.iter().map(usize::to_string).collect();
        let mut problems = merged.notes.clone();
        if !missing.is_empty() {
            problems.insert(0, format!("points missing: {}", missing.join(", ")));
        }
        return Err(RunError::Config(format!(
            "sweep merge: the shards do not make up the whole grid ({}); nothing written (--allow-partial writes what there is)",
            problems.join("; ")
        )));
    }
    let dir = create_out_dir(out)?;
    sweep::write_tables(
        &dir,
        &merged.rows,
        &format!(
            "Sweep ({} points merged from {} shards)",
            merged.rows.len(),
            dirs.len()
        ),
    )?;
    if !merged.missing.is_empty() {
        let missing: Vec<String> = merged.missing.iter().map(usize::to_string).collect();
        let warning = format!("warning: points missing: {}", missing.join(", "));
        eprintln!("{}", help::wrap(&warning));
    }
    for note in &merged.notes {
        eprintln!("{}", help::wrap(&format!("warning: {note}")));
    }
    Ok(show(&merged.rows, &dir))
}

/// Prints the table and where it was written; true when every point ran.
fn show(rows: &[SweepRow], dir: &RunDir) -> bool {
    experiments::say!("{}", sweep::printed_table(rows).to_text());
    experiments::say!("table: {}", dir.root().join("sweep.md").display());
    rows.iter().all(|r| !r.status.starts_with("error"))
}

fn main() -> ExitCode {
    let invocation = config::parse::<Cli>();
    let cli = &invocation.args;
    if let Err(e) = cli::catch_signals() {
        eprintln!("{}", help::error(&e.to_string()));
        return ExitCode::FAILURE;
    }
    let result = match &cli.command {
        Some(Command::Merge {
            dirs,
            out,
            allow_partial,
        }) => merge(dirs, out, *allow_partial),
        Some(Command::Slurm(args)) => slurm(&invocation, args),
        None => run_grid(&invocation),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: some runs failed to run (status `error: …` in the table)");
            ExitCode::FAILURE
        }
        Err(e) => cli::exit_for(&e, &cli.common.out_dir("sweep")),
    }
}
