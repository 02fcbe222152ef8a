//! The two-class Gaussian mixture of high-dimensional analyses: x = y·μ + ξ with ξ ~ N(0, I_d/d),
//! whose points are nearly orthogonal when d is large beside n² (Frei, Vardi, Bartlett, Srebro &
//! Hu, ICLR 2023, arXiv 2210.07082, use this model).

use kernels::rng::Rng;

use super::{Dataset, Source, norm};

/// The most memory [`mixture`] holds at once for `n` points in `dim` dimensions: the inputs
/// (n × dim f64, once as drawn and once scaled), the mean and the labels. None beyond u64.
pub fn mixture_bytes(dim: usize, n: usize) -> Option<u64> {
    let (dim, n) = (dim as u64, n as u64);
    n.checked_mul(dim)?
        .checked_mul(16)?
        .checked_add(dim.checked_mul(8)?)?
        .checked_add(n.checked_mul(8)?)
}

/// `n` points x_i = y_i·μ + ξ_i in `dim` dimensions: the labels alternate (+1 for even i, −1 for
/// odd i, so the classes are as equal as n allows), μ is a random direction of norm `mu`, and
/// ξ_i ~ N(0, I_d/d), so that ‖ξ_i‖² ≈ 1 and |⟨ξ_i, ξ_k⟩| ≈ 1/√d. The points are then divided by
/// the largest norm, as every data set is. Same seed, same data.
///
/// Panics if `dim` or `n` is zero or `mu` is negative or not finite: callers validate user
/// input first (see [`crate::data::resolve`]).
pub fn mixture(n: usize, dim: usize, mu: f64, seed: u64) -> Dataset {
    assert!(
        dim > 0 && n > 0 && mu.is_finite() && mu >= 0.0,
        "mixture: need n > 0, dim > 0 and a finite mu ≥ 0; got n {n}, dim {dim}, mu {mu}"
    );
    let rng = Rng::new(seed);
    let mut direction = rng.fork(1);
    let raw: Vec<f64> = (0..dim).map(|_| direction.normal()).collect();
    let length = norm(&raw);
    let mean: Vec<f64> = raw.iter().map(|v| mu * v / length).collect();
    let mut noise = rng.fork(2);
    let spread = 1.0 / (dim as f64).sqrt();
    let y: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let x: Vec<f64> = y
        .iter()
        .flat_map(|&label| {
            mean.iter()
                .map(|m| label * m + spread * noise.normal())
                .collect::<Vec<_>>()
        })
        .collect();
    let name = format!("mixture(n={n},dim={dim},mu={mu},seed={seed})");
    Dataset::scaled(name, dim, x, y, "mixture", Source::Mixture { mu, seed })
        .expect("Gaussian inputs are never all zero")
}

/// How nearly orthogonal the inputs are: min_i ‖x_i‖² / (n · max_{i≠k} |⟨x_i, x_k⟩|), the
/// quantity the high-dimensional analyses need large (∞ for a single point or exactly
/// orthogonal points). Unchanged by scaling the data.
pub fn near_orthogonality(data: &Dataset) -> f64 {
    let smallest = (0..data.n)
        .map(|i| norm(data.row(i)).powi(2))
        .fold(f64::INFINITY, f64::min);
    let mut largest: f64 = 0.0;
    for i in 0..data.n {
        for k in i + 1..data.n {
            largest = largest.max(dot(data, i, k).abs());
        }
    }
    if largest == 0.0 {
        return f64::INFINITY;
    }
    smallest / (data.n as f64 * largest)
}

