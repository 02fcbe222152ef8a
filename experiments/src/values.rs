//! Value parsers for the flags that name one of a fixed set of things (a loss, a step rule, a
//! dtype, metric families): `--help` lists the names as `[possible values: …]` and a bad value's
//! error lists them again. The names come from the types themselves, in their own crates, which
//! know nothing of clap.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::str::FromStr;

use autodiff::MarginLoss;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Arg, Command};
use models::StepRule;

use crate::metrics::MetricSet;
use crate::runner::Dtype;

/// Parses a `T` whose text starts with one of `names`: the whole value (`adam`), a name with
/// parameters after colons (`adam:0.9:0.999:1e-8`), or, for a list, comma-separated such items.
/// A value naming none of them fails with clap's list of the names; the rest is `T::from_str`.
#[derive(Clone, Debug)]
pub struct Names<T> {
    names: Vec<&'static str>,
    list: bool,
    value: PhantomData<fn() -> T>,
}

impl<T> Names<T> {
    /// One item.
    pub fn one(names: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            names: names.into_iter().collect(),
            list: false,
            value: PhantomData,
        }
    }

    /// A comma-separated list of items, parsed as a whole by `T`.
    pub fn list(names: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            list: true,
            ..Self::one(names)
        }
    }

    /// The items of `text`, each without its parameters.
    fn items<'a>(&self, text: &'a str) -> Vec<(&'a str, &'a str)> {
        let items: Vec<&str> = if self.list {
            text.split(',').map(str::trim).collect()
        } else {
            vec![text]
        };
        items
            .into_iter()
            .map(|item| (item, item.split(':').next().unwrap_or_default()))
            .collect()
    }
}

impl<T> TypedValueParser for Names<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Value = T;

    fn parse_ref(&self, cmd: &Command, arg: Option<&Arg>, value: &OsStr) -> Result<T, clap::Error> {
        if let Some(text) = value.to_str() {
            for (item, name) in self.items(text) {
                if !self.names.contains(&name) {
                    PossibleValuesParser::new(self.names.clone()).parse_ref(
                        cmd,
                        arg,
                        OsStr::new(item),
                    )?;
                }
            }
        }
        let parse = |s: &str| s.parse::<T>();
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().map(|&n| PossibleValue::new(n))))
    }
}

/// `--loss`, `--losses`: a margin loss.
pub fn loss() -> Names<MarginLoss> {
    Names::one(MarginLoss::ALL.map(MarginLoss::name))
}

/// `--step-rule`, `--step-rules`: a step rule, with its parameters after colons if not the
/// defaults.
pub fn step_rule() -> Names<StepRule> {
    Names::one(StepRule::NAMES)
}

/// `--dtype`: the floating-point type.
pub fn dtype() -> Names<Dtype> {
    Names::one(Dtype::ALL.map(Dtype::name))
}

/// `--metrics`: a comma-separated list of metric families and sets.
pub fn metric_set() -> Names<MetricSet> {
    Names::list(MetricSet::names())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[arg(long, value_parser = loss())]
        loss: Option<MarginLoss>,
        #[arg(long, value_parser = step_rule(), value_delimiter = ',')]
        rules: Vec<StepRule>,
        #[arg(long, value_parser = dtype())]
        dtype: Option<Dtype>,
        #[arg(long, value_parser = metric_set())]
        metrics: Option<MetricSet>,
    }

    fn error(args: &[&str]) -> String {
        let argv = std::iter::once("x").chain(args.iter().copied());
        Cli::try_parse_from(argv).unwrap_err().to_string()
    }

    #[test]
    fn every_name_parses_and_round_trips() {
        for name in loss().names {
            let cli = Cli::parse_from(["x", "--loss", name]);
            assert_eq!(cli.loss.unwrap().to_string(), name);
        }
        for name in StepRule::NAMES {
            let cli = Cli::parse_from(["x", "--rules", name]);
            assert_eq!(cli.rules[0].to_string(), name);
        }
        for name in dtype().names {
            let cli = Cli::parse_from(["x", "--dtype", name]);
            assert_eq!(cli.dtype.unwrap().to_string(), name);
        }
        for name in MetricSet::names() {
            let cli = Cli::parse_from(["x", "--metrics", name]);
            assert_eq!(cli.metrics.unwrap(), name.parse::<MetricSet>().unwrap());
        }
    }

    #[test]
    fn parameters_and_lists_parse() {
        let cli = Cli::parse_from(["x", "--rules", "adam:0.8:0.99:0.001,constant"]);
        assert_eq!(cli.rules.len(), 2);
        assert_eq!(cli.rules[0].to_string(), "adam:0.8:0.99:0.001");
        assert_eq!(cli.rules[1], StepRule::Constant);
        let cli = Cli::parse_from(["x", "--metrics", "margin, spectral"]);
        assert_eq!(cli.metrics.unwrap().to_string(), "margin,spectral");
    }

    #[test]
    fn help_lists_the_possible_values() {
        use clap::CommandFactory;
        let help = Cli::command().render_help().to_string();
        for list in [
            "[possible values: logistic, exponential, squared]",
            "[possible values: constant, loss-normalized, grad-normalized, adaptive, momentum, adam]",
            "[possible values: f32, f64]",
            "[possible values: margin, spectral, alignment, invariance, activity, flips, \
             full-spectrum, direction, all, default, none]",
        ] {
            let flat: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(list), "{list} not in\n{help}");
        }
    }

    #[test]
    fn a_bad_name_lists_the_names() {
        let e = error(&["--loss", "hinge"]);
        assert!(
            e.contains("invalid value 'hinge' for '--loss <LOSS>'")
                && e.contains("[possible values: logistic, exponential, squared]"),
            "{e}"
        );
        let e = error(&["--rules", "constant,sgd:1"]);
        assert!(
            e.contains("invalid value 'sgd:1'") && e.contains("possible values: constant,"),
            "{e}"
        );
        let e = error(&["--metrics", "margin,spectrum"]);
        assert!(
            e.contains("invalid value 'spectrum'") && e.contains("margin, spectral"),
            "{e}"
        );
        let e = error(&["--dtype", "f16"]);
        assert!(e.contains("[possible values: f32, f64]"), "{e}");
    }

    #[test]
    fn bad_parameters_say_what_is_wrong() {
        let e = error(&["--rules", "momentum:1"]);
        assert!(
            e.contains("invalid value 'momentum:1' for '--rules <RULES>'")
                && e.contains("beta must be in [0, 1)"),
            "{e}"
        );
    }
}
