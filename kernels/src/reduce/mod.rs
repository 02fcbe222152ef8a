//! Reductions: sums, dot products, norms, maxima, and row and column sums of strided matrices.
//!
//! Sums are pairwise (error O(log n · ε) instead of O(n · ε)): a slice is halved recursively down
//! to blocks of `PAIRWISE_BLOCK` elements, and a block is summed with one SIMD accumulator whose
//! lanes are then added in a fixed pairwise order. The order of every addition depends only on the
//! length, so a result never depends on the thread count or the machine.

mod strided;
#[cfg(test)]
mod tests;

use crate::Element;
use crate::elementwise::{Lane, cast, same};

pub use strided::{col_sums, row_sums};

/// Below this length a block is summed in SIMD lanes; above it, the halves are summed recursively.
const PAIRWISE_BLOCK: usize = 256;

/// Σ x of one block: lane-parallel, then the lanes in a fixed order, then the tail.
#[inline(always)]
fn block_sum<S: Lane>(x: &[S]) -> S {
    let full = x.len() / S::WIDTH * S::WIDTH;
    let mut acc = S::splat(S::ZERO);
    for chunk in x[..full].chunks_exact(S::WIDTH) {
        acc += S::load(chunk);
    }
    x[full..]
        .iter()
        .fold(S::sum_lanes(acc), |total, &v| total + v)
}

/// Σ x_i y_i of one block, in the same order as [`block_sum`] (multiply, then add: never fused).
#[inline(always)]
fn block_dot<S: Lane>(x: &[S], y: &[S]) -> S {
    let full = x.len() / S::WIDTH * S::WIDTH;
    let mut acc = S::splat(S::ZERO);
    for (a, b) in x[..full]
        .chunks_exact(S::WIDTH)
        .zip(y[..full].chunks_exact(S::WIDTH))
    {
        acc += S::load(a) * S::load(b);
    }
    x[full..]
        .iter()
        .zip(&y[full..])
        .fold(S::sum_lanes(acc), |total, (&a, &b)| total + a * b)
}

fn pairwise_sum<S: Lane>(x: &[S]) -> S {
    if x.len() <= PAIRWISE_BLOCK {
        return block_sum(x);
    }
    let (left, right) = x.split_at(x.len() / 2);
    pairwise_sum(left) + pairwise_sum(right)
}

fn pairwise_dot<S: Lane>(x: &[S], y: &[S]) -> S {
    if x.len() <= PAIRWISE_BLOCK {
        return block_dot(x, y);
    }
    let half = x.len() / 2;
    pairwise_dot(&x[..half], &y[..half]) + pairwise_dot(&x[half..], &y[half..])
}

/// Σ f(x_i), pairwise, with `f` applied one element at a time (for the transcendental terms).
fn pairwise_map_sum<T: Element>(x: &[T], f: &impl Fn(T) -> T) -> T {
    if x.len() <= PAIRWISE_BLOCK {
        return x.iter().fold(T::ZERO, |total, &v| total + f(v));
    }
    let (left, right) = x.split_at(x.len() / 2);
    pairwise_map_sum(left, f) + pairwise_map_sum(right, f)
}

/// True for NaN, the only value unordered against itself.
#[inline(always)]
fn is_nan<T: Element>(v: T) -> bool {
    v.partial_cmp(&v).is_none()
}

/// Σ x, pairwise.
pub fn sum<T: Element>(x: &[T]) -> T {
    if let Some(x) = cast::<T, f32>(x) {
        same(pairwise_sum(x))
    } else if let Some(x) = cast::<T, f64>(x) {
        same(pairwise_sum(x))
    } else {
        pairwise_map_sum(x, &|v| v)
    }
}

/// Σ x_i y_i, pairwise; panics naming the lengths if they differ.
pub fn dot<T: Element>(x: &[T], y: &[T]) -> T {
    assert!(
        x.len() == y.len(),
        "dot: slices of lengths {} and {} differ",
        x.len(),
        y.len()
    );
    if let (Some(x), Some(y)) = (cast::<T, f32>(x), cast::<T, f32>(y)) {
        same(pairwise_dot(x, y))
    } else if let (Some(x), Some(y)) = (cast::<T, f64>(x), cast::<T, f64>(y)) {
        same(pairwise_dot(x, y))
    } else {
        x.iter().zip(y).fold(T::ZERO, |acc, (&a, &b)| acc + a * b)
    }
}

