//! The peers lowrank's GEMM is measured against, behind the same signature as `kernels::gemm`:
//! the `gemm` crate (built with its AVX-512 feature, `x86-v4`) and `matrixmultiply`.
//!
//! Both crates expose only raw-pointer `unsafe fn` entry points, so this module is the one place
//! outside `kernels` that holds `unsafe`: each call passes pointers and strides taken from checked
//! `MatRef`/`MatMut` views, which is exactly what the callees require.
#![allow(unsafe_code)]

use gemm::Parallelism;
use kernels::{Element, MatMut, MatRef};

/// The element types both peers support: `f32` and `f64`.
pub trait PeerElement: Element {
    /// `matrixmultiply`'s C ← αAB + βC for this type (`sgemm` or `dgemm`).
    ///
    /// # Safety
    /// The pointers and strides must describe m×k, k×n and m×n matrices lying inside live
    /// allocations, with C not overlapping A or B.
    #[allow(clippy::too_many_arguments)]
    unsafe fn matrixmultiply_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: (*const Self, isize, isize),
        b: (*const Self, isize, isize),
        beta: Self,
        c: (*mut Self, isize, isize),
    );
}

macro_rules! impl_peer {
    ($t:ty, $f:path) => {
        impl PeerElement for $t {
            unsafe fn matrixmultiply_raw(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: (*const Self, isize, isize),
                b: (*const Self, isize, isize),
                beta: Self,
                c: (*mut Self, isize, isize),
            ) {
                // SAFETY: forwarded from this function's contract.
                unsafe {
                    $f(
                        m, k, n, alpha, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
                    )
                }
            }
        }
    };
}

impl_peer!(f32, matrixmultiply::sgemm);
impl_peer!(f64, matrixmultiply::dgemm);

/// Pointer and (row, column) strides of a read-only view.
fn raw<T: Copy>(v: &MatRef<'_, T>) -> (*const T, isize, isize) {
    (
        v.data().as_ptr(),
        v.row_stride() as isize,
        v.col_stride() as isize,
    )
}

/// Checks shapes as `kernels::gemm` does, and does the whole product when k = 0 (C ← βC);
/// true if the product has work left for the peer.
pub(crate) fn prepare<T: Element>(
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    beta: T,
    c: &mut MatMut<'_, T>,
) -> bool {
    assert!(
        a.cols() == b.rows() && c.rows() == a.rows() && c.cols() == b.cols(),
        "peer gemm: A is {}×{}, B is {}×{}, C is {}×{}",
        a.rows(),
        a.cols(),
        b.rows(),
        b.cols(),
        c.rows(),
        c.cols()
    );
    if c.rows() == 0 || c.cols() == 0 {
        return false;
    }
    if a.cols() == 0 {
        for i in 0..c.rows() {
            for j in 0..c.cols() {
                let old = if beta == T::ZERO {
                    T::ZERO
                } else {
                    beta * c.get(i, j)
                };
                c.set(i, j, old);
            }
        }
        return false;
    }
    true
}

/// C ← αAB + βC by the `gemm` crate, on the current thread (`threads == 1`) or on `threads`
/// threads of the current rayon pool.
pub fn gemm_crate<T: PeerElement>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
    threads: usize,
) {
    if !prepare(&a, &b, beta, &mut c) {
        return;
    }
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let (rs, cs) = (c.row_stride() as isize, c.col_stride() as isize);
    let parallelism = if threads <= 1 {
        Parallelism::None
    } else {
        Parallelism::Rayon(threads)
    };
    let (pa, pb) = (raw(&a), raw(&b));
    // SAFETY: the views were built by checked constructors, so every (i, j) addressed through
    // these pointers and strides lies inside its slice; C is a unique borrow, so it overlaps
    // neither A nor B. The crate computes dst ← α_dst·dst + β_dst·lhs·rhs and reads dst only when
    // `read_dst` is set, hence the swapped scalars and `beta != 0`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.data_mut().as_mut_ptr(),
            cs,
            rs,
            beta != T::ZERO,
            pa.0,
            pa.2,
            pa.1,
            pb.0,
            pb.2,
            pb.1,
            beta,
            alpha,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// C ← αAB + βC by `matrixmultiply`, whose thread count comes from `MATMUL_NUM_THREADS`, read
/// once per process.
pub fn matrixmultiply<T: PeerElement>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    mut c: MatMut<'_, T>,
) {
    if !prepare(&a, &b, beta, &mut c) {
        return;
    }
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let pc = (
        c.data_mut().as_mut_ptr(),
        c.row_stride() as isize,
        c.col_stride() as isize,
    );
    // SAFETY: as for `gemm_crate`: checked views, C uniquely borrowed; matrixmultiply does not
    // read C when β = 0.
    unsafe { T::matrixmultiply_raw(m, k, n, alpha, raw(&a), raw(&b), beta, pc) }
}

