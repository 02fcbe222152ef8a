//! Every binary's `--help` in form: lines of at most 100 characters on any terminal, the about
//! line one imperative sentence, `--out` naming the binary's own default folder, and every
//! enumeration's possible values.

use std::process::Command;

use experiments::help::help_problems;

/// Each binary of this crate and the default folder its `--out` names (None: no `--out` flag).
const BINARIES: [(&str, Option<&str>); 12] = [
    (
        env!("CARGO_BIN_EXE_counterexample"),
        Some("runs/counterexample"),
    ),
    (env!("CARGO_BIN_EXE_completion"), Some("runs/completion")),
    (env!("CARGO_BIN_EXE_deep-linear"), Some("runs/deep-linear")),
    (env!("CARGO_BIN_EXE_digits"), Some("runs/digits")),
    (env!("CARGO_BIN_EXE_fashion"), Some("runs/fashion")),
    (env!("CARGO_BIN_EXE_invariance"), Some("runs/invariance")),
    (env!("CARGO_BIN_EXE_relu-tail"), Some("runs/relu-tail")),
    (env!("CARGO_BIN_EXE_residual"), Some("runs/residual")),
    (env!("CARGO_BIN_EXE_lowrank"), Some("runs/lowrank")),
    (env!("CARGO_BIN_EXE_sweep"), Some("runs/sweep")),
    (
        env!("CARGO_BIN_EXE_train"),
        Some("runs/NAME, NAME the --name: runs/train"),
    ),
    (env!("CARGO_BIN_EXE_fuzz"), None),
];

/// The text of `exe args`, on a terminal said to be 300 columns wide.
fn help(exe: &str, args: &[&str]) -> String {
    let o = Command::new(exe)
        .args(args)
        .env("COLUMNS", "300")
        .output()
        .expect("the binary starts");
    assert!(o.status.success(), "{exe} {args:?}: {o:?}");
    String::from_utf8(o.stdout).expect("the help is UTF-8")
}

/// The help of `--out`: the line after the flag's.
fn out_line(text: &str) -> Option<String> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--out <"));
    lines.next()?;
    lines.next().map(|l| l.trim().to_string())
}

#[test]
fn every_help_is_in_form() {
    for (exe, _) in BINARIES {
        for flag in ["--help", "-h"] {
            let text = help(exe, &[flag]);
            let problems = help_problems(&text);
            assert!(
                problems.is_empty(),
                "{exe} {flag}:\n{}",
                problems.join("\n")
            );
        }
    }
    let sweep = env!("CARGO_BIN_EXE_sweep");
    for sub in ["merge", "slurm"] {
        let text = help(sweep, &[sub, "--help"]);
        let wide: Vec<&str> = text.lines().filter(|l| l.chars().count() > 100).collect();
        assert!(wide.is_empty(), "sweep {sub}: {wide:?}");
    }
}

#[test]
fn out_names_the_default_folder() {
    for (exe, default) in BINARIES {
        let text = help(exe, &["--help"]);
        match default {
            Some(folder) => assert_eq!(
                out_line(&text).as_deref(),
                Some(format!("Folder for the run's files [default: {folder}]").as_str()),
                "{exe}"
            ),
            None => assert!(!text.contains("runs/NAME"), "{exe}"),
        }
    }
    let slurm = help(env!("CARGO_BIN_EXE_sweep"), &["slurm", "--help"]);
    assert_eq!(
        out_line(&slurm).as_deref(),
        Some("Folder for the run's files [default: runs/sweep]")
    );
}

#[test]
fn enumerations_list_their_possible_values() {
    let flat = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let train = flat(help(env!("CARGO_BIN_EXE_train"), &["--help"]));
    let sweep = flat(help(env!("CARGO_BIN_EXE_sweep"), &["--help"]));
    let losses = "[possible values: logistic, exponential, squared]";
    let rules =
        "[possible values: constant, loss-normalized, grad-normalized, adaptive, momentum, adam]";
    for text in [&train, &sweep] {
        for list in [losses, rules, "[possible values: f32, f64]"] {
            assert!(text.contains(list), "{list} not in {text}");
        }
    }
    let sweep_short = flat(help(env!("CARGO_BIN_EXE_sweep"), &["-h"]));
    assert!(
        sweep_short.contains("[possible values: linear, relu-tail]"),
        "{sweep_short}"
    );
    let lowrank = flat(help(env!("CARGO_BIN_EXE_lowrank"), &["--help"]));
    assert!(
        lowrank.contains("[possible values: deep-linear, relu-tail, invariance, counterexample,"),
        "{lowrank}"
    );
    let fuzz = flat(help(env!("CARGO_BIN_EXE_fuzz"), &["--help"]));
    assert!(fuzz.contains("[possible values: arch, csv,"), "{fuzz}");
}

#[test]
fn a_bad_name_is_an_error_listing_the_names() {
    for (exe, args, list) in [
        (
            env!("CARGO_BIN_EXE_train"),
            ["--loss", "hinge"],
            "[possible values: logistic, exponential, squared]",
        ),
        (
            env!("CARGO_BIN_EXE_train"),
            ["--step-rule", "sgd"],
            "[possible values: constant, loss-normalized,",
        ),
        (
            env!("CARGO_BIN_EXE_sweep"),
            ["--step-rules", "constant,rmsprop"],
            "[possible values: constant, loss-normalized,",
        ),
        (
            env!("CARGO_BIN_EXE_sweep"),
            ["--losses", "logistic,hinge"],
            "[possible values: logistic, exponential, squared]",
        ),
        (
            env!("CARGO_BIN_EXE_lowrank"),
            ["--only", "nonsense"],
            "[possible values: deep-linear,",
        ),
        (
            env!("CARGO_BIN_EXE_digits"),
            ["--metrics", "margin,spectrum"],
            "[possible values: margin, spectral,",
        ),
    ] {
        let o = Command::new(exe)
            .args(args)
            .output()
            .expect("the binary starts");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{exe} {args:?}: {err}");
        assert!(
            err.contains(&format!(
                "invalid value '{}'",
                args[1].rsplit(',').next().unwrap()
            )) && err.contains(list),
            "{exe} {args:?}: {err}"
        );
    }
}
