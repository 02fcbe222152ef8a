//! Non-negative least squares: min ‖A·x − b‖ over x ≥ 0, by the active-set method of Lawson &
//! Hanson (*Solving Least Squares Problems*, 1974, chapter 23).
//!
//! The method keeps a passive set P of coordinates free to be positive (the others are held at
//! 0). Each outer step frees the coordinate whose gradient −Aᵀ(A·x − b) points most into the
//! feasible side, then solves the unconstrained problem on P; where that solution leaves the
//! orthant it walks back along the segment to the boundary and drops the coordinates that hit
//! 0, and solves again. Each subproblem is solved by Householder QR of the passive columns, not
//! by the normal equations, whose conditioning is the square of A's.

use crate::MatRef;
use crate::reduce::norm2;

/// The solution of [`nnls`].
#[derive(Clone, Debug, PartialEq)]
pub struct Nnls {
    /// The minimizer x ≥ 0 (exact zeros outside the passive set).
    pub x: Vec<f64>,
    /// ‖A·x − b‖ at the minimizer.
    pub residual: f64,
}

/// The least-squares solution of A_P·z = b over the columns `passive` of `a` (m×n): z in the
/// order of `passive`. Householder QR of the m×k passive block, then back substitution; a
/// column with no component left after the earlier reflections gets 0.
fn passive_least_squares(a: MatRef<'_, f64>, b: &[f64], passive: &[usize]) -> Vec<f64> {
    let m = a.rows();
    let k = passive.len();
    // Column-major copy of the passive block, reflected in place into R above the diagonal.
    let mut r: Vec<f64> = passive
        .iter()
        .flat_map(|&j| (0..m).map(move |i| a.get(i, j)))
        .collect();
    let mut qtb = b.to_vec();
    for c in 0..k.min(m) {
        let col = &r[c * m..(c + 1) * m];
        let norm = col[c..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if col[c] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = col[c..].to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv == 0.0 {
            continue;
        }
        let reflect = |target: &mut [f64]| {
            let dot: f64 = v.iter().zip(&target[c..]).map(|(a, b)| a * b).sum();
            let f = 2.0 * dot / vv;
            target[c..]
                .iter_mut()
                .zip(&v)
                .for_each(|(t, vi)| *t -= f * vi);
        };
        for j in c..k {
            reflect(&mut r[j * m..(j + 1) * m]);
        }
        reflect(&mut qtb);
    }
    let mut z = vec![0.0; k];
    for c in (0..k.min(m)).rev() {
        let diagonal = r[c * m + c];
        let tail: f64 = (c + 1..k).map(|j| r[j * m + c] * z[j]).sum();
        z[c] = if diagonal == 0.0 {
            0.0
        } else {
            (qtb[c] - tail) / diagonal
        };
    }
    z
}

/// A·x − b.
fn residual_vector(a: MatRef<'_, f64>, x: &[f64], b: &[f64]) -> Vec<f64> {
    (0..a.rows())
        .map(|i| (0..a.cols()).map(|j| a.get(i, j) * x[j]).sum::<f64>() - b[i])
        .collect()
}

/// The x ≥ 0 minimizing ‖A·x − b‖ for `a` m×n and `b` of length m.
///
/// A coordinate is freed only while its gradient exceeds a tolerance scaled to the problem
/// (n · ε · ‖A‖_max · ‖b‖), and the outer loop stops after 3n steps, so degenerate problems
/// terminate. A non-finite entry in `a` or `b` gives NaN for every coordinate and the residual.
/// Panics if `b`'s length is not `a`'s row count.
///
/// ```
/// use kernels::MatRef;
/// use kernels::linalg::nnls;
///
/// // The unconstrained solution (1, −1) is infeasible; the constrained one uses column 0 alone.
/// let a = [1.0, 0.0, 0.0, 1.0];
/// let sol = nnls(MatRef::from_row_major(&a, 2, 2).unwrap(), &[1.0, -1.0]);
/// assert_eq!(sol.x, vec![1.0, 0.0]);
/// assert!((sol.residual - 1.0).abs() < 1e-15);
/// ```
pub fn nnls(a: MatRef<'_, f64>, b: &[f64]) -> Nnls {
    let (m, n) = (a.rows(), a.cols());
    assert_eq!(b.len(), m, "nnls: b has {} entries for {m} rows", b.len());
    let finite =
        b.iter().all(|v| v.is_finite()) && (0..m).all(|i| (0..n).all(|j| a.get(i, j).is_finite()));
    if !finite {
        return Nnls {
            x: vec![f64::NAN; n],
            residual: f64::NAN,
        };
    }
    let largest = (0..m)
        .flat_map(|i| (0..n).map(move |j| a.get(i, j).abs()))
        .fold(0.0, f64::max);
    let b_norm = norm2(b);
    let tolerance = (n.max(1) as f64) * f64::EPSILON * largest * b_norm;
    let mut x = vec![0.0; n];
    let mut passive = vec![false; n];
    for _ in 0..3 * n {
        let r = residual_vector(a, &x, b);
        // w = −Aᵀ(A·x − b): the descent direction of ½‖A·x − b‖².
        let gradient = |j: usize| -(0..m).map(|i| a.get(i, j) * r[i]).sum::<f64>();
        let Some((enter, _)) = (0..n)
            .filter(|&j| !passive[j])
            .map(|j| (j, gradient(j)))
            .filter(|&(_, w)| w > tolerance)
            .max_by(|p, q| p.1.total_cmp(&q.1))
        else {
            break;
        };
        passive[enter] = true;
        loop {
            let set: Vec<usize> = (0..n).filter(|&j| passive[j]).collect();
            let z = passive_least_squares(a, b, &set);
            if z.iter().all(|&v| v > 0.0) {
                x.iter_mut().for_each(|v| *v = 0.0);
                for (&j, &v) in set.iter().zip(&z) {
                    x[j] = v;
                }
                break;
            }
            // Walk from x towards z until the first passive coordinate reaches 0.
            let step = set
                .iter()
                .zip(&z)
                .filter(|&(_, &zj)| zj <= 0.0)
                .map(|(&j, &zj)| x[j] / (x[j] - zj))
                .fold(f64::INFINITY, f64::min);
            for (&j, &zj) in set.iter().zip(&z) {
                x[j] += step * (zj - x[j]);
                if x[j] <= 0.0 || zj <= 0.0 && x[j] <= tolerance {
                    x[j] = 0.0;
                    passive[j] = false;
                }
            }
            if !passive.iter().any(|&p| p) {
                break;
            }
        }
    }
    let residual = norm2(&residual_vector(a, &x, b));
    Nnls { x, residual }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn solve(a: &[f64], rows: usize, cols: usize, b: &[f64]) -> Nnls {
        nnls(MatRef::from_row_major(a, rows, cols).unwrap(), b)
    }

    #[test]
    fn a_feasible_least_squares_solution_is_returned_as_is() {
        // Overdetermined and consistent: b = A·(2, 3).
        let a = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let sol = solve(&a, 3, 2, &[2.0, 3.0, 5.0]);
        assert!((sol.x[0] - 2.0).abs() < 1e-14 && (sol.x[1] - 3.0).abs() < 1e-14);
        assert!(sol.residual < 1e-14);
    }

    #[test]
    fn matches_the_hand_solved_constrained_minimum() {
        // min over x ≥ 0 of ‖(x₀ + x₁ − 1, x₀ − x₁ − 1, x₁ + 1)‖: the unconstrained minimum has
        // x₁ = −1/3 < 0, so x₁ = 0 and x₀ = 1 (residual (0, 0, 1)).
        let a = [1.0, 1.0, 1.0, -1.0, 0.0, 1.0];
        let sol = solve(&a, 3, 2, &[1.0, 1.0, -1.0]);
        assert!((sol.x[0] - 1.0).abs() < 1e-14, "{:?}", sol.x);
        assert_eq!(sol.x[1], 0.0);
        assert!((sol.residual - 1.0).abs() < 1e-14);
        // b in the negative orthant of A = I: the answer is 0.
        let id = [1.0, 0.0, 0.0, 1.0];
        let sol = solve(&id, 2, 2, &[-1.0, -2.0]);
        assert_eq!(sol.x, vec![0.0, 0.0]);
        assert!((sol.residual - 5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn meets_the_optimality_conditions_on_random_problems() {
        // KKT of NNLS: x ≥ 0, w = Aᵀ(b − A·x) ≤ 0 everywhere, and w = 0 where x > 0.
        let mut rng = Rng::new(11);
        for (m, n) in [(7, 3), (5, 9), (40, 13), (1, 1), (3, 1)] {
            let a: Vec<f64> = (0..m * n).map(|_| rng.normal()).collect();
            let b: Vec<f64> = (0..m).map(|_| rng.normal()).collect();
            let view = MatRef::from_row_major(&a, m, n).unwrap();
            let sol = nnls(view, &b);
            let r = residual_vector(view, &sol.x, &b);
            for j in 0..n {
                let w: f64 = -(0..m).map(|i| a[i * n + j] * r[i]).sum::<f64>();
                assert!(sol.x[j] >= 0.0);
                assert!(w < 1e-10, "{m}×{n}: w[{j}] = {w}");
                if sol.x[j] > 0.0 {
                    assert!(w.abs() < 1e-10, "{m}×{n}: w[{j}] = {w} at x = {}", sol.x[j]);
                }
            }
            assert!((norm2(&r) - sol.residual).abs() < 1e-12);
        }
    }

    #[test]
    fn non_finite_input_gives_nan() {
        let sol = solve(&[f64::NAN, 1.0], 2, 1, &[1.0, 1.0]);
        assert!(sol.residual.is_nan() && sol.x[0].is_nan());
        let sol = solve(&[1.0, 1.0], 2, 1, &[f64::INFINITY, 1.0]);
        assert!(sol.residual.is_nan());
    }
}
