//! Tests of the hard-margin SVM: analytic margins, certified non-separability, the cache.

use super::*;
use crate::data::{Provenance, Source, digits, gaussian, two_point};

/// A data set from rows and labels, unscaled (the tests choose norms ≤ 1 themselves).
fn dataset(rows: &[[f64; 2]], y: &[f64]) -> Dataset {
    Dataset {
        name: "test".to_owned(),
        n: rows.len(),
        dim: 2,
        x: rows.iter().flatten().copied().collect(),
        y: y.to_vec(),
        input_divisor: 1.0,
        provenance: Provenance::of(Source::Memory),
    }
}

/// The separable result's margin and direction, or a panic naming the result.
fn separable(result: SvmResult) -> (f64, Vec<f64>) {
    match result {
        SvmResult::Separable { margin, direction } => (margin, direction),
        SvmResult::NotSeparable => panic!("expected separable data"),
    }
}

#[test]
fn two_point_margin_is_one_over_root_two() {
    // e1 (+1) and e2 (−1): the best direction is (1, −1)/√2, margin 1/√2.
    let (margin, direction) = separable(hard_margin(&two_point()));
    let s = std::f64::consts::FRAC_1_SQRT_2;
    assert!((margin - s).abs() < 1e-9, "margin {margin}");
    assert!((direction[0] - s).abs() < 1e-6 && (direction[1] + s).abs() < 1e-6);
}

#[test]
fn symmetric_points_have_the_analytic_margin() {
    // Points (±0.3, 0.8)·s labelled by the sign of the first coordinate, plus (0.9, 0.1) (+1)
    // far from the boundary: the support vectors give margin 0.3 along e1.
    let data = dataset(
        &[
            [0.3, 0.8],
            [-0.3, 0.8],
            [0.3, -0.8],
            [-0.3, -0.8],
            [0.9, 0.1],
        ],
        &[1.0, -1.0, 1.0, -1.0, 1.0],
    );
    let report = solve(&data, &SvmOptions::default());
    assert!(report.converged);
    assert!(report.lower <= report.upper);
    let (margin, direction) = separable(report.result);
    assert!((margin - 0.3).abs() < 1e-6, "margin {margin}");
    assert!((direction[0] - 1.0).abs() < 1e-6 && direction[1].abs() < 1e-3);
}

#[test]
fn gaussian_data_has_at_least_its_construction_margin() {
    let data = gaussian(10, 200, 0.1, 3);
    let (margin, direction) = separable(hard_margin(&data));
    assert!(margin >= 0.1 - 1e-9, "margin {margin}");
    // The direction really achieves the margin.
    let achieved = (0..data.n)
        .map(|i| data.y[i] * dot(data.row(i), &direction))
        .fold(f64::INFINITY, f64::min);
    assert!((achieved - margin).abs() < 1e-12);
    assert!((dot(&direction, &direction) - 1.0).abs() < 1e-12);
}

#[test]
fn digits_zero_versus_one_are_separable() {
    let (margin, _) = separable(hard_margin(&digits(0, 1).unwrap()));
    assert!(margin > 0.0 && margin < 1.0, "margin {margin}");
}

#[test]
fn xor_is_not_separable_and_the_bound_certifies_it() {
    let h = 0.5;
    let data = dataset(
        &[[h, h], [-h, -h], [h, -h], [-h, h]],
        &[1.0, 1.0, -1.0, -1.0],
    );
    let options = SvmOptions {
        min_margin: 1e-3,
        ..SvmOptions::default()
    };
    let report = solve(&data, &options);
    assert_eq!(report.result, SvmResult::NotSeparable);
    assert!(report.converged && report.upper < 1e-3, "{report:?}");
    assert_eq!(hard_margin(&data), SvmResult::NotSeparable);
}

#[test]
fn a_zero_input_or_opposite_duplicates_are_not_separable() {
    let zero = dataset(&[[0.0, 0.0], [1.0, 0.0]], &[1.0, -1.0]);
    assert_eq!(hard_margin(&zero), SvmResult::NotSeparable);
    let clash = dataset(&[[0.6, 0.8], [0.6, 0.8]], &[1.0, -1.0]);
    assert_eq!(hard_margin(&clash), SvmResult::NotSeparable);
}

#[test]
fn the_cache_solves_each_data_set_once_and_returns_the_fresh_result() {
    let cache = MarginCache::new();
    let a = gaussian(10, 200, 0.1, 3);
    let renamed = Dataset {
        name: "the same examples".to_owned(),
        ..a.clone()
    };
    let b = gaussian(10, 200, 0.1, 4);
    let fresh = solve(&a, &SvmOptions::default());
    assert_eq!(cache.report(&a), fresh);
    assert_eq!(cache.report(&renamed), fresh);
    assert_eq!(cache.solves(), 1);
    assert_eq!(cache.report(&b), solve(&b, &SvmOptions::default()));
    assert_eq!(cache.solves(), 2);
    // One changed label is another data set.
    let mut flipped = a.clone();
    flipped.y[0] = -flipped.y[0];
    cache.report(&flipped);
    assert_eq!(cache.solves(), 3);
    assert_eq!(cached_hard_margin(&a), fresh.result);
}

#[test]
fn parallel_requests_share_one_solve() {
    let cache = MarginCache::new();
    let data = gaussian(20, 300, 0.05, 1);
    let reports: Vec<SvmReport> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| cache.report(&data))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(cache.solves(), 1);
    assert!(reports.iter().all(|r| *r == reports[0]));
}

#[test]
fn shrinking_keeps_the_bracket_exact_on_many_examples() {
    // Most of these 2,000 examples sit far from the boundary, so the sweeps shrink to the few
    // near it; the bracket is still computed over all of them and the margin is achieved.
    let data = gaussian(30, 2000, 0.05, 7);
    let report = solve(&data, &SvmOptions::default());
    assert!(report.converged, "{report:?}");
    assert!(
        report.upper - report.lower <= 1e-6 * report.upper,
        "{report:?}"
    );
    let (margin, direction) = separable(report.result);
    assert!(margin >= 0.05 - 1e-9, "margin {margin}");
    let achieved = (0..data.n)
        .map(|i| data.y[i] * dot(data.row(i), &direction))
        .fold(f64::INFINITY, f64::min);
    assert!((achieved - margin).abs() < 1e-12, "{achieved} vs {margin}");
}
