//! Which metric families a run computes (`--metrics`): what a metric costs decides whether a
//! researcher wants it at every log of a long, wide run.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A family of metrics switched on or off as a whole. The loss, ln R, the accuracy, the step
/// size and the gradient norm are always recorded: they come with the training step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// min_i y_i f(x_i) and the normalized margin (O(n + parameters) per log).
    Margin,
    /// σ₁, ‖W‖_F, r, the stable rank and σ₂…σ₅ of every layer (a few hundred matrix–vector
    /// products per layer: [`kernels::linalg::top_svd`]).
    Spectral,
    /// |⟨v₁(W_{k+1}), u₁(W_k)⟩| of adjacent layers (the spectral family's vectors).
    Alignment,
    /// The drifts of W_{k+1}ᵀW_{k+1} − W_kW_kᵀ since step 0 (blockwise products of cost
    /// 2·h²·(in + out) per pair of h units, or from Gram matrices where that is smaller).
    Invariance,
    /// Activation-pattern changes and stably-active units of the nonlinear layers (read from
    /// the training step's forward pass: O(n × width)).
    Activity,
    /// Sign flips of the weights between logs (O(parameters)).
    Flips,
    /// Every singular value of every layer, written to `spectra.csv` (a full Jacobi SVD of each
    /// layer per log, 0.72 s for a 512 × 512 layer on one Zen 5 core: only computed when named,
    /// never by `all`).
    FullSpectrum,
    /// The homogeneity degree, Lyu & Li's smoothed margin, the change of θ/‖θ‖ between logs,
    /// cos(θ, −∇R) and the KKT residual of the margin problem (one backward pass per example
    /// and an n × parameters Jacobian per log: only computed when named, never by `all`).
    Direction,
}

impl Family {
    /// Every family, in the order `--metrics` lists them.
    pub const ALL: [Family; 8] = [
        Family::Margin,
        Family::Spectral,
        Family::Alignment,
        Family::Invariance,
        Family::Activity,
        Family::Flips,
        Family::FullSpectrum,
        Family::Direction,
    ];

    /// Whether `all` includes the family: every one but the full spectra, whose cost grows like
    /// width³ per log, and the direction family, whose Jacobian grows like examples × parameters.
    fn in_all(self) -> bool {
        !matches!(self, Family::FullSpectrum | Family::Direction)
    }

    /// Whether some claim reads the family (no claim reads the full spectra).
    fn read_by_claims(self) -> bool {
        self != Family::FullSpectrum
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Family::Margin => "margin",
            Family::Spectral => "spectral",
            Family::Alignment => "alignment",
            Family::Invariance => "invariance",
            Family::Activity => "activity",
            Family::Flips => "flips",
            Family::FullSpectrum => "full-spectrum",
            Family::Direction => "direction",
        }
    }
}

/// A set of metric families.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricSet {
    families: BTreeSet<Family>,
}

impl MetricSet {
    /// Every family but the full spectra (`--metrics all`).
    pub fn all() -> Self {
        Self {
            families: Family::ALL.into_iter().filter(|f| f.in_all()).collect(),
        }
    }

    /// The cheap default of `train`: `all` but the invariance drifts, whose products grow like
    /// width³.
    pub fn cheap() -> Self {
        Self {
            families: Self::all()
                .families
                .into_iter()
                .filter(|&f| f != Family::Invariance)
                .collect(),
        }
    }

    /// The set with `family` added.
    pub fn with(mut self, family: Family) -> Self {
        self.families.insert(family);
        self
    }

    /// Whether `family` is computed.
    pub fn has(&self, family: Family) -> bool {
        self.families.contains(&family)
    }

    /// The families a claim may need that are left out, by name (no claim reads the full
    /// spectra).
    pub fn missing(&self) -> Vec<&'static str> {
        Family::ALL
            .into_iter()
            .filter(|&f| f.read_by_claims() && !self.has(f))
            .map(Family::name)
            .collect()
    }
}

impl fmt::Display for MetricSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.families.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.families.iter().map(|&x| x.name()).collect();
        f.write_str(&names.join(","))
    }
}

/// The names `--metrics` accepts besides the families.
const SETS: [&str; 3] = ["all", "default", "none"];

impl MetricSet {
    /// Every word `--metrics` accepts in its list: the families, then the sets.
    pub fn names() -> Vec<&'static str> {
        Family::ALL
            .map(Family::name)
            .into_iter()
            .chain(SETS)
            .collect()
    }
}

impl FromStr for MetricSet {
    type Err = String;

    /// A comma-separated list of family names, `all` (every family but full-spectrum and
    /// direction),
    /// `default` (`all` but invariance) or `none` (only what comes with the training step).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut families = BTreeSet::new();
        for word in s.split(',').map(str::trim) {
            match word {
                "all" => families.extend(MetricSet::all().families),
                "default" => families.extend(MetricSet::cheap().families),
                "none" => {}
                _ => match Family::ALL.into_iter().find(|f| f.name() == word) {
                    Some(family) => {
                        families.insert(family);
                    }
                    None => {
                        let known: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
                        return Err(format!(
                            "unknown metric family `{word}`; known: {}, or {}",
                            known.join(", "),
                            SETS.join(", ")
                        ));
                    }
                },
            }
        }
        Ok(Self { families })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_print_back() {
        let set: MetricSet = "spectral, alignment".parse().unwrap();
        assert!(set.has(Family::Spectral) && set.has(Family::Alignment));
        assert!(!set.has(Family::Invariance) && !set.has(Family::Margin));
        assert_eq!(set.to_string(), "spectral,alignment");
        assert_eq!("all".parse::<MetricSet>().unwrap(), MetricSet::all());
        assert_eq!("default".parse::<MetricSet>().unwrap(), MetricSet::cheap());
        assert_eq!("none".parse::<MetricSet>().unwrap().to_string(), "none");
        assert_eq!(
            MetricSet::cheap().missing(),
            vec!["invariance", "direction"]
        );
        assert_eq!(MetricSet::all().missing(), vec!["direction"]);
        assert!(!MetricSet::all().has(Family::FullSpectrum));
        let both: MetricSet = "all,full-spectrum,direction".parse().unwrap();
        assert!(both.missing().is_empty() && both.has(Family::FullSpectrum));
        assert_eq!(
            both.to_string(),
            "margin,spectral,alignment,invariance,activity,flips,full-spectrum,direction"
        );
        let again: MetricSet = MetricSet::cheap().to_string().parse().unwrap();
        assert_eq!(again, MetricSet::cheap());
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = "spectral,svd".parse::<MetricSet>().unwrap_err();
        assert_eq!(
            err,
            "unknown metric family `svd`; known: margin, spectral, alignment, invariance, \
             activity, flips, full-spectrum, direction, or all, default, none"
        );
    }
}
