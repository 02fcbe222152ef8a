//! The direction family: where the parameters θ point, and how that direction relates to the
//! margins, for the results of Lyu & Li (ICLR 2020) and Ji & Telgarsky (NeurIPS 2020) on
//! L-homogeneous networks trained with an exponentially-tailed loss.
//!
//! θ is every trained parameter, flattened in tape order; q_i = y_i·f(x_i; θ) is the margin of
//! example i and ∇q_i its gradient in θ (one backward pass per example, on a copy of the network:
//! n passes per log, and an n × |θ| Jacobian kept while the log is computed).
//! * The **smoothed normalized margin** γ̃ = ℓ⁻¹(Σ_i ℓ(q_i)) / ‖θ‖^L (Lyu & Li): ℓ⁻¹(u) = −ln u
//!   for the exponential loss and −ln(eᵘ − 1) for the logistic loss. Unlike min_i q_i / ‖θ‖^L it
//!   is smooth, and Lyu & Li prove it does not decrease under gradient flow once Σ_i ℓ(q_i) <
//!   ℓ(0) (every example fit).
//! * The **directional change** ‖θ/‖θ‖ − θ′/‖θ′‖‖ since the previous log's θ′.
//! * The **alignment** cos(θ, −∇R) of the parameters with the negative gradient of the mean loss
//!   R = (1/n) Σ_i ℓ(q_i), from −∇R = (1/n) Σ_i |ℓ′(q_i)|·∇q_i with the weights |ℓ′(q_i)| taken in
//!   the log domain, so it stays defined long after R and ∇R underflow.
//! * The **KKT residual** of the margin problem min ½‖θ‖² s.t. q_i ≥ 1: θ rescaled to minimum
//!   margin 1 is a KKT point when θ = Σ_i λ_i ∇q_i with λ ≥ 0 and λ_i = 0 wherever q_i > 1. The
//!   non-negative least-squares λ ([`kernels::linalg::nnls`], see [`kkt`]) gives the relative
//!   residual ‖θ̂ − Σ_i λ_i ∇q̂_i‖ / ‖θ̂‖ and the slack Σ_i λ_i (q̂_i − 1) / Σ_i λ_i q̂_i (the share
//!   of the multipliers' weight on examples off the margin): the two numbers of an approximate
//!   KKT point in the sense Lyu & Li use. Neither depends on the scale of θ.

use autodiff::{Element, MarginLoss, Tensor};
use kernels::MatRef;
use kernels::linalg::nnls;
use kernels::reduce::{dot, norm2 as norm};
use models::Network;

/// The trained parameters of `net` flattened in tape order, in f64.
pub fn trained_params<T: Element>(net: &Network<T>) -> Vec<f64> {
    net.named_params()
        .into_iter()
        .zip(net.trained())
        .filter(|(_, trained)| **trained)
        .flat_map(|((_, t), _)| t.data().iter().map(|v| v.to_f64()))
        .collect()
}

/// ∇_θ q_i for every example i, θ the trained parameters in the order of [`trained_params`]:
/// one backward pass of f(x_i) per example on a copy of `net` (`x` is \[n, in\], `y` the n labels).
pub fn margin_gradients<T: Element>(net: &Network<T>, x: &Tensor<T>, y: &[f64]) -> Vec<Vec<f64>> {
    let mut copy = net.clone();
    let d = x.shape()[1];
    let params: Vec<_> = copy
        .tape_ref()
        .params()
        .iter()
        .zip(net.trained())
        .filter(|(_, trained)| **trained)
        .map(|(&p, _)| p)
        .collect();
    y.iter()
        .enumerate()
        .map(|(i, &label)| {
            let tape = copy.tape();
            tape.reset();
            let input = tape.input(&x.data()[i * d..(i + 1) * d], &[1, d]);
            let out = copy.forward(input);
            let tape = copy.tape();
            tape.backward(out);
            params
                .iter()
                .flat_map(|&p| {
                    let g = tape.grad(p).expect("a parameter always has a gradient");
                    g.data().iter().map(move |v| label * v.to_f64())
                })
                .collect()
        })
        .collect()
}

