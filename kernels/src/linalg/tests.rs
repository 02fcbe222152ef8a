//! The SVD on matrices with known singular values and vectors, rank-deficient and degenerate
//! shapes, and extreme scales.

use super::*;
use crate::rng::Rng;

/// k orthonormal columns of length n (stored one after another): Gram–Schmidt, twice, on
/// Gaussian vectors.
pub(super) fn random_orthonormal(rng: &mut Rng, n: usize, k: usize) -> Vec<f64> {
    let mut q: Vec<f64> = Vec::with_capacity(n * k);
    for j in 0..k {
        let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for _ in 0..2 {
            for prev in q.chunks_exact(n) {
                let d: f64 = v.iter().zip(prev).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(prev).for_each(|(a, &b)| *a -= d * b);
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        q.extend(v.iter().map(|a| a / norm));
        assert_eq!(q.len(), (j + 1) * n);
    }
    q
}

/// The row-major m×n matrix Σ_l s_l u_l v_lᵀ, each entry correctly rounded up to a few ulps:
/// products and sums are carried with their rounding errors (error-free transformations), so the
/// test measures the SVD's error and not the construction's.
pub(super) fn compose(u: &[f64], s: &[f64], v: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut a = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let (mut sum, mut err) = (0.0f64, 0.0f64);
            for (l, &sl) in s.iter().enumerate() {
                // s·u exactly as hi + lo, then (hi + lo)·v as a sum of exact products.
                let (x, y) = (u[l * m + i], v[l * n + j]);
                let hi = sl * x;
                let lo = sl.mul_add(x, -hi);
                for term in [hi * y, hi.mul_add(y, -(hi * y)), lo * y] {
                    let t = sum + term;
                    err += if sum.abs() >= term.abs() {
                        (sum - t) + term
                    } else {
                        (term - t) + sum
                    };
                    sum = t;
                }
            }
            a[i * n + j] = sum + err;
        }
    }
    a
}

fn frobenius(x: &[f64]) -> f64 {
    x.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// Checks the invariants every SVD must satisfy: shape, order, unit and orthogonal vectors, sign
/// rule, and A ≈ U·diag(s)·Vᵀ to `tol`·‖A‖.
fn check_decomposition(a: &[f64], m: usize, n: usize, svd: &Svd, tol: f64) {
    let k = m.min(n);
    assert_eq!((svd.rows, svd.cols), (m, n));
    assert_eq!(svd.singular_values.len(), k);
    assert_eq!((svd.u.len(), svd.v.len()), (k * m, k * n));
    let s = &svd.singular_values;
    assert!(s.windows(2).all(|w| w[0] >= w[1]), "not decreasing: {s:?}");
    assert!(s.iter().all(|&x| x >= 0.0));
    for (vectors, len) in [(&svd.u, m), (&svd.v, n)] {
        for i in 0..k {
            for j in 0..=i {
                let d: f64 = (0..len)
                    .map(|t| vectors[i * len + t] * vectors[j * len + t])
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (d - want).abs() < tol,
                    "vectors {i}, {j} of length {len}: dot {d}"
                );
            }
        }
    }
    for i in 0..k {
        let v = svd.right_vector(i);
        let pivot = v.iter().map(|x| x.abs()).fold(0.0, f64::max);
        let first = v.iter().find(|x| x.abs() == pivot).unwrap();
        assert!(*first > 0.0, "vector {i} has a negative largest component");
    }
    let back = compose(&svd.u, s, &svd.v, m, n);
    let diff: Vec<f64> = a.iter().zip(&back).map(|(x, y)| x - y).collect();
    let norm = frobenius(a);
    assert!(
        frobenius(&diff) <= tol * norm.max(f64::MIN_POSITIVE),
        "{m}×{n}: reconstruction error {} vs ‖A‖ {norm}",
        frobenius(&diff)
    );
}

#[test]
fn known_singular_values_and_vectors_are_recovered() {
    let mut rng = Rng::new(31);
    for (m, n) in [
        (2, 2),
        (7, 5),
        (5, 7),
        (40, 40),
        (120, 60),
        (60, 120),
        (200, 150),
        (300, 300),
    ] {
        let k = m.min(n);
        let u = random_orthonormal(&mut rng, m, k);
        let v = random_orthonormal(&mut rng, n, k);
        // Distinct, well separated values spanning ten orders of magnitude.
        let s: Vec<f64> = (0..k)
            .map(|i| 10f64.powf(-10.0 * i as f64 / k as f64) * 3.0)
            .collect();
        let a = compose(&u, &s, &v, m, n);
        let svd = svd(MatRef::from_row_major(&a, m, n).unwrap());
        check_decomposition(&a, m, n, &svd, 1e-12);
        // Each column takes part in about n rotations per sweep, each adding a rounding of
        // relative size ε, so Jacobi's error bound grows like n·ε·‖A‖ (as LAPACK's tests allow).
        let tol = 2.0 * m.max(n) as f64 * f64::EPSILON * s[0];
        for (i, (&got, &want)) in svd.singular_values.iter().zip(&s).enumerate() {
            assert!(
                (got - want).abs() <= tol,
                "{m}×{n}: σ{i} = {got}, expected {want}"
            );
        }
        // The leading vectors (large gaps relative to ‖A‖) match up to sign.
        for i in 0..k.min(5) {
            let dot_u: f64 = (0..m).map(|t| svd.left_vector(i)[t] * u[i * m + t]).sum();
            let dot_v: f64 = (0..n).map(|t| svd.right_vector(i)[t] * v[i * n + t]).sum();
            assert!(
                (dot_u.abs() - 1.0).abs() < 1e-12,
                "{m}×{n}: u{i}·u = {dot_u}"
            );
            assert!(
                (dot_u - dot_v).abs() < 1e-12,
                "{m}×{n}: signs of pair {i} disagree"
            );
        }
    }
}

