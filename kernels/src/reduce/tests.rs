//! Reductions against f64 references, on lengths that exercise the pairwise split, the SIMD body
//! and the tail, and on strided and transposed views.

use super::*;
use crate::MatRef;
use crate::rng::Rng;

const LENGTHS: [usize; 8] = [0, 1, 7, 16, 33, 257, 1000, 4099];

fn random<T: Element>(rng: &mut Rng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::from_f64(rng.normal())).collect()
}

/// Σ x in f64 with compensation: a reference far more accurate than any `T` result.
fn exact_sum(x: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for v in x {
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    s + c
}

fn assert_close(got: f64, want: f64, scale: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * scale,
        "{what}: got {got}, expected {want} (scale {scale}, tol {tol})"
    );
}

fn sums_and_dots_are_accurate<T: Element>() {
    let mut rng = Rng::new(21);
    let eps = T::EPSILON.to_f64();
    for n in LENGTHS {
        let x = random::<T>(&mut rng, n);
        let y = random::<T>(&mut rng, n);
        let abs_sum: f64 = x.iter().map(|v| v.to_f64().abs()).sum();
        let want = exact_sum(x.iter().map(|v| v.to_f64()));
        assert_close(sum(&x).to_f64(), want, abs_sum, 16.0 * eps, "sum");
        let prod: Vec<f64> = x
            .iter()
            .zip(&y)
            .map(|(a, b)| a.to_f64() * b.to_f64())
            .collect();
        let abs_dot: f64 = prod.iter().map(|v| v.abs()).sum();
        let want = exact_sum(prod.iter().copied());
        assert_close(dot(&x, &y).to_f64(), want, abs_dot, 16.0 * eps, "dot");
        let want = exact_sum(x.iter().map(|v| v.to_f64() * v.to_f64())).sqrt();
        assert_close(norm2(&x).to_f64(), want, want, 16.0 * eps, "norm2");
        // The same inputs give the same bits every time.
        assert_eq!(sum(&x).to_f64().to_bits(), sum(&x).to_f64().to_bits());
    }
}

#[test]
fn sums_dots_and_norms_match_compensated_references() {
    sums_and_dots_are_accurate::<f32>();
    sums_and_dots_are_accurate::<f64>();
}

#[test]
fn pairwise_sum_keeps_small_terms() {
    // 1 followed by many ε/4 terms: left to right, each addend is rounded away.
    let n = 1 << 16;
    let mut x = vec![f32::EPSILON / 4.0; n];
    x[0] = 1.0;
    let want = 1.0 + (n - 1) as f64 * f64::from(f32::EPSILON) / 4.0;
    assert_close(
        f64::from(sum(&x)),
        want,
        want,
        4.0 * f64::from(f32::EPSILON),
        "sum",
    );
}

#[test]
fn norm2_neither_overflows_nor_underflows() {
    let big = vec![
        1e300f64, 1e300, 1e300, 1e300, 1e300, 1e300, 1e300, 1e300, 1e300,
    ];
    assert_close(
        norm2(&big),
        3e300,
        3e300,
        4.0 * f64::EPSILON,
        "norm2 of 1e300s",
    );
    let tiny = vec![3e-300f64, 4e-300];
    assert_close(
        norm2(&tiny),
        5e-300,
        5e-300,
        4.0 * f64::EPSILON,
        "norm2 of 1e-300s",
    );
    let subnormal = vec![3e-320f64, 4e-320];
    assert_close(
        norm2(&subnormal),
        5e-320,
        5e-320,
        1e-3,
        "norm2 of subnormals",
    );
    let big32 = vec![3e30f32, 4e30];
    assert_close(
        f64::from(norm2(&big32)),
        5e30,
        5e30,
        4.0 * f64::from(f32::EPSILON),
        "f32",
    );
    assert_eq!(norm2::<f64>(&[]), 0.0);
    assert_eq!(norm2(&[0.0f64; 5]), 0.0);
    assert_eq!(norm2(&[1.0, f64::INFINITY]), f64::INFINITY);
    assert!(norm2(&[1.0, f64::NAN, f64::INFINITY]).is_nan());
}

#[test]
fn maxima_match_the_scalar_definition_and_propagate_nan() {
    let mut rng = Rng::new(22);
    for n in LENGTHS {
        let x = random::<f32>(&mut rng, n);
        let want = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(max(&x), (n > 0).then_some(want), "max of {n}");
        let want_abs = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert_eq!(max_abs(&x), want_abs, "max_abs of {n}");
        if n > 0 {
            for pos in [0, n / 2, n - 1] {
                let mut y = x.clone();
                y[pos] = f32::NAN;
                assert!(max(&y).unwrap().is_nan(), "NaN at {pos} of {n}");
                assert!(max_abs(&y).is_nan(), "NaN at {pos} of {n}");
            }
        }
    }
    assert_eq!(max::<f64>(&[]), None);
    assert_eq!(max(&[-5.0f64; 40]), Some(-5.0));
    assert_eq!(max_abs(&[-1e300f64, 3.0, 1e299]), 1e300);
}

