//! The bias-free hard-margin SVM margin of a data set: the value the normalized margin of a deep
//! linear network converges to (THEORY.md, claim 3).
//!
//! Primal: min ½‖w‖² s.t. y_i⟨w, x_i⟩ ≥ 1; its solution gives the margin γ* = 1/‖w*‖ =
//! max_{‖u‖=1} min_i y_i⟨u, x_i⟩. Dual: max_{α ≥ 0} Σα_i − ½‖Σα_i y_i x_i‖², solved by exact
//! coordinate ascent (one α_i at a time, clipped at 0, with LIBLINEAR's shrinking), sweeping the
//! examples in a seeded random order. With w = Σα_i y_i x_i and S = Σα_i, every iterate brackets
//! the margin:
//!
//! * lower bound: the margin min_i y_i⟨w, x_i⟩/‖w‖ actually achieved by the direction w/‖w‖;
//! * upper bound: ‖w‖/S, the norm of the convex combination Σ(α_i/S) y_i x_i, which bounds
//!   γ* because ⟨u*, y_i x_i⟩ ≥ γ* for every i.
//!
//! The solver stops when the bracket is tight (separable, margin = the lower bound, so the
//! returned direction achieves it exactly) or when the upper bound falls below a floor (the data is
//! not separable by a margin worth the name: for non-separable data α grows without bound while w
//! stays bounded, so the upper bound tends to 0). Both bounds are computed over every example
//! whatever the sweeps skipped, so the guarantee does not depend on the shrinking heuristic.
//!
//! A run asks for the margin of its data set after training; [`cached_hard_margin`] solves each
//! data set once per process, so the runs of an experiment or the points of a sweep on the same
//! data share one solve.

mod ascent;
mod cache;
mod premise;
#[cfg(test)]
mod tests;

use kernels::reduce::dot;
use kernels::rng::Rng;

pub use cache::{MarginCache, cached_hard_margin, cached_solve};
pub use premise::Separability;

use crate::data::Dataset;
use ascent::Ascent;

/// Bias-free hard-margin SVM by dual coordinate ascent: max γ s.t. y_i⟨w,x_i⟩ ≥ γ, ‖w‖ = 1.
#[derive(Clone, Debug, PartialEq)]
pub enum SvmResult {
    /// Some direction through the origin separates the classes.
    Separable {
        /// min_i y_i⟨direction, x_i⟩, within the solver's relative tolerance of the optimum.
        margin: f64,
        /// The unit normal achieving `margin`.
        direction: Vec<f64>,
    },
    /// No direction separates the classes with a positive margin (or, after the work budget ran
    /// out, none was found; see [`SvmReport::converged`]).
    NotSeparable,
}

/// Knobs of the solver; the defaults suit data scaled to max ‖x_i‖ = 1.
#[derive(Clone, Debug, PartialEq)]
pub struct SvmOptions {
    /// Stop when (upper − lower) ≤ tolerance · upper.
    pub tolerance: f64,
    /// Declare the data not separable when the upper bound on the margin falls below this.
    pub min_margin: f64,
    /// Budget in multiply-adds (a sweep over the examples still in play costs about
    /// 2·their count·dim, a bracket check about n·dim); caps the run time on hard data.
    pub max_work: f64,
}

impl Default for SvmOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-6,
            // Far below any margin gradient descent could approach in a run, and reached quickly
            // on non-separable data (the upper bound falls like 1/epochs there).
            min_margin: 1e-5,
            // Fashion-MNIST 1 vs 8 (12,000 × 784, margin 0.0070) closes its bracket within 2e9
            // multiply-adds (not within 1e9), in 0.6 s; five times that leaves room for harder
            // pairs at a few seconds at most.
            max_work: 1e10,
        }
    }
}

/// The full outcome of [`solve`]: the result, the final bracket and how the solver ended.
#[derive(Clone, Debug, PartialEq)]
pub struct SvmReport {
    /// The verdict.
    pub result: SvmResult,
    /// A margin achieved by the final direction (negative if it misclassifies a point).
    pub lower: f64,
    /// An upper bound on the optimal margin.
    pub upper: f64,
    /// Sweeps over the examples in play performed.
    pub epochs: usize,
    /// True when the bracket closed or the upper bound fell below `min_margin`; false when the
    /// work budget ran out first (the result is then the best guess: separable iff the final
    /// direction separates).
    pub converged: bool,
}

