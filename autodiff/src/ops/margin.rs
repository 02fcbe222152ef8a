//! Losses on margins m = y·f(x), y ∈ {−1, +1}: the mean loss R and its logarithm ln R.

use std::fmt;
use std::str::FromStr;

use kernels::Element;
use kernels::elementwise::{sigmoid_scalar, softplus_scalar};
use kernels::reduce::{log_sum_exp, sum};

use super::Op;
use crate::backward::{Grads, Values};
use crate::shape::Shape;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// The per-example loss ℓ(m) of a margin m.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginLoss {
    /// ℓ(m) = ln(1 + e^(−m)).
    Logistic,
    /// ℓ(m) = e^(−m).
    Exponential,
    /// ℓ(m) = (1 − m)².
    Squared,
}

impl MarginLoss {
    /// Every loss, in declaration order.
    pub const ALL: [MarginLoss; 3] = [Self::Logistic, Self::Exponential, Self::Squared];

    /// The name used on command lines and in files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Logistic => "logistic",
            Self::Exponential => "exponential",
            Self::Squared => "squared",
        }
    }
}

impl fmt::Display for MarginLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown loss name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown margin loss {0:?}: expected logistic, exponential or squared")]
pub struct UnknownMarginLoss(pub String);

impl FromStr for MarginLoss {
    type Err = UnknownMarginLoss;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| UnknownMarginLoss(s.to_string()))
    }
}

impl MarginLoss {
    /// ℓ(m).
    fn loss<T: Element>(self, m: T) -> T {
        match self {
            Self::Logistic => softplus_scalar(-m),
            Self::Exponential => (-m).exp(),
            Self::Squared => (T::ONE - m) * (T::ONE - m),
        }
    }

    /// ℓ'(m).
    fn slope<T: Element>(self, m: T) -> T {
        match self {
            Self::Logistic => -sigmoid_scalar(-m),
            Self::Exponential => -(-m).exp(),
            Self::Squared => -T::from_f64(2.0) * (T::ONE - m),
        }
    }

    /// ln ℓ(m), finite wherever ℓ(m) > 0 even if ℓ(m) itself underflows.
    fn log_loss<T: Element>(self, m: T) -> T {
        match self {
            Self::Logistic => log_logistic(m),
            Self::Exponential => -m,
            Self::Squared => T::from_f64(2.0) * (T::ONE - m).abs().ln(),
        }
    }

    /// The sign of ℓ'(m) and ln |ℓ'(m)|, finite even where ℓ'(m) itself underflows:
    /// logistic ℓ' = −1/(1 + e^m) so ln|ℓ'| = −softplus(m); exponential ln|ℓ'| = −m;
    /// squared ℓ' = −2(1 − m).
    pub fn log_abs_slope<T: Element>(self, m: T) -> (T, T) {
        match self {
            Self::Logistic => (-T::ONE, -softplus_scalar(m)),
            Self::Exponential => (-T::ONE, -m),
            Self::Squared => {
                let sign = if m > T::ONE { T::ONE } else { -T::ONE };
                (
                    sign,
                    T::from_f64(std::f64::consts::LN_2) + (T::ONE - m).abs().ln(),
                )
            }
        }
    }
}

/// ln ln(1 + e^(−m)) for any m.
///
/// For m ≤ 1 the inner value is at least ln(1 + e^(−1)) and the direct formula is accurate.
/// Beyond, with z = e^(−m): ln(1 + z) = z · (ln(1 + z)/z), so the result is −m + ln(ln(1 + z)/z),
/// and the correction tends to −z/2 as z → 0 (where the ratio would become 0/0 once z
/// underflows, near m ≈ 745 in f64).
fn log_logistic<T: Element>(m: T) -> T {
    if m <= T::ONE {
        return softplus_scalar(-m).ln();
    }
    let z = (-m).exp();
    let correction = if z > T::EPSILON {
        (z.ln_1p() / z).ln()
    } else {
        -z / T::from_f64(2.0)
    };
    -m + correction
}

impl<T: Element> Tape<T> {
    /// The mean loss R = (1/n) Σ ℓ(m_i) over margins of any shape: shape [].
    pub fn margin_loss(&mut self, margins: Var, kind: MarginLoss) -> Var {
        let value = self.per_margin("margin_loss", margins, |m| kind.loss(m), sum);
        let n = T::from_usize(self.value(margins).len());
        let mut out = self.pool.tensor(Shape::scalar());
        out.data_mut()[0] = value / n;
        self.push(out, Op::MarginLoss { m: margins, kind }, &[margins])
    }

