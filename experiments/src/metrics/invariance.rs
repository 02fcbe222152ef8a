//! The conserved quantities of THEORY.md §5 and how far gradient descent lets them drift.
//!
//! For consecutive layers W_k [h, ·] and W_{k+1} [·, h] sharing h hidden units,
//! Δ = W_{k+1}ᵀW_{k+1} − W_kW_kᵀ (h×h). Gradient flow conserves
//! * Δ's diagonal: per neuron, outgoing minus incoming squared weights (Lemma 2, any homogeneous
//!   activation);
//! * its trace: ‖W_{k+1}‖_F² − ‖W_k‖_F² (Lemma 3);
//! * all of Δ for a linear layer k, and for a ReLU layer only the block of neurons active on every
//!   training example (Theorem 1; the full matrix is not conserved, Lemma 4).
//!
//! Gradient descent conserves them up to O(step²) per step. Each drift is reported relative to
//! the current scale of the quantity it belongs to, so that growth of the weights alone does not
//! read as drift: a neuron's own ‖in_j‖² + ‖out_j‖² for the per-neuron quantity, and
//! ‖W_k‖_F² + ‖W_{k+1}‖_F² (which bounds ‖W_{k+1}ᵀW_{k+1}‖_F + ‖W_kW_kᵀ‖_F) for the pair's.
//!
//! Memory: the baseline keeps the step-0 weights of each pair (O(parameters)), and Δ(t) − Δ(0)
//! is never formed whole. With A = W_{k+1}, B = W_k and A₀, B₀ their step-0 values,
//! Δ(t) − Δ(0) = ½(PᵀQ + QᵀP) − ½(STᵀ + TSᵀ) for P = A + A₀, Q = A − A₀, S = B + B₀, T = B − B₀:
//! a product of the weights and their (small) change, so no difference of two large terms loses
//! the drift to rounding. It is computed in blocks of rows (at most [`BLOCK_ENTRIES`] entries at
//! a time), 2·h²·(in + out) multiply–adds per pair; when h is more than three times in + out
//! (a very wide layer between thin ones), the norms come from (in + out)-square Gram matrices of
//! the factors instead, 6·h·(in + out)² multiply–adds: exact for the diagonal, and for the full,
//! off-diagonal and active-block norms up to a rounding floor of about √ε times the weights'
//! movement, since those are then sums of terms that cancel.

use kernels::parallel::Parallelism;
use kernels::{MatMut, MatRef, gemm};
use models::Attachments;

use super::spectrum::frobenius_sq;

/// Entries of Δ(t) − Δ(0) held at once by the blockwise computation (8 MiB of f64).
pub const BLOCK_ENTRIES: usize = 1 << 20;

/// Conserved quantities of THEORY.md §5, captured at step 0 and compared later.
#[derive(Clone, Debug)]
pub struct InvarianceBaseline {
    pairs: Vec<PairBaseline>,
}

/// The step-0 weights of one pair of layers.
#[derive(Clone, Debug)]
struct PairBaseline {
    lower: usize,
    upper: usize,
    hidden: usize,
    /// W_lower(0), h×in row-major.
    lower_start: Vec<f64>,
    /// W_upper(0), out×h row-major.
    upper_start: Vec<f64>,
}