#[test]
fn log_sum_exp_is_stable() {
    let x = [1000.0f64, 1000.0];
    assert_close(
        log_sum_exp(&x),
        1000.0 + 2f64.ln(),
        1000.0,
        f64::EPSILON,
        "lse",
    );
    let x = [-1000.0f32, -1000.0, -1000.0];
    assert_close(
        f64::from(log_sum_exp(&x)),
        -1000.0 + 3f64.ln(),
        1000.0,
        1e-7,
        "lse f32",
    );
    let mut rng = Rng::new(23);
    let x = random::<f64>(&mut rng, 1000);
    let want = x.iter().map(|v| v.exp()).sum::<f64>().ln();
    assert_close(log_sum_exp(&x), want, want.abs(), 1e-14, "lse random");
    assert_eq!(log_sum_exp::<f64>(&[]), f64::NEG_INFINITY);
    assert_eq!(
        log_sum_exp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
        f64::NEG_INFINITY
    );
    assert_eq!(log_sum_exp(&[1.0, f64::INFINITY]), f64::INFINITY);
}

fn check_row_and_col_sums(m: MatRef<'_, f64>, what: &str) {
    let mut rows = vec![f64::NAN; m.rows()];
    let mut cols = vec![f64::NAN; m.cols()];
    row_sums(m, &mut rows);
    col_sums(m, &mut cols);
    for (i, &got) in rows.iter().enumerate() {
        let want = exact_sum((0..m.cols()).map(|j| m.get(i, j)));
        let scale: f64 = (0..m.cols()).map(|j| m.get(i, j).abs()).sum();
        assert_close(
            got,
            want,
            scale,
            8.0 * f64::EPSILON,
            &format!("{what}: row {i}"),
        );
    }
    for (j, &got) in cols.iter().enumerate() {
        let want = exact_sum((0..m.rows()).map(|i| m.get(i, j)));
        let scale: f64 = (0..m.rows()).map(|i| m.get(i, j).abs()).sum();
        assert_close(
            got,
            want,
            scale,
            8.0 * f64::EPSILON,
            &format!("{what}: column {j}"),
        );
    }
}

#[test]
fn row_and_col_sums_on_dense_strided_and_transposed_views() {
    let mut rng = Rng::new(24);
    for (r, c) in [
        (0, 3),
        (3, 0),
        (1, 1),
        (1, 70),
        (70, 1),
        (5, 7),
        (33, 129),
        (130, 40),
    ] {
        let data = random::<f64>(&mut rng, 2 * r * c + 1);
        let m = MatRef::from_row_major(&data, r, c).unwrap();
        check_row_and_col_sums(m, &format!("row-major {r}×{c}"));
        check_row_and_col_sums(m.t(), &format!("transposed {r}×{c}"));
        // Every other column of a wider matrix: neither stride is 1.
        let wide = MatRef::new(&data, r, c, 2 * c, 2).unwrap();
        check_row_and_col_sums(wide, &format!("strided {r}×{c}"));
        check_row_and_col_sums(wide.t(), &format!("strided transposed {r}×{c}"));
        if r > 2 && c > 2 {
            let sub = m.submatrix(1, 1, r - 2, c - 2);
            check_row_and_col_sums(sub, &format!("submatrix of {r}×{c}"));
            check_row_and_col_sums(sub.t(), &format!("transposed submatrix of {r}×{c}"));
        }
    }
}

#[test]
fn row_sums_of_huge_values_do_not_lose_them() {
    let data = [1e300, -1e300, 1.0, 1e300, 1e300, -1e300];
    let m = MatRef::from_row_major(&data, 2, 3).unwrap();
    let mut rows = [0.0; 2];
    row_sums(m, &mut rows);
    assert_eq!(rows, [1.0, 1e300]);
    let mut cols = [0.0; 3];
    col_sums(m, &mut cols);
    assert_eq!(cols, [2e300, 0.0, -1e300 + 0.0]);
}

#[test]
#[should_panic(expected = "col_sums: a 2×3 matrix has 3 columns but the output has 2 slots")]
fn col_sums_names_the_shape_on_mismatch() {
    let data = [0.0f32; 6];
    let m = MatRef::from_row_major(&data, 2, 3).unwrap();
    col_sums(m, &mut [0.0; 2]);
}
