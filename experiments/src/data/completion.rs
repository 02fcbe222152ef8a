//! Matrix completion of a random low-rank matrix (Gunasekar et al. 2017; Arora, Cohen, Hu &
//! Luo 2019): a d × d ground truth M of rank r, and a random set Ω of its entries that a model
//! sees. Seeded: the same seed gives the same matrix and the same entries, bit for bit.

use kernels::rng::Rng;

/// The ground truth and which of its entries are observed.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// d: the matrix is d × d.
    pub size: usize,
    /// r: its rank.
    pub rank: usize,
    /// M, row-major (entry (i, j) at i·d + j).
    pub truth: Vec<f64>,
    /// Ω: the observed entries as row-major positions i·d + j, increasing, without repeats.
    pub observed: Vec<usize>,
}

impl Completion {
    /// M's values at the observed entries, in the order of [`Completion::observed`].
    pub fn observed_values(&self) -> Vec<f64> {
        self.observed.iter().map(|&k| self.truth[k]).collect()
    }

    /// Whether entry k (row-major) is observed, for every k < d², in one pass.
    pub fn mask(&self) -> Vec<bool> {
        let mut seen = vec![false; self.truth.len()];
        for &k in &self.observed {
            seen[k] = true;
        }
        seen
    }
}

/// M = U·Vᵀ / √r with U, V ∈ ℝ^{d×r} of independent N(0, 1) entries (streams 1 and 2 of
/// `seed`). Each entry of U·Vᵀ is a sum of r products of unit variance, so dividing by √r gives
/// entries of variance 1: ‖M‖_F² / d² ≈ 1 whatever d and r, and the loss and the learning rate
/// keep their scale across sizes. The rank is r with probability one (r ≤ d).
pub fn low_rank_truth(size: usize, rank: usize, seed: u64) -> Vec<f64> {
    let rng = Rng::new(seed);
    let draw = |stream: u64| -> Vec<f64> {
        let mut g = rng.fork(stream);
        (0..size * rank).map(|_| g.normal()).collect()
    };
    let (u, v) = (draw(1), draw(2));
    let scale = 1.0 / (rank.max(1) as f64).sqrt();
    let mut m = vec![0.0; size * size];
    for i in 0..size {
        for j in 0..size {
            let dot: f64 = (0..rank).map(|k| u[i * rank + k] * v[j * rank + k]).sum();
            m[i * size + j] = dot * scale;
        }
    }
    m
}

/// `count` distinct entries of a d × d matrix, uniformly at random (stream 3 of `seed`), as
/// increasing row-major positions. The draw is a partial Fisher–Yates shuffle, so the entries
/// drawn for a smaller count are a subset of those drawn for a larger one with the same seed:
/// fewer observations means strictly less information, never other information.
///
/// `count` must be at most d² (callers check user input first).
pub fn observed_entries(size: usize, count: usize, seed: u64) -> Vec<usize> {
    let cells = size * size;
    assert!(
        count <= cells,
        "observed_entries: {count} entries of a {size}×{size} matrix"
    );
    let mut g = Rng::new(seed).fork(3);
    let mut order: Vec<usize> = (0..cells).collect();
    for i in 0..count {
        let j = i + g.below(cells - i);
        order.swap(i, j);
    }
    order.truncate(count);
    order.sort_unstable();
    order
}

/// The completion problem of size d, rank r and `count` observed entries for `seed`: see
/// [`low_rank_truth`] and [`observed_entries`].
pub fn completion(size: usize, rank: usize, count: usize, seed: u64) -> Completion {
    Completion {
        size,
        rank,
        truth: low_rank_truth(size, rank, seed),
        observed: observed_entries(size, count, seed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernels::MatRef;
    use kernels::linalg::svd;

    #[test]
    fn same_seed_same_problem_and_the_rank_is_r() {
        let a = completion(30, 4, 200, 7);
        assert_eq!(a, completion(30, 4, 200, 7));
        assert_ne!(a.truth, completion(30, 4, 200, 8).truth);
        let sigma = svd(MatRef::from_row_major(&a.truth, 30, 30).unwrap()).singular_values;
        assert!(sigma[3] > 1e-3 * sigma[0], "{sigma:?}");
        assert!(sigma[4] < 1e-12 * sigma[0], "{sigma:?}");
        // Entries of variance about 1.
        let mean_square = a.truth.iter().map(|v| v * v).sum::<f64>() / 900.0;
        assert!((0.5..2.0).contains(&mean_square), "{mean_square}");
    }

    #[test]
    fn the_mask_has_the_count_asked_without_repeats_and_nests() {
        let big = observed_entries(20, 150, 3);
        assert_eq!(big.len(), 150);
        assert!(big.windows(2).all(|w| w[0] < w[1]), "increasing, distinct");
        assert!(big.iter().all(|&k| k < 400));
        let small = observed_entries(20, 40, 3);
        assert!(small.iter().all(|k| big.contains(k)));
        assert_eq!(observed_entries(20, 400, 3), (0..400).collect::<Vec<_>>());
        assert!(observed_entries(20, 0, 3).is_empty());
        let p = completion(20, 2, 150, 3);
        assert_eq!(p.mask().iter().filter(|&&b| b).count(), 150);
        assert_eq!(p.observed_values()[0], p.truth[p.observed[0]]);
    }
}
