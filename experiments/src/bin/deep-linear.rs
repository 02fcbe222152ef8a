//! `deep-linear`: the experiment [`experiments::suite::deep_linear`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::deep_linear;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = deep_linear::NAME,
    version,
    about = help::experiment_about(deep_linear::NAME, deep_linear::TITLE),
    after_help = deep_linear::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(deep_linear::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: deep_linear::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        deep_linear::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| deep_linear::run(&cli.config, common, dir),
    )
}
