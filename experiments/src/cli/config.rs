//! Configuration files: `--config FILE.toml` gives a binary's flags from a file, and every
//! invocation writes the configuration it resolved as `config.toml`, which `--config` reads back
//! to reproduce it.
//!
//! The file's keys are the long flags without their dashes (`step-rule`, or `step_rule`), its
//! values those the flags take: strings, numbers, `true` for a switch, and arrays for the flags
//! that take lists (`seeds = [0, 1, 2]`, or the flag's own `"0,1,2"`):
//!
//! ```toml
//! arch = "20,relu:40,linear:20,linear:20,1"
//! step-rule = "adam"
//! lr = 0.01
//! steps = 500
//! ```
//!
//! The command line overrides the file: a flag given on both takes the command line's value, and
//! a key that conflicts with a flag given on the command line (`log-every` in the file,
//! `--log-per-decade` on the line) is dropped. Each value is checked by the flag's own parser,
//! and an error names the file and the key.
//!
//! The file's values become the flags' defaults before the command line is parsed, so clap's
//! own rules (overriding, conflicts, value parsing) apply unchanged; [`Invocation::given`] tells
//! the values the user gave, on the line or in the file, from the built-in defaults.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, Parser};

/// The flag that names a configuration file.
pub const FLAG: &str = "config";

/// The name every invocation gives its resolved configuration, in its folder.
pub const FILE_NAME: &str = "config.toml";

/// Flags that say how to show or where to put a run, not what it computes; the resolved
/// configuration leaves them out, so that `--config runs/X/config.toml` starts a fresh run
/// wherever it is told to rather than resuming or overwriting the one it came from.
const NOT_RECORDED: [&str; 5] = [FLAG, "out", "resume", "quiet", "json"];

/// The largest configuration file read: far above any real one, and a bound on what a wrong
/// path (a data file, a device) makes the binary read.
const MAX_BYTES: u64 = 1 << 20;

/// A parsed command line with the configuration file it named, if any.
#[derive(Debug)]
pub struct Invocation<C> {
    /// The parsed flags.
    pub args: C,
    /// What clap matched, the file's values included (as defaults).
    pub matches: ArgMatches,
    /// The subcommand the line names (`slurm` in `sweep slurm …`), if any.
    pub subcommand: Option<String>,
    /// The ids of the flags whose value came from the configuration file.
    pub from_file: BTreeSet<String>,
    /// The binary's command as declared (setting defaults reorders its flags; the resolved
    /// configuration lists them in their declared order).
    command: Command,
}

/// Parses the command line of `C` with its `--config` file, exiting with clap's usage status
/// and message on any error (a bad flag, an unreadable file, a bad key or value), as
/// [`Parser::parse`] does.
pub fn parse<C: Parser>() -> Invocation<C> {
    parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
}

/// [`parse`] of the words `line` (the binary's name first).
pub fn parse_from<C: Parser>(
    line: impl IntoIterator<Item = impl Into<OsString>>,
) -> Result<Invocation<C>, clap::Error> {
    let line: Vec<OsString> = line.into_iter().map(Into::into).collect();
    let plain = C::command().try_get_matches_from(&line)?;
    let (subcommand, plain_sub) = match plain.subcommand() {
        Some((name, sub)) => (Some(name.to_string()), sub),
        None => (None, &plain),
    };
    let file = plain_sub
        .try_get_one::<PathBuf>(FLAG)
        .ok()
        .flatten()
        .cloned();
    let pristine = C::command();
    let mut command = pristine.clone();
    let mut from_file = BTreeSet::new();
    if let Some(file) = &file {
        let target = target(&command, subcommand.as_deref());
        let on_line: Vec<&str> = target
            .get_arguments()
            .filter(|a| {
                plain_sub.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
            })
            .map(|a| a.get_id().as_str())
            .collect();
        let values = read(file, target, &on_line)?;
        from_file = values.iter().map(|(id, _)| id.clone()).collect();
        command = with_defaults(command, subcommand.as_deref(), values);
    }
    let matches = command.clone().try_get_matches_from(&line)?;
    let args = C::from_arg_matches(&matches).map_err(|e| e.with_cmd(&command))?;
    Ok(Invocation {
        args,
        matches,
        subcommand,
        from_file,
        command: pristine,
    })
}

/// The command whose flags the file gives: the subcommand named on the line, else the binary's.
fn target<'a>(command: &'a Command, subcommand: Option<&str>) -> &'a Command {
    subcommand
        .and_then(|name| command.find_subcommand(name))
        .unwrap_or(command)
}

