//! Spectral metrics of one weight matrix and the alignment of adjacent layers.

use kernels::linalg::top_svd;
use kernels::{Element, MatRef};

/// How many of the largest singular values a [`Spectrum`] keeps.
pub const TOP: usize = 5;

/// Spectrum of one weight matrix [out, in] (f64).
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum {
    /// The largest singular value σ₁ (the spectral norm).
    pub sigma1: f64,
    /// The Frobenius norm ‖W‖_F.
    pub frobenius: f64,
    /// r = σ₁/‖W‖_F, in [1/√rank, 1]; 1 exactly when W has rank one (0 for a zero matrix).
    pub ratio: f64,
    /// ‖W‖_F²/σ₁², in [1, rank]; 1 exactly when W has rank one (0 for a zero matrix).
    pub stable_rank: f64,
    /// Up to [`TOP`] largest singular values, decreasing.
    pub top: Vec<f64>,
    /// Top left singular vector (output side, length `out`), sign arbitrary.
    pub u1: Vec<f64>,
    /// Top right singular vector (input side, length `in`), sign arbitrary.
    pub v1: Vec<f64>,
}

/// σ₁, ‖W‖_F, their ratio, the stable rank, the top singular values and the top singular vectors
/// of `w` ([out, in]), by [`top_svd`]: σ₁…σ₅ within `kernels::linalg::TOP_SVD_TOLERANCE`·σ₁ of
/// the exact ones, in f64 whatever the element type of `w`. An empty matrix gives all zeros and
/// empty vectors.
pub fn spectrum<T: Element>(w: MatRef<'_, T>) -> Spectrum {
    let frobenius = frobenius_sq(w).sqrt();
    if w.rows() == 0 || w.cols() == 0 {
        return Spectrum {
            sigma1: 0.0,
            frobenius,
            ratio: 0.0,
            stable_rank: 0.0,
            top: Vec::new(),
            u1: Vec::new(),
            v1: Vec::new(),
        };
    }
    let decomposition = top_svd(w, TOP);
    let sigma1 = decomposition.singular_values[0];
    // A zero matrix has no direction; a NaN (diverged weights) propagates into both ratios.
    let (ratio, stable_rank) = if sigma1 == 0.0 {
        (0.0, 0.0)
    } else {
        (sigma1 / frobenius, (frobenius / sigma1).powi(2))
    };
    Spectrum {
        sigma1,
        frobenius,
        ratio,
        stable_rank,
        top: decomposition.singular_values.clone(),
        u1: decomposition.left_vector(0).to_vec(),
        v1: decomposition.right_vector(0).to_vec(),
    }
}

/// |⟨v1 of the upper layer, u1 of the lower layer⟩| for lower k, upper k+1: 1 when the direction
/// layer k writes most strongly is the one layer k+1 reads most strongly. Panics if the lower
/// layer's output size differs from the upper layer's input size (not adjacent layers).
pub fn alignment(lower: &Spectrum, upper: &Spectrum) -> f64 {
    assert_eq!(
        lower.u1.len(),
        upper.v1.len(),
        "alignment: the lower layer has {} outputs but the upper layer has {} inputs",
        lower.u1.len(),
        upper.v1.len()
    );
    lower
        .u1
        .iter()
        .zip(&upper.v1)
        .map(|(a, b)| a * b)
        .sum::<f64>()
        .abs()
}

