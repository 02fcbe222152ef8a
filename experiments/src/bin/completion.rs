//! `completion`: the experiment [`experiments::suite::completion`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::completion;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = completion::NAME,
    version,
    about = help::experiment_about(completion::NAME, completion::TITLE),
    after_help = completion::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(completion::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: completion::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        completion::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| completion::run(&cli.config, common, dir),
    )
}