/// ‖a/‖a‖ − b/‖b‖‖: 0 for vectors of the same direction, √2 for orthogonal ones, 2 for opposite
/// ones (NaN if either is zero).
pub fn direction_change(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (norm(a), norm(b));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x / na - y / nb).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Lyu & Li's smoothed normalized margin ℓ⁻¹(Σ_i ℓ(q_i)) / ‖θ‖^L, from ln R = ln((1/n) Σ_i ℓ(q_i))
/// over `n` examples, ‖θ‖ = `norm` and the degree L = `degree`. NaN for the squared loss, which
/// has no such margin.
pub fn smoothed_margin(log_loss: f64, n: usize, loss: MarginLoss, norm: f64, degree: usize) -> f64 {
    // ln Σ_i ℓ(q_i), the sum rather than the mean, as in Lyu & Li.
    let log_sum = log_loss + (n as f64).ln();
    let inverse = match loss {
        MarginLoss::Exponential => -log_sum,
        // −ln(eᵘ − 1) = −ln u − ln((eᵘ − 1)/u), and the last term is u/2 + O(u²) for small u.
        MarginLoss::Logistic => {
            let u = log_sum.exp();
            if log_sum < -30.0 {
                -log_sum - u / 2.0
            } else {
                -u.exp_m1().ln()
            }
        }
        MarginLoss::Squared => return f64::NAN,
    };
    inverse / norm.powi(degree as i32)
}

/// cos(θ, −∇R) for R = (1/n) Σ_i ℓ(q_i), given θ, the rows ∇q_i and the margins q_i.
pub fn gradient_alignment(
    theta: &[f64],
    gradients: &[Vec<f64>],
    margins: &[f64],
    loss: MarginLoss,
) -> f64 {
    // −ℓ′(q_i) = −sign_i·e^(ln|ℓ′(q_i)|), scaled by the largest e^(ln|ℓ′|): cosines ignore scale.
    let slopes: Vec<(f64, f64)> = margins.iter().map(|&q| loss.log_abs_slope(q)).collect();
    let top = slopes
        .iter()
        .map(|&(_, l)| l)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut descent = vec![0.0; theta.len()];
    for (g, &(sign, log_abs)) in gradients.iter().zip(&slopes) {
        let w = -sign * (log_abs - top).exp();
        descent.iter_mut().zip(g).for_each(|(d, gi)| *d += w * gi);
    }
    dot(theta, &descent) / (norm(theta) * norm(&descent))
}

/// How far θ is from a KKT point of min ½‖θ‖² s.t. q_i ≥ 1, once rescaled to minimum margin 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kkt {
    /// ‖θ − Σ_i λ_i ∇q_i‖ / ‖θ‖ for the best λ ≥ 0.
    pub residual: f64,
    /// Σ_i λ_i (q̂_i − 1) / Σ_i λ_i q̂_i with q̂ = q / min q: 0 when every multiplier sits on an
    /// example at the minimum margin (NaN when every λ_i is 0).
    pub slack: f64,
}

