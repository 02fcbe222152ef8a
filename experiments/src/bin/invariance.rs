//! `invariance`: the experiment [`experiments::suite::invariance`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::invariance;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = invariance::NAME,
    version,
    about = help::experiment_about(invariance::NAME, invariance::TITLE),
    after_help = invariance::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(invariance::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: invariance::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        invariance::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| invariance::run(&cli.config, common, dir),
    )
}
