//! `residual`: the experiment [`experiments::suite::residual`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::config;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::suite::residual;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(name = residual::NAME, version, about = residual::TITLE, after_help = residual::claims_help())]
struct Cli {
    #[command(flatten)]
    config: residual::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let invocation = config::parse::<Cli>();
    let cli = &invocation.args;
    experiment_main(
        residual::NAME,
        &cli.common,
        &invocation.resolved(),
        |common, dir| residual::run(&cli.config, common, dir),
    )
}
