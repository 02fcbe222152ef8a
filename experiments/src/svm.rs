//! The bias-free hard-margin SVM margin of a data set: the value the normalized margin of a deep
//! linear network converges to (THEORY.md, claim 3).
//!
//! Primal: min ½‖w‖² s.t. y_i⟨w, x_i⟩ ≥ 1; its solution gives the margin γ* = 1/‖w*‖ =
//! max_{‖u‖=1} min_i y_i⟨u, x_i⟩. Dual: max_{α ≥ 0} Σα_i − ½‖Σα_i y_i x_i‖², solved by exact
//! coordinate ascent (one α_i at a time, clipped at 0), sweeping the examples in a seeded random
//! order. With w = Σα_i y_i x_i and S = Σα_i, every iterate brackets the margin:
//!
//! * lower bound: the margin min_i y_i⟨w, x_i⟩/‖w‖ actually achieved by the direction w/‖w‖;
//! * upper bound: ‖w‖/S, the norm of the convex combination Σ(α_i/S) y_i x_i, which bounds
//!   γ* because ⟨u*, y_i x_i⟩ ≥ γ* for every i.
//!
//! The solver stops when the bracket is tight (separable, margin = the lower bound, so the
//! returned direction achieves it exactly) or when the upper bound falls below a floor (the data is
//! not separable by a margin worth the name: for non-separable data α grows without bound while w
//! stays bounded, so the upper bound tends to 0).

use kernels::rng::Rng;

use crate::data::Dataset;

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
    /// Budget in multiply-adds (one epoch costs about 2·n·dim); caps the run time on hard data.
    pub max_work: f64,
}

impl Default for SvmOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-6,
            // Far below any margin gradient descent could approach in a run, and reached quickly
            // on non-separable data (the upper bound falls like 1/epochs there).
            min_margin: 1e-5,
            max_work: 2e9,
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
    /// Sweeps over the data performed.
    pub epochs: usize,
    /// True when the bracket closed or the upper bound fell below `min_margin`; false when the
    /// work budget ran out first (the result is then the best guess: separable iff the final
    /// direction separates).
    pub converged: bool,
}

/// The hard-margin SVM of `data` with the default options.
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
    let max_epochs = (options.max_work / (2.0 * (n * dim) as f64)).max(10.0) as usize;
    let mut alpha = vec![0.0; n];
    let mut w = vec![0.0; dim];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(0x5u64);
    let mut bracket = (f64::NEG_INFINITY, f64::INFINITY);
    let mut epoch = 0;
    while epoch < max_epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let zi = &z[i * dim..(i + 1) * dim];
            let gradient = dot(&w, zi) - 1.0;
            let updated = (alpha[i] - gradient / sq_norms[i]).max(0.0);
            let delta = updated - alpha[i];
            if delta != 0.0 {
                alpha[i] = updated;
                w.iter_mut().zip(zi).for_each(|(a, b)| *a += delta * b);
            }
        }
        epoch += 1;
        // Checking costs about one epoch, so check often early and every few epochs later.
        if epoch <= 8 || epoch % 8 == 0 || epoch == max_epochs {
            // Rebuild w from α so the bracket is exact for this α despite accumulated rounding.
            w = combination(&z, &alpha, dim);
            bracket = bounds(&z, &w, alpha.iter().sum(), dim);
            let (lower, upper) = bracket;
            if lower > 0.0 && upper - lower <= options.tolerance * upper {
                return finish(SvmResult::separable(lower, &w), bracket, epoch, true);
            }
            if upper < options.min_margin {
                return finish(SvmResult::NotSeparable, bracket, epoch, true);
            }
        }
    }
    let result = if bracket.0 > 0.0 {
        SvmResult::separable(bracket.0, &w)
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

/// Σ α_i z_i.
fn combination(z: &[f64], alpha: &[f64], dim: usize) -> Vec<f64> {
    let mut w = vec![0.0; dim];
    for (zi, &a) in z.chunks(dim).zip(alpha) {
        if a != 0.0 {
            w.iter_mut().zip(zi).for_each(|(acc, b)| *acc += a * b);
        }
    }
    w
}

/// (lower, upper) bounds on the optimal margin for w = Σα_i z_i with S = Σα_i.
fn bounds(z: &[f64], w: &[f64], sum_alpha: f64, dim: usize) -> (f64, f64) {
    let length = dot(w, w).sqrt();
    if length == 0.0 || sum_alpha == 0.0 {
        return (f64::NEG_INFINITY, f64::INFINITY);
    }
    let worst = z
        .chunks(dim)
        .map(|zi| dot(w, zi))
        .fold(f64::INFINITY, f64::min);
    (worst / length, length / sum_alpha)
}

/// Inner product.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{digits, gaussian, two_point};

    /// A data set from rows and labels, unscaled (the tests choose norms ≤ 1 themselves).
    fn dataset(rows: &[[f64; 2]], y: &[f64]) -> Dataset {
        Dataset {
            name: "test".to_owned(),
            n: rows.len(),
            dim: 2,
            x: rows.iter().flatten().copied().collect(),
            y: y.to_vec(),
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
}
