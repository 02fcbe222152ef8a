//! Synthetic data sets: Gaussian points with a margin, and the two-point ReLU counterexample.

use kernels::rng::Rng;

use super::{Dataset, Provenance, Source, norm};

/// Fresh draws tried for a point inside the margin slab before it is pushed out of the slab.
const REDRAWS: usize = 64;

/// The most memory [`gaussian`] holds at once for `n` points in `dim` dimensions: the raw draws
/// (a vector each) and the scaled inputs, both n × dim f64, and the labels. None beyond u64.
pub fn gaussian_bytes(dim: usize, n: usize) -> Option<u64> {
    let (dim, n) = (dim as u64, n as u64);
    let per_point = dim.checked_mul(2 * 8)?.checked_add(24 + 8)?;
    n.checked_mul(per_point)
}

/// Gaussian data separable through the origin with margin at least `margin`.
///
/// A unit direction w* is drawn at random; the points are standard Gaussian in `dim` dimensions,
/// all divided by the same factor so that the largest has norm 1, and labelled sign⟨w*, x⟩. A point
/// that falls inside the slab |⟨w*, x⟩| < `margin`, or outside the unit ball, is redrawn (so the
/// data is a truncated Gaussian); after `REDRAWS` failures its w*-component is set to
/// ±`margin` and its orthogonal part shortened if needed to stay in the unit ball. Every point then
/// has y_i⟨w*, x_i⟩ ≥ `margin` and ‖x_i‖ ≤ 1, and the final rescaling to max ‖x_i‖ = 1 can only
/// widen the margin. So the hard-margin SVM margin of the data is at least `margin` (usually a
/// little more: the SVM finds a better direction than w*). Same seed, same data.
///
/// Panics if `dim` or `n` is zero or `margin` is outside [0, 1): callers validate user input first
/// (see [`crate::data::resolve`]).
pub fn gaussian(dim: usize, n: usize, margin: f64, seed: u64) -> Dataset {
    assert!(
        dim > 0 && n > 0 && (0.0..1.0).contains(&margin),
        "gaussian: need dim > 0, n > 0 and margin in [0, 1); got dim {dim}, n {n}, margin {margin}"
    );
    let rng = Rng::new(seed);
    let mut direction = rng.fork(1);
    let w_star = unit_gaussian(&mut direction, dim);
    let mut points = rng.fork(2);
    let raw: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..dim).map(|_| points.normal()).collect())
        .collect();
    let scale = raw.iter().map(|z| norm(z)).fold(0.0, f64::max);
    let mut redraws = rng.fork(3);
    let mut x = Vec::with_capacity(n * dim);
    let mut y = Vec::with_capacity(n);
    for z in raw {
        let mut p: Vec<f64> = z.iter().map(|v| v / scale).collect();
        let mut tries = 0;
        while !outside_slab(&p, &w_star, margin) && tries < REDRAWS {
            p = (0..dim).map(|_| redraws.normal() / scale).collect();
            tries += 1;
        }
        if !outside_slab(&p, &w_star, margin) {
            push_out_of_slab(&mut p, &w_star, margin);
        }
        y.push(if dot(&p, &w_star) >= 0.0 { 1.0 } else { -1.0 });
        x.extend(p);
    }
    let name = format!("gaussian(dim={dim},n={n},margin={margin},seed={seed})");
    Dataset::scaled(
        name,
        dim,
        x,
        y,
        "gaussian",
        Source::Gaussian { margin, seed },
    )
    .expect("Gaussian inputs are never all zero")
}

/// The data of the counterexample "a ReLU layer keeps rank two": x₁ = e₁ labelled +1 and
/// x₂ = e₂ labelled −1, in two dimensions.
///
/// Why a ReLU layer cannot go to rank one here. Take f(x) = Σ_j a_j relu(⟨w_j, x⟩). Neuron j is
/// active on x₁ iff w_j1 > 0 and on x₂ iff w_j2 > 0, and its gradient is a sum of ±a_j x_i over the
/// points it is active on. If it is active on both, the loss pushes w_j1 one way and w_j2 the other
/// (x₁ wants a_j⟨w_j, x₁⟩ up, x₂ wants it down), so one of the two coordinates shrinks until the
/// neuron is active on a single point. From then on the neurons split into a group growing along
/// e₁ (active only on x₁, a_j > 0) and a group growing along e₂ (active only on x₂, a_j < 0): their
/// gradients are orthogonal and never mix. The two points are symmetric (swap the coordinates and
/// the label), so the exponential-type loss keeps both margins growing at the same rate and both
/// groups reach the same norm: the first-layer matrix tends to two equal singular values, ratio
/// r = σ₁/‖W‖_F = 1/√2, the smallest possible for a rank-two matrix. A linear network on the same
/// data goes to rank one along (e₁ − e₂)/√2, the SVM direction (margin 1/√2).
pub fn two_point() -> Dataset {
    Dataset {
        name: "two-point".to_owned(),
        n: 2,
        dim: 2,
        x: vec![1.0, 0.0, 0.0, 1.0],
        y: vec![1.0, -1.0],
        input_divisor: 1.0,
        provenance: Provenance::of(Source::TwoPoint),
    }
}

