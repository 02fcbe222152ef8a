//! In-place maps for the training step: ReLU applied to a product where it lies, and the ReLU
//! mask applied to a gradient where it lies. Writing in place saves a buffer and a pass of
//! memory traffic per layer and direction.

use super::ops::{Map2, Relu};
use super::{Lane, update1, update2};
use crate::Element;
use crate::parallel::Parallelism;

/// g where the mask value is positive, else 0; lanewise on (g, mask).
struct KeepWherePositive;

impl Map2 for KeepWherePositive {
    #[inline(always)]
    fn scalar<E: Element>(&self, g: E, mask: E) -> E {
        if mask > E::ZERO { g } else { E::ZERO }
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, g: S::V, mask: S::V) -> S::V {
        S::select_positive(mask, g, S::splat(S::ZERO))
    }
}

/// y = max(y, 0) in place (NaN maps to 0), as [`super::relu`] does out of place.
pub fn relu_assign<T: Element>(y: &mut [T], par: &Parallelism) {
    update1(Relu, y, par);
}

/// g = g where `mask` > 0, else 0, in place: the backward rule of ReLU, given either its input
/// or its output as the mask (both are positive at the same places).
pub fn relu_backward_assign<T: Element>(mask: &[T], g: &mut [T], par: &Parallelism) {
    update2("relu_backward_assign", KeepWherePositive, g, mask, par);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_assign_matches_relu_with_a_ragged_tail() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 - 18.5) * 0.25).collect();
        let mut expected = vec![0.0; x.len()];
        super::super::relu(&x, &mut expected, &Parallelism::NONE);
        let mut y = x.clone();
        relu_assign(&mut y, &Parallelism::NONE);
        assert_eq!(y, expected);
        let mut nan = [f64::NAN, -1.0, 2.0];
        relu_assign(&mut nan, &Parallelism::NONE);
        assert_eq!(nan, [0.0, 0.0, 2.0]);
    }

    #[test]
    fn relu_backward_assign_keeps_gradient_where_positive() {
        let mask: Vec<f64> = (0..19).map(|i| i as f64 - 9.0).collect();
        let g: Vec<f64> = (0..19).map(|i| 1.0 + i as f64).collect();
        let mut expected = vec![0.0; g.len()];
        super::super::relu_backward(&mask, &g, &mut expected, &Parallelism::NONE);
        let mut out = g.clone();
        relu_backward_assign(&mask, &mut out, &Parallelism::NONE);
        assert_eq!(out, expected);
        assert_eq!(out[9], 0.0, "the kink at 0 passes no gradient");
        assert_eq!(out[10], 11.0);
    }

    #[test]
    #[should_panic(expected = "relu_backward_assign: slices of lengths 3 and 2 differ")]
    fn relu_backward_assign_checks_lengths() {
        relu_backward_assign(&[1.0f32, 2.0], &mut [0.0, 0.0, 0.0], &Parallelism::NONE);
    }
}