/// The drift of every conserved quantity of one pair of layers since the baseline, each relative
/// to its scale at the time of measurement (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct PairDrift {
    /// Index of the lower layer k.
    pub lower: usize,
    /// Index of the upper layer k+1.
    pub upper: usize,
    /// ‖Δ(t) − Δ(0)‖_F / (‖W_k‖_F² + ‖W_{k+1}‖_F²).
    pub full: f64,
    /// The same for the diagonal of Δ only.
    pub diagonal: f64,
    /// The same for the off-diagonal part of Δ only.
    pub off_diagonal: f64,
    /// The same for the block of Δ on the stably-active neurons (all neurons when no mask).
    pub active_block: f64,
    /// How many neurons the active block holds.
    pub active_count: usize,
    /// max over neurons j of |Δ_jj(t) − Δ_jj(0)| / (‖in_j‖² + ‖out_j‖²), its incoming weights
    /// (row j of W_k) and outgoing ones (column j of W_{k+1}): the worst per-neuron drift.
    pub per_neuron: f64,
    /// |trace Δ(t) − trace Δ(0)| / (‖W_k‖_F² + ‖W_{k+1}‖_F²): drift of ‖W_{k+1}‖_F² − ‖W_k‖_F².
    pub per_layer: f64,
}

/// Sums of squares of Δ(t) − Δ(0) and its diagonal, before scaling.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    diagonal: f64,
    off_diagonal: f64,
    block: f64,
    worst: f64,
    trace: f64,
}