/// `command` with the file's `values` as the defaults of their flags (in `subcommand`'s flags
/// when one is named).
fn with_defaults(
    command: Command,
    subcommand: Option<&str>,
    values: Vec<(String, Vec<String>)>,
) -> Command {
    let set = |mut command: Command| {
        for (id, words) in &values {
            let words = words.clone();
            command = command.mut_arg(id, |arg| arg.default_values(words));
        }
        command
    };
    match subcommand {
        Some(name) => command.mut_subcommand(name, set),
        None => set(command),
    }
}

/// An error about the configuration `file`, as clap reports a bad flag.
fn error(command: &Command, file: &Path, problem: impl std::fmt::Display) -> clap::Error {
    clap::Error::raw(
        ErrorKind::InvalidValue,
        format!("--config {}: {problem}\n", file.display()),
    )
    .with_cmd(command)
}

/// Reads the configuration `file` of `command`: each key's flag id and its values as command-line
/// words, checked by the flag's parser, without the keys that conflict with `on_line` (the ids
/// the command line gives).
fn read(
    file: &Path,
    command: &Command,
    on_line: &[&str],
) -> Result<Vec<(String, Vec<String>)>, clap::Error> {
    let fail = |problem: String| error(command, file, problem);
    let size = std::fs::metadata(file)
        .map_err(|e| fail(format!("cannot read it: {e}")))?
        .len();
    if size > MAX_BYTES {
        return Err(fail(format!(
            "it is {size} bytes; a configuration file is at most {MAX_BYTES} bytes (is it the \
             right file?)"
        )));
    }
    let bytes = std::fs::read(file).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "byte {} is not UTF-8; a configuration file is TOML text",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| fail(format!("not valid TOML: {}", e.to_string().trim())))?;
    let mut values = Vec::new();
    for (key, value) in &table {
        let arg = settable(command, key).ok_or_else(|| {
            fail(format!(
                "unknown key `{key}`; the keys are the flags of `{}`: {}",
                command.get_name(),
                keys(command).join(", ")
            ))
        })?;
        let words = words(arg, value).map_err(|problem| fail(format!("key `{key}`: {problem}")))?;
        check(command, arg, &words).map_err(|problem| fail(format!("key `{key}`: {problem}")))?;
        values.push((arg, words));
    }
    for (i, (a, _)) in values.iter().enumerate() {
        for (b, _) in &values[..i] {
            if conflict(command, a, b.get_id().as_str()) {
                return Err(fail(format!(
                    "keys `{}` and `{}` conflict: give one of them",
                    long(b),
                    long(a)
                )));
            }
        }
    }
    Ok(values
        .into_iter()
        .filter(|(arg, _)| !on_line.iter().any(|id| conflict(command, arg, id)))
        .map(|(arg, words)| (arg.get_id().to_string(), words))
        .collect())
}

/// The long name of a flag.
fn long(arg: &Arg) -> &str {
    arg.get_long().unwrap_or(arg.get_id().as_str())
}

/// True for the flags a file may set: long flags that take values or are switches, but not
/// `--help`, `--version` or `--config` itself.
fn is_settable(arg: &Arg) -> bool {
    arg.get_long().is_some_and(|l| l != FLAG)
        && matches!(
            arg.get_action(),
            ArgAction::Set | ArgAction::Append | ArgAction::SetTrue
        )
}

/// The flag of `command` that the key `key` names (`step-rule` or `step_rule`).
fn settable<'a>(command: &'a Command, key: &str) -> Option<&'a Arg> {
    let key = key.replace('_', "-");
    command
        .get_arguments()
        .find(|a| is_settable(a) && a.get_long() == Some(key.as_str()))
}

/// The keys a file of `command` may hold.
fn keys(command: &Command) -> Vec<&str> {
    command
        .get_arguments()
        .filter(|a| is_settable(a))
        .filter_map(Arg::get_long)
        .collect()
}

/// True when the flags `a` and `b` (by id) conflict, whichever declared it.
fn conflict(command: &Command, a: &Arg, b: &str) -> bool {
    let declared = |x: &Arg, y: &str| {
        command
            .get_arg_conflicts_with(x)
            .iter()
            .any(|c| c.get_id() == y)
    };
    a.get_id() != b
        && (declared(a, b)
            || command
                .get_arguments()
                .find(|x| x.get_id() == b)
                .is_some_and(|x| declared(x, a.get_id().as_str())))
}

