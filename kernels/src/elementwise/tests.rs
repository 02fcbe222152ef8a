//! Every map against its scalar formula, on lengths that exercise the SIMD body and the tail.

use super::*;
use crate::rng::Rng;

/// A public binary map, its name, and the scalar formula it must reproduce.
type BinaryCase<T> = (
    &'static str,
    fn(&[T], &[T], &mut [T], &Parallelism),
    fn(T, T) -> T,
);

const LENGTHS: [usize; 6] = [0, 1, 7, 16, 33, 1000];

fn random<T: Element>(rng: &mut Rng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::from_f64(3.0 * rng.normal())).collect()
}

/// Bitwise equality, treating every NaN as equal to every NaN.
fn same_bits<T: Element>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let both_nan = g.to_f64().is_nan() && w.to_f64().is_nan();
        assert!(
            both_nan || g.to_f64().to_bits() == w.to_f64().to_bits(),
            "{what} [{}]: element {i} is {g}, expected {w}",
            T::NAME
        );
    }
}

fn binary_ops_match_scalar<T: Element>() {
    let mut rng = Rng::new(11);
    for n in LENGTHS {
        let a = random::<T>(&mut rng, n);
        let mut b = random::<T>(&mut rng, n);
        if n > 3 {
            b[2] = T::ZERO;
        }
        let mut out = vec![T::ZERO; n];
        let cases: [BinaryCase<T>; 5] = [
            ("add", add, |x, y| x + y),
            ("sub", sub, |x, y| x - y),
            ("mul", mul, |x, y| x * y),
            ("div", div, |x, y| x / y),
            ("max", max, |x, y| if x >= y { x } else { y }),
        ];
        for (name, f, scalar) in cases {
            f(&a, &b, &mut out, &Parallelism::NONE);
            let want: Vec<T> = a.iter().zip(&b).map(|(&x, &y)| scalar(x, y)).collect();
            same_bits(&out, &want, name);
        }
        let relu_want: Vec<T> = a
            .iter()
            .zip(&b)
            .map(|(&x, &g)| if x > T::ZERO { g } else { T::ZERO })
            .collect();
        relu_backward(&a, &b, &mut out, &Parallelism::NONE);
        same_bits(&out, &relu_want, "relu_backward");
        let slope = T::from_f64(0.01);
        leaky_relu_backward(&a, slope, &b, &mut out, &Parallelism::NONE);
        let want: Vec<T> = a
            .iter()
            .zip(&b)
            .map(|(&x, &g)| if x > T::ZERO { g } else { slope * g })
            .collect();
        same_bits(&out, &want, "leaky_relu_backward");
    }
}

fn unary_ops_match_scalar<T: Element>() {
    let mut rng = Rng::new(12);
    for n in LENGTHS {
        let x = random::<T>(&mut rng, n);
        let mut out = vec![T::ONE; n];
        let c = T::from_f64(-0.7);
        scale(&x, c, &mut out, &Parallelism::NONE);
        same_bits(&out, &x.iter().map(|&v| c * v).collect::<Vec<_>>(), "scale");
        relu(&x, &mut out, &Parallelism::NONE);
        let want: Vec<T> = x
            .iter()
            .map(|&v| if v > T::ZERO { v } else { T::ZERO })
            .collect();
        same_bits(&out, &want, "relu");
        let slope = T::from_f64(0.2);
        leaky_relu(&x, slope, &mut out, &Parallelism::NONE);
        let want: Vec<T> = x
            .iter()
            .map(|&v| if v > T::ZERO { v } else { slope * v })
            .collect();
        same_bits(&out, &want, "leaky_relu");
        square(&x, &mut out, &Parallelism::NONE);
        same_bits(
            &out,
            &x.iter().map(|&v| v * v).collect::<Vec<_>>(),
            "square",
        );
        let pos: Vec<T> = x.iter().map(|&v| v.abs()).collect();
        sqrt(&pos, &mut out, &Parallelism::NONE);
        same_bits(
            &out,
            &pos.iter().map(|&v| v.sqrt()).collect::<Vec<_>>(),
            "sqrt",
        );
    }
}

