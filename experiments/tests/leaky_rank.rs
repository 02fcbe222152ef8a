//! A short `leaky-rank` run (fewer points and dimensions than its defaults) in which its claims
//! hold, and one whose data is not nearly orthogonal, where they are not applicable.

mod common;

use common::{claim, quiet, scratch};
use experiments::claims::Verdict;
use experiments::suite::leaky_rank;

fn short() -> leaky_rank::Config {
    leaky_rank::Config {
        n: 10,
        dim: 2000,
        width: 20,
        init_scales: vec![0.001, 4.0],
        ..leaky_rank::Config::default()
    }
}

#[test]
fn the_claims_hold_on_a_short_run() {
    let dir = scratch("leaky", "short");
    let result = leaky_rank::run(&short(), &quiet(), &dir).unwrap();
    for id in [
        "near-orthogonal",
        "small-init",
        "leaky-rank-at-most-two",
        "leaky-one-step",
        "leaky-large-init-high",
    ] {
        let c = claim(&result.claims, "", id);
        assert_eq!(c.verdict, Verdict::Holds, "{c:?}");
    }
    // A stable rank is at least 1; the end is within the tolerance of 2.
    let end = claim(&result.claims, "", "leaky-rank-at-most-two")
        .measured
        .unwrap();
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
    let dir = scratch("leaky", "low-dim");
    let cfg = leaky_rank::Config {
        dim: 40,
        steps: 50,
        ..short()
    };
    let result = leaky_rank::run(&cfg, &quiet(), &dir).unwrap();
    assert_eq!(
        claim(&result.claims, "", "near-orthogonal").verdict,
        Verdict::Fails
    );
    for id in [
        "leaky-rank-at-most-two",
        "leaky-one-step",
        "leaky-large-init-high",
    ] {
        let c = claim(&result.claims, "", id);
        assert_eq!(c.verdict, Verdict::NotApplicable, "{c:?}");
        assert!(
            c.metric.contains("premise `near-orthogonal` is FAILS"),
            "{}",
            c.metric
        );
    }
    std::fs::remove_dir_all(dir.root()).unwrap();
}
