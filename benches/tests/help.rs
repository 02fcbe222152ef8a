//! Every report binary's `--help` in the form of the experiments' (`experiments::help`): lines
//! of at most 100 characters on any terminal, an imperative about line, and one spelling of the
//! JSON flag, `--json <FILE>`.

use std::process::Command;

use experiments::help::help_problems;

const BINARIES: [&str; 4] = [
    env!("CARGO_BIN_EXE_roofline"),
    env!("CARGO_BIN_EXE_train-step"),
    env!("CARGO_BIN_EXE_research-scale"),
    env!("CARGO_BIN_EXE_checkpoint-cost"),
];

fn help(exe: &str, flag: &str) -> String {
    let o = Command::new(exe)
        .arg(flag)
        .env("COLUMNS", "300")
        .output()
        .expect("the binary starts");
    assert!(o.status.success(), "{exe} {flag}: {o:?}");
    String::from_utf8(o.stdout).expect("the help is UTF-8")
}

#[test]
fn every_help_is_in_form() {
    for exe in BINARIES {
        for flag in ["--help", "-h"] {
            let text = help(exe, flag);
            let problems = help_problems(&text);
            assert!(
                problems.is_empty(),
                "{exe} {flag}:\n{}",
                problems.join("\n")
            );
            assert!(text.contains("--json <FILE>"), "{exe} {flag}:\n{text}");
        }
    }
}

#[test]
fn named_values_are_listed() {
    let flat = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let step = flat(help(env!("CARGO_BIN_EXE_train-step"), "--help"));
    for list in [
        "[possible values: mlp784, mlp20, res20, linear10]",
        "[possible values: f32, f64]",
        "[possible values: jax, compile, eager]",
    ] {
        assert!(step.contains(list), "{list} not in {step}");
    }
    let cost = flat(help(env!("CARGO_BIN_EXE_checkpoint-cost"), "--help"));
    assert!(
        cost.contains("[possible values: constant, loss-normalized, grad-normalized,"),
        "{cost}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_train-step"))
        .args(["--workload", "mlp1"])
        .output()
        .expect("the binary starts");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid value 'mlp1'") && err.contains("[possible values: mlp784,"),
        "{err}"
    );
}