/// A uniformly random unit vector.
fn unit_gaussian(rng: &mut Rng, dim: usize) -> Vec<f64> {
    loop {
        let v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        let length = norm(&v);
        if length > 0.0 {
            return v.iter().map(|a| a / length).collect();
        }
    }
}

/// True when `p` lies in the unit ball and at least `margin` away from the hyperplane ⟂ `w`.
fn outside_slab(p: &[f64], w: &[f64], margin: f64) -> bool {
    let along = dot(p, w).abs();
    along >= margin && along > 0.0 && norm(p) <= 1.0
}

/// Sets the w-component of `p` to ±`margin` (keeping its side; + for a point on the hyperplane)
/// and shortens the orthogonal part so that ‖p‖ ≤ 1.
fn push_out_of_slab(p: &mut [f64], w: &[f64], margin: f64) {
    let along = dot(p, w);
    let side = if along >= 0.0 { 1.0 } else { -1.0 };
    let mut perpendicular: Vec<f64> = p.iter().zip(w).map(|(a, b)| a - along * b).collect();
    let room = (1.0 - margin * margin).sqrt();
    let length = norm(&perpendicular);
    if length > room {
        perpendicular.iter_mut().for_each(|a| *a *= room / length);
    }
    let target = side * margin.max(f64::MIN_POSITIVE);
    for ((out, perp), b) in p.iter_mut().zip(&perpendicular).zip(w) {
        *out = perp + target * b;
    }
}

/// Inner product.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_is_scaled_labelled_and_has_the_margin() {
        let data = gaussian(10, 300, 0.15, 7);
        assert_eq!((data.n, data.dim, data.x.len()), (300, 10, 3000));
        assert!((data.max_norm() - 1.0).abs() < 1e-12);
        let (pos, neg) = data.class_counts();
        assert!(pos > 100 && neg > 100, "classes {pos}/{neg}");
        // Recover w* exactly as the generator does and check every point's margin along it.
        let w_star = unit_gaussian(&mut Rng::new(7).fork(1), 10);
        let worst = (0..data.n)
            .map(|i| data.y[i] * dot(data.row(i), &w_star))
            .fold(f64::INFINITY, f64::min);
        assert!(worst >= 0.15 - 1e-12, "worst margin {worst}");
    }

    #[test]
    fn gaussian_bytes_counts_both_copies_and_overflows_to_none() {
        assert_eq!(
            gaussian_bytes(20, 1_000_000_000),
            Some(1_000_000_000 * (320 + 32))
        );
        assert_eq!(gaussian_bytes(usize::MAX, 2), None);
        assert_eq!(gaussian_bytes(1, usize::MAX), None);
    }

    #[test]
    fn gaussian_is_deterministic_per_seed() {
        assert_eq!(gaussian(5, 50, 0.1, 3), gaussian(5, 50, 0.1, 3));
        assert_ne!(gaussian(5, 50, 0.1, 3).x, gaussian(5, 50, 0.1, 4).x);
    }

    #[test]
    fn gaussian_with_a_wide_margin_falls_back_to_pushing_points_out() {
        // With margin 0.9 almost no fresh draw qualifies, so the push-out path does the work.
        let data = gaussian(20, 50, 0.9, 1);
        let w_star = unit_gaussian(&mut Rng::new(1).fork(1), 20);
        for i in 0..data.n {
            assert!(data.y[i] * dot(data.row(i), &w_star) >= 0.9 - 1e-12);
            assert!(norm(data.row(i)) <= 1.0 + 1e-12);
        }
    }

    #[test]
    fn two_point_is_orthogonal_unit_points_with_opposite_labels() {
        let data = two_point();
        assert_eq!(data.row(0), &[1.0, 0.0]);
        assert_eq!(data.row(1), &[0.0, 1.0]);
        assert_eq!(data.y, vec![1.0, -1.0]);
        assert_eq!(data.max_norm(), 1.0);
    }
}
