//! The lanewise operations of the SIMD maps, each written once for a scalar and once for a vector
//! so that the scalar tail computes exactly what the vector body does.
//!
//! Parameters (α, c, the leaky slope) are kept as `f64`: converting an `f32` or `f64` to `f64` and
//! back is exact, so the map sees the caller's value unchanged.

use super::lanes::Lane;
use crate::Element;

/// A function of one value.
pub(super) trait Map1 {
    /// The function on a scalar.
    fn scalar<E: Element>(&self, x: E) -> E;
    /// The same function on every lane of a vector.
    fn vector<S: Lane>(&self, x: S::V) -> S::V;
}

/// A function of two values.
pub(super) trait Map2 {
    /// The function on scalars.
    fn scalar<E: Element>(&self, x: E, y: E) -> E;
    /// The same function lanewise on vectors.
    fn vector<S: Lane>(&self, x: S::V, y: S::V) -> S::V;
}

/// x + y.
pub(super) struct Add;
/// x − y.
pub(super) struct Sub;
/// x · y.
pub(super) struct Mul;
/// x / y.
pub(super) struct Div;
/// max(x, y).
pub(super) struct Max;
/// x + α·y (the update of axpy, with y the running value).
pub(super) struct AddScaled(pub f64);
/// c · x.
pub(super) struct Scale(pub f64);
/// max(x, 0).
pub(super) struct Relu;
/// y where x > 0, else 0.
pub(super) struct ReluBackward;
/// x where x > 0, else slope · x.
pub(super) struct LeakyRelu(pub f64);
/// y where x > 0, else slope · y.
pub(super) struct LeakyReluBackward(pub f64);
/// √x.
pub(super) struct Sqrt;
/// x².
pub(super) struct Square;

macro_rules! binary {
    ($op:ident, $sym:tt) => {
        impl Map2 for $op {
            #[inline(always)]
            fn scalar<E: Element>(&self, x: E, y: E) -> E {
                x $sym y
            }
            #[inline(always)]
            fn vector<S: Lane>(&self, x: S::V, y: S::V) -> S::V {
                x $sym y
            }
        }
    };
}

binary!(Add, +);
binary!(Sub, -);
binary!(Mul, *);
binary!(Div, /);

impl Map2 for Max {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E, y: E) -> E {
        x.max(y)
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V, y: S::V) -> S::V {
        S::vmax(x, y)
    }
}

impl Map2 for AddScaled {
    #[inline(always)]
    fn scalar<E: Element>(&self, y: E, x: E) -> E {
        y + E::from_f64(self.0) * x
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, y: S::V, x: S::V) -> S::V {
        y + S::splat(S::from_f64(self.0)) * x
    }
}

impl Map1 for Scale {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E) -> E {
        E::from_f64(self.0) * x
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V) -> S::V {
        S::splat(S::from_f64(self.0)) * x
    }
}

impl Map1 for Relu {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E) -> E {
        if x > E::ZERO { x } else { E::ZERO }
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V) -> S::V {
        S::select_positive(x, x, S::splat(S::ZERO))
    }
}

impl Map2 for ReluBackward {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E, g: E) -> E {
        if x > E::ZERO { g } else { E::ZERO }
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V, g: S::V) -> S::V {
        S::select_positive(x, g, S::splat(S::ZERO))
    }
}

impl Map1 for LeakyRelu {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E) -> E {
        if x > E::ZERO {
            x
        } else {
            E::from_f64(self.0) * x
        }
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V) -> S::V {
        S::select_positive(x, x, S::splat(S::from_f64(self.0)) * x)
    }
}

impl Map2 for LeakyReluBackward {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E, g: E) -> E {
        if x > E::ZERO {
            g
        } else {
            E::from_f64(self.0) * g
        }
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V, g: S::V) -> S::V {
        S::select_positive(x, g, S::splat(S::from_f64(self.0)) * g)
    }
}

impl Map1 for Sqrt {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E) -> E {
        x.sqrt()
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V) -> S::V {
        S::vsqrt(x)
    }
}

impl Map1 for Square {
    #[inline(always)]
    fn scalar<E: Element>(&self, x: E) -> E {
        x * x
    }
    #[inline(always)]
    fn vector<S: Lane>(&self, x: S::V) -> S::V {
        x * x
    }
}
