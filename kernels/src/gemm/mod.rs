//! General matrix multiply: C ← αAB + βC on strided views; `gemm_relu`, the same through a
//! ReLU applied as the tiles are written back (a bias-free ReLU layer's forward); and
//! `gemm_relu_backward`, the same kept only where a mask is positive (the gradient that reaches
//! a ReLU layer's output, through the ReLU's backward rule).
//!
//! The entry point checks shapes, settles the trivial cases (empty, k = 0, α = 0), turns the
//! product around so that C's columns are contiguous (Cᵀ = BᵀAᵀ is free on views), and hands it to
//! the cache-blocked driver (`driver`, five loops, blocksizes in `blocking`) with the
//! microkernels (`microkernel`, instantiated per instruction set in `kernel_set` over the vector
//! types of `simd`) of the instruction set chosen once at run time (`select`). `pack` lays
//! operands out in micropanels (a column-major B through the block transposes of `transpose`); `reference` holds the scalar triple loop every fast path is
//! tested against.
//!
//! Paths by shape (the choice never depends on the thread count, so neither do the bits):
//! matrix–vector products with contiguous rows of A → dot products; products at most 16 columns
//! wide with contiguous rows of A and k ≥ one vector, where tiles would idle over a fifth of their
//! lanes → the skinny kernels (4 rows × J columns, vectorised along k); everything else → the
//! register tiles, reading A in place and packing only what pays.

mod blocking;
mod driver;
mod kernel_set;
mod microkernel;
mod pack;
pub mod reference;
mod select;
mod simd;
mod transpose;

pub use select::{KERNEL_ENV, KernelKind, UnknownKernel, selected_kernel};

use std::any::Any;

use crate::parallel::Parallelism;
use crate::{Element, MatMut, MatRef};
use driver::{Epilogue, Operand, Problem};
use kernel_set::KernelSet;

/// The largest packed blocks of any kernel set, bytes: an MC × KC block of A (a quarter of L3)
/// and a KC × NC block of B (half of L2); see `blocking`.
pub(crate) const PACKED_BYTES: [usize; 2] = [blocking::L3_BYTES / 4, blocking::L2_BYTES / 2];

/// C ← α·A·B + β·C for any shapes and strides, with the kernel of [`selected_kernel`].
///
/// With `beta == 0` the old contents of C are never read, so NaN or garbage in C cannot leak into
/// the result. Panics with a message naming both shapes when A is m×k, B is k'×n with k ≠ k', or
/// C is not m×n: a shape mismatch is a programmer error, as in BLAS and ndarray.
///
/// Large products are cut across the threads of `par` (a [`crate::parallel::Team`]'s, or
/// [`Parallelism::NONE`] for the calling thread alone); the result is bitwise the same for every
/// thread count.
///
/// ```
/// use kernels::parallel::Parallelism;
/// use kernels::{MatMut, MatRef, gemm};
///
/// let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 × 3, row-major
/// let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3 × 2
/// let mut c = [10.0; 4];
/// let a = MatRef::from_row_major(&a, 2, 3).unwrap();
/// let b = MatRef::from_row_major(&b, 3, 2).unwrap();
/// // C ← 1·A·B + 0·C: the old 10s are never read.
/// gemm(1.0, a, b, 0.0, MatMut::from_row_major(&mut c, 2, 2).unwrap(), &Parallelism::NONE);
/// assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
/// // Aᵀ is a view with swapped strides, not a copy: C ← Aᵀ·A is 3 × 3.
/// let mut g = [0.0; 9];
/// gemm(1.0, a.t(), a, 0.0, MatMut::from_row_major(&mut g, 3, 3).unwrap(), &Parallelism::NONE);
/// assert_eq!(g[0], 1.0 * 1.0 + 4.0 * 4.0);
/// ```
pub fn gemm<T: Element>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: &Parallelism,
) {
    product(selected_kernel(), alpha, a, b, beta, c, Finish::Plain, par);
}

/// C ← ReLU(α·A·B + β·C), each element where positive, else 0 (NaN too): a bias-free linear
/// layer and its activation in one pass. The register tiles apply the ReLU as they write their
/// last depth block back, so C is not swept a second time; the skinny and matrix–vector paths,
/// whose outputs are a few columns, apply it after. Bitwise [`gemm`] followed by
/// [`crate::elementwise::relu`]; panics as [`gemm`] does.
pub fn gemm_relu<T: Element>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: &Parallelism,
) {
    product(selected_kernel(), alpha, a, b, beta, c, Finish::Relu, par);
}

