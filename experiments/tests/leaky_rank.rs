//! A short `leaky-rank` run (fewer points and dimensions than its defaults) in which its claims
//! hold, and one whose data is not nearly orthogonal, where they are not applicable.

use std::path::PathBuf;

use experiments::claims::{Claim, Verdict};
use experiments::runner::rundir::RunDir;
use experiments::suite::{Common, ExperimentResult, leaky_rank};

fn scratch(name: &str) -> RunDir {
    let path: PathBuf =
        std::env::temp_dir().join(format!("lowrank-leaky-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    RunDir::create(&path).unwrap()
}

fn quiet() -> Common {
    Common {
        quiet: true,
        ..Common::default()
    }
}

fn short() -> leaky_rank::Config {
    leaky_rank::Config {
        n: 10,
        dim: 2000,
        width: 20,
        init_scales: vec![0.001, 4.0],
        ..leaky_rank::Config::default()
    }
}

fn claim<'a>(result: &'a ExperimentResult, id: &str) -> &'a Claim {
    result
        .claims
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no claim {id}: {:?}", result.claims))
}

#[test]
fn the_claims_hold_on_a_short_run() {
    let dir = scratch("short");
    let result = leaky_rank::run(&short(), &quiet(), &dir).unwrap();
    for id in [
        "near-orthogonal",
        "small-init",
        "leaky-rank-at-most-two",
        "leaky-one-step",
        "leaky-large-init-high",
    ] {
        let c = claim(&result, id);
        assert_eq!(c.verdict, Verdict::Holds, "{c:?}");
    }
    // A stable rank is at least 1; the end is within the tolerance of 2.
    let end = claim(&result, "leaky-rank-at-most-two").measured.unwrap();
    assert!((1.0..2.5).contains(&end), "{end}");
    assert_eq!(result.charts, ["stable_rank"]);
    assert!(dir.plot("stable_rank").is_file());
    let report = std::fs::read_to_string(dir.report_md()).unwrap();
    assert!(
        report.contains("![stable_rank](stable_rank.svg)"),
        "{report}"
    );
    std::fs::remove_dir_all(dir.root()).unwrap();
}

#[test]
fn data_that_is_not_nearly_orthogonal_makes_the_claims_not_applicable() {
    let dir = scratch("low-dim");
    let cfg = leaky_rank::Config {
        dim: 40,
        steps: 50,
        ..short()
    };
    let result = leaky_rank::run(&cfg, &quiet(), &dir).unwrap();
    assert_eq!(claim(&result, "near-orthogonal").verdict, Verdict::Fails);
    for id in [
        "leaky-rank-at-most-two",
        "leaky-one-step",
        "leaky-large-init-high",
    ] {
        let c = claim(&result, id);
        assert_eq!(c.verdict, Verdict::NotApplicable, "{c:?}");
        assert!(
            c.metric.contains("premise `near-orthogonal` is FAILS"),
            "{}",
            c.metric
        );
    }
    std::fs::remove_dir_all(dir.root()).unwrap();
}