impl InvarianceBaseline {
    /// weights: every layer's matrix \[out,in\] in forward order; pairs: adjacent (k, k+1) indices.
    ///
    /// Panics (naming both shapes) if a pair's lower output size differs from its upper input
    /// size, or names a layer that does not exist: both are programmer errors.
    pub fn capture(weights: &[MatRef<'_, f64>], pairs: &[(usize, usize)]) -> Self {
        let pairs = pairs
            .iter()
            .map(|&(lower, upper)| {
                check_pair(weights, lower, upper);
                PairBaseline {
                    lower,
                    upper,
                    hidden: weights[lower].rows(),
                    lower_start: row_major(weights[lower]),
                    upper_start: row_major(weights[upper]),
                }
            })
            .collect();
        Self { pairs }
    }

    /// Adds the baseline to a training checkpoint's attachments, under keys starting with
    /// `key` (one key per baseline of a run).
    pub fn attach(&self, extra: &mut Attachments, key: &str) {
        let pairs = self
            .pairs
            .iter()
            .flat_map(|b| [b.lower, b.upper, b.hidden].map(|v| v as u64))
            .collect();
        extra.counts.insert(format!("{key}.pairs"), pairs);
        for (p, b) in self.pairs.iter().enumerate() {
            let reals = &mut extra.reals;
            reals.insert(format!("{key}.lower.{p}"), b.lower_start.clone());
            reals.insert(format!("{key}.upper.{p}"), b.upper_start.clone());
        }
    }

    /// The baseline that [`InvarianceBaseline::attach`] stored under `key`.
    pub fn from_attachments(extra: &Attachments, key: &str) -> Result<Self, String> {
        let pairs = extra
            .counts
            .get(&format!("{key}.pairs"))
            .ok_or_else(|| format!("the invariance baseline `{key}` is missing"))?;
        pairs
            .chunks(3)
            .enumerate()
            .map(|(p, c)| {
                let start = |side: &str| {
                    extra
                        .reals
                        .get(&format!("{key}.{side}.{p}"))
                        .cloned()
                        .ok_or_else(|| format!("the invariance baseline of pair {p} is missing"))
                };
                match c {
                    &[lower, upper, hidden] => Ok(PairBaseline {
                        lower: lower as usize,
                        upper: upper as usize,
                        hidden: hidden as usize,
                        lower_start: start("lower")?,
                        upper_start: start("upper")?,
                    }),
                    _ => Err("the invariance baseline's pair list is cut short".to_string()),
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|pairs| Self { pairs })
    }

    /// True when `other` was captured from weights of the same shapes, pair for pair.
    pub fn same_shapes(&self, other: &Self) -> bool {
        let shape = |b: &PairBaseline| {
            (
                b.lower,
                b.upper,
                b.hidden,
                b.lower_start.len(),
                b.upper_start.len(),
            )
        };
        self.pairs
            .iter()
            .map(shape)
            .eq(other.pairs.iter().map(shape))
    }

    /// Drifts relative to scale, per pair: ‖Δ(t) − Δ(0)‖_F / (‖W_k‖_F² + ‖W_{k+1}‖_F²) for
    /// Δ = W_{k+1}ᵀW_{k+1} − W_kW_kᵀ,
    /// its diagonal, its off-diagonal part, and its block restricted to `active[k]` neurons (hidden units
    /// at the output of layer k that are stably active; None = all); plus per-neuron and per-layer drifts.
    ///
    /// `active` is indexed by layer; a missing entry counts as None. Where a scale is zero the
    /// drift is absolute (divided by the smallest positive f64 instead, so any drift shows).
    /// Panics if the shapes differ from the captured ones or a mask has the wrong length.
    pub fn drift(
        &self,
        weights: &[MatRef<'_, f64>],
        active: &[Option<Vec<bool>>],
        par: &Parallelism,
    ) -> Vec<PairDrift> {
        self.pairs
            .iter()
            .map(|base| {
                check_pair(weights, base.lower, base.upper);
                let h = base.hidden;
                let (lower, upper) = (weights[base.lower], weights[base.upper]);
                assert!(
                    lower.rows() == h && lower.rows() * lower.cols() == base.lower_start.len(),
                    "InvarianceBaseline::drift: layer {} is {}×{} now but had {h} outputs and \
                     {} weights at capture",
                    base.lower,
                    lower.rows(),
                    lower.cols(),
                    base.lower_start.len()
                );
                let mask = active.get(base.lower).and_then(Option::as_ref);
                if let Some(mask) = mask {
                    assert_eq!(
                        mask.len(),
                        h,
                        "InvarianceBaseline::drift: the activity mask of layer {} has {} entries \
                         but the layer has {h} outputs",
                        base.lower,
                        mask.len()
                    );
                }
                let in_block = |j: usize| mask.is_none_or(|m| m[j]);
                let own = neuron_scales(lower, upper);
                let factors = Factors::new(base, lower, upper);
                let thin = lower.cols() + upper.rows();
                let sums = if h > 3 * thin {
                    factors.sums_from_grams(&in_block, &own, par)
                } else {
                    factors.sums_blockwise(&in_block, &own, BLOCK_ENTRIES, par)
                };
                let scale = (frobenius_sq(lower) + frobenius_sq(upper)).max(f64::MIN_POSITIVE);
                PairDrift {
                    lower: base.lower,
                    upper: base.upper,
                    full: (sums.diagonal + sums.off_diagonal).max(0.0).sqrt() / scale,
                    diagonal: sums.diagonal.sqrt() / scale,
                    off_diagonal: sums.off_diagonal.max(0.0).sqrt() / scale,
                    active_block: sums.block.max(0.0).sqrt() / scale,
                    active_count: (0..h).filter(|&j| in_block(j)).count(),
                    per_neuron: sums.worst,
                    per_layer: sums.trace.abs() / scale,
                }
            })
            .collect()
    }
}

/// P = A + A₀, Q = A − A₀ (out×h) and S = B + B₀, T = B − B₀ (h×in), row-major.
struct Factors {
    hidden: usize,
    inputs: usize,
    outputs: usize,
    p: Vec<f64>,
    q: Vec<f64>,
    s: Vec<f64>,
    t: Vec<f64>,
}

impl Factors {
    fn new(base: &PairBaseline, lower: MatRef<'_, f64>, upper: MatRef<'_, f64>) -> Self {
        let sum_and_change = |now: MatRef<'_, f64>, start: &[f64]| -> (Vec<f64>, Vec<f64>) {
            let now = row_major(now);
            let sum = now.iter().zip(start).map(|(a, b)| a + b).collect();
            let change = now.iter().zip(start).map(|(a, b)| a - b).collect();
            (sum, change)
        };
        let (p, q) = sum_and_change(upper, &base.upper_start);
        let (s, t) = sum_and_change(lower, &base.lower_start);
        Self {
            hidden: base.hidden,
            inputs: lower.cols(),
            outputs: upper.rows(),
            p,
            q,
            s,
            t,
        }
    }

    fn view<'a>(data: &'a [f64], rows: usize, cols: usize) -> MatRef<'a, f64> {
        MatRef::from_row_major(data, rows, cols).expect("a factor of the shape it was built for")
    }

    /// Δ(t) − Δ(0) one block of rows at a time, each of at most `block_entries` entries.
    fn sums_blockwise(
        &self,
        in_block: &dyn Fn(usize) -> bool,
        own: &[f64],
        block_entries: usize,
        par: &Parallelism,
    ) -> Sums {
        let (h, o, i) = (self.hidden, self.outputs, self.inputs);
        let (p, q) = (Self::view(&self.p, o, h), Self::view(&self.q, o, h));
        let (s, t) = (Self::view(&self.s, h, i), Self::view(&self.t, h, i));
        let rows_per_block = (block_entries / h.max(1)).clamp(1, h.max(1));
        let mut buffer = vec![0.0; rows_per_block * h];
        let mut sums = Sums::default();
        for r0 in (0..h).step_by(rows_per_block) {
            let rows = rows_per_block.min(h - r0);
            let block = &mut buffer[..rows * h];
            let mut out = MatMut::from_row_major(block, rows, h).expect("rows × h entries");
            gemm(
                0.5,
                p.submatrix(0, r0, o, rows).t(),
                q,
                0.0,
                out.rb_mut(),
                par,
            );
            gemm(
                0.5,
                q.submatrix(0, r0, o, rows).t(),
                p,
                1.0,
                out.rb_mut(),
                par,
            );
            gemm(
                -0.5,
                s.submatrix(r0, 0, rows, i),
                t.t(),
                1.0,
                out.rb_mut(),
                par,
            );
            gemm(-0.5, t.submatrix(r0, 0, rows, i), s.t(), 1.0, out, par);
            for (local, row) in block.chunks_exact(h).enumerate() {
                let r = r0 + local;
                for (j, &d) in row.iter().enumerate() {
                    if r == j {
                        sums.diagonal += d * d;
                        sums.worst = sums.worst.max(d.abs() / own[r]);
                        sums.trace += d;
                    } else {
                        sums.off_diagonal += d * d;
                    }
                    if in_block(r) && in_block(j) {
                        sums.block += d * d;
                    }
                }
            }
        }
        sums
    }

    /// The norms from Gram matrices of L = [P; Sᵀ] and K = ½[Q; −Tᵀ] ((out + in) × h), where
    /// Δ(t) − Δ(0) = LᵀK + KᵀL: ‖LᵀK + KᵀL‖_F² = 2·Σ_ab ((KLᵀ)_ab (KLᵀ)_ba + (KKᵀ)_ab (LLᵀ)_ab).
    fn sums_from_grams(
        &self,
        in_block: &dyn Fn(usize) -> bool,
        own: &[f64],
        par: &Parallelism,
    ) -> Sums {
        let (h, o, i) = (self.hidden, self.outputs, self.inputs);
        let width = o + i;
        // L and K with the hidden units as columns: rows 0..o from P and Q, rows o.. from Sᵀ, Tᵀ.
        let mut l = vec![0.0; width * h];
        let mut k = vec![0.0; width * h];
        l[..o * h].copy_from_slice(&self.p);
        k[..o * h]
            .iter_mut()
            .zip(&self.q)
            .for_each(|(k, q)| *k = 0.5 * q);
        for j in 0..h {
            for c in 0..i {
                l[(o + c) * h + j] = self.s[j * i + c];
                k[(o + c) * h + j] = -0.5 * self.t[j * i + c];
            }
        }
        let mut sums = Sums::default();
        for j in 0..h {
            let d: f64 = 2.0 * (0..width).map(|a| l[a * h + j] * k[a * h + j]).sum::<f64>();
            sums.diagonal += d * d;
            sums.worst = sums.worst.max(d.abs() / own[j]);
            sums.trace += d;
        }
        let squared_norm = |columns: &[usize]| -> f64 {
            let pick = |m: &[f64]| -> Vec<f64> {
                (0..width)
                    .flat_map(|a| columns.iter().map(move |&j| m[a * h + j]))
                    .collect()
            };
            let (lm, km) = (pick(&l), pick(&k));
            let c = columns.len();
            let (lv, kv) = (Self::view(&lm, width, c), Self::view(&km, width, c));
            let gram = |x: MatRef<'_, f64>, y: MatRef<'_, f64>| {
                let mut out = vec![0.0; width * width];
                let view = MatMut::from_row_major(&mut out, width, width).expect("width²");
                gemm(1.0, x, y.t(), 0.0, view, par);
                out
            };
            let (kl, kk, ll) = (gram(kv, lv), gram(kv, kv), gram(lv, lv));
            let mut total = 0.0;
            for a in 0..width {
                for b in 0..width {
                    total += kl[a * width + b] * kl[b * width + a]
                        + kk[a * width + b] * ll[a * width + b];
                }
            }
            2.0 * total
        };
        let all: Vec<usize> = (0..h).collect();
        let full = squared_norm(&all);
        sums.off_diagonal = full - sums.diagonal;
        let active: Vec<usize> = (0..h).filter(|&j| in_block(j)).collect();
        sums.block = if active.len() == h {
            full
        } else {
            squared_norm(&active)
        };
        sums
    }
}

/// Per hidden neuron j, ‖in_j‖² + ‖out_j‖² (row j of `lower`, column j of `upper`), at least the
/// smallest positive f64.
fn neuron_scales(lower: MatRef<'_, f64>, upper: MatRef<'_, f64>) -> Vec<f64> {
    (0..lower.rows())
        .map(|j| {
            let incoming: f64 = (0..lower.cols()).map(|c| lower.get(j, c).powi(2)).sum();
            let outgoing: f64 = (0..upper.rows()).map(|a| upper.get(a, j).powi(2)).sum();
            (incoming + outgoing).max(f64::MIN_POSITIVE)
        })
        .collect()
}

/// The entries of `w`, row-major.
fn row_major(w: MatRef<'_, f64>) -> Vec<f64> {
    (0..w.rows())
        .flat_map(|i| (0..w.cols()).map(move |j| w.get(i, j)))
        .collect()
}

/// Checks that layers `lower` and `upper` exist and share their hidden units.
fn check_pair(weights: &[MatRef<'_, f64>], lower: usize, upper: usize) {
    assert!(
        lower < weights.len() && upper < weights.len(),
        "invariance pair ({lower}, {upper}) names a layer beyond the {} given",
        weights.len()
    );
    let (a, b) = (weights[lower], weights[upper]);
    assert_eq!(
        a.rows(),
        b.cols(),
        "invariance pair ({lower}, {upper}): layer {lower} is {}×{} but layer {upper} is {}×{}; \
         the lower layer's outputs must be the upper layer's inputs",
        a.rows(),
        a.cols(),
        b.rows(),
        b.cols()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row-major view of `data` with `rows` rows.
    fn view(data: &[f64], rows: usize) -> MatRef<'_, f64> {
        MatRef::from_row_major(data, rows, data.len() / rows).unwrap()
    }

    #[test]
    fn unchanged_weights_have_zero_drift() {
        let w1 = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6];
        let w2 = [0.7, -0.1];
        let weights = [view(&w1, 2), view(&w2, 1)];
        let base = InvarianceBaseline::capture(&weights, &[(0, 1)]);
        let drift = base.drift(&weights, &[Some(vec![true, false])], &Parallelism::NONE);
        let d = &drift[0];
        assert_eq!((d.lower, d.upper, d.active_count), (0, 1, 1));
        assert_eq!(
            [
                d.full,
                d.diagonal,
                d.off_diagonal,
                d.active_block,
                d.per_neuron,
                d.per_layer
            ],
            [0.0; 6]
        );
    }

    #[test]
    fn known_perturbation_gives_hand_computed_drifts() {
        // W1 = I₂ (2×2), W2 = [1, 1]: Δ(0) = [[1,1],[1,1]] − I = [[0,1],[1,0]].
        // Perturb W2 to [2, 1]: W2ᵀW2 = [[4,2],[2,1]], Δ(t) = [[3,2],[2,0]],
        // Δ(t) − Δ(0) = [[3,1],[1,0]]; the pair's scale ‖W1‖_F² + ‖W2‖_F² = 2 + 5, neuron 0's
        // own ‖(1, 0)‖² + 2² = 5.
        let w1 = [1.0, 0.0, 0.0, 1.0];
        let before = [1.0, 1.0];
        let after = [2.0, 1.0];
        let base = InvarianceBaseline::capture(&[view(&w1, 2), view(&before, 1)], &[(0, 1)]);
        let d = &base.drift(
            &[view(&w1, 2), view(&after, 1)],
            &[None, None],
            &Parallelism::NONE,
        )[0];
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(d.full, 11f64.sqrt() / 7.0), "full {}", d.full);
        assert!(close(d.diagonal, 3.0 / 7.0));
        assert!(close(d.off_diagonal, 2f64.sqrt() / 7.0));
        assert!(close(d.active_block, d.full) && d.active_count == 2);
        assert!(
            close(d.per_neuron, 3.0 / 5.0),
            "per neuron {}",
            d.per_neuron
        );
        assert!(close(d.per_layer, 3.0 / 7.0));
        // Only neuron 1 stably active: the block is the single entry 0.
        let masked = &base.drift(
            &[view(&w1, 2), view(&after, 1)],
            &[Some(vec![false, true])],
            &Parallelism::NONE,
        )[0];
        assert_eq!((masked.active_block, masked.active_count), (0.0, 1));
    }

