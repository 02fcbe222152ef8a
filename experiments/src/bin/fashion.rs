//! `fashion`: the research-scale experiment [`experiments::suite::fashion`] (two classes of
//! Fashion-MNIST, width 512) at its defaults or with the given flags. Not part of `lowrank`: it
//! takes minutes, not seconds.

use std::process::ExitCode;

use clap::Parser;
use experiments::cli::{CommonArgs, experiment_main};
use experiments::help;
use experiments::suite::fashion;

/// Command line of the experiment.
#[derive(Parser, Debug)]
#[command(
    name = fashion::NAME,
    version,
    about = help::experiment_about(fashion::NAME, fashion::TITLE),
    after_help = fashion::claims_help(),
    max_term_width = help::HELP_WIDTH,
    mut_arg("out", help::out_default(fashion::NAME))
)]
// f32 by default: the default run ends at ln R = −34.9 with margins near 26, well inside f32's
// range (ln R itself is tracked in the log domain), and f32 products cost half of f64's.
#[command(mut_arg("dtype", |a| a.default_value("f32")))]
struct Cli {
    #[command(flatten)]
    config: fashion::Config,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    experiment_main(
        fashion::NAME,
        |cli: &Cli| &cli.common,
        |cli, common, dir| fashion::run(&cli.config, common, dir),
    )
}