    /// ln R computed in the log domain, ln R = logsumexp_i(ln ℓ(m_i)) − ln n: finite, with a
    /// finite and accurate gradient, even when R is far below the smallest float (R ≈ e^(−1e4)
    /// after long training).
    pub fn log_margin_loss(&mut self, margins: Var, kind: MarginLoss) -> Var {
        let value = self.per_margin(
            "log_margin_loss",
            margins,
            |m| kind.log_loss(m),
            log_sum_exp,
        );
        let n = T::from_usize(self.value(margins).len());
        let mut out = self.pool.tensor(Shape::scalar());
        out.data_mut()[0] = value - n.ln();
        self.push(out, Op::LogMarginLoss { m: margins, kind }, &[margins])
    }

    /// Applies `f` to every margin (in a scratch buffer) and reduces the results with `reduce`.
    fn per_margin(
        &mut self,
        op: &str,
        margins: Var,
        f: impl Fn(T) -> T,
        reduce: fn(&[T]) -> T,
    ) -> T {
        let s = self.shape_of(margins);
        assert!(s.numel() > 0, "{op}: the margins (shape {s:?}) are empty");
        let mut per_example = self.pool.buffer(s.numel());
        for (l, &m) in per_example.iter_mut().zip(self.value(margins).data()) {
            *l = f(m);
        }
        let value = reduce(&per_example);
        self.pool.recycle(per_example);
        value
    }
}

/// R = (1/n) Σ ℓ(m_i)  ⇒  dm_i = g · ℓ'(m_i) / n.
pub(crate) fn margin_backward<T: Element>(
    m: Var,
    kind: MarginLoss,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let margins = vals.get(m).data();
    let g_over_n = g.item() / T::from_usize(margins.len());
    grads.accumulate(m, |dm| {
        for (d, &m) in dm.iter_mut().zip(margins) {
            *d = g_over_n * kind.slope(m);
        }
    });
}

