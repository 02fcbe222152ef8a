//! `roofline`: this machine's FMA peak, then GEMM GFLOP/s for ours and the peers on the benchmark
//! shapes, f32 and f64, on 1 and 2 threads, with % of peak and the ratio ours / best peer; with
//! `--plot DIR`, also BLIS-style SVG plots of the same figures.
//!
//! `matrixmultiply` reads its thread count once per process from `MATMUL_NUM_THREADS`, so its
//! figures come from a child process of this binary per thread count (a hidden worker mode).
//! OpenBLAS and BLIS are opened at run time when installed (`scripts/setup-peers`), each with
//! its thread count set before its products, and measured after ours and the crates' for a
//! thread count: OpenBLAS's idle workers spin for a while after a call, which would slow what
//! ran right after it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use benches::blas::{Blas, BlasElement, BlasLibrary};
use benches::flops::gflops;
use benches::operands::Operands;
use benches::peers::{self, PeerElement};
use benches::report::{self, Library, Peak, PeerRates, Report, Row};
use benches::shapes::{GemmShape, all_shapes, mlp_products, plot_sizes};
use benches::timing::{self, Settings};
use clap::Parser;
use experiments::runner::progress::Progress;
use kernels::Dtype;
use kernels::parallel::Team;
use kernels::peak::{Isa, fma_peak_gflops};
use rayon::ThreadPool;
use serde::{Deserialize, Serialize};

/// Thread counts measured.
const THREADS: [usize; 2] = [1, 2];

/// Measure the FMA peak and GEMM throughput of lowrank's kernels against the `gemm` crate,
/// `matrixmultiply`, and OpenBLAS and BLIS when installed (`scripts/setup-peers`).
#[derive(Parser, Debug)]
#[command(version, max_term_width = experiments::help::HELP_WIDTH)]
struct Args {
    /// Fewer shapes and shorter timings (under 20 seconds).
    #[arg(long)]
    quick: bool,
    /// Write the report as JSON to this file (atomically).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also measure m = n = k from 16 to 2048 and write BLIS-style SVG plots into this folder
    /// (created if missing): GFLOP/s per library against m = n = k and along the MLP products,
    /// the FMA peak as the top of the axis, one pair per dtype and thread count.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// Internal: measure only matrixmultiply, whose thread count the parent set, and print one
    /// JSON line per product.
    #[arg(long, hide = true, value_name = "THREADS")]
    matrixmultiply_worker: Option<usize>,
    /// Internal: the worker measures the plot's sizes too.
    #[arg(long, hide = true)]
    plot_sizes: bool,
}

/// One matrixmultiply figure, as a worker prints it.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerSample {
    shape: String,
    dtype: String,
    gflops: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let settings = if args.quick {
        Settings::QUICK
    } else {
        Settings::FULL
    };
    let shapes = measured_shapes(args.quick, args.plot.is_some() || args.plot_sizes);
    if args.matrixmultiply_worker.is_some() {
        worker(&shapes, settings);
        return ExitCode::SUCCESS;
    }
    match run(&args, &shapes, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!(
                "{}",
                experiments::help::wrap(&format!("roofline: {message}"))
            );
            ExitCode::FAILURE
        }
    }
}

/// The table's shapes, with the plot's square sizes merged in when plotting.
fn measured_shapes(quick: bool, plot: bool) -> Vec<GemmShape> {
    if !plot {
        return all_shapes(quick);
    }
    let mut sizes = plot_sizes(quick);
    for s in all_shapes(quick) {
        if s.m == s.k && s.k == s.n && !mlp_products(quick).contains(&s) {
            sizes.push(s.m);
        }
    }
    sizes.sort_unstable();
    sizes.dedup();
    let mut shapes: Vec<GemmShape> = sizes.iter().map(|&s| GemmShape::ab(s, s, s)).collect();
    shapes.extend(mlp_products(quick));
    shapes
}