/// The [`Kkt`] numbers of θ, a point of an L-homogeneous network (L = `degree`) with margin
/// gradients `gradients` and margins `margins`; None when some margin is not positive (θ does
/// not fit the data, so it has no rescaling to margin 1).
///
/// θ is first rescaled to θ̂ = c·θ with minimum margin 1 (c = (min q)^(−1/L), so q̂ = q / min q
/// and ∇q̂_i = c^(L−1)·∇q_i). Many λ may reach the same residual when the gradients are
/// dependent (more examples than directions), so λ minimizes both numbers together, not the
/// residual alone: it is the non-negative least-squares solution of
/// ‖θ̂ − Σ_i λ_i ∇q̂_i‖² + (L·Σ_i λ_i (q̂_i − 1) / ‖θ̂‖)², whose second term is ‖θ̂‖² times the
/// squared slack near a KKT point (where L·Σ_i λ_i q̂_i = ⟨θ̂, Σ_i λ_i ∇q̂_i⟩ ≈ ‖θ̂‖², by Euler's
/// identity ⟨θ, ∇q_i⟩ = L·q_i).
pub fn kkt(theta: &[f64], gradients: &[Vec<f64>], margins: &[f64], degree: usize) -> Option<Kkt> {
    let smallest = margins.iter().copied().fold(f64::INFINITY, f64::min);
    if smallest.is_nan() || smallest <= 0.0 || gradients.is_empty() || degree == 0 {
        return None;
    }
    let (p, n) = (theta.len(), gradients.len());
    let c = smallest.powf(-1.0 / degree as f64);
    let lift = c.powi(degree as i32 - 1);
    let scaled_theta: Vec<f64> = theta.iter().map(|v| c * v).collect();
    let theta_norm = norm(&scaled_theta);
    let scaled: Vec<f64> = margins.iter().map(|q| q / smallest).collect();
    // [∇q̂_1 … ∇q̂_n] over the slack row L·(q̂_i − 1)/‖θ̂‖: (p + 1) × n, row-major.
    let weight = degree as f64 / theta_norm;
    let a: Vec<f64> = (0..p)
        .flat_map(|r| gradients.iter().map(move |g| lift * g[r]))
        .chain(scaled.iter().map(|q| weight * (q - 1.0)))
        .collect();
    let view = MatRef::from_row_major(&a, p + 1, n).expect("(p + 1)·n entries");
    let mut target = scaled_theta.clone();
    target.push(0.0);
    let lambda = nnls(view, &target).x;
    let fit: Vec<f64> = (0..p)
        .map(|r| {
            let combined: f64 = gradients.iter().zip(&lambda).map(|(g, l)| l * g[r]).sum();
            scaled_theta[r] - lift * combined
        })
        .collect();
    let on: f64 = lambda.iter().zip(&scaled).map(|(l, q)| l * q).sum();
    let off: f64 = lambda.iter().zip(&scaled).map(|(l, q)| l * (q - 1.0)).sum();
    Some(Kkt {
        residual: norm(&fit) / theta_norm,
        slack: off / on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::{Arch, Init};

    fn net(text: &str, seed: u64) -> Network<f64> {
        let arch: Arch = text.parse().unwrap();
        Network::new(&arch, Init::Gaussian { scale: 1.0 }, seed)
    }

    fn margins(net: &mut Network<f64>, x: &Tensor<f64>, y: &[f64]) -> Vec<f64> {
        let out = net.predict(x);
        out.data().iter().zip(y).map(|(f, y)| f * y).collect()
    }

    #[test]
    fn margin_gradients_match_central_differences() {
        let mut net = net("3,relu:5,linear:4,1", 3);
        let x = Tensor::from_vec(vec![0.3, -1.0, 0.5, 1.2, 0.1, -0.4], &[2, 3]).unwrap();
        let y = [1.0, -1.0];
        let gradients = margin_gradients(&net, &x, &y);
        let theta = trained_params(&net);
        assert_eq!(gradients.len(), 2);
        assert_eq!(gradients[0].len(), theta.len());
        let h = 1e-6;
        let mut flat = 0;
        for layer in 0..net.layers().len() {
            for e in 0..net.weight(layer).len() {
                let original = net.weight(layer).data()[e];
                net.weight_mut(layer).data_mut()[e] = original + h;
                let up = margins(&mut net, &x, &y);
                net.weight_mut(layer).data_mut()[e] = original - h;
                let down = margins(&mut net, &x, &y);
                net.weight_mut(layer).data_mut()[e] = original;
                for i in 0..2 {
                    let numeric = (up[i] - down[i]) / (2.0 * h);
                    assert!(
                        (numeric - gradients[i][flat]).abs() < 1e-8,
                        "example {i}, parameter {flat}: {numeric} vs {}",
                        gradients[i][flat]
                    );
                }
                flat += 1;
            }
        }
        assert_eq!(flat, theta.len());
    }

    #[test]
    fn fixed_entries_are_not_parameters() {
        let net = net("3,relu:5,1!fixed", 1);
        let x = Tensor::from_vec(vec![0.3, -1.0, 0.5], &[1, 3]).unwrap();
        assert_eq!(trained_params(&net).len(), 15);
        assert_eq!(margin_gradients(&net, &x, &[1.0])[0].len(), 15);
    }

    #[test]
    fn direction_change_has_its_known_values() {
        assert_eq!(direction_change(&[1.0, 2.0], &[2.0, 4.0]), 0.0);
        assert!((direction_change(&[3.0, 0.0], &[0.0, 0.5]) - 2f64.sqrt()).abs() < 1e-15);
        assert!((direction_change(&[1.0, 1.0], &[-2.0, -2.0]) - 2.0).abs() < 1e-15);
        assert!(direction_change(&[0.0, 0.0], &[1.0, 0.0]).is_nan());
    }

    #[test]
    fn smoothed_margin_inverts_the_summed_loss() {
        // Exponential: margins 2 and 3 give Σℓ = e^(−2) + e^(−3), ℓ⁻¹ = −ln Σℓ.
        let q: [f64; 2] = [2.0, 3.0];
        let sum: f64 = q.iter().map(|m| (-m).exp()).sum();
        let log_mean = (sum / 2.0).ln();
        let got = smoothed_margin(log_mean, 2, MarginLoss::Exponential, 2.0, 3);
        assert!((got - (-sum.ln()) / 8.0).abs() < 1e-15, "{got}");
        // It lies below the normalized margin min q / ‖θ‖^L, and above it minus ln n / ‖θ‖^L.
        assert!(got < 2.0 / 8.0 && got > (2.0 - 2f64.ln()) / 8.0);
        // Logistic: ℓ⁻¹(u) = −ln(eᵘ − 1) on both sides of the series switch.
        for q in [[0.5f64, 1.0], [40.0, 50.0]] {
            let sum: f64 = q.iter().map(|m| (-m).exp().ln_1p()).sum();
            let log_mean = (sum / 2.0).ln();
            let got = smoothed_margin(log_mean, 2, MarginLoss::Logistic, 1.0, 2);
            let expected = -(sum.exp_m1()).ln();
            assert!(
                (got - expected).abs() < 1e-9 * expected.abs(),
                "{got} vs {expected}"
            );
        }
        // Far past underflow: q = 800 gives ℓ⁻¹ ≈ 800.
        let got = smoothed_margin(-800.0, 1, MarginLoss::Logistic, 1.0, 1);
        assert!((got - 800.0).abs() < 1e-12);
        assert!(smoothed_margin(-1.0, 1, MarginLoss::Squared, 1.0, 1).is_nan());
    }

    #[test]
    fn alignment_of_a_linear_model_is_the_cosine_with_the_weighted_inputs() {
        // f(x) = ⟨w, x⟩: ∇q_i = y_i x_i and −∇R ∝ Σ_i e^(−q_i) y_i x_i (exponential loss).
        let w = [1.0, 0.5];
        let xs = [[1.0, 0.0], [0.0, -2.0]];
        let y = [1.0, -1.0];
        let gradients: Vec<Vec<f64>> = xs
            .iter()
            .zip(y)
            .map(|(x, y)| x.iter().map(|v| v * y).collect())
            .collect();
        let margins: Vec<f64> = gradients.iter().map(|g| dot(&w, g)).collect();
        let descent: Vec<f64> = (0..2)
            .map(|j| (0..2).map(|i| (-margins[i]).exp() * gradients[i][j]).sum())
            .collect();
        let expected = dot(&w, &descent) / (norm(&w) * norm(&descent));
        let got = gradient_alignment(&w, &gradients, &margins, MarginLoss::Exponential);
        assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
        // Margins of 900 underflow ℓ′ but not its logarithm: the cosine is unchanged.
        let far: Vec<Vec<f64>> = gradients
            .iter()
            .map(|g| g.iter().map(|v| v * 900.0 / dot(&w, g)).collect())
            .collect();
        let far_margins: Vec<f64> = far.iter().map(|g| dot(&w, g)).collect();
        let got = gradient_alignment(&w, &far, &far_margins, MarginLoss::Logistic);
        assert!(got.is_finite() && got > 0.0, "{got}");
    }

    #[test]
    fn the_svm_solution_is_a_kkt_point_and_a_tilted_one_is_not() {
        // Points (1, 0) labelled +1 and (−1, 0.5) labelled −1, so ∇q = (1, 0) and (1, −0.5) for
        // f = ⟨w, x⟩ (L = 1): the max-margin solution is w = (1, 0), both points on the margin.
        let gradients = vec![vec![1.0, 0.0], vec![1.0, -0.5]];
        let at = |w: &[f64]| -> Vec<f64> { gradients.iter().map(|g| dot(w, g)).collect() };
        for svm in [[1.0, 0.0], [3.0, 0.0]] {
            // w = 1·∇q₀, λ on margin-1 examples only, at any scale.
            let k = kkt(&svm, &gradients, &at(&svm), 1).unwrap();
            assert!(k.residual < 1e-15 && k.slack.abs() < 1e-15, "{k:?}");
        }
        // w = (1, 1): margins 1 and 0.5, so θ̂ = (2, 2), q̂ = (2, 1) and the slack row is
        // (1, 0)/‖θ̂‖ = (1, 0)/(2√2). λ₁ stays 0 (its column (1, −0.5, 0) points away from the
        // target (2, 2, 0)); λ₀ minimizes (2 − λ₀)² + 4 + λ₀²/8, so λ₀ = 16/9, the residual is
        // ‖(2/9, 2)‖ / (2√2) = √41/9 and the slack λ₀·1/(λ₀·2) = 1/2.
        let tilted = [1.0, 1.0];
        let k = kkt(&tilted, &gradients, &at(&tilted), 1).unwrap();
        assert!((k.residual - 41f64.sqrt() / 9.0).abs() < 1e-14, "{k:?}");
        assert!((k.slack - 0.5).abs() < 1e-14, "{k:?}");
        assert_eq!(kkt(&tilted, &gradients, &[1.0, -0.1], 1), None);
    }

    #[test]
    fn kkt_numbers_do_not_depend_on_the_scale_of_a_homogeneous_network() {
        let net = net("3,relu:4,linear:3,1", 5);
        let x =
            Tensor::from_vec(vec![0.3, -1.0, 0.5, 1.2, 0.1, -0.4, 0.7, 0.7, 0.2], &[3, 3]).unwrap();
        let mut net = net;
        let out = net.predict(&x);
        let y: Vec<f64> = out.data().iter().map(|f| f.signum()).collect();
        let k = |net: &mut Network<f64>| {
            let q = margins(net, &x, &y);
            kkt(&trained_params(net), &margin_gradients(net, &x, &y), &q, 3).unwrap()
        };
        let before = k(&mut net);
        for layer in 0..3 {
            let w = net.weight_mut(layer);
            w.data_mut().iter_mut().for_each(|v| *v *= 1.7);
        }
        let after = k(&mut net);
        assert!(
            (before.residual - after.residual).abs() < 1e-12,
            "{before:?} {after:?}"
        );
        assert!(
            (before.slack - after.slack).abs() < 1e-12,
            "{before:?} {after:?}"
        );
    }
}
