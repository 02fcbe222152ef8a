//! Criterion benches of GEMM: ours beside the `gemm` crate (x86-v4), `matrixmultiply`, and
//! OpenBLAS and BLIS when installed (`scripts/setup-peers`; a note is printed for each one
//! absent), on the square and MLP shapes of `benches::shapes`, f32 and f64, on 1 and 2 threads,
//! each reported as a FLOP rate in GFLOP/s ([`flop_rate::FlopRate`]).
//!
//! OpenBLAS and BLIS have their thread count set before their products, which run after ours:
//! OpenBLAS's idle workers spin for a while after a call, which would slow what ran next.
//!
//! `matrixmultiply` reads its thread count once per process from `MATMUL_NUM_THREADS`, so the
//! bench measures it in a child of itself per thread count, with the variable set to that count
//! (as the `roofline` binary does); a `MATMUL_NUM_THREADS` of the caller's is not used.

mod flop_rate;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use benches::blas::{Blas, BlasElement, BlasLibrary};
use benches::operands::Operands;
use benches::peers::{self, MATMUL_NUM_THREADS, PeerElement};
use benches::shapes::{GemmShape, all_shapes};
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use flop_rate::FlopRate;
use kernels::parallel::Team;
use rayon::ThreadPool;

/// Products above this many flops are timed one call per iteration ("flat" sampling).
const FLAT_SAMPLING_FLOPS: u64 = 1 << 31;

/// Thread counts measured.
const THREADS: [usize; 2] = [1, 2];

/// Set in the children that measure matrixmultiply alone (their thread count in
/// `MATMUL_NUM_THREADS`).
const MATRIXMULTIPLY_CHILD: &str = "LOWRANK_BENCH_MATRIXMULTIPLY";

fn main() -> ExitCode {
    let mut criterion = Criterion::default()
        .with_measurement(FlopRate)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600))
        .configure_from_args();
    if std::env::var_os(MATRIXMULTIPLY_CHILD).is_some() {
        let env = std::env::var(MATMUL_NUM_THREADS).ok();
        let Some(threads) = peers::matrixmultiply_threads(env.as_deref()) else {
            eprintln!("gemm bench: {MATRIXMULTIPLY_CHILD} is set but {MATMUL_NUM_THREADS} is not");
            return ExitCode::FAILURE;
        };
        for shape in all_shapes(false) {
            bench_matrixmultiply::<f32>(&mut criterion, threads, shape);
            bench_matrixmultiply::<f64>(&mut criterion, threads, shape);
        }
        criterion.final_summary();
        return ExitCode::SUCCESS;
    }
    for threads in THREADS {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool of 1 or 2 threads");
        for shape in all_shapes(false) {
            bench_ours::<f32>(&mut criterion, &pool, threads, shape);
            bench_ours::<f64>(&mut criterion, &pool, threads, shape);
        }
    }
    for library in BlasLibrary::ALL {
        match library.open() {
            Ok(blas) => {
                for threads in THREADS {
                    blas.set_threads(threads);
                    for shape in all_shapes(false) {
                        bench_blas::<f32>(&mut criterion, blas, threads, shape);
                        bench_blas::<f64>(&mut criterion, blas, threads, shape);
                    }
                }
            }
            Err(note) => eprintln!("gemm bench: skipped: {note}"),
        }
    }
    criterion.final_summary();
    let mut status = ExitCode::SUCCESS;
    for threads in THREADS {
        if let Err(e) = matrixmultiply_child(threads) {
            eprintln!("gemm bench: matrixmultiply on {threads} threads: {e}");
            status = ExitCode::FAILURE;
        }
    }
    status
}

/// Runs this bench again, with the same arguments, to measure matrixmultiply on `threads`.
fn matrixmultiply_child(threads: usize) -> Result<(), String> {
    let status = peers::matrixmultiply_child(threads)?
        .args(std::env::args_os().skip(1))
        .env(MATRIXMULTIPLY_CHILD, "1")
        .status()
        .map_err(|e| format!("cannot start the child: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the child failed ({status})"))
    }
}

/// The group of one product: `gemm/<dtype>/<threads>t/<shape>`, its throughput the product's
/// flops.
fn group<'a, T: PeerElement>(
    criterion: &'a mut Criterion<FlopRate>,
    threads: usize,
    shape: GemmShape,
) -> BenchmarkGroup<'a, FlopRate> {
    let label = shape.to_string().replace(' ', "_");
    let mut group = criterion.benchmark_group(format!("gemm/{}/{threads}t/{label}", T::NAME));
    group.throughput(Throughput::Elements(shape.flops()));
    if shape.flops() > FLAT_SAMPLING_FLOPS {
        group.sampling_mode(SamplingMode::Flat);
    }
    group
}

/// Ours and the `gemm` crate on `shape`, in `pool`.
fn bench_ours<T: PeerElement>(
    criterion: &mut Criterion<FlopRate>,
    pool: &ThreadPool,
    threads: usize,
    shape: GemmShape,
) {
    let mut group = group::<T>(criterion, threads, shape);
    let mut ops = Operands::<T>::new(shape, 1);
    group.bench_function("ours", |bench| {
        bench.iter_custom(|iters| {
            // On a team of the pool's threads, as training runs it, dropped before the peers run.
            pool.install(|| {
                let team = Team::new();
                let par = team.parallelism();
                let start = Instant::now();
                for _ in 0..iters {
                    let (a, b, c) = ops.views();
                    kernels::gemm(T::ONE, a, b, T::ZERO, c, &par);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("gemm_crate", |bench| {
        bench.iter_custom(|iters| {
            timed_in_pool(pool, iters, || {
                let (a, b, c) = ops.views();
                peers::gemm_crate(T::ONE, a, b, T::ZERO, c, threads);
            })
        })
    });
    group.finish();
}

/// matrixmultiply on `shape`, on the `threads` this process's `MATMUL_NUM_THREADS` gives it.
fn bench_matrixmultiply<T: PeerElement>(
    criterion: &mut Criterion<FlopRate>,
    threads: usize,
    shape: GemmShape,
) {
    let mut group = group::<T>(criterion, threads, shape);
    let mut ops = Operands::<T>::new(shape, 1);
    group.bench_function("matrixmultiply", |bench| {
        bench.iter(|| {
            let (a, b, c) = ops.views();
            peers::matrixmultiply(T::ONE, a, b, T::ZERO, c);
        })
    });
    group.finish();
}

/// An opened BLAS library on `shape`, on the `threads` it was last set to, as `openblas` or
/// `blis` in the product's group.
fn bench_blas<T: BlasElement>(
    criterion: &mut Criterion<FlopRate>,
    blas: &Blas,
    threads: usize,
    shape: GemmShape,
) {
    let mut group = group::<T>(criterion, threads, shape);
    let mut ops = Operands::<T>::new(shape, 1);
    let id = blas.library().name().to_lowercase();
    group.bench_function(id, |bench| {
        bench.iter(|| {
            let (a, b, c) = ops.views();
            blas.gemm(T::ONE, a, b, T::ZERO, c);
        })
    });
    group.finish();
}

/// Time of `iters` calls of `f`, all made inside `pool`: entering a pool costs microseconds per
/// call, which would swamp the small products and is no part of a GEMM.
fn timed_in_pool(pool: &ThreadPool, iters: u64, mut f: impl FnMut() + Send) -> Duration {
    pool.install(|| {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    })
}
