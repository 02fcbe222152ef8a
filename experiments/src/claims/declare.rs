//! A claim as one declaration, and how a declaration is judged on a run.
//!
//! The judge, the binaries' `--help`, the README's table and the reports all read the same
//! [`ClaimSpec`]; nothing about a claim is written twice.

use autodiff::MarginLoss;

use super::verdict::{Claim, Threshold, Verdict};
use crate::metrics::log::Scope;
use crate::metrics::{Metric, log_loss_term};
use crate::runner::RunRecord;

/// The most points [`ClaimSpec::series`] measures.
pub const SERIES_POINTS: usize = 256;

/// Where a claim comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A numbered result of Le & Jegelka (ICLR 2022), checked against the paper's text.
    Paper(&'static str),
    /// An earlier result the paper builds on, by its authors.
    Prior(&'static str),
    /// A result of another paper, named in full: the neighbouring results the suite also runs.
    Neighbour(&'static str),
    /// A hypothesis of the theorems, judged so that the claims resting on it can say when it
    /// failed.
    Hypothesis(&'static str),
    /// Our own construction or check, not a theorem: the text says what it is.
    Observation(&'static str),
}

impl Source {
    /// The source as text, e.g. `Le & Jegelka 2022, Corollary 1`.
    pub fn describe(&self) -> String {
        match self {
            Source::Paper(result) => format!("Le & Jegelka 2022, {result}"),
            Source::Prior(result) | Source::Neighbour(result) => result.to_string(),
            Source::Hypothesis(of) => format!("hypothesis of {of}"),
            Source::Observation(what) => format!("observation, not a theorem: {what}"),
        }
    }
}

/// The value a claim reads for one entity (a layer, a pair, or the run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quantity {
    /// The metric's last logged value.
    Last(Metric),
    /// The last value of the first metric over the last value of the second.
    LastRatio(Metric, Metric),
    /// The last value of the metric over D₀ = Σ ‖W_j(0)‖_F², summed over the covered layers and
    /// the output row: the constant fixed at initialization that the rate bound names.
    OverInitialMass(Metric),
    /// The last ‖W‖_F² over D₀ (as in [`Quantity::OverInitialMass`]): how far the norms grew.
    SquaredNormOverInitialMass,
    /// The normalized margin over the data's hard-margin SVM margin, at the end.
    MarginOverSvm,
    /// The data's hard-margin SVM margin (0 when no separating direction was found).
    SvmMargin,
    /// min over logs of ln R − ln(ℓ(0)/n): negative once the loss fell below ℓ(0)/n, which puts
    /// every example on the right side with room to spare.
    LossBelowStart,
    /// The full-matrix drift over the largest drift of the conserved quantities (per-neuron,
    /// per-layer, stably-active block) of the same run.
    FullOverConserved,
    /// The largest relative fall (v_s − v_t)/|v_s| of the metric between successive logs s < t
    /// from the first log at which R < ℓ(0)/n (every example fit) on: negative when it rose
    /// at every log.
    LargestFallAfterFit(Metric),
    /// The metric's last value over its largest value at the logs from the first at which
    /// R < ℓ(0)/n on.
    LastOverLargestAfterFit(Metric),
    /// A value computed from several runs by the experiment (see [`ClaimSpec::across`]).
    AcrossRuns(&'static str),
}

impl Quantity {
    fn describe(&self) -> String {
        match self {
            Quantity::Last(m) => format!("{m} at the end"),
            Quantity::LastRatio(a, b) => format!("{a} / {b} at the end"),
            Quantity::OverInitialMass(m) => {
                format!("{m} at the end / D₀ (Σ ‖W_j(0)‖_F² over those layers and the output row)")
            }
            Quantity::SquaredNormOverInitialMass => {
                "‖W‖_F² at the end / D₀ (Σ ‖W_j(0)‖_F² over those layers and the output row)".into()
            }
            Quantity::MarginOverSvm => {
                "normalized margin / hard-margin SVM margin at the end".into()
            }
            Quantity::SvmMargin => "the hard-margin SVM margin of the data (0: none found)".into(),
            Quantity::LossBelowStart => "min over logs of ln R − ln(ℓ(0)/n)".into(),
            Quantity::FullOverConserved => {
                "drift_full / the largest drift of the conserved quantities, at the end".into()
            }
            Quantity::LargestFallAfterFit(m) => {
                format!("the largest relative fall of {m} between successive logs once R < ℓ(0)/n")
            }
            Quantity::LastOverLargestAfterFit(m) => {
                format!("{m} at the end / its largest value once R < ℓ(0)/n")
            }
            Quantity::AcrossRuns(what) => (*what).into(),
        }
    }
}

/// The layers or pairs a claim covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
    /// The run as a whole.
    Run,
    /// Every layer but the output row (a 1 × w matrix is rank one whatever training does).
    Hidden,
    /// The hidden layers of the linear tail: the fully-connected linear layers behind the last
    /// nonlinear one, before the output row.
    TailHidden,
    /// The layers followed by a nonlinearity.
    Nonlinear,
    /// Every adjacent pair.
    Pairs,
    /// The adjacent pairs inside the linear tail (the output row included).
    TailPairs,
    /// The adjacent pairs whose lower layer is followed by a nonlinearity.
    NonlinearPairs,
    /// The pairs inside a residual block: its inner matrix Y below its outer matrix U.
    BlockPairs,
    /// The states written by a learned-skip block's U and Z together, with the matrices that
    /// read them (`metrics::joint_states`).
    JointStates,
}

impl Over {
    fn scope(self) -> Scope {
        match self {
            Over::Run => Scope::Run,
            Over::Hidden | Over::TailHidden | Over::Nonlinear => Scope::Layer,
            Over::Pairs | Over::TailPairs | Over::NonlinearPairs | Over::BlockPairs => Scope::Pair,
            Over::JointStates => Scope::State,
        }
    }

    /// The entities of `record` this covers, by index in their scope.
    pub fn select(self, record: &RunRecord) -> Vec<usize> {
        let layers = record.layers.len();
        match self {
            Over::Run => vec![0],
            Over::Hidden => (0..layers.saturating_sub(1)).collect(),
            Over::TailHidden => {
                let mut tail = record.linear_tail();
                tail.pop();
                tail
            }
            Over::Nonlinear => record.nonlinear_layers(),
            Over::Pairs => (0..record.pairs.len()).collect(),
            Over::TailPairs => {
                let tail = record.linear_tail();
                record.pairs_where(|k| tail.contains(&k))
            }
            Over::NonlinearPairs => (0..record.pairs.len())
                .filter(|&p| !record.layers[record.pairs[p].0].linear)
                .collect(),
            Over::BlockPairs => record.block_pairs(),
            Over::JointStates => (0..record.joint_states().len()).collect(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Over::Run => "the run",
            Over::Hidden => "the layers below the output row",
            Over::TailHidden => "the hidden linear layers of the tail",
            Over::Nonlinear => "the ReLU layers",
            Over::Pairs => "adjacent pairs",
            Over::TailPairs => "adjacent pairs of the linear tail",
            Over::NonlinearPairs => "pairs whose lower layer is a ReLU layer",
            Over::BlockPairs => "the (Y, U) pairs inside residual blocks",
            Over::JointStates => "the states written by learned-skip blocks",
        }
    }

    /// Why a claim over this selection says nothing on a network where it is empty.
    fn empty_reason(self) -> &'static str {
        match self {
            Over::Run => "no run",
            Over::Hidden => "the network has no layer below the output row",
            Over::TailHidden => "the network has no hidden linear layer in its tail",
            Over::Nonlinear => "the network has no ReLU layer",
            Over::Pairs => "the network has no adjacent pair of layers",
            Over::TailPairs => "the linear tail has no adjacent pair",
            Over::NonlinearPairs => "no pair has a ReLU layer below",
            Over::BlockPairs => "the network has no residual block",
            Over::JointStates => {
                "the network has no learned-skip block whose state another layer reads"
            }
        }
    }
}

/// How the values of the covered entities become one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    /// The smallest (the worst for a lower bound).
    Min,
    /// The largest (the worst for an upper bound).
    Max,
}

/// One claim, declared once.
#[derive(Clone, Copy, Debug)]
pub struct ClaimSpec {
    /// Short identifier, e.g. `tail-rank-one`.
    pub id: &'static str,
    /// The claim in words.
    pub statement: &'static str,
    /// Where it comes from.
    pub source: Source,
    /// What is read per entity.
    pub quantity: Quantity,
    /// Which entities.
    pub over: Over,
    /// How their values combine.
    pub reduce: Reduce,
    /// The condition the combined value must meet.
    pub threshold: Threshold,
    /// Hypotheses judged first: if one does not hold, this claim is not applicable.
    pub premises: &'static [&'static ClaimSpec],
    /// True when the claim rests on a loss with an exponential tail (logistic, exponential),
    /// which drives the norms to infinity; under the squared loss it is not applicable.
    pub needs_exponential_tail: bool,
}

impl ClaimSpec {
    /// What is measured, in words, e.g. "min over the hidden linear layers of the tail of r at
    /// the end".
    pub fn measure(&self) -> String {
        let what = self.quantity.describe();
        match (self.over, self.reduce) {
            (Over::Run, _) => what,
            (over, Reduce::Min) => format!("min over {} of {what}", over.describe()),
            (over, Reduce::Max) => format!("max over {} of {what}", over.describe()),
        }
    }

    /// Whether a run's report draws this claim on a chart of its own: every claim on one run
    /// but those whose quantity a run chart already shows with its threshold (r, σ₂/σ₁,
    /// alignment). A claim comparing runs is one number, in the claims table.
    pub fn own_chart(&self) -> bool {
        !matches!(
            self.quantity,
            Quantity::AcrossRuns(_)
                | Quantity::Last(Metric::Ratio | Metric::Alignment)
                | Quantity::LastRatio(Metric::Sigma2, Metric::Sigma1)
        )
    }

    /// What the claim measures at logged steps of `record`, as if the run had ended there (its
    /// log cut after that step): the curve its verdict is the end of. At most [`SERIES_POINTS`]
    /// steps, spread evenly over the logs (the last always among them), so that a run logged at
    /// every step costs a few hundred measurements, not one per log. Empty for a claim comparing
    /// runs or one that covers nothing on this network.
    pub fn series(&self, record: &RunRecord) -> Vec<(usize, f64)> {
        let covered = self.over.select(record);
        if covered.is_empty() || matches!(self.quantity, Quantity::AcrossRuns(_)) {
            return Vec::new();
        }
        let steps: Vec<usize> = record
            .log
            .series(Scope::Run, 0, Metric::LogLoss)
            .into_iter()
            .map(|(step, _)| step)
            .collect();
        let every = steps.len().div_ceil(SERIES_POINTS).max(1);
        let last = steps.len().saturating_sub(1);
        steps
            .iter()
            .enumerate()
            .filter(|&(i, _)| i % every == 0 || i == last)
            .map(|(_, &step)| (step, self.reduce_values(&record.until(step), &covered)))
            .collect()
    }

    /// The claim on `record`: its premises first (each a claim of its own, in `out` once), then
    /// this claim, not applicable when a premise failed or the network has nothing it covers.
    pub fn judge(&self, record: &RunRecord) -> Claim {
        self.judge_given(record, &|p| p.judge(record).verdict)
    }

    /// The claim on `record`, its premises' verdicts given by `premise`.
    fn judge_given(&self, record: &RunRecord, premise: &dyn Fn(&ClaimSpec) -> Verdict) -> Claim {
        let covered = self.over.select(record);
        let value = if covered.is_empty() {
            f64::NAN
        } else {
            self.reduce_values(record, &covered)
        };
        let claim = self.with_value(&record.name, value);
        if covered.is_empty() {
            return claim.inapplicable(self.over.empty_reason());
        }
        match self.unmet(record, premise) {
            Some(reason) => claim.inapplicable(&reason),
            None => claim,
        }
    }

    /// Why the theory behind this claim says nothing about `record`, if it does not: a loss
    /// without an exponential tail, a collapsed network (for a claim that is not itself a
    /// hypothesis), or a premise that does not hold (its verdict given by `premise`).
    fn unmet(&self, record: &RunRecord, premise: &dyn Fn(&ClaimSpec) -> Verdict) -> Option<String> {
        if self.needs_exponential_tail && record.loss == MarginLoss::Squared {
            return Some(
                "the squared loss does not drive the norms to infinity, so the theory predicts nothing"
                    .into(),
            );
        }
        // A hypothesis is judged on its own measure: a collapse shows in `fits`, never hides it.
        if !matches!(self.source, Source::Hypothesis(_))
            && let Some(reason) = record.collapse()
        {
            return Some(reason);
        }
        if self.quantity == Quantity::SvmMargin
            && let Some(reason) = record.separability.inapplicable()
        {
            return Some(reason);
        }
        self.premises.iter().find_map(|p| {
            let verdict = premise(p);
            (verdict != Verdict::Holds)
                .then(|| format!("premise `{}` is {}", p.id, verdict.as_str()))
        })
    }

    /// The claim with `value`, computed by an experiment from the runs `runs` (a comparison),
    /// judged under `name`: not applicable when the theory says nothing about one of the runs.
    pub fn across(&self, name: &str, value: f64, runs: &[&RunRecord]) -> Claim {
        let claim = self.with_value(name, value);
        match runs.iter().find_map(|r| {
            self.unmet(r, &|p| p.judge(r).verdict)
                .map(|why| format!("run `{}`: {why}", r.name))
        }) {
            Some(reason) => claim.inapplicable(&reason),
            None => claim,
        }
    }

    /// The claim with a value computed elsewhere, judged on `run` by the threshold alone.
    pub fn with_value(&self, run: &str, value: f64) -> Claim {
        let mut claim = Claim::evaluate(
            self.id,
            run,
            self.statement,
            &self.measure(),
            value,
            self.threshold,
        );
        claim.source = self.source.describe();
        claim
    }

    fn reduce_values(&self, record: &RunRecord, covered: &[usize]) -> f64 {
        let scope = self.over.scope();
        let last = |i: usize, m: Metric| record.log.last(scope, i, m).unwrap_or(f64::NAN);
        let initial_mass = || -> f64 {
            let output = record.layers.len().saturating_sub(1);
            covered
                .iter()
                .copied()
                .chain((!covered.contains(&output)).then_some(output))
                .map(|k| {
                    let series = record.log.series(Scope::Layer, k, Metric::Frobenius);
                    series.first().map_or(f64::NAN, |&(_, f)| f * f)
                })
                .sum()
        };
        let values: Vec<f64> = match self.quantity {
            Quantity::Last(m) => covered.iter().map(|&i| last(i, m)).collect(),
            Quantity::LastRatio(a, b) => covered.iter().map(|&i| last(i, a) / last(i, b)).collect(),
            Quantity::OverInitialMass(m) => {
                let mass = initial_mass();
                covered.iter().map(|&i| last(i, m) / mass).collect()
            }
            Quantity::SquaredNormOverInitialMass => {
                let mass = initial_mass();
                covered
                    .iter()
                    .map(|&i| last(i, Metric::Frobenius).powi(2) / mass)
                    .collect()
            }
            Quantity::MarginOverSvm => vec![
                record
                    .svm_margin()
                    .map_or(f64::NAN, |svm| last(0, Metric::NormalizedMargin) / svm),
            ],
            Quantity::SvmMargin => vec![record.svm_margin().unwrap_or(0.0)],
            Quantity::LossBelowStart => {
                let lowest = record
                    .log
                    .series(Scope::Run, 0, Metric::LogLoss)
                    .into_iter()
                    .map(|(_, v)| v)
                    .fold(f64::INFINITY, f64::min);
                vec![lowest - fit_level(record)]
            }
            Quantity::LargestFallAfterFit(m) => {
                let values = after_fit(record, m);
                let falls = values.windows(2).map(|w| (w[0] - w[1]) / w[0].abs());
                vec![falls.fold(f64::NAN, f64::max)]
            }
            Quantity::LastOverLargestAfterFit(m) => {
                let values = after_fit(record, m);
                let largest = values.iter().copied().fold(f64::NAN, f64::max);
                vec![values.last().map_or(f64::NAN, |last| last / largest)]
            }
            Quantity::FullOverConserved => {
                let worst = |m: Metric, pairs: &[usize]| {
                    pairs
                        .iter()
                        .map(|&p| record.log.last(Scope::Pair, p, m).unwrap_or(f64::NAN))
                        .fold(f64::NAN, f64::max)
                };
                let all: Vec<usize> = (0..record.pairs.len()).collect();
                let active_block = if worst(Metric::ActiveCount, covered) > 0.0 {
                    worst(Metric::DriftActive, covered)
                } else {
                    f64::NAN
                };
                let conserved = [
                    worst(Metric::DriftNeuron, &all),
                    worst(Metric::DriftLayer, &all),
                    active_block,
                ]
                .into_iter()
                .fold(f64::NAN, f64::max);
                covered
                    .iter()
                    .map(|&p| last(p, Metric::DriftFull) / conserved)
                    .collect()
            }
            Quantity::AcrossRuns(_) => vec![f64::NAN],
        };
        if values.iter().any(|v| !v.is_finite()) {
            return f64::NAN;
        }
        let pick = match self.reduce {
            Reduce::Min => f64::min,
            Reduce::Max => f64::max,
        };
        values.into_iter().reduce(pick).unwrap_or(f64::NAN)
    }
}

/// ln(ℓ(0)/n): below it, every example of the run is classified with room to spare.
fn fit_level(record: &RunRecord) -> f64 {
    log_loss_term(0.0, record.loss) - (record.examples.max(1) as f64).ln()
}

/// The run-scope values of `metric` at the logs from the first at which ln R < ln(ℓ(0)/n) on
/// (empty when the run never got there).
fn after_fit(record: &RunRecord, metric: Metric) -> Vec<f64> {
    let level = fit_level(record);
    let Some(first) = record
        .log
        .series(Scope::Run, 0, Metric::LogLoss)
        .into_iter()
        .find(|&(_, v)| v < level)
        .map(|(step, _)| step)
    else {
        return Vec::new();
    };
    record
        .log
        .series(Scope::Run, 0, metric)
        .into_iter()
        .filter(|&(step, _)| step >= first)
        .map(|(_, v)| v)
        .collect()
}

/// `specs` with their premises, each once and before the first claim that rests on it: the
/// order a run's claims are judged and shown in.
pub fn in_judging_order<'a>(specs: &[&'a ClaimSpec]) -> Vec<&'a ClaimSpec> {
    fn add<'a>(spec: &'a ClaimSpec, order: &mut Vec<&'a ClaimSpec>) {
        if order.iter().any(|s| s.id == spec.id) {
            return;
        }
        for premise in spec.premises {
            add(premise, order);
        }
        order.push(spec);
    }
    let mut order = Vec::new();
    for spec in specs {
        add(spec, &mut order);
    }
    order
}

