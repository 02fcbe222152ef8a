//! Elementwise maps over slices: the arithmetic behind the autodiff ops' forward and backward rules.
//!
//! Every function takes its inputs and an output slice of the same length and panics, naming the
//! function and the lengths, if they differ. Numerically delicate maps (softplus, log-sigmoid,
//! sigmoid) use forms that neither overflow nor lose precision for large |x|. The SIMD maps take a
//! [`Parallelism`]: given a team's, they cut long slices across its threads (the weight update
//! and the ReLUs of a wide network).

use std::sync::Mutex;

use crate::Element;
use crate::parallel::Parallelism;

pub mod fused;
mod lanes;
mod ops;
#[cfg(test)]
mod tests;

pub(crate) use lanes::{Lane, cast, cast_mut, same};
use ops::{
    Add, AddScaled, Div, LeakyRelu, LeakyReluBackward, Map1, Map2, Max, Mul, Relu, ReluBackward,
    Scale, Sqrt, Square, Sub,
};

fn check_len(op: &str, a: usize, b: usize) {
    assert!(a == b, "{op}: slices of lengths {a} and {b} differ");
}

/// out = op(x) lanewise, `WIDTH` lanes at a time with a scalar tail.
#[inline(always)]
fn simd_map1<S: Lane, O: Map1>(op: &O, x: &[S], out: &mut [S]) {
    let full = x.len() / S::WIDTH * S::WIDTH;
    let (x_body, x_tail) = x.split_at(full);
    let (out_body, out_tail) = out.split_at_mut(full);
    for (xs, os) in x_body
        .chunks_exact(S::WIDTH)
        .zip(out_body.chunks_exact_mut(S::WIDTH))
    {
        S::store(op.vector::<S>(S::load(xs)), os);
    }
    for (o, &v) in out_tail.iter_mut().zip(x_tail) {
        *o = op.scalar(v);
    }
}

/// out = op(a, b) lanewise, `WIDTH` lanes at a time with a scalar tail.
#[inline(always)]
fn simd_map2<S: Lane, O: Map2>(op: &O, a: &[S], b: &[S], out: &mut [S]) {
    let full = a.len() / S::WIDTH * S::WIDTH;
    let (out_body, out_tail) = out.split_at_mut(full);
    for ((xs, ys), os) in a[..full]
        .chunks_exact(S::WIDTH)
        .zip(b[..full].chunks_exact(S::WIDTH))
        .zip(out_body.chunks_exact_mut(S::WIDTH))
    {
        S::store(op.vector::<S>(S::load(xs), S::load(ys)), os);
    }
    for ((o, &x), &y) in out_tail.iter_mut().zip(&a[full..]).zip(&b[full..]) {
        *o = op.scalar(x, y);
    }
}

/// y = op(y, x) lanewise, in place.
#[inline(always)]
fn simd_update2<S: Lane, O: Map2>(op: &O, y: &mut [S], x: &[S]) {
    let full = y.len() / S::WIDTH * S::WIDTH;
    let (y_body, y_tail) = y.split_at_mut(full);
    for (ys, xs) in y_body
        .chunks_exact_mut(S::WIDTH)
        .zip(x[..full].chunks_exact(S::WIDTH))
    {
        let v = op.vector::<S>(S::load(ys), S::load(xs));
        S::store(v, ys);
    }
    for (o, &v) in y_tail.iter_mut().zip(&x[full..]) {
        *o = op.scalar(*o, v);
    }
}

/// y = op(y) lanewise, in place.
#[inline(always)]
fn simd_update1<S: Lane, O: Map1>(op: &O, y: &mut [S]) {
    let full = y.len() / S::WIDTH * S::WIDTH;
    let (y_body, y_tail) = y.split_at_mut(full);
    for ys in y_body.chunks_exact_mut(S::WIDTH) {
        let v = op.vector::<S>(S::load(ys));
        S::store(v, ys);
    }
    for o in y_tail.iter_mut() {
        *o = op.scalar(*o);
    }
}

/// Checks lengths, then runs `op` over `x` into `out` with the SIMD lanes of `T`.
fn map1<T: Element, O: Map1 + Sync>(name: &str, op: O, x: &[T], out: &mut [T], par: &Parallelism) {
    check_len(name, x.len(), out.len());
    by_chunks(par, out, |at, out| {
        let x = &x[at..at + out.len()];
        if let (Some(x), Some(out)) = (cast::<T, f32>(x), cast_mut::<T, f32>(out)) {
            simd_map1(&op, x, out);
        } else if let (Some(x), Some(out)) = (cast::<T, f64>(x), cast_mut::<T, f64>(out)) {
            simd_map1(&op, x, out);
        } else {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = op.scalar(v);
            }
        }
    });
}