fn run(args: &Args, shapes: &[GemmShape], settings: Settings) -> Result<(), String> {
    if let Some(dir) = &args.plot {
        check_plot_folder(dir)?;
    }
    if let Some(path) = &args.json {
        check_output_folder(path)?;
    }
    let mut blas = Vec::new();
    let mut notes = Vec::new();
    for library in BlasLibrary::ALL {
        match library.open() {
            Ok(b) => blas.push(b),
            Err(note) => notes.push(note.to_owned()),
        }
    }
    let isas: Vec<Isa> = [Isa::Avx512, Isa::Avx2]
        .into_iter()
        .filter(|isa| isa.is_available())
        .collect();
    let dtypes = [Dtype::F32, Dtype::F64];
    let steps = isas.len() * dtypes.len() * THREADS.len()
        + THREADS.len() * shapes.len() * 2 * (3 + blas.len());
    let progress = Progress::new(steps as u64, "roofline", false);

    let peak_seconds = if args.quick { 0.15 } else { 0.5 };
    let mut peaks = Vec::new();
    for dtype in dtypes {
        for &isa in &isas {
            for threads in THREADS {
                progress.message(format!(
                    "FMA peak {} {} {threads}t",
                    isa.name(),
                    dtype.name()
                ));
                if let Some(gflops) = parallel_peak(isa, dtype, threads, peak_seconds) {
                    peaks.push(Peak {
                        isa: isa.name().to_owned(),
                        dtype: dtype.name().to_owned(),
                        threads,
                        gflops,
                    });
                }
                progress.inc();
            }
        }
    }

    let mut mm = HashMap::new();
    for threads in THREADS {
        progress.message(format!("matrixmultiply {threads}t"));
        let plot = args.plot.is_some();
        for sample in matrixmultiply_worker(threads, args.quick, plot, &progress)? {
            mm.insert((sample.shape, sample.dtype, threads), sample.gflops);
        }
    }

    let mut measured = Vec::new();
    let mut by_library: HashMap<(BlasLibrary, String, String, usize), f64> = HashMap::new();
    for threads in THREADS {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| format!("cannot start a pool of {threads} threads: {e}"))?;
        for &shape in shapes {
            for dtype in dtypes {
                progress.message(format!("{shape} {} {threads}t", dtype.name()));
                let (ours, gemm) = match dtype {
                    Dtype::F32 => ours_and_gemm::<f32>(shape, threads, &pool, settings),
                    Dtype::F64 => ours_and_gemm::<f64>(shape, threads, &pool, settings),
                };
                progress.inc();
                progress.inc();
                measured.push((shape, dtype, threads, ours, gemm));
            }
        }
        for &lib in &blas {
            lib.set_threads(threads);
            let name = lib.library().name();
            for &shape in shapes {
                for dtype in dtypes {
                    progress.message(format!("{name} {shape} {} {threads}t", dtype.name()));
                    let rate = match dtype {
                        Dtype::F32 => blas_gflops::<f32>(lib, shape, settings),
                        Dtype::F64 => blas_gflops::<f64>(lib, shape, settings),
                    };
                    progress.inc();
                    let key = (shape.to_string(), dtype.name().to_owned(), threads);
                    by_library.insert((lib.library(), key.0, key.1, key.2), rate);
                }
            }
        }
    }
    progress.finish();

    let rows = measured
        .into_iter()
        .map(|(shape, dtype, threads, ours, gemm)| {
            let key = (shape.to_string(), dtype.name().to_owned(), threads);
            let of = |l: BlasLibrary| {
                by_library
                    .get(&(l, key.0.clone(), key.1.clone(), threads))
                    .copied()
            };
            let peak = peaks
                .iter()
                .filter(|p| p.dtype == dtype.name() && p.threads == threads)
                .map(|p| p.gflops)
                .reduce(f64::max);
            let peers = PeerRates {
                gemm_crate: Some(gemm),
                matrixmultiply: mm.get(&key).copied(),
                openblas: of(BlasLibrary::OpenBlas),
                blis: of(BlasLibrary::Blis),
            };
            Row::new(shape, dtype.name(), threads, ours, peers, peak)
        })
        .collect();

    let report = Report {
        kernel: kernels::gemm::selected_kernel().name().to_owned(),
        libraries: blas.iter().map(|b| library(b)).collect(),
        notes,
        quick: args.quick,
        peaks,
        rows,
    };
    print!("{}", report::format_table(&report));
    println!("(%peak: of the best instruction set's FMA peak for that dtype and thread count)");
    if let Some(path) = &args.json {
        report::write_json_atomic(path, &report)
            .map_err(|e| format!("cannot write the JSON report {}: {e}", path.display()))?;
    }
    if let Some(dir) = &args.plot {
        let plots = benches::plot::plots(&report, &plot_sizes(args.quick));
        let written = benches::plot::write_all(dir, &plots).map_err(|e| e.to_string())?;
        println!("plots: {} SVG files in {}", written.len(), dir.display());
    }
    Ok(())
}

/// The report's description of an opened library.
fn library(blas: &Blas) -> Library {
    Library {
        name: blas.library().name().to_owned(),
        path: blas.path().to_owned(),
        kernel: blas.kernel().to_owned(),
        config: blas.config().to_owned(),
    }
}

/// Fails early, before minutes of measuring, if the plot folder cannot be created or written.
fn check_plot_folder(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("--plot {}: cannot create the folder: {e}", dir.display()))?;
    let probe = dir.join(".roofline-write-test");
    models::atomic::write_atomic(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("--plot {}: cannot write there: {e}", dir.display()))
}

