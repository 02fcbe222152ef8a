//! The claims of the theory hold on the experiments' default budgets (issue 5's run tests).

mod common;

use common::{claim, quiet, scratch};
use experiments::claims::{Claim, Verdict};
use experiments::suite::{counterexample, deep_linear, invariance, relu_tail};

fn measured(c: &Claim) -> f64 {
    c.measured
        .unwrap_or_else(|| panic!("claim {} on {} not measured", c.id, c.run))
}

#[test]
fn deep_linear_layers_go_to_rank_one_align_and_reach_the_svm_margin() {
    let dir = scratch("claims", "deep-linear");
    let cfg = deep_linear::Config {
        depths: vec![3],
        ..Default::default()
    };
    let result = deep_linear::run(&cfg, &quiet(), &dir).unwrap();
    assert!(measured(claim(&result.claims, "depth-3", "rank-one")) > 0.99);
    assert!(measured(claim(&result.claims, "depth-3", "aligned")) > 0.99);
    let margin = measured(claim(&result.claims, "depth-3", "margin-to-svm"));
    assert!(
        margin > 0.95 && margin <= 1.0 + 1e-9,
        "normalized / SVM margin {margin}"
    );
    let bound = claim(&result.claims, "depth-3", "rate-bound");
    assert_eq!(bound.verdict, Verdict::Holds, "{bound:?}");
    // Each control changes one factor and ends further from rank one than depth-3.
    for id in ["slow-from-large-init", "slow-with-constant-step"] {
        let c = claim(&result.claims, "deep-linear", id);
        assert_eq!(c.verdict, Verdict::Holds, "{c:?}");
    }
    for file in [
        "report.md",
        "summary.json",
        "depth-3/metrics.csv",
        "depth-3/final.safetensors",
        "depth-3/ratio.svg",
    ] {
        assert!(dir.root().join(file).is_file(), "{file} written");
    }
    std::fs::remove_dir_all(dir.root()).unwrap();
}

#[test]
fn relu_layer_stays_below_while_the_linear_tail_goes_to_rank_one() {
    let dir = scratch("claims", "relu-tail");
    let result = relu_tail::run(&relu_tail::Config::default(), &quiet(), &dir).unwrap();
    for run in ["two-point", "gaussian"] {
        assert!(
            measured(claim(&result.claims, run, "tail-rank-one")) > 0.99,
            "{run}"
        );
        assert!(
            measured(claim(&result.claims, run, "tail-aligned")) > 0.99,
            "{run}"
        );
    }
    let relu = measured(claim(&result.claims, "two-point", "relu-not-rank-one"));
    assert!(relu < 0.9, "ReLU layer r {relu}");
    std::fs::remove_dir_all(dir.root()).unwrap();
}

#[test]
fn counterexample_keeps_two_equal_singular_values_in_its_relu_layer() {
    let dir = scratch("claims", "counterexample");
    let result = counterexample::run(&counterexample::Config::default(), &quiet(), &dir).unwrap();
    let ratio = measured(claim(&result.claims, "relu", "relu-rank-two"));
    assert!(ratio > 0.9 && ratio <= 1.0, "σ₂/σ₁ = {ratio}");
    assert!(measured(claim(&result.claims, "linear", "rank-one")) > 0.99);
    std::fs::remove_dir_all(dir.root()).unwrap();
}

#[test]
fn conserved_quantities_drift_by_order_step_squared() {
    let dir = scratch("claims", "invariance");
    // A smaller net and budget than the defaults keep the test fast; the physics is the same.
    let cfg = invariance::Config {
        arch: "64,relu:40,relu:40,1".parse().unwrap(),
        steps: 300,
        ..Default::default()
    };
    let result = invariance::run(&cfg, &quiet(), &dir).unwrap();
    for run in ["step", "half-step", "squared"] {
        for id in ["neuron-conserved", "layer-conserved", "active-conserved"] {
            let c = claim(&result.claims, run, id);
            assert_eq!(c.verdict, Verdict::Holds, "{c:?}");
            assert!(measured(c) < 1e-3);
        }
    }
    for run in ["step", "half-step"] {
        assert!(measured(claim(&result.claims, run, "full-not-conserved")) > 10.0);
    }
    // Halving the step at equal training time halves the accumulated drift: O(step²) per step.
    let ratio = measured(claim(
        &result.claims,
        "invariance",
        "drift-is-discretization",
    ));
    assert!((ratio - 2.0).abs() < 0.25, "drift ratio {ratio}");
    std::fs::remove_dir_all(dir.root()).unwrap();
}
