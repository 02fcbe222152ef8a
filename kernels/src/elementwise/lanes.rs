//! The SIMD lane types behind the maps and reductions, and the per-type dispatch that reaches them
//! from code generic over [`Element`].
//!
//! `wide` picks its instructions when the crate is compiled, so these vectors are as wide as the
//! build's target features allow and correct on every x86-64 (or other) machine. Only exact IEEE
//! operations are used (no fused multiply-add), so a result is the same bit for bit whatever
//! instructions `wide` chose.

use std::any::TypeId;
use std::ops::{Add, AddAssign, Div, Mul, Sub};

use wide::{f32x16, f64x8};

use crate::Element;

/// A scalar type with a SIMD vector of `WIDTH` lanes: implemented for `f32` and `f64`.
pub(crate) trait Lane: Element {
    /// The vector type.
    type V: Copy
        + Add<Output = Self::V>
        + AddAssign
        + Sub<Output = Self::V>
        + Mul<Output = Self::V>
        + Div<Output = Self::V>;
    /// Lanes per vector.
    const WIDTH: usize;
    /// Every lane set to `x`.
    fn splat(x: Self) -> Self::V;
    /// The first `WIDTH` elements of `s` (which must hold at least that many).
    fn load(s: &[Self]) -> Self::V;
    /// Writes the lanes to the first `WIDTH` elements of `s`.
    fn store(v: Self::V, s: &mut [Self]);
    /// Lanewise maximum with the NaN rule of `f64::max` (a NaN operand yields the other).
    fn vmax(a: Self::V, b: Self::V) -> Self::V;
    /// Lanewise square root.
    fn vsqrt(v: Self::V) -> Self::V;
    /// Lanewise absolute value.
    fn vabs(v: Self::V) -> Self::V;
    /// Lanewise `if x > 0 { pos } else { other }` (NaN counts as not positive).
    fn select_positive(x: Self::V, pos: Self::V, other: Self::V) -> Self::V;
    /// True if any lane is NaN.
    fn any_nan(v: Self::V) -> bool;
    /// The largest lane (the vector holds no NaN).
    fn max_lanes(v: Self::V) -> Self;
    /// The sum of the lanes, always added in the same (pairwise) order.
    fn sum_lanes(v: Self::V) -> Self;
}

macro_rules! impl_lane {
    ($t:ty, $v:ty, $w:literal) => {
        impl Lane for $t {
            type V = $v;
            const WIDTH: usize = $w;

            #[inline(always)]
            fn splat(x: Self) -> Self::V {
                <$v>::splat(x)
            }
            #[inline(always)]
            fn load(s: &[Self]) -> Self::V {
                let arr: [$t; $w] = s[..$w].try_into().expect("a full vector of lanes");
                <$v>::new(arr)
            }
            #[inline(always)]
            fn store(v: Self::V, s: &mut [Self]) {
                s[..$w].copy_from_slice(v.as_array());
            }
            #[inline(always)]
            fn vmax(a: Self::V, b: Self::V) -> Self::V {
                a.max(b)
            }
            #[inline(always)]
            fn vsqrt(v: Self::V) -> Self::V {
                v.sqrt()
            }
            #[inline(always)]
            fn vabs(v: Self::V) -> Self::V {
                v.abs()
            }
            #[inline(always)]
            fn select_positive(x: Self::V, pos: Self::V, other: Self::V) -> Self::V {
                x.simd_gt(<$v>::ZERO).select(pos, other)
            }
            #[inline(always)]
            fn any_nan(v: Self::V) -> bool {
                v.is_nan().any()
            }
            #[inline(always)]
            fn max_lanes(v: Self::V) -> Self {
                v.to_array().into_iter().fold(<$t>::NEG_INFINITY, <$t>::max)
            }
            #[inline(always)]
            fn sum_lanes(v: Self::V) -> Self {
                let mut lanes = v.to_array();
                let mut n = $w;
                while n > 1 {
                    n /= 2;
                    for i in 0..n {
                        lanes[i] += lanes[i + n];
                    }
                }
                lanes[0]
            }
        }
    };
}

impl_lane!(f32, f32x16, 16);
impl_lane!(f64, f64x8, 8);

/// `x` as a slice of `S` when `T` is `S` (a no-op cast), else `None`.
#[inline(always)]
pub(crate) fn cast<T: Element, S: Lane>(x: &[T]) -> Option<&[S]> {
    (TypeId::of::<T>() == TypeId::of::<S>()).then(|| bytemuck::cast_slice(x))
}

/// `x` as a mutable slice of `S` when `T` is `S` (a no-op cast), else `None`.
#[inline(always)]
pub(crate) fn cast_mut<T: Element, S: Lane>(x: &mut [T]) -> Option<&mut [S]> {
    if TypeId::of::<T>() == TypeId::of::<S>() {
        Some(bytemuck::cast_slice_mut(x))
    } else {
        None
    }
}

/// A value of type `A` as type `B`, when they are the same type (exact through `f64`).
#[inline(always)]
pub(crate) fn same<A: Element, B: Element>(x: A) -> B {
    B::from_f64(x.to_f64())
}