/// The command-line words of a TOML value for the flag `arg`.
fn words(arg: &Arg, value: &toml::Value) -> Result<Vec<String>, String> {
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return match value {
            toml::Value::Boolean(b) => Ok(vec![b.to_string()]),
            _ => Err(format!(
                "`{value}` is not true or false (the flag is a switch)"
            )),
        };
    }
    match value {
        toml::Value::Array(items) if takes_list(arg) => items.iter().map(scalar).collect(),
        toml::Value::Array(_) => Err(format!("`{value}`: the flag takes one value, not a list")),
        other => scalar(other).map(|word| vec![word]),
    }
}

/// True when the flag takes a list: comma-separated or repeated.
fn takes_list(arg: &Arg) -> bool {
    arg.get_value_delimiter().is_some() || matches!(arg.get_action(), ArgAction::Append)
}

/// One value as the word a command line would give: strings as they are, numbers in the
/// shortest form that reads back to the same value.
fn scalar(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(format!("`{other}` is not a string, a number or a boolean")),
    }
}

/// Checks `words` with the flag's own parser (so a bad value is an error naming the key, and
/// never an invalid default).
fn check(command: &Command, arg: &Arg, words: &[String]) -> Result<(), String> {
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return Ok(());
    }
    let flag = format!("--{}", long(arg));
    let line = std::iter::once(command.get_name().to_string())
        .chain(words.iter().map(|w| format!("{flag}={w}")));
    match command.clone().try_get_matches_from(line) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::MissingRequiredArgument => Ok(()),
        Err(e) => Err(e
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string()),
    }
}

impl<C> Invocation<C> {
    /// True when the user gave the flag `id`: on the command line or in the configuration file.
    pub fn given(&self, id: &str) -> bool {
        self.from_file.contains(id) || self.source(id) == Some(ValueSource::CommandLine)
    }

    /// The matches of the command the flags belong to (the subcommand's, if one is named).
    fn target_matches(&self) -> &ArgMatches {
        match &self.subcommand {
            Some(name) => self
                .matches
                .subcommand_matches(name)
                .unwrap_or(&self.matches),
            None => &self.matches,
        }
    }

    /// Where the value of the flag `id` came from.
    fn source(&self, id: &str) -> Option<ValueSource> {
        self.target_matches().value_source(id)
    }

    /// The configuration this invocation resolved, as a `--config` file: every flag that
    /// decides what it computes, given or by default (not the output flags: `--out`,
    /// `--resume`, `--quiet`, `--json`), so that the file reproduces the invocation even if a
    /// default changes. A default that conflicts with a given flag is left out.
    pub fn resolved(&self) -> String {
        self.resolved_without(&[])
    }

    /// [`Invocation::resolved`] without the flags `ignored` (by id): flags the binary takes but
    /// refuses when given, as `sweep` does `--seed`.
    pub fn resolved_without(&self, ignored: &[&str]) -> String {
        let command = target(&self.command, self.subcommand.as_deref());
        let matches = self.target_matches();
        let mut name = self.command.get_name().to_string();
        if let Some(sub) = &self.subcommand {
            name = format!("{name} {sub}");
        }
        let mut text = format!(
            "# The configuration of this `{name}` invocation; `{name} --config config.toml` \
             reproduces it\n# (with --out for its folder). Flags given with it override these \
             values.\n"
        );
        let given: Vec<&Arg> = command
            .get_arguments()
            .filter(|a| self.given(a.get_id().as_str()))
            .collect();
        for arg in command.get_arguments().filter(|a| is_settable(a)) {
            let id = arg.get_id().as_str();
            if NOT_RECORDED.contains(&id)
                || ignored.contains(&id)
                || matches.value_source(id).is_none()
            {
                continue;
            }
            if !self.given(id) && given.iter().any(|g| conflict(command, g, id)) {
                continue;
            }
            if let Some(value) = recorded(arg, matches) {
                text.push_str(&format!("{} = {value}\n", long(arg)));
            }
        }
        text
    }
}

/// The TOML value of the flag `arg` as matched.
fn recorded(arg: &Arg, matches: &ArgMatches) -> Option<toml::Value> {
    let id = arg.get_id().as_str();
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        return Some(toml::Value::Boolean(matches.get_flag(id)));
    }
    let words: Vec<String> = matches
        .get_raw(id)?
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let mut values: Vec<toml::Value> = words.iter().map(|w| typed(w)).collect();
    if takes_list(arg) {
        Some(toml::Value::Array(values))
    } else {
        values.pop()
    }
}