/// C ← (α·A·B + β·C) where `mask` > 0, else +0 (where the mask is NaN too), `mask` shaped like
/// C: the gradient that reaches a ReLU's output, taken through the ReLU's backward rule with its
/// output (or input) as the mask, in the pass that computes it. Each register tile keeps its
/// last depth block under the mask right after writing it, while it is still in L1 (when the
/// mask's columns are contiguous in the orientation the product runs in); every other path
/// applies the mask after. Saves a pass over C and a buffer against the two calls: 200×100×100
/// f32 19.0 µs against 19.4, f64 36.9 against 37.8. Bitwise [`gemm`]
/// followed by [`crate::elementwise::relu_backward`]; panics as [`gemm`] does, and if `mask` is
/// not shaped like C.
///
/// ```
/// use kernels::parallel::Parallelism;
/// use kernels::{MatMut, MatRef, gemm_relu_backward};
///
/// let g = [1.0, 2.0, 3.0, 4.0];
/// let w = [1.0, 0.0, 0.0, 1.0];
/// // The ReLU's output: the gradient passes where it is positive.
/// let h = [0.5, 0.0, -0.0, 7.0];
/// let mut d = [0.0; 4];
/// let (g, w) = (
///     MatRef::from_row_major(&g, 2, 2).unwrap(),
///     MatRef::from_row_major(&w, 2, 2).unwrap(),
/// );
/// let mask = MatRef::from_row_major(&h, 2, 2).unwrap();
/// let out = MatMut::from_row_major(&mut d, 2, 2).unwrap();
/// gemm_relu_backward(1.0, g, w, 0.0, out, mask, &Parallelism::NONE);
/// assert_eq!(d, [1.0, 0.0, 0.0, 4.0]);
/// ```
pub fn gemm_relu_backward<T: Element>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    mask: MatRef<'_, T>,
    par: &Parallelism,
) {
    assert!(
        (mask.rows(), mask.cols()) == (c.rows(), c.cols()),
        "gemm_relu_backward: the mask is {}×{} but C is {}×{}",
        mask.rows(),
        mask.cols(),
        c.rows(),
        c.cols()
    );
    product(
        selected_kernel(),
        alpha,
        a,
        b,
        beta,
        c,
        Finish::KeepWherePositive(mask),
        par,
    );
}

/// What a product does to each element of α·A·B + β·C as it writes it.
#[derive(Clone, Copy)]
enum Finish<'m, T> {
    /// Writes it ([`gemm`]).
    Plain,
    /// Writes its ReLU ([`gemm_relu`]).
    Relu,
    /// Writes it where the mask is positive, else +0 ([`gemm_relu_backward`]).
    KeepWherePositive(MatRef<'m, T>),
}

impl<T: Element> Finish<'_, T> {
    /// The same, as the driver's raw description of it.
    fn epilogue(self) -> Epilogue<T> {
        match self {
            Finish::Plain => Epilogue::Plain,
            Finish::Relu => Epilogue::Relu,
            Finish::KeepWherePositive(mask) => Epilogue::KeepWherePositive {
                mask: mask.data().as_ptr(),
                rs: mask.row_stride(),
                cs: mask.col_stride(),
            },
        }
    }
}

/// Whether a [`crate::parallel::Team`] of `threads` threads gives its helpers anything to do in
/// work whose largest product has `fmas` multiply–adds of `T`: true when a product that big is
/// split (by the same rule [`gemm`] follows) or joined with another
/// ([`Parallelism::join_products`]). When it is false the helpers would only poll, so a caller
/// can leave the team out and run exactly as on one thread.
pub fn team_pays<T: Element>(threads: usize, fmas: usize) -> bool {
    let lanes = kernel_set::<T>(selected_kernel()).lanes;
    threads > 1
        && (driver::part_count(threads, fmas, lanes, usize::MAX) > 1
            || fmas >= crate::parallel::MIN_FMAS_TO_JOIN)
}

