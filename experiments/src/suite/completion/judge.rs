//! How the `completion` experiment judges its claims on the finished runs: the worst value over
//! the runs each claim reads, never a pass when one is missing, then the premises applied.

use super::{Config, Done, Extremes, NAME};
use crate::claims::completion::{self as claims, FIT_AND_INIT_PREMISES};
use crate::claims::{Claim, ClaimSpec};
use crate::metrics::Metric;
use crate::metrics::log::Scope;
use crate::report::summary::Status;

/// The worst of `values` by `max` (the largest) or not (the smallest); NaN if any is not finite
/// or there are none, so that a missing run never reads as a pass.
fn worst(values: impl IntoIterator<Item = f64>, max: bool) -> f64 {
    let values: Vec<f64> = values.into_iter().collect();
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let pick = if max { f64::max } else { f64::min };
    values.into_iter().reduce(pick).unwrap_or(f64::NAN)
}

/// `spec` with `value`, read from `runs`: not judged when one of them diverged.
fn judged(spec: &ClaimSpec, value: f64, runs: &[&Done]) -> Claim {
    let claim = spec.with_value(NAME, value);
    match runs
        .iter()
        .find(|r| r.trained.outcome.status == Status::Diverged)
    {
        Some(r) => claim.unjudged(&format!("run `{}` diverged", r.name)),
        None => claim,
    }
}

/// The claims, judged on the finished runs, with their premises applied.
pub(super) fn judge(done: &[Done], e: Extremes, cfg: &Config, truth_norm: f64) -> Vec<Claim> {
    let find = |depth: usize, alpha: f64, few: bool| -> Vec<&Done> {
        done.iter()
            .filter(|r| r.depth == depth && r.alpha == alpha && r.few == few)
            .collect()
    };
    let mut depths = cfg.depths.clone();
    depths.sort_unstable();
    depths.dedup();
    let small: Vec<&Done> = depths
        .iter()
        .flat_map(|&d| find(d, e.smallest, false))
        .collect();
    let large: Vec<&Done> = depths
        .iter()
        .flat_map(|&d| find(d, e.largest, false))
        .collect();
    let few: Vec<&Done> = [e.shallowest, e.deepest]
        .iter()
        .flat_map(|&d| find(d, e.smallest, true))
        .collect();
    let all: Vec<&Done> = done.iter().collect();
    let r = cfg.rank as f64;
    let start = |run: &Done| {
        run.trained
            .log
            .series(Scope::Run, 0, Metric::Frobenius)
            .first()
            .map_or(f64::NAN, |&(_, v)| v / truth_norm)
    };
    let ratio = |a: &[&Done], b: &[&Done], m: Metric| -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x.end(m) / y.end(m)).collect()
    };
    let both: Vec<&Done> = small.iter().chain(&large).copied().collect();
    let judged_all = [
        judged(
            &claims::OBSERVED_FIT,
            worst(all.iter().map(|x| x.end(Metric::ObservedError)), true),
            &all,
        ),
        judged(
            &claims::SMALL_INIT,
            worst(small.iter().map(|x| start(x)), true),
            &small,
        ),
        judged(
            &claims::LOW_RANK_AT_SMALL_INIT,
            worst(small.iter().map(|x| x.end(Metric::EffectiveRank) - r), true),
            &small,
        ),
        judged(
            &claims::RECOVERS_AT_SMALL_INIT,
            worst(small.iter().map(|x| x.end(Metric::UnobservedError)), true),
            &small,
        ),
        judged(
            &claims::RANK_GROWS_WITH_INIT,
            worst(ratio(&large, &small, Metric::EffectiveRank), false),
            &both,
        ),
        judged(
            &claims::ERROR_GROWS_WITH_INIT,
            worst(ratio(&large, &small, Metric::UnobservedError), false),
            &both,
        ),
        judged(
            &claims::DEPTH_HELPS_ERROR,
            worst(ratio(&few[1..], &few[..1], Metric::UnobservedError), true),
            &few,
        ),
        judged(
            &claims::DEPTH_HELPS_RANK,
            worst(ratio(&few[1..], &few[..1], Metric::EffectiveRank), true),
            &few,
        ),
    ];
    let premises_of = |id: &str| -> Vec<&Claim> {
        FIT_AND_INIT_PREMISES
            .iter()
            .filter(|(c, _)| c.id == id)
            .flat_map(|(_, ps)| ps.iter())
            .filter_map(|p| judged_all.iter().find(|c| c.id == p.id))
            .collect()
    };
    judged_all
        .iter()
        .map(|c| c.clone().resting_on(&premises_of(&c.id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_non_finite_value_is_never_a_pass() {
        assert_eq!(worst([0.5, 2.0, 1.0], true), 2.0);
        assert_eq!(worst([0.5, 2.0, 1.0], false), 0.5);
        assert!(worst([0.5, f64::NAN], true).is_nan());
        assert!(worst([f64::INFINITY, 0.5], false).is_nan());
        assert!(worst([], true).is_nan());
    }
}
