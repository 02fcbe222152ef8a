//! OpenBLAS and BLIS as GEMM peers, opened at run time with `dlopen` so that neither is needed to
//! build or test: an absent library is reported with the package that provides it.
//!
//! Both are called through their CBLAS `cblas_sgemm`/`cblas_dgemm` (BLIS exports its CBLAS
//! compatibility layer), behind the same signature as `kernels::gemm`; see
//! [`crate::cblas_layout`] for how a strided view becomes CBLAS arguments. Each library is
//! opened once per process and never closed: OpenBLAS keeps worker threads that must not outlive
//! its code, and the function pointers taken from it stay valid for the life of the process.
//!
//! This is the one module besides `peers` that holds `unsafe`: foreign calls whose signatures
//! are the libraries' documented C prototypes.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::sync::OnceLock;

use kernels::{MatMut, MatRef};
use libloading::Library;

use crate::cblas_layout::{self, Operand};
use crate::peers::{PeerElement, prepare};

/// `CblasRowMajor`, `CblasNoTrans` and `CblasTrans` of `cblas.h`.
const ROW_MAJOR: c_int = 101;
const NO_TRANS: c_int = 111;
const TRANS: c_int = 112;

/// `cblas_sgemm` or `cblas_dgemm`: layout, transposes, M, N, K, α, A, lda, B, ldb, β, C, ldc.
type CblasGemm<T> = unsafe extern "C" fn(
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    T,
    *const T,
    c_int,
    *const T,
    c_int,
    T,
    *mut T,
    c_int,
);

/// A BLAS library measured as a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlasLibrary {
    /// OpenBLAS (`libopenblas.so.0`).
    OpenBlas,
    /// BLIS (`libblis.so.4`).
    Blis,
}

impl BlasLibrary {
    /// Both libraries, in report order.
    pub const ALL: [BlasLibrary; 2] = [BlasLibrary::OpenBlas, BlasLibrary::Blis];