/// [`gemm`] with an explicit kernel family, for tests and benchmarks.
///
/// Panics if this CPU cannot run `kind` (see [`KernelKind::is_supported`]) rather than executing
/// instructions it lacks, and on a shape mismatch as [`gemm`] does.
pub fn gemm_with<T: Element>(
    kind: KernelKind,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
    par: &Parallelism,
) {
    product(kind, alpha, a, b, beta, c, Finish::Plain, par);
}

/// [`gemm_with`], finished as `finish` says.
#[allow(clippy::too_many_arguments)]
fn product<T: Element>(
    kind: KernelKind,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    finish: Finish<'_, T>,
    par: &Parallelism,
) {
    check_shapes(&a, &b, &c);
    assert!(
        kind.is_supported(),
        "gemm_with: this CPU lacks the instructions of the {kind} kernel"
    );
    let (m, n, k) = (a.rows(), b.cols(), a.cols());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale(beta, c.rb_mut());
        finish_in_place(finish, c);
        return;
    }
    let set = kernel_set::<T>(kind);
    let problem = Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a: operand(&a),
        b: operand(&b),
        c: c.data_mut().as_mut_ptr(),
        rsc: c.row_stride(),
        epilogue: finish.epilogue(),
    };
    let csc = c.col_stride();
    let (mut problem, csc) = if should_transpose(&problem, csc) {
        (transpose(&problem, csc), problem.rsc)
    } else {
        (problem, csc)
    };
    // The tiles read a mask by vectors along C's rows, so only one with contiguous columns in
    // this orientation; any other is applied after.
    if let Epilogue::KeepWherePositive { cs, .. } = problem.epilogue
        && cs != 1
        && problem.n > 1
    {
        problem.epilogue = Epilogue::Plain;
    }
    let fused = if csc == 1 || problem.n == 1 {
        // SAFETY: the views guarantee every element of A, B and C lies inside its slice, C is
        // borrowed mutably so it overlaps neither A nor B, m, n, k > 0, and C's columns are
        // contiguous (or there is one column).
        unsafe { run(set, &problem, par) }
    } else {
        // C has no unit stride: compute into a dense row-major copy and write that back.
        let mut dense = vec![T::ZERO; problem.m * problem.n];
        let rows = problem.rsc;
        for (i, row) in dense.chunks_exact_mut(problem.n).enumerate() {
            if problem.beta != T::ZERO {
                for (j, slot) in row.iter_mut().enumerate() {
                    // SAFETY: (i, j) is an element of C, inside its slice.
                    *slot = unsafe { *problem.c.add(i * rows + j * csc) };
                }
            }
        }
        let on_dense = Problem {
            c: dense.as_mut_ptr(),
            rsc: problem.n,
            ..problem
        };
        // SAFETY: as above, with C the dense m × n row-major buffer.
        let fused = unsafe { run(set, &on_dense, par) };
        for (i, row) in dense.chunks_exact(problem.n).enumerate() {
            for (j, &value) in row.iter().enumerate() {
                // SAFETY: (i, j) is an element of C, inside its slice.
                unsafe { *problem.c.add(i * rows + j * csc) = value };
            }
        }
        fused
    };
    if !fused || matches!(problem.epilogue, Epilogue::Plain) {
        finish_in_place(finish, c);
    }
}

/// Matrix–vector products with contiguous rows go to the dot kernel, skinny products with
/// contiguous rows and some depth to the skinny kernels, the rest to the tiles. The choice
/// depends on the shape only, never on the thread count. Returns whether the path applied the
/// ReLU `p` asks for (only the tiles do).
///
/// # Safety
/// As `driver::run_tiles`.
unsafe fn run<E: Element>(set: &KernelSet<E>, p: &Problem<E>, par: &Parallelism) -> bool {
    if p.n == 1 && p.a.cs == 1 {
        // SAFETY: forwarded contract; n = 1 and A's rows are contiguous.
        unsafe { driver::run_dot(set, p, par) };
        false
    } else if p.a.cs == 1 && p.k >= set.lanes && skinny(p.n, set.lanes) {
        // SAFETY: forwarded contract; A's rows are contiguous.
        unsafe { driver::run_dot_tiles(set, p, par) };
        false
    } else {
        // SAFETY: forwarded contract.
        unsafe { driver::run_tiles(set, p, par) };
        true
    }
}