fn in_place_ops_match_scalar<T: Element>() {
    let mut rng = Rng::new(13);
    for n in LENGTHS {
        let x = random::<T>(&mut rng, n);
        let y0 = random::<T>(&mut rng, n);
        let alpha = T::from_f64(1.3);

        let mut y = y0.clone();
        add_assign(&mut y, &x, &Parallelism::NONE);
        let want: Vec<T> = y0.iter().zip(&x).map(|(&a, &b)| a + b).collect();
        same_bits(&y, &want, "add_assign");

        let mut y = y0.clone();
        axpy(alpha, &x, &mut y, &Parallelism::NONE);
        let want: Vec<T> = y0.iter().zip(&x).map(|(&a, &b)| a + alpha * b).collect();
        same_bits(&y, &want, "axpy");

        let mut y = y0.clone();
        scale_assign(&mut y, alpha, &Parallelism::NONE);
        let want: Vec<T> = y0.iter().map(|&a| alpha * a).collect();
        same_bits(&y, &want, "scale_assign");

        fill(&mut y, alpha);
        assert!(y.iter().all(|&v| v == alpha));
    }
}

/// |got − want| ≤ tol·max(|want|, tiny, &Parallelism::NONE) for every element.
fn close<T: Element>(got: &[T], want: &[f64], tol: f64, what: &str) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g = g.to_f64();
        let err = (g - w).abs();
        assert!(
            err <= tol * w.abs().max(1e-300) || (g == w),
            "{what} [{}]: element {i} is {g}, expected {w}",
            T::NAME
        );
    }
}

fn transcendental_maps_are_accurate<T: Element>() {
    let tol = 8.0 * T::EPSILON.to_f64();
    let mut rng = Rng::new(14);
    for n in LENGTHS {
        let x = random::<T>(&mut rng, n);
        let xf: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
        let mut out = vec![T::ZERO; n];
        exp(&x, &mut out);
        close(
            &out,
            &xf.iter().map(|v| v.exp()).collect::<Vec<_>>(),
            tol,
            "exp",
        );
        tanh(&x, &mut out);
        close(
            &out,
            &xf.iter().map(|v| v.tanh()).collect::<Vec<_>>(),
            tol,
            "tanh",
        );
        sigmoid(&x, &mut out);
        close(
            &out,
            &xf.iter()
                .map(|v| 1.0 / (1.0 + (-v).exp()))
                .collect::<Vec<_>>(),
            tol,
            "sigmoid",
        );
        softplus(&x, &mut out);
        close(
            &out,
            &xf.iter().map(|v| v.exp().ln_1p()).collect::<Vec<_>>(),
            tol,
            "softplus",
        );
        log_sigmoid(&x, &mut out);
        close(
            &out,
            &xf.iter().map(|v| -(-v).exp().ln_1p()).collect::<Vec<_>>(),
            tol,
            "log_sigmoid",
        );
        let pos: Vec<T> = x.iter().map(|&v| v.abs() + T::from_f64(0.01)).collect();
        let posf: Vec<f64> = pos.iter().map(|v| v.to_f64()).collect();
        ln(&pos, &mut out);
        close(
            &out,
            &posf.iter().map(|v| v.ln()).collect::<Vec<_>>(),
            tol,
            "ln",
        );
        ln_1p(&pos, &mut out);
        close(
            &out,
            &posf.iter().map(|v| v.ln_1p()).collect::<Vec<_>>(),
            tol,
            "ln_1p",
        );
    }
}