/// The claims `specs` on `record` in [`in_judging_order`], so that a run's table shows the
/// hypotheses it was judged under; each premise is judged once and its verdict reused.
pub fn judge_all(specs: &[&ClaimSpec], record: &RunRecord) -> Vec<Claim> {
    let mut judged: Vec<Claim> = Vec::new();
    for spec in in_judging_order(specs) {
        let claim = spec.judge_given(record, &|p| {
            judged
                .iter()
                .find(|c| c.id == p.id)
                .map_or_else(|| p.judge(record).verdict, |c| c.verdict)
        });
        judged.push(claim);
    }
    judged
}

/// The claims as `--help` text: id, source, statement, measure, threshold and premises.
pub fn help(specs: &[&ClaimSpec]) -> String {
    let mut out = String::from(
        "Claims (each judged on every run it names; `not applicable` when a premise fails):\n",
    );
    for spec in specs {
        out.push_str(&format!(
            "  {}  [{}]\n    {}\n    measured: {}; holds when {}",
            spec.id,
            spec.source.describe(),
            spec.statement,
            spec.measure(),
            spec.threshold.describe()
        ));
        if !spec.premises.is_empty() {
            let ids: Vec<&str> = spec.premises.iter().map(|p| p.id).collect();
            out.push_str(&format!("; premises: {}", ids.join(", ")));
        }
        out.push('\n');
    }
    out
}

/// The claims as a Markdown table (the one `experiments/README.md` holds).
pub fn markdown_table(specs: &[&ClaimSpec]) -> String {
    let mut out = String::from(
        "| claim | source | statement | measured | holds when | premises |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for spec in specs {
        let premises: Vec<String> = spec
            .premises
            .iter()
            .map(|p| format!("`{}`", p.id))
            .collect();
        let cell = |s: &str| s.replace('|', "\\|");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            spec.id,
            cell(&spec.source.describe()),
            cell(spec.statement),
            cell(&spec.measure()),
            cell(&spec.threshold.describe()),
            if premises.is_empty() {
                "—".to_string()
            } else {
                premises.join(", ")
            }
        ));
    }
    out
}
