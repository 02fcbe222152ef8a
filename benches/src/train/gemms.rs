//! The GEMM-bound estimate: every product of a step, timed alone with `kernels::gemm` on the
//! same shapes and layouts. Their summed time is what the step would take if nothing but its
//! products cost anything.

use autodiff::Element;
use kernels::parallel::Parallelism;
use kernels::rng::Rng;
use kernels::{MatMut, MatRef, gemm};

use crate::flops::gemm_flops;
use crate::timing::{Settings, measure};

/// One product C ← A·B (+ C) of a step, A m×k, B k×n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmCall {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
    /// A is read as the transposed view of a row-major k×m buffer.
    pub a_transposed: bool,
    /// B is read as the transposed view of a row-major n×k buffer.
    pub b_transposed: bool,
    /// C is accumulated onto (β = 1) rather than overwritten.
    pub accumulate: bool,
}

impl GemmCall {
    /// A forward product h·Wᵀ: [m, k] by the transpose of an [n, k] weight.
    pub fn forward(m: usize, k: usize, n: usize, accumulate: bool) -> Self {
        Self {
            m,
            k,
            n,
            a_transposed: false,
            b_transposed: true,
            accumulate,
        }
    }

    /// A weight gradient Gᵀ·X: the transpose of a [k, m] gradient by a [k, n] input.
    pub fn weight_grad(m: usize, k: usize, n: usize) -> Self {
        Self {
            m,
            k,
            n,
            a_transposed: true,
            b_transposed: false,
            accumulate: false,
        }
    }

    /// An input gradient G·W: a [m, k] gradient by a [k, n] weight.
    pub fn input_grad(m: usize, k: usize, n: usize, accumulate: bool) -> Self {
        Self {
            m,
            k,
            n,
            a_transposed: false,
            b_transposed: false,
            accumulate,
        }
    }

    /// Floating-point operations of the product.
    pub fn flops(&self) -> u64 {
        gemm_flops(self.m, self.k, self.n)
    }

    /// A label such as `256x784x512 ABt` (m×k×n and which factors are transposed views).
    pub fn label(&self) -> String {
        let a = if self.a_transposed { "At" } else { "A" };
        let b = if self.b_transposed { "Bt" } else { "B" };
        let plus = if self.accumulate { "+C" } else { "" };
        format!("{}x{}x{} {a}{b}{plus}", self.m, self.k, self.n)
    }

    /// Median seconds of one call of this product with `kernels::gemm` on the current rayon
    /// pool, on seeded operands.
    pub fn time<T: Element>(&self, settings: Settings, par: &Parallelism) -> f64 {
        let mut rng = Rng::new(self.flops());
        let mut fill =
            |len: usize| -> Vec<T> { (0..len).map(|_| T::from_f64(rng.normal())).collect() };
        let a = fill(self.m * self.k);
        let b = fill(self.k * self.n);
        let mut c = fill(self.m * self.n);
        let beta = if self.accumulate { T::ONE } else { T::ZERO };
        // Accumulating products scale by a tiny α so that C stays bounded over many calls.
        let alpha = if self.accumulate {
            T::from_f64(1e-6)
        } else {
            T::ONE
        };
        measure(settings, || {
            let av = operand(&a, self.m, self.k, self.a_transposed);
            let bv = operand(&b, self.k, self.n, self.b_transposed);
            let cv = MatMut::from_row_major(&mut c, self.m, self.n).expect("sized for C");
            gemm(alpha, av, bv, beta, cv, par);
        })
        .median
    }
}

/// A rows×cols view of `data`: row-major, or the transpose of a row-major cols×rows buffer.
fn operand<T: Element>(data: &[T], rows: usize, cols: usize, transposed: bool) -> MatRef<'_, T> {
    if transposed {
        MatRef::from_row_major(data, cols, rows).map(MatRef::t)
    } else {
        MatRef::from_row_major(data, rows, cols)
    }
    .expect("operand sized for its view")
}

/// The products of a step with their measured times.
#[derive(Clone, Debug, PartialEq)]
pub struct GemmBound {
    /// Each product and its median seconds.
    pub calls: Vec<(GemmCall, f64)>,
}

impl GemmBound {
    /// Times every product of `calls` (identical products once) with the parallelism the step
    /// runs them with.
    pub fn measure<T: Element>(calls: &[GemmCall], settings: Settings, par: &Parallelism) -> Self {
        let mut timed: Vec<(GemmCall, f64)> = Vec::with_capacity(calls.len());
        for &call in calls {
            let seconds = match timed.iter().find(|(c, _)| *c == call) {
                Some(&(_, s)) => s,
                None => call.time::<T>(settings, par),
            };
            timed.push((call, seconds));
        }
        Self { calls: timed }
    }

    /// The summed seconds of the step's products: the GEMM-bound estimate of a step.
    pub fn seconds(&self) -> f64 {
        self.calls.iter().map(|(_, s)| s).sum()
    }

    /// The step's GEMM flops.
    pub fn flops(&self) -> u64 {
        self.calls.iter().map(|(c, _)| c.flops()).sum()
    }

    /// The step's GEMM flops per second at the measured rates, in GFLOP/s.
    pub fn gflops(&self) -> f64 {
        crate::flops::gflops(self.flops(), self.seconds())
    }
}
