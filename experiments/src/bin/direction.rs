//! `direction`: the experiment [`experiments::suite::direction`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::suite::direction;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(name = direction::NAME, version, about = direction::TITLE, after_help = direction::claims_help())]
struct Cli {
    #[command(flatten)]
    config: direction::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        direction::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| direction::run(&cli.config, common, dir),
    )
}