/// Sweeps checked after every one: easy data closes its bracket within them.
const EARLY_CHECKS: usize = 8;
/// Past the early sweeps, a bracket check (one pass over every example) comes after this many
/// passes' worth of sweeping, so checks stay about a fifth of the work however few examples the
/// shrunken sweeps still visit.
const PASSES_PER_CHECK: f64 = 4.0;
/// At least this many sweeps run whatever the budget, so tiny budgets still give a bracket.
const MIN_EPOCHS: usize = 10;

/// The hard-margin SVM of `data` with the default options, solved afresh (see
/// [`cached_hard_margin`] for the once-per-data-set lookup).
pub fn hard_margin(data: &Dataset) -> SvmResult {
    solve(data, &SvmOptions::default()).result
}

/// Runs the dual coordinate ascent with explicit options and returns the whole report. Empty data
/// and data holding a zero input are not separable (no direction gives a zero input a positive
/// margin).
pub fn solve(data: &Dataset, options: &SvmOptions) -> SvmReport {
    let (n, dim) = (data.n, data.dim);
    let z: Vec<f64> = (0..n)
        .flat_map(|i| data.row(i).iter().map(move |&v| v * data.y[i]))
        .collect();
    let sq_norms: Vec<f64> = z.chunks(dim.max(1)).map(|r| dot(r, r)).collect();
    if n == 0 || dim == 0 || sq_norms.contains(&0.0) {
        return SvmReport {
            result: SvmResult::NotSeparable,
            lower: 0.0,
            upper: 0.0,
            epochs: 0,
            converged: true,
        };
    }
    let pass = (n * dim) as f64;
    let mut ascent = Ascent::new(&z, &sq_norms, dim);
    let mut rng = Rng::new(0x5u64);
    let mut bracket = (f64::NEG_INFINITY, f64::INFINITY);
    let (mut epoch, mut work, mut since_check) = (0, 0.0, 0.0);
    loop {
        let sweep = ascent.sweep(&mut rng);
        epoch += 1;
        let cost = 2.0 * (sweep.visited * dim) as f64;
        work += cost;
        since_check += cost;
        let out_of_budget = epoch >= MIN_EPOCHS && work >= options.max_work;
        // A settled sweep means the examples in play are optimal among themselves: only a check
        // (which readmits the skipped ones that now violate) can make progress, but not more
        // often than once per pass, so a stubborn bracket cannot make every sweep a full pass.
        let settled = sweep.spread <= options.tolerance && since_check >= pass;
        if epoch <= EARLY_CHECKS
            || since_check >= PASSES_PER_CHECK * pass
            || settled
            || out_of_budget
        {
            bracket = ascent.check();
            work += pass;
            since_check = 0.0;
            let (lower, upper) = bracket;
            if lower > 0.0 && upper - lower <= options.tolerance * upper {
                let result = SvmResult::separable(lower, ascent.w());
                return finish(result, bracket, epoch, true);
            }
            if upper < options.min_margin {
                return finish(SvmResult::NotSeparable, bracket, epoch, true);
            }
        }
        if out_of_budget {
            break;
        }
    }
    let result = if bracket.0 > 0.0 {
        SvmResult::separable(bracket.0, ascent.w())
    } else {
        SvmResult::NotSeparable
    };
    finish(result, bracket, epoch, false)
}

impl SvmResult {
    /// The separable result for margin `margin` along `w` (normalized here).
    fn separable(margin: f64, w: &[f64]) -> Self {
        let length = dot(w, w).sqrt();
        SvmResult::Separable {
            margin,
            direction: w.iter().map(|a| a / length).collect(),
        }
    }

    /// The margin when separable.
    pub fn margin(&self) -> Option<f64> {
        match self {
            SvmResult::Separable { margin, .. } => Some(*margin),
            SvmResult::NotSeparable => None,
        }
    }
}

/// Packs a report.
fn finish(result: SvmResult, bracket: (f64, f64), epochs: usize, converged: bool) -> SvmReport {
    SvmReport {
        result,
        lower: bracket.0,
        upper: bracket.1,
        epochs,
        converged,
    }
}
