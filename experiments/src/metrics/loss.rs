//! The training loss of the margins, in the log domain: ln R with R = (1/n) Σ ℓ(m_i), accurate
//! when R is far below the smallest f64 (it reaches 1e-300 and beyond on the way to rank one).

use autodiff::MarginLoss;

/// ln ℓ(m) for one margin, without underflow or overflow.
pub fn log_loss_term(m: f64, loss: MarginLoss) -> f64 {
    match loss {
        MarginLoss::Exponential => -m,
        // ln ln(1 + e^(−m)): for large m, ln(1 + e^(−m)) = e^(−m)(1 − e^(−m)/2 + …), so its log is
        // −m + ln1p(−e^(−m)/2 …); for very negative m it is ln(−m + ln1p(e^m)).
        MarginLoss::Logistic => {
            if m > 30.0 {
                -m + (-0.5 * (-m).exp()).ln_1p()
            } else if m < -30.0 {
                (-m + m.exp().ln_1p()).ln()
            } else {
                (-m).exp().ln_1p().ln()
            }
        }
        MarginLoss::Squared => 2.0 * (1.0 - m).abs().ln(),
    }
}

/// ln R = ln((1/n) Σ ℓ(m_i)) by log-sum-exp over the per-example log losses (−∞ if every term
/// is exactly zero, NaN for no margins).
pub fn log_mean_loss(margins: &[f64], loss: MarginLoss) -> f64 {
    if margins.is_empty() {
        return f64::NAN;
    }
    let terms: Vec<f64> = margins.iter().map(|&m| log_loss_term(m, loss)).collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY || !top.is_finite() {
        return top;
    }
    let sum: f64 = terms.iter().map(|t| (t - top).exp()).sum();
    top + sum.ln() - (margins.len() as f64).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_direct_formula_where_it_is_accurate() {
        let m = [0.3, -1.2, 2.5, 10.0];
        let direct = |l: &dyn Fn(f64) -> f64| (m.iter().map(|&v| l(v)).sum::<f64>() / 4.0).ln();
        let logistic = direct(&|v: f64| (1.0 + (-v).exp()).ln());
        let exponential = direct(&|v: f64| (-v).exp());
        let squared = direct(&|v: f64| (1.0 - v) * (1.0 - v));
        assert!((log_mean_loss(&m, MarginLoss::Logistic) - logistic).abs() < 1e-12);
        assert!((log_mean_loss(&m, MarginLoss::Exponential) - exponential).abs() < 1e-12);
        assert!((log_mean_loss(&m, MarginLoss::Squared) - squared).abs() < 1e-12);
    }

    #[test]
    fn stays_finite_far_past_underflow() {
        // R ≈ e^(−800)/2 + e^(−900)/2: ln R ≈ −800 − ln 2.
        let v = log_mean_loss(&[800.0, 900.0], MarginLoss::Logistic);
        assert!((v - (-800.0 - 2f64.ln())).abs() < 1e-9, "{v}");
        let w = log_mean_loss(&[-800.0], MarginLoss::Logistic);
        assert!((w - 800f64.ln()).abs() < 1e-9, "{w}");
        assert!(log_mean_loss(&[], MarginLoss::Logistic).is_nan());
    }
}