/// Checks lengths, then runs `op` over pairs of `a` and `b` into `out` with the SIMD lanes of `T`.
fn map2<T: Element, O: Map2 + Sync>(
    name: &str,
    op: O,
    a: &[T],
    b: &[T],
    out: &mut [T],
    par: &Parallelism,
) {
    check_len(name, a.len(), b.len());
    check_len(name, a.len(), out.len());
    by_chunks(par, out, |at, out| {
        let (a, b) = (&a[at..at + out.len()], &b[at..at + out.len()]);
        if let (Some(a), Some(b), Some(out)) = (
            cast::<T, f32>(a),
            cast::<T, f32>(b),
            cast_mut::<T, f32>(out),
        ) {
            simd_map2(&op, a, b, out);
        } else if let (Some(a), Some(b), Some(out)) = (
            cast::<T, f64>(a),
            cast::<T, f64>(b),
            cast_mut::<T, f64>(out),
        ) {
            simd_map2(&op, a, b, out);
        } else {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = op.scalar(x, y);
            }
        }
    });
}

/// Checks lengths, then sets y = op(y, x) with the SIMD lanes of `T`.
fn update2<T: Element, O: Map2 + Sync>(name: &str, op: O, y: &mut [T], x: &[T], par: &Parallelism) {
    check_len(name, y.len(), x.len());
    by_chunks(par, y, |at, y| {
        let x = &x[at..at + y.len()];
        if let (Some(y), Some(x)) = (cast_mut::<T, f32>(y), cast::<T, f32>(x)) {
            simd_update2(&op, y, x);
        } else if let (Some(y), Some(x)) = (cast_mut::<T, f64>(y), cast::<T, f64>(x)) {
            simd_update2(&op, y, x);
        } else {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = op.scalar(*o, v);
            }
        }
    });
}

/// Sets y = op(y) with the SIMD lanes of `T`.
fn update1<T: Element, O: Map1 + Sync>(op: O, y: &mut [T], par: &Parallelism) {
    by_chunks(par, y, |_, y| {
        if let Some(y) = cast_mut::<T, f32>(y) {
            simd_update1(&op, y);
        } else if let Some(y) = cast_mut::<T, f64>(y) {
            simd_update1(&op, y);
        } else {
            for o in y.iter_mut() {
                *o = op.scalar(*o);
            }
        }
    });
}

/// Elements per thread below which a map stays on one thread: 64 Ki elements take some
/// microseconds, well above the cost of handing a part to a team's polling thread.
const MIN_CHUNK: usize = 1 << 16;

/// Most parts a map is cut into.
const MAX_CHUNKS: usize = 8;

/// Runs `body(at, chunk)` over consecutive chunks of `out` (`at` the chunk's offset): cut across
/// the threads of `par` when `out` is long, else as one chunk. Lanewise maps give the same bits
/// however they are cut.
fn by_chunks<T: Send>(par: &Parallelism, out: &mut [T], body: impl Fn(usize, &mut [T]) + Sync) {
    let parts = par.threads().min(MAX_CHUNKS).min(out.len() / MIN_CHUNK);
    if parts < 2 {
        body(0, out);
        return;
    }
    // Whole cache lines per chunk, so that two threads never write the same line.
    let chunk = out.len().div_ceil(parts).next_multiple_of(64);
    let pieces = out.len().div_ceil(chunk);
    let mut slots: [Mutex<Option<&mut [T]>>; MAX_CHUNKS] =
        std::array::from_fn(|_| Mutex::new(None));
    for (slot, piece) in slots.iter_mut().zip(out.chunks_mut(chunk)) {
        *slot.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(piece);
    }
    par.for_each_part(pieces, |part, _| {
        let piece = slots[part]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("each chunk is taken once");
        body(part * chunk, piece);
    });
}

