//! The normalized margin: what a deep linear network's margin tends to (the SVM margin).

use kernels::MatRef;

use super::spectrum::frobenius_sq;

/// min_i m_i / Π_k ‖W_k‖_F (the quantity that tends to the SVM margin for a deep linear net).
///
/// For a bias-free network of 1-Lipschitz homogeneous units, |f(x)| ≤ Π_k ‖W_k‖_2 ‖x‖ ≤
/// Π_k ‖W_k‖_F ‖x‖, so with ‖x‖ ≤ 1 this never exceeds the hard-margin SVM margin γ* for a linear
/// network, and equals it when every layer is rank one, the layers are aligned and the product
/// points along the SVM direction. NaN when there are no margins or a layer is zero.
pub fn normalized_margin(margins: &[f64], weights: &[MatRef<'_, f64>]) -> f64 {
    let scale: f64 = weights.iter().map(|w| frobenius_sq(*w).sqrt()).product();
    if margins.is_empty() || scale == 0.0 {
        return f64::NAN;
    }
    margins.iter().copied().fold(f64::INFINITY, f64::min) / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        // ‖W1‖_F = 5 (entries 3, 4), ‖W2‖_F = 2: min margin 0.5 over a product of norms 10.
        let w1 = [3.0, 0.0, 0.0, 4.0];
        let w2 = [2.0, 0.0];
        let weights = [
            MatRef::from_row_major(&w1, 2, 2).unwrap(),
            MatRef::from_row_major(&w2, 1, 2).unwrap(),
        ];
        assert_eq!(normalized_margin(&[3.0, 0.5, 1.0], &weights), 0.05);
        assert_eq!(normalized_margin(&[-2.0, 1.0], &weights), -0.2);
        assert!(normalized_margin(&[], &weights).is_nan());
    }

    #[test]
    fn a_linear_net_on_two_point_data_reaches_the_svm_margin() {
        // f(x) = W2·W1·x with W1 = c·u vᵀ, W2 = c·uᵀ, v = (1, −1)/√2 (the SVM direction) and u a
        // unit vector: margins c²/√2 on e1 (+1) and e2 (−1), norms c each, so 1/√2 = γ*.
        let (c, s) = (3.0, std::f64::consts::FRAC_1_SQRT_2);
        let u = [0.6, 0.8];
        let w1: Vec<f64> = u.iter().flat_map(|a| [c * a * s, -c * a * s]).collect();
        let w2 = [c * 0.6, c * 0.8];
        let weights = [
            MatRef::from_row_major(&w1, 2, 2).unwrap(),
            MatRef::from_row_major(&w2, 1, 2).unwrap(),
        ];
        let margins = [c * c * s, c * c * s];
        assert!((normalized_margin(&margins, &weights) - s).abs() < 1e-12);
    }
}
