//! The form of every binary's `--help`: lines at most [`HELP_WIDTH`] columns, an about line that
//! is one imperative sentence, and `--out` naming the binary's own default folder.

use clap::Arg;

use crate::runner::rundir::RunDir;

/// The widest line of any binary's `--help`, whatever the terminal (clap's `max_term_width`).
pub const HELP_WIDTH: usize = 100;

/// The verbs the about lines start with: each says what the binary does, in the imperative.
pub const ABOUT_VERBS: &[&str] = &["Run", "Train", "Fuzz", "Measure", "Time"];

/// The about line of an experiment binary, in the form every binary's has
/// (`Run the digits experiment (…)`).
pub fn experiment_about(name: &str, title: &str) -> String {
    format!("Run the {name} experiment ({title})")
}

/// Gives `--out` the help naming its default, `runs/<name>` (for `#[command(mut_arg("out",
/// …))]`: the flag is [`crate::cli::CommonArgs`]'s, shared, and the default is the binary's).
pub fn out_default(name: &str) -> impl FnOnce(Arg) -> Arg {
    let help = format!(
        "Folder for the run's files [default: {}]",
        RunDir::default_path(name).display()
    );
    move |arg| arg.help(help)
}

/// What is wrong with the text of a `--help`, one sentence per problem (none when it is in
/// form): a line wider than [`HELP_WIDTH`] characters, or an about line (the first paragraph)
/// that does not start with one of [`ABOUT_VERBS`] or ends with a period.
pub fn help_problems(help: &str) -> Vec<String> {
    let mut problems: Vec<String> = help
        .lines()
        .filter(|line| line.chars().count() > HELP_WIDTH)
        .map(|line| {
            format!(
                "a line of {} characters (more than {HELP_WIDTH}): {line}",
                line.chars().count()
            )
        })
        .collect();
    let about = help
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let verb = about.split(' ').next().unwrap_or_default();
    if !ABOUT_VERBS.contains(&verb) {
        problems.push(format!(
            "the about line does not start with one of {}: {about}",
            ABOUT_VERBS.join(", ")
        ));
    }
    if about.ends_with('.') {
        problems.push(format!("the about line ends with a period: {about}"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_named() {
        assert!(help_problems("Run it (a test)\n\nUsage: x\n").is_empty());
        let wide = format!("Train it\n\n{}\n", "é".repeat(101));
        let p = help_problems(&wide);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("a line of 101 characters"), "{p:?}");
        assert!(
            help_problems(&"é".repeat(100)).len() == 1,
            "chars, not bytes"
        );
        let p = help_problems("Times the steps.\n\nUsage: x\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("does not start with one of Run,"), "{p:?}");
        assert!(p[1].contains("ends with a period"), "{p:?}");
    }
}