/// Applies a scalar function to each element: for the transcendental maps, which stay scalar so
/// that they keep the standard library's accuracy and the stable forms below.
#[inline]
fn map_scalar<T: Element>(op: &str, x: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    check_len(op, x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}

/// out = a + b.
pub fn add<T: Element>(a: &[T], b: &[T], out: &mut [T], par: &Parallelism) {
    map2("add", Add, a, b, out, par);
}

/// out = a − b.
pub fn sub<T: Element>(a: &[T], b: &[T], out: &mut [T], par: &Parallelism) {
    map2("sub", Sub, a, b, out, par);
}

/// out = a ⊙ b.
pub fn mul<T: Element>(a: &[T], b: &[T], out: &mut [T], par: &Parallelism) {
    map2("mul", Mul, a, b, out, par);
}

/// out = a ⊘ b.
pub fn div<T: Element>(a: &[T], b: &[T], out: &mut [T], par: &Parallelism) {
    map2("div", Div, a, b, out, par);
}

/// out = max(a, b) elementwise (a NaN operand yields the other, as `f64::max`).
pub fn max<T: Element>(a: &[T], b: &[T], out: &mut [T], par: &Parallelism) {
    map2("max", Max, a, b, out, par);
}

/// y += x.
pub fn add_assign<T: Element>(y: &mut [T], x: &[T], par: &Parallelism) {
    update2("add_assign", Add, y, x, par);
}

/// y += α·x (a multiply then an add, never fused, so every build rounds the same way).
pub fn axpy<T: Element>(alpha: T, x: &[T], y: &mut [T], par: &Parallelism) {
    update2("axpy", AddScaled(alpha.to_f64()), y, x, par);
}

/// out = c·x.
pub fn scale<T: Element>(x: &[T], c: T, out: &mut [T], par: &Parallelism) {
    map1("scale", Scale(c.to_f64()), x, out, par);
}

/// y = c·y.
pub fn scale_assign<T: Element>(y: &mut [T], c: T, par: &Parallelism) {
    update1(Scale(c.to_f64()), y, par);
}

/// out = max(x, 0) (NaN maps to 0).
pub fn relu<T: Element>(x: &[T], out: &mut [T], par: &Parallelism) {
    map1("relu", Relu, x, out, par);
}

/// out = g where x > 0, else 0: the backward rule of ReLU (the derivative at 0 is taken as 0).
pub fn relu_backward<T: Element>(x: &[T], g: &[T], out: &mut [T], par: &Parallelism) {
    map2("relu_backward", ReluBackward, x, g, out, par);
}

/// out = x where x > 0, else slope·x.
pub fn leaky_relu<T: Element>(x: &[T], slope: T, out: &mut [T], par: &Parallelism) {
    map1("leaky_relu", LeakyRelu(slope.to_f64()), x, out, par);
}

/// out = g where x > 0, else slope·g: the backward rule of leaky ReLU.
pub fn leaky_relu_backward<T: Element>(
    x: &[T],
    slope: T,
    g: &[T],
    out: &mut [T],
    par: &Parallelism,
) {
    map2(
        "leaky_relu_backward",
        LeakyReluBackward(slope.to_f64()),
        x,
        g,
        out,
        par,
    );
}

/// out = √x.
pub fn sqrt<T: Element>(x: &[T], out: &mut [T], par: &Parallelism) {
    map1("sqrt", Sqrt, x, out, par);
}

/// out = x².
pub fn square<T: Element>(x: &[T], out: &mut [T], par: &Parallelism) {
    map1("square", Square, x, out, par);
}

/// out = e^x.
pub fn exp<T: Element>(x: &[T], out: &mut [T]) {
    map_scalar("exp", x, out, T::exp);
}

/// out = ln x.
pub fn ln<T: Element>(x: &[T], out: &mut [T]) {
    map_scalar("ln", x, out, T::ln);
}

/// out = ln(1 + x).
pub fn ln_1p<T: Element>(x: &[T], out: &mut [T]) {
    map_scalar("ln_1p", x, out, T::ln_1p);
}

/// out = tanh x.
pub fn tanh<T: Element>(x: &[T], out: &mut [T]) {
    map_scalar("tanh", x, out, T::tanh);
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
    map_scalar("sigmoid", x, out, sigmoid_scalar);
}

/// out = ln(1 + e^x), stable for large |x|.
pub fn softplus<T: Element>(x: &[T], out: &mut [T]) {
    map_scalar("softplus", x, out, softplus_scalar);
}

/// out = ln σ(x) = −softplus(−x), stable for large |x|.
pub fn log_sigmoid<T: Element>(x: &[T], out: &mut [T]) {
    map_scalar("log_sigmoid", x, out, |v| -softplus_scalar(-v));
}

/// Fills `y` with `value` (the standard library's fill already compiles to wide stores).
pub fn fill<T: Element>(y: &mut [T], value: T) {
    y.fill(value);
}