/// ln R  ⇒  dm_i = g · ℓ'(m_i) / (nR) = g · sign(ℓ'(m_i)) · exp(ln|ℓ'(m_i)| − ln n − ln R).
/// Both logarithms are finite where ℓ' and R underflow, and their difference is moderate (the
/// example's share of the loss), so the gradient is accurate without ever forming R.
pub(crate) fn log_margin_backward<T: Element>(
    m: Var,
    kind: MarginLoss,
    out: &Tensor<T>,
    g: &Tensor<T>,
    vals: Values<T>,
    grads: &mut Grads<T>,
) {
    let margins = vals.get(m).data();
    let log_n_r = T::from_usize(margins.len()).ln() + out.item();
    let g = g.item();
    grads.accumulate(m, |dm| {
        for (d, &m) in dm.iter_mut().zip(margins) {
            let (sign, log_slope) = kind.log_abs_slope(m);
            *d = g * sign * (log_slope - log_n_r).exp();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_op, randn};
    use super::*;
    use crate::Tape;
    use kernels::rng::Rng;

    #[test]
    fn names_round_trip() {
        for kind in MarginLoss::ALL {
            assert_eq!(kind.to_string().parse::<MarginLoss>(), Ok(kind));
        }
        assert_eq!(
            "hinge".parse::<MarginLoss>().unwrap_err().to_string(),
            "unknown margin loss \"hinge\": expected logistic, exponential or squared"
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(12);
        let m = randn(&mut rng, &[9]);
        check_op!([m.clone()], |t, v| t
            .margin_loss(v[0], MarginLoss::Logistic));
        check_op!([m.clone()], |t, v| t
            .margin_loss(v[0], MarginLoss::Exponential));
        check_op!([m.clone()], |t, v| t.margin_loss(v[0], MarginLoss::Squared));
        check_op!([m.clone()], |t, v| t
            .log_margin_loss(v[0], MarginLoss::Logistic));
        check_op!([m.clone()], |t, v| t
            .log_margin_loss(v[0], MarginLoss::Exponential));
        check_op!([m], |t, v| t.log_margin_loss(v[0], MarginLoss::Squared));
    }

    #[test]
    fn log_logistic_is_accurate_on_both_branches() {
        for m in [-30.0f64, -1.0, 0.0, 0.5, 1.0, 1.0 + 1e-12, 3.0, 20.0, 40.0] {
            let direct = (-m).exp().ln_1p().ln();
            assert!(
                (log_logistic(m) - direct).abs() <= 1e-15 * direct.abs().max(1.0),
                "m = {m}"
            );
        }
        // ln(1 + z) = z − z²/2 + z³/3 for z = e^(−m), so ln ℓ = −m + ln(1 − z/2 + z²/3).
        for m in [40.0f64, 800.0, 1e4] {
            let z = (-m).exp();
            assert_eq!(log_logistic(m), -m + (-z / 2.0 + z * z / 3.0).ln_1p());
        }
    }

    /// Margins near 1e4 (R ≈ e^(−1e4), far below the smallest f64) against the exact
    /// reference: there e^(−m) underflows, ln(1 + z) = z to all f64 digits, so for both losses
    /// ln R = −m₀ + ln((1/n) Σ e^(−δ_i)) and ∂ln R/∂m_i = −e^(−δ_i) / Σ_j e^(−δ_j), where
    /// m_i = m₀ + δ_i with small offsets δ_i evaluated without cancellation.
    #[test]
    fn log_loss_and_gradient_stay_accurate_when_r_underflows() {
        let base = 1e4;
        let offsets = [0.0, 0.5, 1.0, 3.0, 7.25];
        let margins: Vec<f64> = offsets.iter().map(|d| base + d).collect();
        let weights: Vec<f64> = offsets.iter().map(|d: &f64| (-d).exp()).collect();
        let total: f64 = weights.iter().sum();
        let expected = -base + (total / offsets.len() as f64).ln();
        for kind in [MarginLoss::Logistic, MarginLoss::Exponential] {
            let mut tape = Tape::<f64>::new();
            let m = tape.param(Tensor::from_vec(margins.clone(), &[5]).unwrap());
            let plain = tape.margin_loss(m, kind);
            assert_eq!(tape.value(plain).item(), 0.0, "R itself underflows");
            let log_r = tape.log_margin_loss(m, kind);
            let got = tape.value(log_r).item();
            assert!(
                (got - expected).abs() <= 1e-15 * expected.abs(),
                "{kind}: {got} vs {expected}"
            );
            tape.backward(log_r);
            for (g, w) in tape.grad(m).unwrap().data().iter().zip(&weights) {
                let want = -w / total;
                assert!(
                    (g - want).abs() <= 1e-11 * want.abs(),
                    "{kind}: {g} vs {want}"
                );
            }
        }
    }

    /// Intermediate margins, where R is tiny but representable: the log-domain value and
    /// gradient match the direct formulas evaluated in f64.
    #[test]
    fn log_loss_matches_the_direct_formula_where_r_is_representable() {
        let margins = [30.0, 35.5, 41.0, 60.0];
        for kind in [MarginLoss::Logistic, MarginLoss::Exponential] {
            let losses: Vec<f64> = margins.iter().map(|&m| kind.loss(m)).collect();
            let r: f64 = losses.iter().sum::<f64>() / 4.0;
            let mut tape = Tape::<f64>::new();
            let m = tape.param(Tensor::from_vec(margins.to_vec(), &[4]).unwrap());
            let log_r = tape.log_margin_loss(m, kind);
            assert!((tape.value(log_r).item() - r.ln()).abs() <= 1e-14 * r.ln().abs());
            tape.backward(log_r);
            for (g, &mi) in tape.grad(m).unwrap().data().iter().zip(&margins) {
                let want = kind.slope(mi) / (4.0 * r);
                assert!(
                    (g - want).abs() <= 1e-12 * want.abs(),
                    "{kind}: {g} vs {want}"
                );
            }
        }
    }

    #[test]
    fn plain_losses_have_the_textbook_values() {
        let mut tape = Tape::<f64>::new();
        let m = tape.input(&[0.0, 2.0], &[2]);
        let (l, e, s) = (
            tape.margin_loss(m, MarginLoss::Logistic),
            tape.margin_loss(m, MarginLoss::Exponential),
            tape.margin_loss(m, MarginLoss::Squared),
        );
        let want_l = (2f64.ln() + (-2f64).exp().ln_1p()) / 2.0;
        assert!((tape.value(l).item() - want_l).abs() < 1e-15);
        assert!((tape.value(e).item() - (1.0 + (-2f64).exp()) / 2.0).abs() < 1e-15);
        assert_eq!(tape.value(s).item(), 1.0);
    }
}
