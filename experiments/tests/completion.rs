//! A short `completion` run (a 30 × 30 matrix of rank 2, two scales) in which its claims hold and
//! which writes every run's files; one from a large initialization, where the small-init premise
//! fails and the claims resting on it are not applicable; the same bits on one thread or two; and
//! bad flags refused by the binary, naming the flag.

mod common;

use std::process::Command;

use common::{claim, quiet, scratch};
use experiments::claims::Verdict;
use experiments::suite::{ExperimentResult, completion};

fn short() -> completion::Config {
    completion::Config {
        size: 30,
        rank: 2,
        observed: 400,
        few_observed: 200,
        alphas: vec![0.01, 1.0],
        lr: 3.0,
        steps: 2000,
        ..completion::Config::default()
    }
}

fn measured(result: &ExperimentResult, id: &str) -> f64 {
    claim(&result.claims, "", id).measured.unwrap()
}

#[test]
fn the_claims_hold_on_a_short_run_which_writes_every_file() {
    let dir = scratch("completion", "short");
    let result = completion::run(&short(), &quiet(), &dir).unwrap();
    for spec in completion::CLAIMS {
        let c = claim(&result.claims, "", spec.id);
        assert_eq!(c.verdict, Verdict::Holds, "{c:?}");
    }
    // Effective rank within 0.5 of r = 2 (and above 1.5: two directions, not one).
    let excess = measured(&result, "low-rank-at-small-init");
    assert!((-0.5..0.5).contains(&excess), "{excess}");
    assert!(measured(&result, "recovers-at-small-init") < 0.05);
    assert!(measured(&result, "completion-small-init") < 1e-3);
    assert!(measured(&result, "depth-helps-error") < 0.5);
    let runs: Vec<&str> = result.runs.iter().map(|r| r.folder.as_str()).collect();
    assert_eq!(
        runs,
        [
            "depth-2-alpha-0.01",
            "depth-2-alpha-1",
            "depth-3-alpha-0.01",
            "depth-3-alpha-1",
            "few-depth-2-alpha-0.01",
            "few-depth-3-alpha-0.01",
        ]
    );
    for run in &runs {
        let folder = dir.root().join(run);
        for file in [
            "metrics.csv",
            "spectra.csv",
            "summary.json",
            "report.md",
            "singular_values.svg",
            "errors.svg",
            "effective_rank.svg",
        ] {
            assert!(folder.join(file).is_file(), "{run}/{file}");
        }
        assert!(!dir.root().join(format!(".{run}.partial")).exists());
    }
    // Every log holds the product's 30 singular values.
    let spectra = std::fs::read_to_string(dir.root().join(runs[0]).join("spectra.csv")).unwrap();
    let first_log = spectra
        .lines()
        .filter(|l| l.starts_with("0,0,product,"))
        .count();
    assert_eq!(first_log, 30);
    let metrics = std::fs::read_to_string(dir.root().join(runs[2]).join("metrics.csv")).unwrap();
    for name in [
        "effective_rank",
        "unobserved_error",
        "observed_error",
        "loss",
    ] {
        assert!(
            metrics.contains(&format!(",run,0,product,{name},")),
            "{name}"
        );
    }
    assert_eq!(
        result.charts,
        [
            "singular_values_small_init",
            "effective_rank_vs_alpha",
            "unobserved_error_vs_alpha"
        ]
    );
    let report = std::fs::read_to_string(dir.report_md()).unwrap();
    assert!(
        report.contains("![effective_rank_vs_alpha](effective_rank_vs_alpha.svg)"),
        "{report}"
    );
    assert!(
        report.contains("![errors](depth-3-alpha-1/errors.svg)"),
        "{report}"
    );
    assert!(result.diverged().is_empty());
    std::fs::remove_dir_all(dir.root()).unwrap();
}

#[test]
fn a_large_smallest_init_makes_the_claims_not_applicable() {
    let dir = scratch("completion", "large");
    // The product starts at about 5% of the truth's norm: the fit is reached, far from low rank.
    let cfg = completion::Config {
        alphas: vec![0.5, 1.0],
        ..short()
    };
    let result = completion::run(&cfg, &quiet(), &dir).unwrap();
    assert_eq!(
        claim(&result.claims, "", "observed-fit").verdict,
        Verdict::Holds
    );
    let init = claim(&result.claims, "", "completion-small-init");
    assert_eq!(init.verdict, Verdict::Fails, "{init:?}");
    assert!(init.measured.unwrap() > 0.01);
    for id in [
        "low-rank-at-small-init",
        "recovers-at-small-init",
        "depth-helps-error",
    ] {
        let c = claim(&result.claims, "", id);
        assert_eq!(c.verdict, Verdict::NotApplicable, "{c:?}");
        assert!(
            c.metric
                .contains("premise `completion-small-init` is FAILS"),
            "{}",
            c.metric
        );
    }
    std::fs::remove_dir_all(dir.root()).unwrap();
}

/// Runs the binary with `args`, returning (success, stdout, stderr).
fn binary(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_completion"))
        .args(args)
        .output()
        .expect("the binary starts");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_same_seed_gives_the_same_bits_on_one_thread_or_two() {
    let args = [
        "--size",
        "20",
        "--rank",
        "2",
        "--observed",
        "200",
        "--few-observed",
        "100",
        "--alphas",
        "0.01,1",
        "--lr",
        "3",
        "--steps",
        "300",
        "--quiet",
    ];
    let mut csv = Vec::new();
    for threads in ["1", "2"] {
        let dir = scratch("completion", &format!("threads-{threads}"));
        let out = dir.root().display().to_string();
        let mut all = args.to_vec();
        all.extend(["--threads", threads, "--out", &out]);
        let (ok, stdout, stderr) = binary(&all);
        assert!(ok, "{stdout}\n{stderr}");
        csv.push(std::fs::read(dir.root().join("depth-3-alpha-0.01/metrics.csv")).unwrap());
        std::fs::remove_dir_all(dir.root()).unwrap();
    }
    assert_eq!(csv[0], csv[1]);
}

#[test]
fn bad_flags_are_refused_naming_the_flag() {
    let dir = scratch("completion", "bad");
    let out = dir.root().display().to_string();
    for (args, expected) in [
        (vec!["--size", "0"], "--size 0"),
        (vec!["--size", "30", "--rank", "31"], "--rank 31"),
        (vec!["--size", "10", "--observed", "100"], "--observed 100"),
        (vec!["--alphas", "0.1,-2"], "--alphas: -2"),
        (vec!["--lr=-1"], "--lr -1 must be a finite positive number"),
    ] {
        let mut all = args.clone();
        all.extend(["--quiet", "--out", &out]);
        let (ok, _, stderr) = binary(&all);
        assert!(!ok, "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(dir.root());
}
