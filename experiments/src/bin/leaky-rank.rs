//! `leaky-rank`: the experiment [`experiments::suite::leaky_rank`] at its defaults or with the given flags.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::suite::leaky_rank;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(name = leaky_rank::NAME, version, about = leaky_rank::TITLE, after_help = leaky_rank::claims_help())]
struct Cli {
    #[command(flatten)]
    config: leaky_rank::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        leaky_rank::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| leaky_rank::run(&cli.config, common, dir),
    )
}