/// A product n ≤ 16 columns wide whose tiles would leave more than a fifth of their lanes
/// idle: vectorising along k (the skinny kernels) wastes less.
fn skinny(n: usize, lanes: usize) -> bool {
    n <= 16 && 5 * n < 4 * n.next_multiple_of(lanes)
}

/// Whether to compute Cᵀ = BᵀAᵀ instead: to reach the dot kernel (a column result with
/// contiguous rows of A), the one-row tile (a row result), or contiguous columns of C.
fn should_transpose<E>(p: &Problem<E>, csc: usize) -> bool {
    if p.n == 1 && p.a.cs == 1 {
        false
    } else if p.m == 1 && p.b.rs == 1 {
        true
    } else if csc == 1 && p.n > 1 {
        false
    } else if p.n == 1 && p.a.rs == 1 && p.m > 1 {
        true
    } else {
        p.rsc == 1 && p.m > 1
    }
}

/// The same product for Cᵀ = BᵀAᵀ; the returned problem's C has row stride `csc`.
fn transpose<E: Copy>(p: &Problem<E>, csc: usize) -> Problem<E> {
    let flip = |o: Operand<E>| Operand {
        ptr: o.ptr,
        rs: o.cs,
        cs: o.rs,
    };
    Problem {
        m: p.n,
        n: p.m,
        a: flip(p.b),
        b: flip(p.a),
        rsc: csc,
        epilogue: p.epilogue.transposed(),
        ..*p
    }
}

/// The raw description of a view.
fn operand<E: Copy>(view: &MatRef<'_, E>) -> Operand<E> {
    Operand {
        ptr: view.data().as_ptr(),
        rs: view.row_stride(),
        cs: view.col_stride(),
    }
}

/// C ← β·C, writing zeros without reading C when β = 0.
fn scale<T: Element>(beta: T, mut c: MatMut<'_, T>) {
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let value = if beta == T::ZERO {
                T::ZERO
            } else {
                beta * c.get(i, j)
            };
            c.set(i, j, value);
        }
    }
}

/// Applies `finish` to C after the product, as the elementwise ReLU and its backward rule do:
/// for the paths whose kernels do not apply it.
fn finish_in_place<T: Element>(finish: Finish<'_, T>, mut c: MatMut<'_, T>) {
    let mask = match finish {
        Finish::Plain => return,
        Finish::Relu => None,
        Finish::KeepWherePositive(mask) => Some(mask),
    };
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let x = c.get(i, j);
            let by = mask.map_or(x, |mask| mask.get(i, j));
            c.set(i, j, if by > T::ZERO { x } else { T::ZERO });
        }
    }
}

/// The kernel set of `kind` for the element type `E` (f32 or f64).
fn kernel_set<E: Element>(kind: KernelKind) -> &'static KernelSet<E> {
    let is_f32 = std::any::TypeId::of::<E>() == std::any::TypeId::of::<f32>();
    let set: &'static dyn Any = match (kind, is_f32) {
        #[cfg(target_arch = "x86_64")]
        (KernelKind::Avx512, true) => &kernel_set::AVX512_F32,
        #[cfg(target_arch = "x86_64")]
        (KernelKind::Avx512, false) => &kernel_set::AVX512_F64,
        #[cfg(target_arch = "x86_64")]
        (KernelKind::Avx2, true) => &kernel_set::AVX2_F32,
        #[cfg(target_arch = "x86_64")]
        (KernelKind::Avx2, false) => &kernel_set::AVX2_F64,
        (_, true) => &kernel_set::PORTABLE_F32,
        (_, false) => &kernel_set::PORTABLE_F64,
    };
    set.downcast_ref::<KernelSet<E>>()
        .expect("Element is implemented for f32 and f64 only")
}

fn check_shapes<T: Element>(a: &MatRef<'_, T>, b: &MatRef<'_, T>, c: &MatMut<'_, T>) {
    assert!(
        a.cols() == b.rows(),
        "gemm: A is {}×{} but B is {}×{}: the inner dimensions differ",
        a.rows(),
        a.cols(),
        b.rows(),
        b.cols()
    );
    assert!(
        c.rows() == a.rows() && c.cols() == b.cols(),
        "gemm: A·B is {}×{} but C is {}×{}",
        a.rows(),
        b.cols(),
        c.rows(),
        c.cols()
    );
}

#[cfg(test)]
mod tests;