    #[test]
    fn turning_incoming_weights_keeps_the_diagonal_but_moves_the_off_diagonal() {
        // W1 = I₂, W2 = [1, 1]. Turning neuron 0's incoming row from (1, 0) to (1, 1)/√2 keeps
        // every row norm (the diagonal of W1W1ᵀ, hence the per-neuron and per-layer quantities) but
        // makes the rows overlap: (W1W1ᵀ)_01 goes from 0 to 1/√2.
        let w1 = [1.0, 0.0, 0.0, 1.0];
        let w2 = [1.0, 1.0];
        let base = InvarianceBaseline::capture(&[view(&w1, 2), view(&w2, 1)], &[(0, 1)]);
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let turned = [s, s, 0.0, 1.0];
        let d = &base.drift(&[view(&turned, 2), view(&w2, 1)], &[], &Parallelism::NONE)[0];
        assert!(d.diagonal < 1e-15 && d.per_neuron < 1e-15 && d.per_layer < 1e-15);
        // W1W1ᵀ off-diagonal went from 0 to s, so Δ's off-diagonal moved by −s twice.
        // The pair's scale is ‖W1‖_F² + ‖W2‖_F² = 2 + 2.
        assert!((d.off_diagonal - (2.0 * s * s).sqrt() / 4.0).abs() < 1e-12);
    }

