//! The Lanczos top-k SVD against the Jacobi SVD: random, clustered, nearly degenerate,
//! rank-deficient, exactly repeated and strided matrices.

use super::tests::{compose, random_orthonormal};
use super::*;
use crate::rng::Rng;

/// A row-major m×n matrix of standard normal entries.
fn gaussian(rng: &mut Rng, m: usize, n: usize) -> Vec<f64> {
    (0..m * n).map(|_| rng.normal()).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The top-k values agree with Jacobi's to `relative` of each value (of σ₁ for values below
/// 1e-3·σ₁), and every returned vector has unit length and is orthogonal to the others.
fn check_against_jacobi(a: &[f64], m: usize, n: usize, k: usize, relative: f64) -> (Svd, Svd) {
    let view = MatRef::from_row_major(a, m, n).unwrap();
    let (top, full) = (top_svd(view, k), svd(view));
    let k = k.min(m).min(n);
    assert_eq!(top.singular_values.len(), k);
    assert_eq!((top.u.len(), top.v.len()), (k * m, k * n));
    let sigma1 = full.singular_values[0];
    for i in 0..k {
        let (got, want) = (top.singular_values[i], full.singular_values[i]);
        let scale = want.max(1e-3 * sigma1);
        assert!(
            (got - want).abs() <= relative * scale,
            "{m}×{n}: σ{} = {got}, Jacobi {want}, error {:e}",
            i + 1,
            (got - want).abs() / scale
        );
        for j in 0..=i {
            let want = if i == j { 1.0 } else { 0.0 };
            let du = dot(top.left_vector(i), top.left_vector(j));
            let dv = dot(top.right_vector(i), top.right_vector(j));
            assert!(
                (du - want).abs() < 1e-10 && (dv - want).abs() < 1e-10,
                "{m}×{n}: vectors {i}, {j}: u·u {du}, v·v {dv}"
            );
        }
    }
    (top, full)
}

#[test]
fn gaussian_matrices_match_jacobi_to_1e_10() {
    let mut rng = Rng::new(7);
    for (m, n) in [
        (30, 25),
        (25, 30),
        (200, 100),
        (100, 200),
        (301, 41),
        (256, 256),
    ] {
        let a = gaussian(&mut rng, m, n);
        let (top, full) = check_against_jacobi(&a, m, n, 5, 1e-10);
        // σ₁ of a Gaussian matrix is separated from σ₂ by a few percent: the top vectors are
        // determined to about residual / gap, far below 1e-9.
        for (got, want) in [
            (top.left_vector(0), full.left_vector(0)),
            (top.right_vector(0), full.right_vector(0)),
        ] {
            assert!((dot(got, want) - 1.0).abs() < 1e-9, "{m}×{n}: u₁/v₁ differ");
        }
    }
}

#[test]
fn known_spectra_with_a_low_rank_part_and_a_bulk() {
    // A trained layer: a few large directions on top of a random bulk.
    let mut rng = Rng::new(11);
    let (m, n) = (160, 120);
    let u = random_orthonormal(&mut rng, m, n);
    let v = random_orthonormal(&mut rng, n, n);
    let s: Vec<f64> = (0..n)
        .map(|i| {
            if i < 3 {
                40.0 / (i + 1) as f64
            } else {
                1.0 - i as f64 / 400.0
            }
        })
        .collect();
    let a = compose(&u, &s, &v, m, n);
    let (top, _) = check_against_jacobi(&a, m, n, 5, 1e-10);
    for (got, want) in top.singular_values.iter().zip(&s) {
        assert!(
            (got - want).abs() <= 1e-12 * s[0],
            "σ = {got}, built {want}"
        );
    }
}

#[test]
fn nearly_equal_leading_values_are_both_found() {
    let mut rng = Rng::new(13);
    let (m, n) = (90, 70);
    let u = random_orthonormal(&mut rng, m, n);
    let v = random_orthonormal(&mut rng, n, n);
    let mut s: Vec<f64> = (0..n).map(|i| 2.0 / (1.0 + i as f64)).collect();
    s[0] = 3.0;
    s[1] = 3.0 * (1.0 - 1e-9);
    let a = compose(&u, &s, &v, m, n);
    let (top, _) = check_against_jacobi(&a, m, n, 5, 1e-10);
    // The two leading vectors are ill-determined one by one, but together they span the
    // plane of u₁, u₂.
    for i in 0..2 {
        let along: f64 = (0..2)
            .map(|l| dot(top.left_vector(i), &u[l * m..(l + 1) * m]).powi(2))
            .sum();
        assert!(
            (along - 1.0).abs() < 1e-9,
            "u{} leaves the plane: {along}",
            i + 1
        );
    }
}

#[test]
fn rank_deficient_matrices_report_zero_trailing_values() {
    let mut rng = Rng::new(17);
    for (m, n, rank) in [(80, 60, 3), (60, 80, 1), (50, 50, 4)] {
        let u = random_orthonormal(&mut rng, m, rank);
        let v = random_orthonormal(&mut rng, n, rank);
        let s: Vec<f64> = (0..rank).map(|i| 5.0 - i as f64).collect();
        let a = compose(&u, &s, &v, m, n);
        let top = top_svd(MatRef::from_row_major(&a, m, n).unwrap(), 5);
        for (i, &got) in top.singular_values.iter().enumerate() {
            let want = s.get(i).copied().unwrap_or(0.0);
            assert!(
                (got - want).abs() <= 1e-10 * s[0],
                "{m}×{n} rank {rank}: σ{i} = {got}"
            );
        }
        check_against_jacobi(&a, m, n, 5, 1e-10);
    }
}

#[test]
fn exactly_repeated_values_are_each_found() {
    // A scaled orthogonal matrix: every singular value is 0.7.
    let mut rng = Rng::new(19);
    let n = 64;
    let q = random_orthonormal(&mut rng, n, n);
    let a: Vec<f64> = q.iter().map(|x| 0.7 * x).collect();
    let top = top_svd(MatRef::from_row_major(&a, n, n).unwrap(), 5);
    assert_eq!(top.singular_values.len(), 5);
    for &s in &top.singular_values {
        assert!((s - 0.7).abs() < 1e-13, "σ = {s}");
    }
}

#[test]
fn zero_and_non_finite_matrices() {
    let zero = vec![0.0; 40 * 30];
    let top = top_svd(MatRef::from_row_major(&zero, 40, 30).unwrap(), 5);
    assert_eq!(top.singular_values, vec![0.0; 5]);
    let mut bad = gaussian(&mut Rng::new(3), 40, 30);
    bad[77] = f64::NAN;
    let top = top_svd(MatRef::from_row_major(&bad, 40, 30).unwrap(), 5);
    assert!(top.singular_values.iter().all(|s| s.is_nan()));
}

#[test]
fn views_transposes_and_repeats_give_the_same_values() {
    let mut rng = Rng::new(23);
    let (m, n) = (70, 50);
    let a = gaussian(&mut rng, m, n);
    let view = MatRef::from_row_major(&a, m, n).unwrap();
    let top = top_svd(view, 5);
    let again = top_svd(view, 5);
    assert_eq!(top.singular_values, again.singular_values);
    assert_eq!((&top.u, &top.v), (&again.u, &again.v));
    let transposed = top_svd(view.t(), 5);
    for (a, b) in top.singular_values.iter().zip(&transposed.singular_values) {
        assert!((a - b).abs() <= 1e-12 * top.singular_values[0]);
    }
    assert!((dot(transposed.left_vector(0), top.right_vector(0)).abs() - 1.0).abs() < 1e-10);
    // A strided window: every other column of a wider buffer.
    let wide: Vec<f64> = a.iter().flat_map(|&x| [x, -1.0]).collect();
    let strided = MatRef::new(&wide, m, n, 2 * n, 2).unwrap();
    assert_eq!(top_svd(strided, 5).singular_values, top.singular_values);
}

#[test]
fn more_values_than_the_matrix_has_are_truncated() {
    let a = gaussian(&mut Rng::new(29), 30, 26);
    let top = top_svd(MatRef::from_row_major(&a, 30, 26).unwrap(), 40);
    assert_eq!(top.singular_values.len(), 26);
    check_against_jacobi(&a, 30, 26, 26, 1e-10);
}

#[test]
fn an_f32_matrix_decomposes_exactly_as_its_f64_copy() {
    let mut rng = Rng::new(31);
    let (m, n) = (90, 60);
    let single: Vec<f32> = (0..m * n).map(|_| rng.normal() as f32).collect();
    let double: Vec<f64> = single.iter().map(|&x| f64::from(x)).collect();
    let a = top_svd(MatRef::from_row_major(&single, m, n).unwrap(), 5);
    let b = top_svd(MatRef::from_row_major(&double, m, n).unwrap(), 5);
    assert_eq!(a.singular_values, b.singular_values);
    assert_eq!((a.u, a.v), (b.u, b.v));
}
