//! Criterion benches of GEMM: ours beside the `gemm` crate (x86-v4) and `matrixmultiply`, on the
//! square and MLP shapes of `benches::shapes`, f32 and f64, on 1 and 2 threads, each reported as
//! a throughput of flops ("elem/s" in criterion's output is flop/s).
//!
//! `matrixmultiply` reads its thread count once per process from `MATMUL_NUM_THREADS`, so it is
//! benchmarked only in the thread group that variable names (e.g. `MATMUL_NUM_THREADS=1 cargo
//! bench -p benches --bench gemm`); the `roofline` binary measures it at every thread count.

use std::time::{Duration, Instant};

use benches::operands::Operands;
use benches::peers::{self, PeerElement};
use benches::shapes::{GemmShape, all_shapes};
use criterion::{Criterion, SamplingMode, Throughput};
use rayon::ThreadPool;

/// Products above this many flops are timed one call per iteration ("flat" sampling).
const FLAT_SAMPLING_FLOPS: u64 = 1 << 31;

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600))
        .configure_from_args();
    let env = std::env::var("MATMUL_NUM_THREADS").ok();
    let mm_threads = peers::matrixmultiply_threads(env.as_deref());
    if mm_threads.is_none() {
        eprintln!("note: set MATMUL_NUM_THREADS=1 or 2 to include matrixmultiply");
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool of 1 or 2 threads");
        let with_mm = mm_threads == Some(threads);
        for shape in all_shapes(false) {
            bench_shape::<f32>(&mut criterion, &pool, threads, shape, with_mm);
            bench_shape::<f64>(&mut criterion, &pool, threads, shape, with_mm);
        }
    }
    criterion.final_summary();
}

fn bench_shape<T: PeerElement>(
    criterion: &mut Criterion,
    pool: &ThreadPool,
    threads: usize,
    shape: GemmShape,
    with_mm: bool,
) {
    let label = shape.to_string().replace(' ', "_");
    let mut group = criterion.benchmark_group(format!("gemm/{}/{threads}t/{label}", T::NAME));
    group.throughput(Throughput::Elements(shape.flops()));
    if shape.flops() > FLAT_SAMPLING_FLOPS {
        group.sampling_mode(SamplingMode::Flat);
    }
    let mut ops = Operands::<T>::new(shape, 1);
    group.bench_function("ours", |bench| {
        bench.iter_custom(|iters| {
            timed_in_pool(pool, iters, || {
                let (a, b, c) = ops.views();
                kernels::gemm(T::ONE, a, b, T::ZERO, c);
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
    if with_mm {
        group.bench_function("matrixmultiply", |bench| {
            bench.iter(|| {
                let (a, b, c) = ops.views();
                peers::matrixmultiply(T::ONE, a, b, T::ZERO, c);
            })
        });
    }
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
