//! `residual`: the experiment [`experiments::suite::residual`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::residual;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = residual::NAME,
    version,
    about = help::experiment_about(residual::NAME, residual::TITLE),
    after_help = residual::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(residual::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: residual::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        residual::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| residual::run(&cli.config, common, dir),
    )
}
