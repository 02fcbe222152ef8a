//! `digits`: the experiment [`experiments::suite::digits`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::digits;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = digits::NAME,
    version,
    about = help::experiment_about(digits::NAME, digits::TITLE),
    after_help = digits::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(digits::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: digits::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        digits::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| digits::run(&cli.config, common, dir),
    )
}