    /// The name shown in reports and legends.
    pub fn name(self) -> &'static str {
        match self {
            BlasLibrary::OpenBlas => "OpenBLAS",
            BlasLibrary::Blis => "BLIS",
        }
    }

    /// The Debian package providing the library (its pthread build, whose thread count can be
    /// set per call).
    pub fn package(self) -> &'static str {
        match self {
            BlasLibrary::OpenBlas => "libopenblas0-pthread",
            BlasLibrary::Blis => "libblis4-pthread",
        }
    }

    /// Where the library is looked for, in order: Debian's pthread build by its full path, so
    /// that an OpenMP or serial build chosen by the alternatives system is not picked up
    /// instead, then the soname on the loader's search path.
    fn candidates(self) -> Vec<String> {
        let (folder, soname) = match self {
            BlasLibrary::OpenBlas => ("openblas-pthread", "libopenblas.so.0"),
            BlasLibrary::Blis => ("blis-pthread", "libblis.so.4"),
        };
        let arch = std::env::consts::ARCH;
        vec![
            format!("/usr/lib/{arch}-linux-gnu/{folder}/{soname}"),
            soname.to_owned(),
        ]
    }

    /// The library, opened on first use; an error says why it is unavailable and how to install
    /// it.
    pub fn open(self) -> Result<&'static Blas, &'static str> {
        static OPENBLAS: OnceLock<Result<Blas, String>> = OnceLock::new();
        static BLIS: OnceLock<Result<Blas, String>> = OnceLock::new();
        let cell = match self {
            BlasLibrary::OpenBlas => &OPENBLAS,
            BlasLibrary::Blis => &BLIS,
        };
        cell.get_or_init(|| Blas::load(self, &self.candidates()))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// How a library's thread count is set.
#[derive(Clone, Copy, Debug)]
enum SetThreads {
    /// `openblas_set_num_threads(int)`.
    OpenBlas(unsafe extern "C" fn(c_int)),
    /// `bli_thread_set_num_threads(dim_t)`, `dim_t` being BLIS's 64-bit integer.
    Blis(unsafe extern "C" fn(i64)),
}

/// An opened BLAS library: its GEMM entry points, its thread setting and what kernel it runs.
#[derive(Debug)]
pub struct Blas {
    library: BlasLibrary,
    path: String,
    kernel: String,
    config: String,
    sgemm: CblasGemm<f32>,
    dgemm: CblasGemm<f64>,
    set_threads: SetThreads,
}

/// A symbol of `lib` as a value of type `F` (a function pointer), or a message naming it.
///
/// # Safety
/// `F` must be the symbol's true C signature.
unsafe fn symbol<F: Copy>(lib: &Library, path: &str, name: &str) -> Result<F, String> {
    // SAFETY: the caller vouches for the signature; the pointer outlives the borrow because the
    // library is never unloaded (`load` leaks it).
    unsafe { lib.get::<F>(name.as_bytes()) }
        .map(|s| *s)
        .map_err(|e| format!("{path} has no {name}: {e}"))
}

/// A C string returned by a library as an owned string.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string that stays valid during the call.
unsafe fn owned(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    unsafe { CStr::from_ptr(p) }
        .to_string_lossy()
        .trim()
        .to_owned()
}

impl Blas {
    /// Opens the first of `candidates` that loads as `library` and checks it has what is called.
    fn load(library: BlasLibrary, candidates: &[String]) -> Result<Blas, String> {
        let mut tried = Vec::new();
        for path in candidates {
            // SAFETY: loading runs the library's initializers; both libraries' only
            // initialization is to detect the CPU and size their thread pools.
            match unsafe { Library::new(path.as_str()) } {
                Ok(lib) => {
                    // Never unloaded: see the module documentation.
                    let lib: &'static Library = Box::leak(Box::new(lib));
                    return Blas::bind(library, lib, path.clone());
                }
                Err(e) => tried.push(e.to_string()),
            }
        }
        Err(format!(
            "{} not found ({}); install it with `apt-get install {}` (or scripts/setup-peers)",
            library.name(),
            tried.join("; "),
            library.package()
        ))
    }

    /// The entry points and kernel description of an opened library.
    fn bind(library: BlasLibrary, lib: &'static Library, path: String) -> Result<Blas, String> {
        // Every function type below is the prototype of its symbol in OpenBLAS's
        // `cblas.h`/`openblas_config.h` or BLIS's `blis.h`, for the 32-bit CBLAS integers
        // checked below.
        // SAFETY: the type is the symbol's prototype (see above).
        let sgemm = unsafe { symbol::<CblasGemm<f32>>(lib, &path, "cblas_sgemm") }?;
        // SAFETY: the type is the symbol's prototype (see above).
        let dgemm = unsafe { symbol::<CblasGemm<f64>>(lib, &path, "cblas_dgemm") }?;
        let (kernel, config, set_threads) = match library {
            BlasLibrary::OpenBlas => {
                // SAFETY: the type is the symbol's prototype (see above).
                let corename = unsafe {
                    symbol::<unsafe extern "C" fn() -> *const c_char>(
                        lib,
                        &path,
                        "openblas_get_corename",
                    )
                }?;
                // SAFETY: the type is the symbol's prototype (see above).
                let get_config = unsafe {
                    symbol::<unsafe extern "C" fn() -> *const c_char>(
                        lib,
                        &path,
                        "openblas_get_config",
                    )
                }?;
                // SAFETY: the type is the symbol's prototype (see above).
                let set = unsafe { symbol(lib, &path, "openblas_set_num_threads") }?;
                // SAFETY: both return pointers to static strings of the library.
                let (kernel, config) = unsafe { (owned(corename()), owned(get_config())) };
                if config.contains("USE64BITINT") {
                    return Err(format!(
                        "{path} is built with 64-bit integers ({config}); install {}",
                        library.package()
                    ));
                }
                (kernel, config, SetThreads::OpenBlas(set))
            }
            BlasLibrary::Blis => {
                // SAFETY: the type is the symbol's prototype (see above).
                let query_id = unsafe {
                    symbol::<unsafe extern "C" fn() -> c_int>(lib, &path, "bli_arch_query_id")
                }?;
                // SAFETY: the type is the symbol's prototype (see above).
                let arch_string = unsafe {
                    symbol::<unsafe extern "C" fn(c_int) -> *const c_char>(
                        lib,
                        &path,
                        "bli_arch_string",
                    )
                }?;
                // SAFETY: the type is the symbol's prototype (see above).
                let version = unsafe {
                    symbol::<unsafe extern "C" fn() -> *const c_char>(
                        lib,
                        &path,
                        "bli_info_get_version_str",
                    )
                }?;
                // SAFETY: the type is the symbol's prototype (see above).
                let int_size = unsafe {
                    symbol::<unsafe extern "C" fn() -> i64>(
                        lib,
                        &path,
                        "bli_info_get_blas_int_type_size",
                    )
                }?;
                // SAFETY: the type is the symbol's prototype (see above).
                let set = unsafe { symbol(lib, &path, "bli_thread_set_num_threads") }?;
                // SAFETY: the queries take no pointers and return static strings or integers;
                // BLIS initializes itself on the first query.
                let (kernel, version, bits) =
                    unsafe { (owned(arch_string(query_id())), owned(version()), int_size()) };
                if bits != 32 {
                    return Err(format!(
                        "{path} is built with {bits}-bit BLAS integers; install {}",
                        library.package()
                    ));
                }
                (kernel, format!("BLIS {version}"), SetThreads::Blis(set))
            }
        };
        Ok(Blas {
            library,
            path,
            kernel,
            config,
            sgemm,
            dgemm,
            set_threads,
        })
    }

    /// Which library this is.
    pub fn library(&self) -> BlasLibrary {
        self.library
    }

    /// The file it was opened from (a path or a soname).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The kernel it runs on this machine: OpenBLAS's core name (`Haswell`, `SkylakeX`, …) or
    /// BLIS's configuration (`zen3`, `skx`, `generic`, …).
    pub fn kernel(&self) -> &str {
        &self.kernel
    }

    /// Its build: OpenBLAS's configuration string, or `BLIS` and its version.
    pub fn config(&self) -> &str {
        &self.config
    }

    /// Sets the threads its next products run on (process-wide, as both libraries keep it).
    pub fn set_threads(&self, threads: usize) {
        let threads = threads.max(1);
        match self.set_threads {
            // SAFETY: the setters take a plain integer; the count is clamped to ≥ 1 and fits.
            SetThreads::OpenBlas(set) => unsafe { set(c_int::try_from(threads).unwrap_or(1)) },
            // SAFETY: as above.
            SetThreads::Blis(set) => unsafe { set(i64::try_from(threads).unwrap_or(1)) },
        }
    }

    /// C ← αAB + βC, on the threads last set by [`Blas::set_threads`]. A view with neither
    /// stride 1 is copied to a dense one first (and C back afterwards).
    pub fn gemm<T: BlasElement>(
        &self,
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
        let (a_copy, b_copy);
        let (pa, fa) = match form(&a) {
            Some(f) => (a.data().as_ptr(), f),
            None => {
                a_copy = dense(&a);
                (a_copy.as_ptr(), Operand::dense(k))
            }
        };
        let (pb, fb) = match form(&b) {
            Some(f) => (b.data().as_ptr(), f),
            None => {
                b_copy = dense(&b);
                (b_copy.as_ptr(), Operand::dense(n))
            }
        };
        if cblas_layout::operand(m, n, c.row_stride(), c.col_stride()).is_some() {
            self.call(alpha, (pa, fa), (pb, fb), k, beta, c);
            return;
        }
        let mut staged = if beta == T::ZERO {
            vec![T::ZERO; m * n]
        } else {
            dense(&c.as_ref())
        };
        let dense_c = MatMut::from_row_major(&mut staged, m, n).expect("sized m×n");
        self.call(alpha, (pa, fa), (pb, fb), k, beta, dense_c);
        for i in 0..m {
            for j in 0..n {
                c.set(i, j, staged[i * n + j]);
            }
        }
    }

    /// The CBLAS call on operands already in CBLAS form and a C that has one.
    fn call<T: BlasElement>(
        &self,
        alpha: T,
        (pa, fa): (*const T, Operand),
        (pb, fb): (*const T, Operand),
        k: usize,
        beta: T,
        mut c: MatMut<'_, T>,
    ) {
        let (m, n) = (c.rows(), c.cols());
        let fc = cblas_layout::operand(m, n, c.row_stride(), c.col_stride())
            .expect("the caller staged C when it has no CBLAS form");
        let call = cblas_layout::call(m, n, fa, fb, fc);
        let (p1, p2) = if call.swapped { (pb, pa) } else { (pa, pb) };
        let trans = |o: Operand| if o.transposed { TRANS } else { NO_TRANS };
        let gemm = T::cblas_gemm(self);
        // SAFETY: `p1`/`p2` point at the first elements of live views (or of dense copies that
        // outlive the call) whose every element CBLAS addresses as (transpose, ld) describe,
        // which `cblas_layout` derived from the checked strides; C is a unique borrow, so it
        // overlaps neither operand, and CBLAS does not read it when β = 0.
        unsafe {
            gemm(
                ROW_MAJOR,
                trans(call.first),
                trans(call.second),
                int(call.m),
                int(call.n),
                int(k),
                alpha,
                p1,
                int(call.first.ld),
                p2,
                int(call.second.ld),
                beta,
                c.data_mut().as_mut_ptr(),
                int(call.ldc),
            );
        }
    }
}

/// The CBLAS form of a view, if it has one.
fn form<T: Copy>(v: &MatRef<'_, T>) -> Option<Operand> {
    cblas_layout::operand(v.rows(), v.cols(), v.row_stride(), v.col_stride())
}

/// A dense row-major copy of a view.
fn dense<T: Copy>(v: &MatRef<'_, T>) -> Vec<T> {
    (0..v.rows())
        .flat_map(|i| (0..v.cols()).map(move |j| v.get(i, j)))
        .collect()
}

/// A dimension as a CBLAS integer.
fn int(x: usize) -> c_int {
    c_int::try_from(x).unwrap_or_else(|_| panic!("{x} exceeds CBLAS's 32-bit integers"))
}

/// The element types CBLAS has a GEMM for: `f32` (`cblas_sgemm`) and `f64` (`cblas_dgemm`).
pub trait BlasElement: PeerElement {
    /// This type's GEMM in `blas`.
    fn cblas_gemm(blas: &Blas) -> CblasGemm<Self>;
}

impl BlasElement for f32 {
    fn cblas_gemm(blas: &Blas) -> CblasGemm<f32> {
        blas.sgemm
    }
}

impl BlasElement for f64 {
    fn cblas_gemm(blas: &Blas) -> CblasGemm<f64> {
        blas.dgemm
    }
}

/// Every library's state in one line each: what it runs, or why it is absent.
pub fn describe() -> Vec<String> {
    BlasLibrary::ALL
        .iter()
        .map(|&l| match l.open() {
            Ok(blas) => format!(
                "{}: kernel {} ({}), from {}",
                l.name(),
                blas.kernel(),
                blas.config(),
                blas.path()
            ),
            Err(note) => format!("note: {note}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operands::Operands;
    use crate::shapes::{GemmShape, layer_products};
    use kernels::Element;

    fn close<T: Element>(got: &[T], want: &[T], k: usize, tol: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let scale = w.to_f64().abs().max(1.0) * k.max(1) as f64;
            let err = (g.to_f64() - w.to_f64()).abs();
            assert!(err <= tol * scale, "{what} [{i}]: {g} vs {w}");
        }
    }

    fn each_library(f: impl Fn(&Blas)) {
        for library in BlasLibrary::ALL {
            match library.open() {
                Ok(blas) => f(blas),
                Err(note) => println!("skipped: {note}"),
            }
        }
    }

    fn agree_on_layer_products<T: BlasElement>(tol: f64) {
        each_library(|blas| {
            let shapes = [layer_products(7, 5, 3), layer_products(33, 17, 65)].concat();
            for shape in shapes.into_iter().chain([GemmShape::ab(1, 9, 1)]) {
                for (alpha, beta) in [(1.0, 0.0), (0.5, -2.0)] {
                    let (alpha, beta) = (T::from_f64(alpha), T::from_f64(beta));
                    let mut want = Operands::<T>::new(shape, 5);
                    let (a, b, c) = want.views();
                    kernels::gemm::reference::gemm(alpha, a, b, beta, c);
                    let mut got = Operands::<T>::new(shape, 5);
                    let (a, b, c) = got.views();
                    blas.gemm(alpha, a, b, beta, c);
                    let what = format!("{} {shape} [{}]", blas.library().name(), T::NAME);
                    close(got.c(), want.c(), shape.k, tol, &what);
                }
            }
        });
    }

    #[test]
    fn blas_agrees_with_the_reference_in_every_layout() {
        agree_on_layer_products::<f32>(1e-5);
        agree_on_layer_products::<f64>(1e-13);
    }

    /// Odd strides: a column-major C (computed as Cᵀ = BᵀAᵀ), padded leading dimensions, and
    /// views with no unit stride (copied), each against `kernels::gemm`.
    #[test]
    fn blas_handles_padded_column_major_and_strided_views() {
        each_library(|blas| {
            let (m, k, n) = (5, 7, 3);
            let data: Vec<f64> = (0..200).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
            // A padded row-major (ld 9), B column-major (ld 8), B strided by 2 in both.
            let a = MatRef::new(&data, m, k, 9, 1).unwrap();
            for b in [
                MatRef::new(&data[3..], k, n, 1, 8).unwrap(),
                MatRef::new(&data[1..], k, n, 2 * n + 4, 2).unwrap(),
            ] {
                // C row-major padded, column-major, and strided by 2 in both.
                for (rs, cs, len) in [(4, 1, 20), (1, 6, 18), (2 * n + 1, 2, 40)] {
                    let mut want = vec![1.5; len];
                    let mut got = want.clone();
                    let cw = MatMut::new(&mut want, m, n, rs, cs).unwrap();
                    kernels::gemm(0.5, a, b, -1.0, cw, &kernels::parallel::Parallelism::NONE);
                    let cg = MatMut::new(&mut got, m, n, rs, cs).unwrap();
                    blas.gemm(0.5, a, b, -1.0, cg);
                    let what = format!("{} C strides ({rs}, {cs})", blas.library().name());
                    close(&got, &want, k, 1e-13, &what);
                }
            }
        });
    }

    #[test]
    fn beta_zero_ignores_nan_in_c_and_threads_can_be_set() {
        each_library(|blas| {
            for threads in [2, 1] {
                blas.set_threads(threads);
                let (a, b) = ([1.0f32, 2.0], [3.0f32, 4.0]);
                let mut c = [f32::NAN];
                let a = MatRef::from_row_major(&a, 1, 2).unwrap();
                let b = MatRef::from_row_major(&b, 2, 1).unwrap();
                blas.gemm(
                    1.0,
                    a,
                    b,
                    0.0,
                    MatMut::from_row_major(&mut c, 1, 1).unwrap(),
                );
                assert_eq!(c, [11.0], "{}", blas.library().name());
            }
        });
    }

    #[test]
    fn a_missing_or_wrong_library_is_an_error_naming_the_fix() {
        let missing = ["/nonexistent/libblis.so.4".to_owned()];
        let e = Blas::load(BlasLibrary::Blis, &missing).unwrap_err();
        assert!(e.contains("BLIS not found"), "{e}");
        assert!(e.contains("apt-get install libblis4-pthread"), "{e}");
        match BlasLibrary::OpenBlas.open() {
            Ok(openblas) => {
                let e = Blas::load(BlasLibrary::Blis, &[openblas.path().to_owned()]).unwrap_err();
                assert!(e.contains("has no bli_arch_query_id"), "{e}");
            }
            Err(note) => println!("skipped the wrong-library case: {note}"),
        }
    }

    #[test]
    fn an_opened_library_names_its_kernel_and_an_absent_one_its_package() {
        let lines = describe();
        assert_eq!(lines.len(), 2);
        for (line, library) in lines.iter().zip(BlasLibrary::ALL) {
            assert!(line.contains(library.name()), "{line}");
            match library.open() {
                Ok(blas) => {
                    assert!(!blas.kernel().is_empty(), "{line}");
                    assert!(line.contains(blas.kernel()), "{line}");
                }
                Err(_) => assert!(line.contains(library.package()), "{line}"),
            }
        }
    }
}