    /// Δ(t) − Δ(0) formed whole, the way the drifts are defined.
    fn brute_force(w1: &[f64], w2: &[f64], v1: &[f64], v2: &[f64], h: usize) -> Vec<f64> {
        let (i, o) = (w1.len() / h, w2.len() / h);
        let delta = |lower: &[f64], upper: &[f64]| -> Vec<f64> {
            let mut d = vec![0.0; h * h];
            for r in 0..h {
                for c in 0..h {
                    let up: f64 = (0..o).map(|a| upper[a * h + r] * upper[a * h + c]).sum();
                    let low: f64 = (0..i).map(|b| lower[r * i + b] * lower[c * i + b]).sum();
                    d[r * h + c] = up - low;
                }
            }
            d
        };
        let (now, then) = (delta(v1, v2), delta(w1, w2));
        now.iter().zip(&then).map(|(a, b)| a - b).collect()
    }

    #[test]
    fn blocks_and_grams_agree_with_the_whole_matrix() {
        let mut rng = kernels::rng::Rng::new(5);
        // h = 40 against in + out = 5 takes the Gram path; h = 9 against 9 the blockwise one.
        for (h, i, o) in [(40, 3, 2), (9, 5, 4)] {
            let mut draw = |n: usize| -> Vec<f64> { (0..n).map(|_| rng.normal()).collect() };
            let (w1, w2) = (draw(h * i), draw(o * h));
            let (v1, v2) = (draw(h * i), draw(o * h));
            let d = brute_force(&w1, &w2, &v1, &v2, h);
            let mask: Vec<bool> = (0..h).map(|j| j % 3 != 1).collect();
            let base = InvarianceBaseline::capture(&[view(&w1, h), view(&w2, o)], &[(0, 1)]);
            let got = &base.drift(
                &[view(&v1, h), view(&v2, o)],
                &[Some(mask.clone())],
                &Parallelism::NONE,
            )[0];
            let scale: f64 = v1.iter().chain(&v2).map(|x| x * x).sum();
            // Neuron j's own scale: row j of v1 (h × i) and column j of v2 (o × h).
            let own = |j: usize| -> f64 {
                let incoming: f64 = v1[j * i..(j + 1) * i].iter().map(|x| x * x).sum();
                let outgoing: f64 = (0..o).map(|a| v2[a * h + j].powi(2)).sum();
                incoming + outgoing
            };
            let (mut diag, mut off, mut block) = (0.0, 0.0, 0.0);
            for r in 0..h {
                for c in 0..h {
                    let x = d[r * h + c] * d[r * h + c];
                    if r == c {
                        diag += x
                    } else {
                        off += x
                    }
                    if mask[r] && mask[c] {
                        block += x
                    }
                }
            }
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
            assert!(
                close(got.full, (diag + off).sqrt() / scale),
                "{h}: full {}",
                got.full
            );
            assert!(close(got.diagonal, diag.sqrt() / scale));
            assert!(close(got.off_diagonal, off.sqrt() / scale));
            assert!(close(got.active_block, block.sqrt() / scale));
            let trace: f64 = (0..h).map(|j| d[j * h + j]).sum();
            let worst = (0..h)
                .map(|j| d[j * h + j].abs() / own(j))
                .fold(0.0, f64::max);
            assert!(close(got.per_layer, trace.abs() / scale));
            assert!(close(got.per_neuron, worst));
            // Blocks of a few rows each give the same sums as one block.
            let factors = Factors::new(&base.pairs[0], view(&v1, h), view(&v2, o));
            let all = |_: usize| true;
            let (one, many) = (
                factors.sums_blockwise(&all, &vec![1.0; h], h * h, &Parallelism::NONE),
                factors.sums_blockwise(&all, &vec![1.0; h], 2 * h, &Parallelism::NONE),
            );
            assert!(
                close(many.diagonal, one.diagonal) && close(many.off_diagonal, one.off_diagonal)
            );
        }
    }

    #[test]
    #[should_panic(expected = "layer 0 is 2×2 but layer 1 is 1×3")]
    fn mismatched_pairs_name_both_shapes() {
        let w1 = [1.0; 4];
        let w2 = [1.0; 3];
        InvarianceBaseline::capture(&[view(&w1, 2), view(&w2, 1)], &[(0, 1)]);
    }
}