/// Fails early, before minutes of measuring, if the JSON file's folder does not exist.
fn check_output_folder(path: &Path) -> Result<(), String> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        return Err(format!("--json {}: the path names no file", path.display()));
    }
    if !parent.is_dir() {
        return Err(format!(
            "--json {}: the folder {} does not exist",
            path.display(),
            parent.display()
        ));
    }
    Ok(())
}

/// The FMA peak of `threads` threads running the loop at once: the sum of their rates.
fn parallel_peak(isa: Isa, dtype: Dtype, threads: usize, seconds: f64) -> Option<f64> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| scope.spawn(move || fma_peak_gflops(isa, dtype, seconds)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .sum::<Option<f64>>()
    })
}

/// GFLOP/s of our GEMM and of the `gemm` crate on `shape`, C ← AB, on `pool`.
fn ours_and_gemm<T: PeerElement>(
    shape: GemmShape,
    threads: usize,
    pool: &ThreadPool,
    settings: Settings,
) -> (f64, f64) {
    let mut ops = Operands::<T>::new(shape, 1);
    // The timing loops run inside the pool: entering a pool costs microseconds per call, which
    // would swamp the small products and is no part of a GEMM.
    let (ours, gemm) = pool.install(|| {
        // Ours on a team of the pool's threads, as training runs it; the team is dropped before
        // the `gemm` crate hands its parts to the same threads through rayon.
        let ours = {
            let team = Team::new();
            let par = team.parallelism();
            timing::measure(settings, || {
                let (a, b, c) = ops.views();
                kernels::gemm(T::ONE, a, b, T::ZERO, c, &par);
            })
        };
        let gemm = timing::measure(settings, || {
            let (a, b, c) = ops.views();
            peers::gemm_crate(T::ONE, a, b, T::ZERO, c, threads);
        });
        (ours, gemm)
    });
    (
        gflops(shape.flops(), ours.median),
        gflops(shape.flops(), gemm.median),
    )
}

/// GFLOP/s of an opened BLAS library on `shape`, C ← AB, on the threads last set.
fn blas_gflops<T: BlasElement>(blas: &Blas, shape: GemmShape, settings: Settings) -> f64 {
    let mut ops = Operands::<T>::new(shape, 1);
    let t = timing::measure(settings, || {
        let (a, b, c) = ops.views();
        blas.gemm(T::ONE, a, b, T::ZERO, c);
    });
    gflops(shape.flops(), t.median)
}

/// Runs this binary as a matrixmultiply worker with `MATMUL_NUM_THREADS=threads` and collects its
/// figures on the shapes this run measures (`plot`: with the plot's sizes), advancing `progress`
/// per product.
fn matrixmultiply_worker(
    threads: usize,
    quick: bool,
    plot: bool,
    progress: &Progress,
) -> Result<Vec<WorkerSample>, String> {
    let mut command = peers::matrixmultiply_child(threads)?;
    command
        .arg("--matrixmultiply-worker")
        .arg(threads.to_string())
        .stdout(Stdio::piped());
    if quick {
        command.arg("--quick");
    }
    if plot {
        command.arg("--plot-sizes");
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the matrixmultiply worker: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("the matrixmultiply worker has no output")?;
    let mut samples = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the matrixmultiply worker: {e}"))?;
        let sample: WorkerSample = serde_json::from_str(&line)
            .map_err(|e| format!("the matrixmultiply worker printed {line:?}: {e}"))?;
        samples.push(sample);
        progress.inc();
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the matrixmultiply worker: {e}"))?;
    if !status.success() {
        return Err(format!("the matrixmultiply worker failed ({status})"));
    }
    Ok(samples)
}

/// Worker mode: matrixmultiply on every shape and dtype, one JSON line each on stdout.
fn worker(shapes: &[GemmShape], settings: Settings) {
    for &shape in shapes {
        for (dtype, gflops) in [
            ("f32", matrixmultiply_gflops::<f32>(shape, settings)),
            ("f64", matrixmultiply_gflops::<f64>(shape, settings)),
        ] {
            let sample = WorkerSample {
                shape: shape.to_string(),
                dtype: dtype.to_owned(),
                gflops,
            };
            match serde_json::to_string(&sample) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("roofline worker: {e}"),
            }
        }
    }
}

fn matrixmultiply_gflops<T: PeerElement>(shape: GemmShape, settings: Settings) -> f64 {
    let mut ops = Operands::<T>::new(shape, 1);
    let t = timing::measure(settings, || {
        let (a, b, c) = ops.views();
        peers::matrixmultiply(T::ONE, a, b, T::ZERO, c);
    });
    gflops(shape.flops(), t.median)
}