/// ⟨x_i, x_k⟩.
fn dot(data: &Dataset, i: usize, k: usize) -> f64 {
    data.row(i)
        .iter()
        .zip(data.row(k))
        .map(|(a, b)| a * b)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ⟨x_i, x_k⟩ over the pairs (i, k), i < k, of the same class or of opposite classes.
    fn pair_means(data: &Dataset) -> (f64, f64) {
        let (mut same, mut opposite) = ((0.0, 0), (0.0, 0));
        for i in 0..data.n {
            for k in i + 1..data.n {
                let dot = dot(data, i, k);
                let pick = if data.y[i] == data.y[k] {
                    &mut same
                } else {
                    &mut opposite
                };
                pick.0 += dot;
                pick.1 += 1;
            }
        }
        (same.0 / same.1 as f64, opposite.0 / opposite.1 as f64)
    }

    #[test]
    fn the_statistics_are_those_of_the_model() {
        let (n, dim, mu) = (60, 4000, 0.3);
        let data = mixture(n, dim, mu, 3);
        assert_eq!((data.n, data.dim, data.class_counts()), (n, dim, (30, 30)));
        assert!((data.max_norm() - 1.0).abs() < 1e-12);
        // Undo the scaling: ‖x‖² = ‖μ‖² + ‖ξ‖² + 2y⟨μ, ξ⟩ ≈ 1 + μ² (to a few 1/√d).
        let s = data.input_divisor;
        let mean_sq = (0..n).map(|i| (s * norm(data.row(i))).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (mean_sq - (1.0 + mu * mu)).abs() < 0.02,
            "mean ‖x‖² {mean_sq}"
        );
        // Same class: ⟨x_i, x_k⟩ ≈ +μ², opposite classes ≈ −μ², each to about 1/√(d·pairs).
        let (same, opposite) = pair_means(&data);
        let (same, opposite) = (same * s * s, opposite * s * s);
        assert!((same - mu * mu).abs() < 0.005, "same-class mean {same}");
        assert!(
            (opposite + mu * mu).abs() < 0.005,
            "opposite-class mean {opposite}"
        );
        // The class means differ by 2μ: their distance is 2·mu.
        let class_mean = |label: f64| -> Vec<f64> {
            let mut m = vec![0.0; dim];
            for i in (0..n).filter(|&i| data.y[i] == label) {
                m.iter_mut()
                    .zip(data.row(i))
                    .for_each(|(a, b)| *a += s * b / 30.0);
            }
            m
        };
        let (plus, minus) = (class_mean(1.0), class_mean(-1.0));
        let gap: Vec<f64> = plus.iter().zip(&minus).map(|(a, b)| a - b).collect();
        // Each class mean carries noise of norm about 1/√30.
        assert!(
            (norm(&gap) - 2.0 * mu).abs() < 0.4,
            "‖mean₊ − mean₋‖ = {}",
            norm(&gap)
        );
        assert_eq!(mixture(n, dim, mu, 3), data);
        assert_ne!(mixture(n, dim, mu, 4).x, data.x);
    }

    #[test]
    fn high_dimension_makes_the_points_nearly_orthogonal() {
        // max |⟨ξ_i, ξ_k⟩| over the 190 pairs of 20 points is about 3.3/√d.
        let low = near_orthogonality(&mixture(20, 50, 0.0, 1));
        let high = near_orthogonality(&mixture(20, 40_000, 0.0, 1));
        assert!(low < 0.2, "d = 50: {low}");
        assert!(high > 2.0, "d = 40000: {high}");
        // A mean of norm μ adds ±μ² to every inner product: μ² = 0.1 caps it at 1/(20·0.1).
        let with_mean = near_orthogonality(&mixture(20, 40_000, 0.1f64.sqrt(), 1));
        assert!(with_mean < 0.5 && with_mean > 0.3, "{with_mean}");
    }

    #[test]
    fn near_orthogonality_of_known_points() {
        let data = Dataset {
            name: "three".into(),
            n: 3,
            dim: 2,
            x: vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8],
            y: vec![1.0, -1.0, 1.0],
            input_divisor: 1.0,
            provenance: crate::data::Provenance::of(Source::Memory),
        };
        // min ‖x‖² = 1, max |⟨x_i, x_k⟩| = 0.8: 1 / (3 · 0.8).
        assert!((near_orthogonality(&data) - 1.0 / 2.4).abs() < 1e-15);
        let orthogonal = Dataset {
            x: vec![1.0, 0.0, 0.0, 1.0],
            n: 2,
            y: vec![1.0, -1.0],
            ..data
        };
        assert_eq!(near_orthogonality(&orthogonal), f64::INFINITY);
    }
}