/// The Euclidean norm √(Σ x²), without overflow or underflow.
///
/// The sum of squares is tried first; only when it overflowed, or is so small that squares may
/// have lost bits to underflow, is the norm recomputed as max|x|·√(Σ (x / max|x|)²).
pub fn norm2<T: Element>(x: &[T]) -> T {
    let squares = dot(x, x);
    // Below this the squares of the smallest normal numbers have underflowed.
    let smallest_safe = T::from_f64(f64::from(f32::MIN_POSITIVE)) / T::EPSILON;
    if squares.is_finite() && squares >= smallest_safe {
        return squares.sqrt();
    }
    let largest = max_abs(x);
    if largest == T::ZERO || !largest.is_finite() {
        return largest;
    }
    let scaled = pairwise_map_sum(x, &|v| {
        let s = v / largest;
        s * s
    });
    largest * scaled.sqrt()
}

/// max |x_i|, 0 for an empty slice; NaN if any element is NaN.
pub fn max_abs<T: Element>(x: &[T]) -> T {
    if let Some(x) = cast::<T, f32>(x) {
        same(simd_max_abs(x))
    } else if let Some(x) = cast::<T, f64>(x) {
        same(simd_max_abs(x))
    } else {
        scalar_max_abs(x)
    }
}

fn scalar_max_abs<T: Element>(x: &[T]) -> T {
    let mut m = T::ZERO;
    for &v in x {
        if is_nan(v) {
            return v;
        }
        m = m.max(v.abs());
    }
    m
}

fn simd_max_abs<S: Lane>(x: &[S]) -> S {
    let full = x.len() / S::WIDTH * S::WIDTH;
    let mut acc = S::splat(S::ZERO);
    for chunk in x[..full].chunks_exact(S::WIDTH) {
        let v = S::load(chunk);
        if S::any_nan(v) {
            return scalar_max_abs(chunk);
        }
        acc = S::vmax(acc, S::vabs(v));
    }
    let m = S::max_lanes(acc);
    let tail = scalar_max_abs(&x[full..]);
    if is_nan(tail) { tail } else { m.max(tail) }
}

/// max x_i; `None` for an empty slice. NaN if any element is NaN.
pub fn max<T: Element>(x: &[T]) -> Option<T> {
    if x.is_empty() {
        return None;
    }
    Some(if let Some(x) = cast::<T, f32>(x) {
        same(simd_max(x))
    } else if let Some(x) = cast::<T, f64>(x) {
        same(simd_max(x))
    } else {
        scalar_max(x)
    })
}

/// max of a non-empty slice, or its first NaN.
fn scalar_max<T: Element>(x: &[T]) -> T {
    let mut m = x[0];
    for &v in x {
        if is_nan(v) {
            return v;
        }
        if v > m {
            m = v;
        }
    }
    m
}

fn simd_max<S: Lane>(x: &[S]) -> S {
    if x.len() < S::WIDTH {
        return scalar_max(x);
    }
    let full = x.len() / S::WIDTH * S::WIDTH;
    let mut acc = S::splat(x[0]);
    for chunk in x[..full].chunks_exact(S::WIDTH) {
        let v = S::load(chunk);
        if S::any_nan(v) {
            return scalar_max(chunk);
        }
        acc = S::vmax(acc, v);
    }
    let m = S::max_lanes(acc);
    if full == x.len() {
        return m;
    }
    let tail = scalar_max(&x[full..]);
    if is_nan(tail) { tail } else { m.max(tail) }
}

/// ln Σ e^(x_i), computed as m + ln Σ e^(x_i − m) with m = max x so nothing overflows, the terms
/// summed pairwise; −∞ for an empty slice.
pub fn log_sum_exp<T: Element>(x: &[T]) -> T {
    let Some(m) = max(x) else {
        return T::from_f64(f64::NEG_INFINITY);
    };
    if !m.is_finite() {
        return m;
    }
    m + pairwise_map_sum(x, &|v| (v - m).exp()).ln()
}