/// The variable `matrixmultiply` reads its thread count from.
pub const MATMUL_NUM_THREADS: &str = "MATMUL_NUM_THREADS";

/// This process's own binary, to run again with `MATMUL_NUM_THREADS=threads`: matrixmultiply
/// reads its thread count once per process, so each thread count is measured in a child (the
/// caller adds the arguments that make the child measure matrixmultiply and nothing else).
pub fn matrixmultiply_child(threads: usize) -> Result<std::process::Command, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut command = std::process::Command::new(exe);
    command.env(MATMUL_NUM_THREADS, threads.to_string());
    Ok(command)
}

/// The thread count `matrixmultiply` uses given the value of `MATMUL_NUM_THREADS`, by its own
/// rule: a number clamped to 1..=4, 1 if unparsable; `None` when unset or empty (it then uses
/// the physical core count, which this crate does not detect).
pub fn matrixmultiply_threads(env_value: Option<&str>) -> Option<usize> {
    let value = env_value.filter(|v| !v.is_empty())?;
    Some(value.parse::<usize>().unwrap_or(1).clamp(1, 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operands::Operands;
    use crate::shapes::{GemmShape, layer_products};

    /// C from the reference triple loop, for comparison.
    fn reference<T: Element>(shape: GemmShape, alpha: T, beta: T) -> Vec<T> {
        let mut ops = Operands::<T>::new(shape, 5);
        let (a, b, c) = ops.views();
        kernels::gemm::reference::gemm(alpha, a, b, beta, c);
        ops.c().to_vec()
    }

    fn agree<T: PeerElement>(tol: f64) {
        let shapes = [layer_products(7, 5, 3), layer_products(33, 17, 65)].concat();
        for shape in shapes {
            for (alpha, beta) in [(1.0, 0.0), (0.5, -2.0)] {
                let (alpha, beta) = (T::from_f64(alpha), T::from_f64(beta));
                let want = reference(shape, alpha, beta);
                let mut x = Operands::<T>::new(shape, 5);
                let (a, b, c) = x.views();
                gemm_crate(alpha, a, b, beta, c, 1);
                let mut y = Operands::<T>::new(shape, 5);
                let (a, b, c) = y.views();
                matrixmultiply(alpha, a, b, beta, c);
                for (i, w) in want.iter().enumerate() {
                    let scale = w.to_f64().abs().max(1.0) * shape.k as f64;
                    for (name, got) in [("gemm", x.c()[i]), ("matrixmultiply", y.c()[i])] {
                        let err = (got.to_f64() - w.to_f64()).abs();
                        assert!(
                            err <= tol * scale,
                            "{name} {shape} [{}]: {got} vs {w}",
                            T::NAME
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn peers_agree_with_the_reference_in_every_layout() {
        agree::<f32>(1e-5);
        agree::<f64>(1e-13);
    }

    #[test]
    fn matrixmultiply_thread_rule() {
        assert_eq!(matrixmultiply_threads(None), None);
        assert_eq!(matrixmultiply_threads(Some("")), None);
        assert_eq!(matrixmultiply_threads(Some("2")), Some(2));
        assert_eq!(matrixmultiply_threads(Some("0")), Some(1));
        assert_eq!(matrixmultiply_threads(Some("16")), Some(4));
        assert_eq!(matrixmultiply_threads(Some("two")), Some(1));
    }

    #[test]
    fn beta_zero_ignores_nan_in_c() {
        let a = [1.0f64, 2.0];
        let b = [3.0f64, 4.0];
        for which in 0..2 {
            let mut c = [f64::NAN];
            let (a, b) = (
                MatRef::from_row_major(&a, 1, 2).unwrap(),
                MatRef::from_row_major(&b, 2, 1).unwrap(),
            );
            let cm = MatMut::from_row_major(&mut c, 1, 1).unwrap();
            if which == 0 {
                gemm_crate(1.0, a, b, 0.0, cm, 1);
            } else {
                matrixmultiply(1.0, a, b, 0.0, cm);
            }
            assert_eq!(c, [11.0]);
        }
    }
}
