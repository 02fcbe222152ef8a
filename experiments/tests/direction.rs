//! A short `direction` run (fewer steps and units than its defaults) in which its claims hold;
//! the same network under a fixed-direction step rule, where the claims that rest on the
//! loss-based step fail; a run cut early, where the asymptotic claims fail; and a residual
//! network, which is not homogeneous, where they are not applicable.

mod common;

use autodiff::MarginLoss;
use common::{claim, quiet, scratch, scratch_path};
use experiments::claims::direction::CLAIMS;
use experiments::claims::{Verdict, judge_all};
use experiments::data;
use experiments::metrics::log::Scope;
use experiments::metrics::{Family, Metric, MetricSet};
use experiments::runner::{self, RunRecord};
use experiments::suite::{Common, ExperimentResult, Training, direction, gaussian_start, spec};
use models::StepRule;

fn common() -> Common {
    Common {
        metrics: Some(MetricSet::all().with(Family::Direction)),
        ..quiet()
    }
}

fn short() -> direction::Config {
    direction::Config {
        width: 8,
        steps: 8000,
        ..direction::Config::default()
    }
}

const IDS: [&str; 5] = [
    "smoothed-margin-monotone",
    "direction-converges",
    "gradient-aligns",
    "kkt-residual",
    "kkt-complementary",
];

#[test]
fn the_claims_hold_on_a_short_run() {
    let dir = scratch("direction", "short");
    let path = dir.root().to_path_buf();
    let result: ExperimentResult = direction::run(&short(), &common(), &dir).unwrap();
    assert_eq!(result.runs.len(), 4);
    for run in [
        "linear-exponential",
        "linear-logistic",
        "relu-exponential",
        "relu-logistic",
    ] {
        for id in ["separable", "fits", "homogeneous"].into_iter().chain(IDS) {
            let c = claim(&result.claims, run, id);
            assert_eq!(c.verdict, Verdict::Holds, "{c:?}");
        }
        assert_eq!(
            claim(&result.claims, run, "homogeneous").measured,
            Some(3.0)
        );
        let metrics = std::fs::read_to_string(path.join(run).join("metrics.csv")).unwrap();
        for name in [
            "smoothed_margin",
            "grad_alignment",
            "kkt_residual",
            "direction_change",
        ] {
            assert!(metrics.contains(&format!(",run,0,run,{name},")), "{name}");
        }
    }
    assert_eq!(
        result.charts,
        ["smoothed_margin", "gradient_alignment", "kkt"]
    );
    for stem in &result.charts {
        assert!(dir.plot(stem).is_file(), "{stem}");
    }
    std::fs::remove_dir_all(&path).unwrap();
}

/// Trains `arch` on the experiment's default data with `rule`, every family computed.
fn train(name: &str, arch: &str, rule: StepRule, steps: usize) -> RunRecord {
    let data = data::resolve(&direction::Config::default().data).unwrap();
    let training = Training {
        loss: MarginLoss::Exponential,
        rule,
        lr: 0.1,
        steps,
    };
    let arch = arch.parse().unwrap();
    let s = spec(name, &arch, gaussian_start(0.5), &data, training, &common()).unwrap();
    let out = scratch_path("direction", name);
    let (_, record) = runner::execute(&s, &out, &common().options(), CLAIMS).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    record
}

#[test]
fn the_thresholds_fail_where_the_theory_does_not_reach() {
    // A step of fixed length along ∇ln R ignores Lyu & Li's bound on the step: the smoothed
    // margin falls at times, and the weights on the examples go so far apart that −∇R follows
    // the closest example alone instead of θ.
    let fixed = train(
        "fixed",
        "10,linear:8,linear:8,1",
        StepRule::GradNormalized,
        8000,
    );
    let claims = judge_all(CLAIMS, &fixed);
    assert_eq!(claim(&claims, "fixed", "fits").verdict, Verdict::Holds);
    for id in ["smoothed-margin-monotone", "gradient-aligns"] {
        assert_eq!(claim(&claims, "fixed", id).verdict, Verdict::Fails, "{id}");
    }
    // Cut soon after the fit, the loss-based run is still far from its limit direction.
    let adaptive = train("early", "10,linear:8,linear:8,1", direction::RULE, 8000);
    let early = adaptive.until(60);
    let claims = judge_all(CLAIMS, &early);
    assert_eq!(claim(&claims, "early", "fits").verdict, Verdict::Holds);
    for id in ["gradient-aligns", "kkt-residual"] {
        assert_eq!(claim(&claims, "early", id).verdict, Verdict::Fails, "{id}");
    }
    // Its smoothed margin never fell, and its KKT residual fell from log to log at the end.
    let falls = claim(
        &judge_all(CLAIMS, &adaptive),
        "early",
        "smoothed-margin-monotone",
    )
    .measured
    .unwrap();
    assert!(falls < 0.0, "{falls}");
    let residual = adaptive.log.series(Scope::Run, 0, Metric::KktResidual);
    let tail = &residual[residual.len() - 5..];
    assert!(tail.windows(2).all(|w| w[1].1 < w[0].1), "{tail:?}");
}

#[test]
fn a_network_with_a_skip_connection_is_not_homogeneous() {
    let record = train("skip", "10,relu:8,res(relu),1", direction::RULE, 300);
    let claims = judge_all(CLAIMS, &record);
    let premise = claim(&claims, "skip", "homogeneous");
    assert_eq!(premise.verdict, Verdict::Fails);
    assert_eq!(premise.measured, Some(0.0));
    for id in IDS {
        let c = claim(&claims, "skip", id);
        assert_eq!(c.verdict, Verdict::NotApplicable, "{c:?}");
        assert!(c.metric.contains("premise `homogeneous`"), "{}", c.metric);
    }
    // What does not need homogeneity is still logged.
    assert!(
        record
            .log
            .last(Scope::Run, 0, Metric::GradAlignment)
            .is_some()
    );
    assert!(
        record
            .log
            .last(Scope::Run, 0, Metric::SmoothedMargin)
            .is_none()
    );
}
