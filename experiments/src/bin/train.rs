//! `train`: one run of any network on any data, with every metric logged and the claims that
//! apply to its architecture checked.

use std::path::PathBuf;
use std::process::ExitCode;

use autodiff::MarginLoss;
use clap::Parser;
use experiments::claims::{self, catalogue};
use experiments::cli::{self, CommonArgs};
use experiments::data;
use experiments::error::RunError;
use experiments::help;
use experiments::metrics::MetricSet;
use experiments::report::summary::Status;
use experiments::runner::budget::Askers;
use experiments::runner::rundir::RunDir;
use experiments::runner::{self, RunOptions, Start, publish};
use experiments::suite::{self, Training};
use experiments::values;
use models::{Arch, Init, StepRule};

const GRAMMAR: &str = "\
Architecture grammar (--arch):
  ARCH  := IN ( ',' LAYER )+ ',' OUT        e.g. 20,relu:100,relu:100,linear:50,1
  LAYER := BODY MARKS
  BODY  := ACT ':' WIDTH [ '+bias' ]        fully-connected layer then activation
                                            ('+bias' only on the first layer)
         | 'res(' ACT ')'                   pre-activation residual block: h ↦ h + U·σ(Y·h)
         | 'resid(' ACT ')'                 the paper's ResNetIdentity: h ↦ σ(U·σ(Y·h) + h)
         | 'resz(' ACT ')'                  residual block, learned skip: h ↦ σ(U·σ(Y·h) + Z·h)
  ACT   := 'relu' | 'linear' | 'leaky(' SLOPE ')'
  OUT   := 1 MARKS (scalar output; margins are y·f(x))
  MARKS := [ '!signs' ] [ '!fixed' ]        on every matrix of the entry: '!signs' starts it
                                            at ±1/√fan_in, half of each sign (whatever
                                            --init-scheme says); '!fixed' never trains it (nor
                                            the first layer's bias), under every step rule;
                                            checkpoints record both
         e.g. 1000,leaky(0.1):50,1!signs!fixed: a two-layer net, output fixed at ±1/√50
";

/// What a failing claim does to the exit status.
const CLAIMS_NOTE: &str = "\
A claim that does not hold is reported as FAILS; the exit status is non-zero only if the run could
not run (bad flag, bad data, bad checkpoint, I/O).
";

/// The help after the flags: the grammars, then the claims judged on each kind of network.
fn after_help() -> String {
    format!(
        "{GRAMMAR}{}\n{CLAIMS_NOTE}\nOn a deep linear network (every layer linear and fully connected):\n{}\nOn any other network:\n{}",
        data::HELP,
        claims::help(catalogue::DEEP_LINEAR),
        claims::help(catalogue::LINEAR_TAIL)
    )
}

/// `--out`'s help: the default folder follows `--name`.
const OUT_HELP: &str =
    "Folder for the run's files [default: runs/NAME, NAME the --name: runs/train]";

/// Train one network on one data set and measure the low-rank phenomenon.
#[derive(Parser, Debug)]
#[command(
    name = "train",
    version,
    after_help = after_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", |a| a.help(OUT_HELP))
)]
struct Cli {
    /// The network (grammar below).
    #[arg(long, default_value = "20,relu:40,linear:20,linear:20,1")]
    arch: Arch,
    /// The data (grammar below).
    #[arg(long, default_value = "gaussian:dim=20,n=200,margin=0.1,seed=0")]
    data: String,
    /// Start from the weights of this safetensors checkpoint (names and shapes as `final.safetensors`).
    #[arg(long, value_name = "FILE.safetensors")]
    init: Option<PathBuf>,
    /// Random initialization when no --init: gaussian:S (N(0, S²/fan_in)), he, xavier, orthogonal:S, signs (±1/√fan_in), zeros.
    #[arg(long, default_value = "gaussian:0.5", conflicts_with = "init")]
    init_scheme: Init,
    /// Loss of the margins.
    #[arg(long, default_value = "logistic", value_parser = values::loss())]
    loss: MarginLoss,
    /// Step rule; adaptive, momentum and adam take their parameters after colons
    /// (adaptive:GROW:SHRINK, momentum:BETA, adam:BETA1:BETA2:EPS).
    #[arg(long, default_value = "grad-normalized", value_parser = values::step_rule())]
    step_rule: StepRule,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Number of steps.
    #[arg(long, default_value_t = 3000)]
    steps: usize,
    /// Name of the run (its default folder is runs/NAME): a plain folder name.
    #[arg(long, default_value = "train", value_parser = cli::folder_name)]
    name: String,
    #[command(flatten)]
    common: CommonArgs,
}