/// ‖W‖_F² in f64, read through the view's strides.
pub(crate) fn frobenius_sq<T: Element>(w: MatRef<'_, T>) -> f64 {
    (0..w.rows())
        .flat_map(|i| (0..w.cols()).map(move |j| w.get(i, j).to_f64()))
        .map(|v| v * v)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row-major view of `data` with `rows` rows.
    fn view(data: &[f64], rows: usize) -> MatRef<'_, f64> {
        MatRef::from_row_major(data, rows, data.len() / rows).unwrap()
    }

    #[test]
    fn rank_one_outer_product_has_ratio_one_and_its_vectors() {
        // u vᵀ with u = (3, 4)/5, v = (1, 2, 2)/3, scaled by 6: σ₁ = 6.
        let (u, v) = ([0.6, 0.8], [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]);
        let w: Vec<f64> = u
            .iter()
            .flat_map(|a| v.iter().map(move |b| 6.0 * a * b))
            .collect();
        let s = spectrum(view(&w, 2));
        assert!((s.sigma1 - 6.0).abs() < 1e-12 && (s.frobenius - 6.0).abs() < 1e-12);
        assert!((s.ratio - 1.0).abs() < 1e-12 && (s.stable_rank - 1.0).abs() < 1e-12);
        assert!(s.top.len() == 2 && s.top[1].abs() < 1e-12);
        let sign = s.u1[0].signum();
        for (got, want) in s.u1.iter().zip(&u) {
            assert!((got * sign - want).abs() < 1e-12);
        }
        for (got, want) in s.v1.iter().zip(&v) {
            assert!((got * sign - want).abs() < 1e-12);
        }
    }

    #[test]
    fn agrees_with_the_jacobi_reference_to_1e_9() {
        // Trained-looking layers: a rank-one part of growing weight on a Gaussian bulk, at the
        // shapes of the suite and of a research run.
        let mut rng = kernels::rng::Rng::new(3);
        for (m, n, spike) in [
            (100, 20, 0.0),
            (100, 100, 30.0),
            (64, 300, 5.0),
            (200, 150, 1.0),
        ] {
            let (a, b): (Vec<f64>, Vec<f64>) = (
                (0..m).map(|_| rng.normal()).collect(),
                (0..n).map(|_| rng.normal()).collect(),
            );
            let w: Vec<f64> = (0..m * n)
                .map(|t| rng.normal() + spike * a[t / n] * b[t % n] / ((m * n) as f64).sqrt())
                .collect();
            let got = spectrum(view(&w, m));
            let reference = kernels::linalg::svd(view(&w, m));
            let sigma1 = reference.singular_values[0];
            assert!((got.sigma1 - sigma1).abs() <= 1e-9 * sigma1);
            for (g, r) in got.top.iter().zip(&reference.singular_values) {
                assert!((g - r).abs() <= 1e-9 * r, "{m}×{n}: {g} vs {r}");
            }
            let ratio = sigma1 / got.frobenius;
            assert!((got.ratio - ratio).abs() <= 1e-9 * ratio);
            let u: f64 = got
                .u1
                .iter()
                .zip(reference.left_vector(0))
                .map(|(x, y)| x * y)
                .sum();
            assert!((u.abs() - 1.0).abs() < 1e-9, "{m}×{n}: u₁·u₁ = {u}");
        }
    }

    #[test]
    fn identity_has_ratio_one_over_root_two_and_stable_rank_two() {
        let s = spectrum(view(&[1.0, 0.0, 0.0, 1.0], 2));
        assert!((s.ratio - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((s.stable_rank - 2.0).abs() < 1e-12);
        assert_eq!(s.top, vec![1.0, 1.0]);
    }

    #[test]
    fn known_diagonal_spectrum_keeps_the_top_five() {
        // diag(1..=7) seen through a transposed view: singular values 7, 6, …, 1.
        let mut w = vec![0.0; 49];
        (0..7).for_each(|i| w[i * 8] = (i + 1) as f64);
        let s = spectrum(view(&w, 7).t());
        assert_eq!(s.top.len(), TOP);
        for (got, want) in s.top.iter().zip([7.0, 6.0, 5.0, 4.0, 3.0]) {
            assert!((got - want).abs() < 1e-12);
        }
        let frobenius_sq: f64 = (1..=7).map(|k| (k * k) as f64).sum();
        assert!((s.frobenius - frobenius_sq.sqrt()).abs() < 1e-12);
        assert!((s.stable_rank - frobenius_sq / 49.0).abs() < 1e-12);
        assert!((s.v1[6].abs() - 1.0).abs() < 1e-12 && (s.u1[6].abs() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn stable_rank_of_a_known_matrix() {
        // Singular values 4 and 3 in a 2×3 matrix: ‖W‖_F² / σ₁² = (16 + 9) / 16.
        let s = spectrum(view(&[0.0, 3.0, 0.0, 4.0, 0.0, 0.0], 2));
        assert!(
            (s.stable_rank - 25.0 / 16.0).abs() < 1e-12,
            "{}",
            s.stable_rank
        );
        // k equal singular values: stable rank k (a 3×5 matrix with orthonormal rows, times 2).
        let mut w = vec![0.0; 15];
        (0..3).for_each(|i| w[i * 5 + i + 1] = 2.0);
        assert!((spectrum(view(&w, 3)).stable_rank - 3.0).abs() < 1e-12);
    }

    #[test]
    fn zero_matrix_is_all_zero() {
        let s = spectrum(view(&[0.0; 6], 2));
        assert_eq!(
            (s.sigma1, s.frobenius, s.ratio, s.stable_rank),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn diverged_weights_give_nan_not_a_panic() {
        let s = spectrum(view(&[1.0, f64::NAN, 0.0, 1.0], 2));
        assert!(s.sigma1.is_nan() && s.ratio.is_nan() && s.stable_rank.is_nan());
    }

    #[test]
    fn alignment_of_aligned_and_orthogonal_pairs() {
        // Lower writes along (0.6, 0.8); upper reads along (0.6, 0.8) → aligned (sign ignored).
        let lower = spectrum(view(&[0.6, 1.2, 0.8, 1.6], 2));
        let aligned = spectrum(view(&[-0.6, -0.8], 1));
        assert!((alignment(&lower, &aligned) - 1.0).abs() < 1e-12);
        let orthogonal = spectrum(view(&[0.8, -0.6], 1));
        assert!(alignment(&lower, &orthogonal) < 1e-12);
        let between = spectrum(view(&[1.0, 0.0], 1));
        assert!((alignment(&lower, &between) - 0.6).abs() < 1e-12);
    }
}
