//! Reductions: sums, dot products, norms, maxima, and row and column sums of strided matrices.
//!
//! Sums are pairwise (error O(log n · ε) instead of O(n · ε)) and always add in the same order, so
//! a result never depends on the thread count.

use crate::{Element, MatRef};

/// Below this length a block is summed left to right; above it, the halves are summed recursively.
const PAIRWISE_BLOCK: usize = 64;

/// Σ x, pairwise.
pub fn sum<T: Element>(x: &[T]) -> T {
    if x.len() <= PAIRWISE_BLOCK {
        return x.iter().copied().fold(T::ZERO, |acc, v| acc + v);
    }
    let (left, right) = x.split_at(x.len() / 2);
    sum(left) + sum(right)
}

/// Σ x_i y_i, pairwise; panics naming the lengths if they differ.
pub fn dot<T: Element>(x: &[T], y: &[T]) -> T {
    assert!(
        x.len() == y.len(),
        "dot: slices of lengths {} and {} differ",
        x.len(),
        y.len()
    );
    if x.len() <= PAIRWISE_BLOCK {
        return x
            .iter()
            .zip(y)
            .fold(T::ZERO, |acc, (&a, &b)| acc + a * b);
    }
    let half = x.len() / 2;
    dot(&x[..half], &y[..half]) + dot(&x[half..], &y[half..])
}

/// The Euclidean norm √(Σ x²), scaled so that it neither overflows nor underflows.
pub fn norm2<T: Element>(x: &[T]) -> T {
    let largest = max_abs(x);
    if largest == T::ZERO || !largest.is_finite() {
        return largest;
    }
    let inv = T::ONE / largest;
    let mut acc = T::ZERO;
    for &v in x {
        let s = v * inv;
        acc += s * s;
    }
    largest * acc.sqrt()
}

/// max |x_i|, 0 for an empty slice; NaN if any element is NaN.
pub fn max_abs<T: Element>(x: &[T]) -> T {
    let mut m = T::ZERO;
    for &v in x {
        if v != v {
            return v;
        }
        m = m.max(v.abs());
    }
    m
}

/// max x_i; `None` for an empty slice. NaN if any element is NaN.
pub fn max<T: Element>(x: &[T]) -> Option<T> {
    let (&first, rest) = x.split_first()?;
    let mut m = first;
    for &v in rest {
        if v != v {
            return Some(v);
        }
        if v > m {
            m = v;
        }
    }
    if first != first {
        return Some(first);
    }
    Some(m)
}

/// ln Σ e^(x_i), computed as m + ln Σ e^(x_i − m) with m = max x so nothing overflows;
/// −∞ for an empty slice.
pub fn log_sum_exp<T: Element>(x: &[T]) -> T {
    let Some(m) = max(x) else {
        return T::from_f64(f64::NEG_INFINITY);
    };
    if !m.is_finite() {
        return m;
    }
    let mut acc = T::ZERO;
    for &v in x {
        acc += (v - m).exp();
    }
    m + acc.ln()
}

/// out[i] = Σ_j m[i, j]; panics if `out` does not have one slot per row.
pub fn row_sums<T: Element>(m: MatRef<'_, T>, out: &mut [T]) {
    assert!(
        out.len() == m.rows(),
        "row_sums: a {}×{} matrix has {} rows but the output has {} slots",
        m.rows(),
        m.cols(),
        m.rows(),
        out.len()
    );
    for (i, o) in out.iter_mut().enumerate() {
        let mut acc = T::ZERO;
        for j in 0..m.cols() {
            acc += m.get(i, j);
        }
        *o = acc;
    }
}

/// out[j] = Σ_i m[i, j]; panics if `out` does not have one slot per column.
pub fn col_sums<T: Element>(m: MatRef<'_, T>, out: &mut [T]) {
    assert!(
        out.len() == m.cols(),
        "col_sums: a {}×{} matrix has {} columns but the output has {} slots",
        m.rows(),
        m.cols(),
        m.cols(),
        out.len()
    );
    row_sums(m.t(), out);
}