#[test]
fn rank_deficient_matrices_have_zero_trailing_values() {
    let mut rng = Rng::new(32);
    for (m, n, r) in [(30, 20, 5), (20, 30, 5), (50, 50, 1), (9, 9, 8)] {
        let u = random_orthonormal(&mut rng, m, r);
        let v = random_orthonormal(&mut rng, n, r);
        let s: Vec<f64> = (0..r).map(|i| (r - i) as f64).collect();
        let a = compose(&u, &s, &v, m, n);
        let svd = svd(MatRef::from_row_major(&a, m, n).unwrap());
        check_decomposition(&a, m, n, &svd, 1e-12);
        for (i, &got) in svd.singular_values.iter().enumerate() {
            let want = s.get(i).copied().unwrap_or(0.0);
            assert!(
                (got - want).abs() <= 1e-13 * s[0],
                "{m}×{n} rank {r}: σ{i} = {got}"
            );
        }
    }
}

#[test]
fn vectors_and_columns() {
    let row = [3.0, -4.0, 0.0, 12.0];
    let svd_row = svd(MatRef::from_row_major(&row, 1, 4).unwrap());
    assert_eq!(svd_row.singular_values, vec![13.0]);
    assert_eq!(svd_row.left_vector(0), &[1.0]);
    assert_eq!(
        svd_row.right_vector(0),
        &[3.0 / 13.0, -4.0 / 13.0, 0.0, 12.0 / 13.0]
    );
    check_decomposition(&row, 1, 4, &svd_row, 1e-15);

    let col = [-3.0, 4.0, 0.0, -12.0];
    let svd_col = svd(MatRef::from_row_major(&col, 4, 1).unwrap());
    assert_eq!(svd_col.singular_values, vec![13.0]);
    assert_eq!(svd_col.right_vector(0), &[1.0]);
    assert_eq!(
        svd_col.left_vector(0),
        &[-3.0 / 13.0, 4.0 / 13.0, 0.0, -12.0 / 13.0]
    );
    check_decomposition(&col, 4, 1, &svd_col, 1e-15);
}

#[test]
fn zero_and_empty_matrices() {
    let zero = vec![0.0; 12];
    let svd_zero = svd(MatRef::from_row_major(&zero, 3, 4).unwrap());
    assert_eq!(svd_zero.singular_values, vec![0.0; 3]);
    check_decomposition(&zero, 3, 4, &svd_zero, 1e-15);

    let empty: [f64; 0] = [];
    let svd_empty = svd(MatRef::from_row_major(&empty, 0, 5).unwrap());
    assert!(svd_empty.singular_values.is_empty() && svd_empty.u.is_empty());
    assert!(svd_empty.v.is_empty());
}

#[test]
fn strided_and_transposed_views_give_the_same_factors() {
    let mut rng = Rng::new(33);
    let (m, n) = (13, 8);
    let a: Vec<f64> = (0..m * n).map(|_| rng.normal()).collect();
    let direct = svd(MatRef::from_row_major(&a, m, n).unwrap());
    check_decomposition(&a, m, n, &direct, 1e-13);
    // The same matrix stored column-major, read through a transposed view.
    let mut cm = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            cm[j * m + i] = a[i * n + j];
        }
    }
    let via_t = svd(MatRef::from_row_major(&cm, n, m).unwrap().t());
    for (x, y) in direct.singular_values.iter().zip(&via_t.singular_values) {
        assert!((x - y).abs() < 1e-14 * direct.singular_values[0]);
    }
    for (x, y) in direct.v.iter().zip(&via_t.v) {
        assert!((x - y).abs() < 1e-12, "right vectors differ: {x} vs {y}");
    }
    // Aᵀ has the same values with the vector roles swapped.
    let of_t = svd(MatRef::from_row_major(&a, m, n).unwrap().t());
    for (x, y) in direct.singular_values.iter().zip(&of_t.singular_values) {
        assert!((x - y).abs() < 1e-14 * direct.singular_values[0]);
    }
}

#[test]
fn extreme_scales_neither_overflow_nor_underflow() {
    let mut rng = Rng::new(34);
    let (m, n) = (6, 4);
    let base: Vec<f64> = (0..m * n).map(|_| rng.normal()).collect();
    let reference = svd(MatRef::from_row_major(&base, m, n).unwrap());
    for factor in [1e300, 1e-300] {
        let a: Vec<f64> = base.iter().map(|x| x * factor).collect();
        let scaled = svd(MatRef::from_row_major(&a, m, n).unwrap());
        for (x, y) in scaled
            .singular_values
            .iter()
            .zip(&reference.singular_values)
        {
            assert!((x / factor - y).abs() < 1e-13 * y, "×{factor}: {x} vs {y}");
        }
    }
}

#[test]
fn non_finite_input_gives_nan_not_a_panic() {
    let a = [1.0, f64::NAN, 2.0, 3.0];
    let out = svd(MatRef::from_row_major(&a, 2, 2).unwrap());
    assert!(out.singular_values.iter().all(|x| x.is_nan()));
    let b = [1.0, f64::INFINITY, 2.0, 3.0];
    assert!(svd(MatRef::from_row_major(&b, 2, 2).unwrap()).singular_values[0].is_nan());
}
