//! A claim judged on several seeds, summarized as "holds in k of n", with the worst value and
//! the median of the seeds on which it could be judged.

use serde::{Deserialize, Serialize};

use super::verdict::{Claim, Threshold, Verdict};

/// One claim (one id on one run name) over the seeds it was judged on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverSeeds {
    /// The claim's identifier.
    pub id: String,
    /// The run it was measured on (the same name on every seed).
    pub run: String,
    /// Where the claim comes from.
    pub source: String,
    /// The condition for the claim to hold.
    pub threshold: Threshold,
    /// The seeds judged.
    pub seeds: usize,
    /// On how many seeds it held.
    pub holds: usize,
    /// On how many it failed.
    pub fails: usize,
    /// The worst value over the seeds where it was judged (the lowest for a lower bound, the
    /// highest for an upper bound, the farthest from the target otherwise).
    pub worst: Option<f64>,
    /// The median value over the seeds where it was judged.
    pub median: Option<f64>,
    /// (position of the seed in the suite's list, measured value) for every seed where it was
    /// judged, in seed order.
    pub values: Vec<(usize, f64)>,
}

impl OverSeeds {
    /// On how many seeds it was not applicable (a premise failed) or not measured.
    pub fn unjudged(&self) -> usize {
        self.seeds - self.holds - self.fails
    }

    /// "holds in k of n", with the number of seeds it could not be judged on when there are any.
    pub fn tally(&self) -> String {
        let mut text = format!("holds in {} of {}", self.holds, self.seeds);
        if self.unjudged() > 0 {
            text.push_str(&format!(
                " ({} not applicable or not measured)",
                self.unjudged()
            ));
        }
        text
    }
}

/// How far `value` is on the failing side of `threshold`: larger is worse.
fn badness(threshold: Threshold, value: f64) -> f64 {
    match threshold {
        Threshold::Above { .. } => -value,
        Threshold::Below { .. } => value,
        Threshold::Near { target, .. } => (value - target).abs(),
    }
}

/// Groups the claims of every seed by (run, id), in the order they first appear.
pub fn over_seeds(per_seed: &[Vec<Claim>]) -> Vec<OverSeeds> {
    let mut groups: Vec<(&Claim, Vec<(usize, &Claim)>)> = Vec::new();
    for (seed, claim) in per_seed
        .iter()
        .enumerate()
        .flat_map(|(seed, claims)| claims.iter().map(move |c| (seed, c)))
    {
        match groups
            .iter_mut()
            .find(|(first, _)| first.id == claim.id && first.run == claim.run)
        {
            Some((_, all)) => all.push((seed, claim)),
            None => groups.push((claim, vec![(seed, claim)])),
        }
    }
    groups
        .into_iter()
        .map(|(first, seeded)| {
            let values = seeded
                .iter()
                .filter(|(_, c)| matches!(c.verdict, Verdict::Holds | Verdict::Fails))
                .filter_map(|&(seed, c)| Some((seed, c.measured?)))
                .collect();
            let all: Vec<&Claim> = seeded.into_iter().map(|(_, c)| c).collect();
            let count = |v: Verdict| all.iter().filter(|c| c.verdict == v).count();
            let mut judged: Vec<f64> = all
                .iter()
                .filter(|c| matches!(c.verdict, Verdict::Holds | Verdict::Fails))
                .filter_map(|c| c.measured)
                .collect();
            judged.sort_by(f64::total_cmp);
            let worst = judged.iter().copied().max_by(|a, b| {
                badness(first.threshold, *a).total_cmp(&badness(first.threshold, *b))
            });
            let median = (!judged.is_empty()).then(|| {
                let mid = judged.len() / 2;
                if judged.len() % 2 == 1 {
                    judged[mid]
                } else {
                    0.5 * (judged[mid - 1] + judged[mid])
                }
            });
            let holds = count(Verdict::Holds);
            let fails = count(Verdict::Fails);
            OverSeeds {
                id: first.id.clone(),
                run: first.run.clone(),
                source: first.source.clone(),
                threshold: first.threshold,
                seeds: all.len(),
                holds,
                fails,
                worst,
                median,
                values,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: &str, value: f64, threshold: Threshold) -> Claim {
        Claim::evaluate(id, "exp/run", "s", "m", value, threshold)
    }

    #[test]
    fn counts_verdicts_and_picks_the_worst_by_direction() {
        let above = Threshold::Above { value: 0.99 };
        let below = Threshold::Below { value: 0.1 };
        let seeds = vec![
            vec![claim("r", 0.995, above), claim("d", 0.01, below)],
            vec![claim("r", 0.98, above), claim("d", 0.2, below)],
            vec![
                claim("r", 0.999, above).inapplicable("no fit"),
                claim("d", 0.03, below),
            ],
        ];
        let summary = over_seeds(&seeds);
        assert_eq!(summary.len(), 2);
        let r = &summary[0];
        assert_eq!(
            (r.id.as_str(), r.seeds, r.holds, r.fails, r.unjudged()),
            ("r", 3, 1, 1, 1)
        );
        // The inapplicable seed's 0.999 counts for neither the worst nor the median.
        assert_eq!(r.worst, Some(0.98));
        assert_eq!(r.median, Some(0.5 * (0.98 + 0.995)));
        assert_eq!(
            r.tally(),
            "holds in 1 of 3 (1 not applicable or not measured)"
        );
        assert_eq!(r.values, vec![(0, 0.995), (1, 0.98)]);
        let d = &summary[1];
        assert_eq!(
            (d.holds, d.fails, d.worst, d.median),
            (2, 1, Some(0.2), Some(0.03))
        );
        assert_eq!(d.tally(), "holds in 2 of 3");
    }

    #[test]
    fn near_targets_are_worst_farthest_away_and_unjudged_seeds_have_no_values() {
        let near = Threshold::Near {
            target: 2.0,
            tolerance: 0.5,
        };
        let seeds = vec![
            vec![claim("q", 2.1, near)],
            vec![claim("q", 1.7, near)],
            vec![claim("q", f64::NAN, near)],
        ];
        let q = &over_seeds(&seeds)[0];
        assert_eq!((q.holds, q.fails, q.unjudged()), (2, 0, 1));
        assert_eq!(q.worst, Some(1.7));
        let none = over_seeds(&[vec![claim("z", f64::NAN, near)]]);
        assert_eq!((none[0].worst, none[0].median), (None, None));
    }
}
