//! Elementwise maps over slices: the arithmetic behind the autodiff ops' forward and backward rules.
//!
//! Every function takes its inputs and an output slice of the same length and panics, naming the
//! function and the lengths, if they differ. Numerically delicate maps (softplus, log-sigmoid,
//! sigmoid) use forms that neither overflow nor lose precision for large |x|.

use crate::Element;

fn check_len(op: &str, a: usize, b: usize) {
    assert!(a == b, "{op}: slices of lengths {a} and {b} differ");
}

/// Applies `f` to each input element, writing to `out`.
#[inline]
fn map1<T: Element>(op: &str, x: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    check_len(op, x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}

/// Applies `f` to pairs of input elements, writing to `out`.
#[inline]
fn map2<T: Element>(op: &str, a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    check_len(op, a.len(), b.len());
    check_len(op, a.len(), out.len());
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

/// out = a + b.
pub fn add<T: Element>(a: &[T], b: &[T], out: &mut [T]) {
    map2("add", a, b, out, |x, y| x + y);
}

/// out = a − b.
pub fn sub<T: Element>(a: &[T], b: &[T], out: &mut [T]) {
    map2("sub", a, b, out, |x, y| x - y);
}

/// out = a ⊙ b.
pub fn mul<T: Element>(a: &[T], b: &[T], out: &mut [T]) {
    map2("mul", a, b, out, |x, y| x * y);
}

/// out = a ⊘ b.
pub fn div<T: Element>(a: &[T], b: &[T], out: &mut [T]) {
    map2("div", a, b, out, |x, y| x / y);
}

/// out = max(a, b) elementwise.
pub fn max<T: Element>(a: &[T], b: &[T], out: &mut [T]) {
    map2("max", a, b, out, |x, y| x.max(y));
}

/// y += x.
pub fn add_assign<T: Element>(y: &mut [T], x: &[T]) {
    check_len("add_assign", y.len(), x.len());
    for (o, &v) in y.iter_mut().zip(x) {
        *o += v;
    }
}

/// y += α·x.
pub fn axpy<T: Element>(alpha: T, x: &[T], y: &mut [T]) {
    check_len("axpy", x.len(), y.len());
    for (o, &v) in y.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

/// out = c·x.
pub fn scale<T: Element>(x: &[T], c: T, out: &mut [T]) {
    map1("scale", x, out, |v| c * v);
}

/// y = c·y.
pub fn scale_assign<T: Element>(y: &mut [T], c: T) {
    for v in y.iter_mut() {
        *v *= c;
    }
}

/// out = max(x, 0).
pub fn relu<T: Element>(x: &[T], out: &mut [T]) {
    map1("relu", x, out, |v| if v > T::ZERO { v } else { T::ZERO });
}

/// out = g where x > 0, else 0: the backward rule of ReLU (the derivative at 0 is taken as 0).
pub fn relu_backward<T: Element>(x: &[T], g: &[T], out: &mut [T]) {
    map2("relu_backward", x, g, out, |v, d| if v > T::ZERO { d } else { T::ZERO });
}

/// out = x where x > 0, else slope·x.
pub fn leaky_relu<T: Element>(x: &[T], slope: T, out: &mut [T]) {
    map1("leaky_relu", x, out, |v| if v > T::ZERO { v } else { slope * v });
}

/// out = g where x > 0, else slope·g: the backward rule of leaky ReLU.
pub fn leaky_relu_backward<T: Element>(x: &[T], slope: T, g: &[T], out: &mut [T]) {
    map2("leaky_relu_backward", x, g, out, |v, d| {
        if v > T::ZERO { d } else { slope * d }
    });
}

/// out = e^x.
pub fn exp<T: Element>(x: &[T], out: &mut [T]) {
    map1("exp", x, out, T::exp);
}

/// out = ln x.
pub fn ln<T: Element>(x: &[T], out: &mut [T]) {
    map1("ln", x, out, T::ln);
}

/// out = ln(1 + x).
pub fn ln_1p<T: Element>(x: &[T], out: &mut [T]) {
    map1("ln_1p", x, out, T::ln_1p);
}

/// out = tanh x.
pub fn tanh<T: Element>(x: &[T], out: &mut [T]) {
    map1("tanh", x, out, T::tanh);
}

/// out = √x.
pub fn sqrt<T: Element>(x: &[T], out: &mut [T]) {
    map1("sqrt", x, out, T::sqrt);
}

/// out = x².
pub fn square<T: Element>(x: &[T], out: &mut [T]) {
    map1("square", x, out, |v| v * v);
}

/// The logistic sigmoid 1 / (1 + e^(−x)) of one value, without overflow for either sign.
#[inline]
pub fn sigmoid_scalar<T: Element>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

/// softplus(x) = ln(1 + e^x) of one value, as max(x, 0) + ln(1 + e^(−|x|)).
#[inline]
pub fn softplus_scalar<T: Element>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
}

/// out = 1 / (1 + e^(−x)).
pub fn sigmoid<T: Element>(x: &[T], out: &mut [T]) {
    map1("sigmoid", x, out, sigmoid_scalar);
}

/// out = ln(1 + e^x), stable for large |x|.
pub fn softplus<T: Element>(x: &[T], out: &mut [T]) {
    map1("softplus", x, out, softplus_scalar);
}

/// out = ln σ(x) = −softplus(−x), stable for large |x|.
pub fn log_sigmoid<T: Element>(x: &[T], out: &mut [T]) {
    map1("log_sigmoid", x, out, |v| -softplus_scalar(-v));
}

/// Fills `y` with `value`.
pub fn fill<T: Element>(y: &mut [T], value: T) {
    y.fill(value);
}
