//! `counterexample`: the experiment [`experiments::suite::counterexample`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::counterexample;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = counterexample::NAME,
    version,
    about = help::experiment_about(counterexample::NAME, counterexample::TITLE),
    after_help = counterexample::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(counterexample::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: counterexample::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        counterexample::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| counterexample::run(&cli.config, common, dir),
    )
}
