//! One-sided Jacobi orthogonalization: the core of the SVD.
//!
//! Given the q columns of a p×q matrix W (p ≥ q), cyclic sweeps over all column pairs rotate each
//! pair until it is orthogonal to working precision; the product of the rotations is an orthogonal
//! q×q matrix R with W·R having orthogonal columns. Their norms are the singular values, the
//! normalized columns the left singular vectors, and the columns of R the right ones.

use crate::elementwise::Lane;
use crate::reduce::{dot, norm2};

/// Sweeps after which the iteration stops even if some pair is still above the tolerance (in
/// practice a few hundred columns converge in under fifteen).
const MAX_SWEEPS: usize = 60;

/// The orthogonalized factors, sorted by decreasing norm.
pub(super) struct Factors {
    /// Column norms (the singular values of W), decreasing.
    pub norms: Vec<f64>,
    /// The q unit columns of length p, one after another.
    pub normalized: Vec<f64>,
    /// The q columns of the rotation R, of length q, one after another.
    pub rotation: Vec<f64>,
}

/// (‖x‖², ‖y‖², x·y) in one pass over two columns.
fn gram(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let w = <f64 as Lane>::WIDTH;
    let full = x.len() / w * w;
    let zero = f64::splat(0.0);
    let (mut xx, mut yy, mut xy) = (zero, zero, zero);
    for (a, b) in x[..full].chunks_exact(w).zip(y[..full].chunks_exact(w)) {
        let (a, b) = (f64::load(a), f64::load(b));
        xx += a * a;
        yy += b * b;
        xy += a * b;
    }
    let (mut sxx, mut syy, mut sxy) = (f64::sum_lanes(xx), f64::sum_lanes(yy), f64::sum_lanes(xy));
    for (&a, &b) in x[full..].iter().zip(&y[full..]) {
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
    }
    (sxx, syy, sxy)
}

/// [x, y] ← [c·x − s·y, s·x + c·y].
fn rotate(x: &mut [f64], y: &mut [f64], c: f64, s: f64) {
    for (a, b) in x.iter_mut().zip(y.iter_mut()) {
        let (xa, yb) = (*a, *b);
        *a = c * xa - s * yb;
        *b = s * xa + c * yb;
    }
}

/// The two distinct columns `i < j` of a column-major buffer, both mutable.
fn pair(buf: &mut [f64], len: usize, i: usize, j: usize) -> (&mut [f64], &mut [f64]) {
    let (head, tail) = buf.split_at_mut(j * len);
    (&mut head[i * len..(i + 1) * len], &mut tail[..len])
}

/// Orthogonalizes the q columns (each of length p, stored one after another) of `columns`.
pub(super) fn orthogonalize(columns: &mut [f64], p: usize, q: usize) -> Factors {
    let mut rotation = vec![0.0; q * q];
    for j in 0..q {
        rotation[j * q + j] = 1.0;
    }
    let tol = (p as f64).sqrt() * f64::EPSILON;
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for i in 0..q {
            for j in i + 1..q {
                let (x, y) = pair(columns, p, i, j);
                let (alpha, beta, gamma) = gram(x, y);
                if gamma == 0.0 || gamma.abs() <= tol * (alpha.sqrt() * beta.sqrt()) {
                    continue;
                }
                rotated = true;
                // The rotation that zeroes the off-diagonal of [[α, γ], [γ, β]], taking the
                // smaller angle (|t| ≤ 1) for stability.
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = if zeta.abs() > 1e150 {
                    0.5 / zeta
                } else {
                    zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt())
                };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                rotate(x, y, c, s);
                let (rx, ry) = pair(&mut rotation, q, i, j);
                rotate(rx, ry, c, s);
            }
        }
        if !rotated {
            break;
        }
    }
    let norms: Vec<f64> = columns.chunks_exact(p).map(norm2).collect();
    let mut order: Vec<usize> = (0..q).collect();
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]));
    let mut normalized = vec![0.0; p * q];
    let mut sorted_rotation = vec![0.0; q * q];
    for (dst, &src) in order.iter().enumerate() {
        let col = &columns[src * p..(src + 1) * p];
        let out = &mut normalized[dst * p..(dst + 1) * p];
        if norms[src] > 0.0 {
            for (o, &x) in out.iter_mut().zip(col) {
                *o = x / norms[src];
            }
        }
        sorted_rotation[dst * q..(dst + 1) * q].copy_from_slice(&rotation[src * q..(src + 1) * q]);
    }
    let sorted_norms: Vec<f64> = order.iter().map(|&i| norms[i]).collect();
    let rank = sorted_norms.iter().take_while(|&&s| s > 0.0).count();
    complete_basis(&mut normalized, p, rank, q);
    Factors {
        norms: sorted_norms,
        normalized,
        rotation: sorted_rotation,
    }
}

/// Fills columns `rank..q` (each of length p) with unit vectors orthogonal to all earlier ones.
///
/// Each new vector is the standard basis vector e_i farthest from the span so far (the largest
/// diagonal entry of the complementary projector, at least 1/p), orthogonalized twice by
/// Gram–Schmidt for accuracy.
fn complete_basis(vectors: &mut [f64], p: usize, rank: usize, q: usize) {
    if rank == q {
        return;
    }
    let mut outside = vec![1.0; p];
    for prev in vectors[..rank * p].chunks_exact(p) {
        outside.iter_mut().zip(prev).for_each(|(d, &b)| *d -= b * b);
    }
    for slot in rank..q {
        let mut best = 0;
        for (i, &d) in outside.iter().enumerate() {
            if d > outside[best] {
                best = i;
            }
        }
        let mut e = vec![0.0; p];
        e[best] = 1.0;
        for _ in 0..2 {
            for prev in vectors[..slot * p].chunks_exact(p) {
                let d = dot(&e, prev);
                e.iter_mut().zip(prev).for_each(|(x, &b)| *x -= d * b);
            }
        }
        let norm = norm2(&e);
        e.iter_mut().for_each(|x| *x /= norm);
        outside.iter_mut().zip(&e).for_each(|(d, &b)| *d -= b * b);
        vectors[slot * p..(slot + 1) * p].copy_from_slice(&e);
    }
}