fn run(
    cli: &Cli,
    config: String,
) -> Result<(experiments::report::summary::Summary, RunDir), RunError> {
    if !(cli.lr.is_finite() && cli.lr > 0.0) {
        return Err(RunError::Config(format!(
            "--lr {}: the learning rate must be a positive number",
            cli.lr
        )));
    }
    let data = data::resolve(&cli.data)?;
    let mut common = cli.common.common();
    // A run of the user's own size: the invariance drifts (products growing like width³) only
    // when asked for.
    common.metrics.get_or_insert_with(MetricSet::cheap);
    let start = match &cli.init {
        Some(path) => Start::File(path.clone()),
        None => Start::Random(cli.init_scheme),
    };
    let training = Training {
        loss: cli.loss,
        rule: cli.step_rule,
        lr: cli.lr,
        steps: cli.steps,
    };
    let askers = Askers {
        network: format!("--arch {}", cli.arch),
        data: format!("--data {}", cli.data),
        logs: format!("--steps {} with {}", cli.steps, common.schedule_flag()),
        metrics: format!("--metrics {}", common.metric_set()),
    };
    let s = suite::spec_asked_by(
        &cli.name, &cli.arch, start, &data, training, &common, &askers,
    )?;
    let out = cli.common.out_dir(&cli.name);
    if cli.common.resume.is_some() {
        holds_a_run(&out)?;
    }
    let (summary, _) = cli::with_threads(cli.common.threads, || {
        let options = RunOptions {
            config: Some(config),
            ..common.options()
        };
        runner::execute(&s, &out, &options, catalogue::for_arch(&cli.arch))
    })??;
    Ok((summary, RunDir::at(&out)))
}

/// Checks that `--resume out` names a run: a finished one, or one with a checkpoint.
fn holds_a_run(out: &std::path::Path) -> Result<(), RunError> {
    let finished = RunDir::at(out).summary_json().exists();
    let staging = publish::staging_path(out)
        .map_err(|e| RunError::io(format!("--resume {}", out.display()), e))?;
    let checkpoint = RunDir::at(&staging).training_checkpoint();
    if finished || checkpoint.exists() {
        return Ok(());
    }
    let why = if staging.is_dir() {
        "the run there stopped before its first checkpoint; start it again without --resume"
    } else {
        "there is no run there (no summary.json, no checkpoint)"
    };
    Err(RunError::Config(format!(
        "--resume {}: {why}",
        out.display()
    )))
}

fn main() -> ExitCode {
    let invocation = cli::config::parse::<Cli>();
    let cli = &invocation.args;
    if let Err(e) = cli::catch_signals() {
        eprintln!("{}", experiments::help::error(&e.to_string()));
        return ExitCode::FAILURE;
    }
    match run(cli, invocation.resolved()) {
        Ok((summary, dir)) => {
            let o = &summary.outcome;
            if cli.common.json {
                if let Err(e) = cli::print_json(&dir.summary_json()) {
                    return cli::exit_for(&e, dir.root());
                }
            } else {
                cli::print_claims(&summary.claims);
                experiments::say!(
                    "{:?} after {} steps in {:.2} s ({}).",
                    o.status,
                    o.steps,
                    o.seconds,
                    o.stop_reason
                );
                experiments::say!("report: {}", dir.report_md().display());
            }
            if o.status == Status::Diverged {
                eprintln!(
                    "{}",
                    experiments::help::error(&format!(
                        "the run {} (its files are written; its claims are not judged)",
                        o.stop_reason
                    ))
                );
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => cli::exit_for(&e, &cli.common.out_dir(&cli.name)),
    }
}
