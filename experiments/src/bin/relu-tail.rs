//! `relu-tail`: the experiment [`experiments::suite::relu_tail`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::relu_tail;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = relu_tail::NAME,
    version,
    about = help::experiment_about(relu_tail::NAME, relu_tail::TITLE),
    after_help = relu_tail::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(relu_tail::NAME))
)]
struct Cli {
    #[command(flatten)]
    config: relu_tail::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        relu_tail::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| relu_tail::run(&cli.config, common, dir),
    )
}
