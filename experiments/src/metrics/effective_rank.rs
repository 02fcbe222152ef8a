//! The effective rank of Roy & Vetterli (2007): erank(W) = exp(−Σ p_i ln p_i) with
//! p_i = σ_i / Σ_j σ_j, the exponential of the entropy of the normalized singular values. It is
//! n for a matrix whose n singular values are equal and tends to the number of dominant
//! directions when the rest are small, so, unlike the rank, it sees a matrix that is
//! *nearly* low-rank.

/// The effective rank of a matrix with singular values `sigma` (any order, each ≥ 0).
///
/// Terms with σ_i = 0 contribute 0 (the limit of p ln p). The zero matrix (every σ_i = 0, or
/// none) has effective rank 0: it spans no direction, as its rank says. Any non-finite or
/// negative value gives NaN, so a diverged run reports NaN rather than a number.
pub fn effective_rank(sigma: &[f64]) -> f64 {
    if sigma.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return f64::NAN;
    }
    let total: f64 = sigma.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    let entropy: f64 = sigma
        .iter()
        .map(|&s| s / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    entropy.exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernels::MatRef;
    use kernels::linalg::svd;

    fn of_matrix(data: &[f64], rows: usize, cols: usize) -> f64 {
        effective_rank(&svd(MatRef::from_row_major(data, rows, cols).unwrap()).singular_values)
    }

    #[test]
    fn known_matrices_have_their_known_effective_rank() {
        for n in [1, 3, 7] {
            let identity: Vec<f64> = (0..n * n)
                .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
                .collect();
            assert!((of_matrix(&identity, n, n) - n as f64).abs() < 1e-12);
        }
        // u·vᵀ with u = (1, 2, 3), v = (4, −1): rank one.
        let outer = [4.0, -1.0, 8.0, -2.0, 12.0, -3.0];
        assert!((of_matrix(&outer, 3, 2) - 1.0).abs() < 1e-12);
        // diag(1, 1, 0, 0): two equal directions.
        let mut two = vec![0.0; 16];
        two[0] = 1.0;
        two[5] = 1.0;
        assert!((of_matrix(&two, 4, 4) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn two_unequal_values_follow_the_closed_form() {
        // σ = (3, 1): p = (3/4, 1/4), erank = exp(−¾ ln ¾ − ¼ ln ¼) = 4 / 3^{3/4}.
        let diag = [3.0, 0.0, 0.0, 1.0];
        let expected = 4.0 / 3f64.powf(0.75);
        assert!((of_matrix(&diag, 2, 2) - expected).abs() < 1e-12);
        assert!((effective_rank(&[1.0, 3.0]) - expected).abs() < 1e-12);
        // Scaling the matrix changes nothing.
        assert!((effective_rank(&[3e-9, 1e-9]) - expected).abs() < 1e-9);
    }

    #[test]
    fn the_zero_matrix_and_bad_values() {
        assert_eq!(effective_rank(&[0.0, 0.0, 0.0]), 0.0);
        assert_eq!(effective_rank(&[]), 0.0);
        assert_eq!(of_matrix(&[0.0; 6], 2, 3), 0.0);
        assert!(effective_rank(&[1.0, f64::NAN]).is_nan());
        assert!(effective_rank(&[1.0, f64::INFINITY]).is_nan());
        assert!(effective_rank(&[1.0, -1.0]).is_nan());
    }
}