fn extreme_inputs_stay_finite_and_accurate<T: Element>() {
    let x: Vec<T> = [800.0, -800.0, 80.0, -80.0, 30.0, -30.0, 0.0]
        .iter()
        .map(|&v| T::from_f64(v))
        .collect();
    let mut out = vec![T::ZERO; x.len()];
    let tol = 4.0 * T::EPSILON.to_f64();

    softplus(&x, &mut out);
    // softplus(x) = x + ln(1 + e^−x) for x > 0; e^−x for very negative x.
    let want = [
        800.0,
        0.0,
        80.0,
        (-80f64).exp(),
        30.0 + (-30f64).exp(),
        (-30f64).exp().ln_1p(),
        2f64.ln(),
    ];
    close(&out, &want, tol, "softplus");

    log_sigmoid(&x, &mut out);
    let lp = |v: f64| v.exp().ln_1p();
    let want = [
        -0.0,
        -800.0,
        -lp(-80.0),
        -80.0,
        -lp(-30.0),
        -30.0 - lp(-30.0),
        -(2f64.ln()),
    ];
    close(&out, &want, tol, "log_sigmoid");

    sigmoid(&x, &mut out);
    let want = [
        1.0,
        0.0,
        1.0,
        (-80f64).exp(),
        1.0 - (-30f64).exp(),
        (-30f64).exp() / (1.0 + (-30f64).exp()),
        0.5,
    ];
    close(&out, &want, tol, "sigmoid");
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn binary_ops_match_scalar_formulas() {
    binary_ops_match_scalar::<f32>();
    binary_ops_match_scalar::<f64>();
}

#[test]
fn unary_ops_match_scalar_formulas() {
    unary_ops_match_scalar::<f32>();
    unary_ops_match_scalar::<f64>();
}

#[test]
fn in_place_ops_match_scalar_formulas() {
    in_place_ops_match_scalar::<f32>();
    in_place_ops_match_scalar::<f64>();
}

#[test]
fn transcendental_maps_are_accurate_on_random_inputs() {
    transcendental_maps_are_accurate::<f32>();
    transcendental_maps_are_accurate::<f64>();
}

#[test]
fn stable_maps_handle_extreme_inputs() {
    extreme_inputs_stay_finite_and_accurate::<f32>();
    extreme_inputs_stay_finite_and_accurate::<f64>();
}

#[test]
fn nan_follows_the_scalar_rules() {
    let nan = f32::NAN;
    let a: Vec<f32> = (0..20)
        .map(|i| if i % 3 == 0 { nan } else { i as f32 - 10.0 })
        .collect();
    let b: Vec<f32> = (0..20)
        .map(|i| if i % 5 == 0 { nan } else { 10.0 - i as f32 })
        .collect();
    let mut out = vec![0.0f32; 20];
    max(&a, &b, &mut out, &Parallelism::NONE);
    for i in 0..20 {
        assert_eq!(out[i].to_bits(), a[i].max(b[i]).to_bits(), "max at {i}");
    }
    relu(&a, &mut out, &Parallelism::NONE);
    for i in 0..20 {
        let want = if a[i] > 0.0 { a[i] } else { 0.0 };
        assert_eq!(out[i].to_bits(), want.to_bits(), "relu at {i}");
    }
}

#[test]
#[should_panic(expected = "add: slices of lengths 3 and 4 differ")]
fn length_mismatch_names_the_op() {
    let mut out = [0.0f64; 3];
    add(
        &[1.0, 2.0, 3.0],
        &[1.0, 2.0, 3.0, 4.0],
        &mut out,
        &Parallelism::NONE,
    );
}

/// Long maps given a team's parallelism are cut across its threads; every kind of map (out of
/// place with one and two inputs, in place with one and two) gives the same bits as on one
/// thread.
#[test]
fn maps_cut_across_a_team_match_one_thread() {
    let n = 3 * MIN_CHUNK + 77;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 37 % 101) as f64 - 50.0) * 0.03)
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| ((i * 53 % 97) as f64 - 48.0) * 0.07)
        .collect();
    let run = |par: &Parallelism| {
        let (mut relu_out, mut sum, mut acc, mut clipped) =
            (vec![0.0; n], vec![0.0; n], y.clone(), x.clone());
        relu(&x, &mut relu_out, par);
        add(&x, &y, &mut sum, par);
        axpy(0.3, &x, &mut acc, par);
        fused::relu_assign(&mut clipped, par);
        [relu_out, sum, acc, clipped]
    };
    let serial = run(&Parallelism::NONE);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let teamed = pool.install(|| run(&crate::parallel::Team::new().parallelism()));
    assert_eq!(serial, teamed);
    assert_eq!(serial[0][1], 0.0_f64.max(x[1]));
    assert_eq!(serial[2][5], y[5] + 0.3 * x[5]);
}
