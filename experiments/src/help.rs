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

/// `message` broken at spaces into lines of at most [`HELP_WIDTH`] characters, the later ones
/// indented by two spaces, for warnings on stderr (a word longer than a line keeps a line of its
/// own rather than being cut: a path stays whole).
pub fn wrap(message: &str) -> String {
    wrap_to(message, HELP_WIDTH)
}

/// [`wrap`] at `width` characters.
fn wrap_to(message: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in message.split_whitespace() {
        let used = line.chars().count();
        if used > 0 && used + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, "  ".to_string()));
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// `text` with every run of whitespace made one space: the words of a message whatever lines
/// [`wrap`] or [`error`] broke it into, for matching it against its words.
pub fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `error: {message}` as the binaries print it on stderr: each line of the message that is
/// wider than [`HELP_WIDTH`] broken at spaces as [`wrap`] breaks a warning (under its own
/// indentation), the others as they are, so a message laid out in lines keeps its layout.
pub fn error(message: &str) -> String {
    format!("error: {message}")
        .lines()
        .map(|line| {
            if line.chars().count() <= HELP_WIDTH {
                return line.to_string();
            }
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            let width = HELP_WIDTH.saturating_sub(indent.chars().count()).max(20);
            wrap_to(line, width)
                .lines()
                .map(|l| format!("{indent}{l}"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
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
    fn errors_wrap_their_long_lines_and_keep_their_layout() {
        let path = format!("/tmp/{}/data.csv", "d".repeat(40));
        let long = format!("reading {path}: the file holds no example; ").repeat(3);
        let message = format!("{long}\n  - lr: 0.1 against 0.2\n    {long}");
        let printed = error(&message);
        for line in printed.lines() {
            assert!(line.chars().count() <= HELP_WIDTH, "{line}");
        }
        // Short lines as they were, every word kept in order, the indentation under its line.
        assert!(printed.contains("\n  - lr: 0.1 against 0.2\n    reading"));
        assert_eq!(flatten(&printed), flatten(&format!("error: {message}")));
        assert!(
            printed.lines().any(|l| l.contains(&path)),
            "a path stays whole"
        );
        assert_eq!(error("short"), "error: short");
    }

    #[test]
    fn warnings_wrap_at_the_width() {
        let words = "ab ".repeat(60) + &"x".repeat(120) + " é";
        let wrapped = wrap(&words);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert_eq!(lines[0], "ab ".repeat(33).trim_end());
        assert_eq!(lines[1], format!("  {}", "ab ".repeat(27).trim_end()));
        assert_eq!(lines[2], format!("  {}", "x".repeat(120)));
        assert_eq!(lines[3], "  é");
        assert_eq!(lines.len(), 4);
        assert_eq!(wrap("short warning"), "short warning");
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            words.split_whitespace().collect::<Vec<_>>()
        );
    }

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