/// A word as the TOML value that reads back to it: an integer or a float when it is written as
/// one (`3000`, `0.1`), else a string.
fn typed(word: &str) -> toml::Value {
    if let Ok(i) = word.parse::<i64>()
        && i.to_string() == word
    {
        return toml::Value::Integer(i);
    }
    if let Ok(f) = word.parse::<f64>()
        && f.is_finite()
        && f.to_string() == word
    {
        return toml::Value::Float(f);
    }
    toml::Value::String(word.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, Subcommand};

    #[derive(Parser, Debug, PartialEq)]
    #[command(name = "toy")]
    struct Toy {
        #[command(subcommand)]
        job: Option<Job>,
        #[command(flatten)]
        flags: Flags,
    }

    #[derive(Args, Debug, PartialEq)]
    struct Flags {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        steps: usize,
        #[arg(long, default_value_t = 0.1)]
        lr: f64,
        #[arg(long, default_value = "adam")]
        step_rule: String,
        #[arg(long, value_delimiter = ',', default_value = "0,1")]
        seeds: Vec<u64>,
        #[arg(long)]
        every: Option<u64>,
        #[arg(long, default_value_t = 20, conflicts_with = "every")]
        per_decade: u64,
        #[arg(long)]
        fresh: bool,
        #[arg(long)]
        out: Option<PathBuf>,
    }

    #[derive(Subcommand, Debug, PartialEq)]
    enum Job {
        Cluster {
            #[arg(long)]
            config: Option<PathBuf>,
            #[arg(long, default_value_t = 1)]
            tasks: u32,
            #[arg(long = "opt", allow_hyphen_values = true)]
            options: Vec<String>,
        },
    }

    /// A configuration file with `text`, unique to the test `name`.
    fn file(name: &str, text: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("lowrank-config-{name}-{}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn parse(words: &[&str]) -> Result<Invocation<Toy>, clap::Error> {
        parse_from(std::iter::once("toy").chain(words.iter().copied()))
    }

    fn message(words: &[&str]) -> String {
        parse(words).unwrap_err().to_string()
    }

    #[test]
    fn the_file_gives_values_and_the_command_line_overrides_them() {
        let f = file(
            "override",
            "steps = 500\nstep_rule = \"sgd\"\nlr = 1e-3\nseeds = [3, 4]\nfresh = true\n",
        );
        let path = f.to_str().unwrap();
        let i = parse(&["--config", path, "--steps", "7"]).unwrap();
        assert_eq!(i.args.flags.steps, 7);
        assert_eq!(i.args.flags.step_rule, "sgd");
        assert_eq!(i.args.flags.lr, 1e-3);
        assert_eq!(i.args.flags.seeds, vec![3, 4]);
        assert!(i.args.flags.fresh);
        assert!(i.given("steps") && i.given("lr") && !i.given("per_decade"));
        let without = parse(&[]).unwrap();
        assert_eq!(without.args.flags.steps, 10);
        assert!(!without.given("steps"));
        let listed = file("listed", "seeds = \"5,6,7\"\n");
        let i = parse(&["--config", listed.to_str().unwrap()]).unwrap();
        assert_eq!(i.args.flags.seeds, vec![5, 6, 7]);
        std::fs::remove_file(f).unwrap();
        std::fs::remove_file(listed).unwrap();
    }

    #[test]
    fn a_key_conflicting_with_the_command_line_gives_way() {
        let f = file("conflict", "every = 5\nsteps = 3\n");
        let path = f.to_str().unwrap();
        let i = parse(&["--config", path, "--per-decade", "4"]).unwrap();
        assert_eq!(i.args.flags.every, None);
        assert_eq!(i.args.flags.per_decade, 4);
        assert_eq!(i.args.flags.steps, 3);
        let i = parse(&["--config", path]).unwrap();
        assert_eq!(i.args.flags.every, Some(5));
        assert!(!i.resolved().contains("per-decade"), "{}", i.resolved());
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn bad_files_are_errors_naming_the_file_and_the_key() {
        for (name, text, expected) in [
            (
                "unknown",
                "stepz = 1\n",
                "unknown key `stepz`; the keys are the flags of `toy`: steps, lr",
            ),
            (
                "value",
                "steps = -3\n",
                "key `steps`: invalid value '-3' for '--steps <STEPS>'",
            ),
            (
                "switch",
                "fresh = \"yes\"\n",
                "key `fresh`: `\"yes\"` is not true or false",
            ),
            (
                "list",
                "lr = [1, 2]\n",
                "key `lr`: `[1, 2]`: the flag takes one value, not a list",
            ),
            (
                "table",
                "[steps]\nx = 1\n",
                "key `steps`: `{ x = 1 }` is not a string, a number",
            ),
            (
                "both",
                "every = 1\nper-decade = 2\n",
                "keys `every` and `per-decade` conflict",
            ),
            (
                "toml",
                "steps = \n",
                "not valid TOML: TOML parse error at line 1",
            ),
            ("nested", "config = \"x.toml\"\n", "unknown key `config`"),
        ] {
            let f = file(name, text);
            let path = f.to_str().unwrap();
            let e = message(&["--config", path]);
            assert!(
                e.contains(&format!("--config {path}: {expected}")),
                "{name}: {e}"
            );
            std::fs::remove_file(f).unwrap();
        }
        let e = message(&["--config", "/nonexistent/lowrank.toml"]);
        assert!(
            e.contains("--config /nonexistent/lowrank.toml: cannot read it"),
            "{e}"
        );
        let binary = file("binary", "");
        std::fs::write(&binary, b"steps = 1\n\xff\n").unwrap();
        let e = message(&["--config", binary.to_str().unwrap()]);
        assert!(e.contains("byte 10 is not UTF-8"), "{e}");
        std::fs::remove_file(binary).unwrap();
    }

    #[test]
    fn an_oversized_file_is_refused_before_it_is_read() {
        let f = file("big", "");
        std::fs::File::create(&f)
            .unwrap()
            .set_len(MAX_BYTES + 1)
            .unwrap();
        let e = message(&["--config", f.to_str().unwrap()]);
        assert!(e.contains(&format!("it is {} bytes", MAX_BYTES + 1)), "{e}");
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn the_resolved_configuration_reads_back_to_the_same_flags() {
        let first = parse(&[
            "--steps",
            "33",
            "--lr",
            "0.30000000000000004",
            "--every",
            "2",
            "--seeds",
            "9,007",
            "--out",
            "somewhere",
            "--fresh",
        ])
        .unwrap();
        let text = first.resolved();
        assert_eq!(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>(),
            [
                "steps = 33",
                "lr = 0.30000000000000004",
                "step-rule = \"adam\"",
                "seeds = [9, \"007\"]",
                "every = 2",
                "fresh = true",
            ]
        );
        let f = file("resolved", &text);
        let path = f.to_str().unwrap();
        let second = parse(&["--config", path]).unwrap();
        assert_eq!(second.args.flags.steps, 33);
        assert_eq!(
            second.args.flags.lr.to_bits(),
            0.30000000000000004f64.to_bits()
        );
        assert_eq!(second.args.flags.seeds, vec![9, 7]);
        assert_eq!(second.args.flags.every, Some(2));
        assert_eq!(second.args.flags.out, None);
        assert_eq!(second.resolved(), text);
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn a_subcommand_reads_its_own_flags() {
        let f = file("sub", "tasks = 4\nopt = [\"--mem=4G\", \"--qos=low\"]\n");
        let path = f.to_str().unwrap();
        let i = parse(&["cluster", "--config", path]).unwrap();
        assert_eq!(
            i.args.job,
            Some(Job::Cluster {
                config: Some(f.clone()),
                tasks: 4,
                options: vec!["--mem=4G".into(), "--qos=low".into()],
            })
        );
        assert!(i.given("tasks"));
        assert!(
            i.resolved()
                .contains("tasks = 4\nopt = [\"--mem=4G\", \"--qos=low\"]")
        );
        let e = parse(&["cluster", "--config", path, "--tasks", "x"]).unwrap_err();
        assert!(e.to_string().contains("--tasks"), "{e}");
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn words_read_back_as_the_values_they_were() {
        assert_eq!(typed("3000"), toml::Value::Integer(3000));
        assert_eq!(typed("0.1"), toml::Value::Float(0.1));
        for word in [
            "1e-3",
            "007",
            "+5",
            "adam",
            "nan",
            "inf",
            "18446744073709551615",
        ] {
            assert_eq!(typed(word), toml::Value::String(word.into()), "{word}");
        }
    }
}
