//! The roofline's plots, in the style of BLIS's performance graphs: GFLOP/s of each library, one
//! line each, with the y axis running from 0 to the measured FMA peak, so that the distance to
//! the top is the distance to the machine's limit. One plot per dtype and thread count against
//! m = n = k, and one along the MLP products. Both x axes are categorical, one evenly spaced
//! position per product: the sizes grow about geometrically (so the spacing reads like a log
//! axis, with every size labelled), and the MLP products have no natural order of size.

use std::path::{Path, PathBuf};

use experiments::report::plot::{Chart, PlotError, Reference, Series};

use crate::report::{Report, Row};
use crate::shapes::mlp_products;

/// One plot of the report: the file it goes to and what it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// File name inside the plot folder, e.g. `gemm-square-f32-1t.svg`.
    pub file: String,
    /// The chart.
    pub chart: Chart,
}

/// A line of the plots: its legend text and its figure in a row.
type Line = (String, fn(&Row) -> Option<f64>);

/// The libraries drawn, each with its kernel in the legend where the report knows it.
fn lines(report: &Report) -> Vec<Line> {
    let kernel = |name: &str| {
        report
            .libraries
            .iter()
            .find(|l| l.name == name)
            .map_or_else(|| name.to_owned(), |l| format!("{name} ({})", l.kernel))
    };
    vec![
        (format!("lowrank ({})", report.kernel), |r| Some(r.ours)),
        ("gemm crate".to_owned(), |r| r.gemm_crate),
        ("matrixmultiply".to_owned(), |r| r.matrixmultiply),
        (kernel("OpenBLAS"), |r| r.openblas),
        (kernel("BLIS"), |r| r.blis),
    ]
}

/// The (dtype, threads) pairs of the report's rows, in the order first measured.
fn panels(report: &Report) -> Vec<(String, usize)> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for r in &report.rows {
        if !seen.iter().any(|(d, t)| *d == r.dtype && *t == r.threads) {
            seen.push((r.dtype.clone(), r.threads));
        }
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    seen
}

/// A chart from 0 to the peak (or to the highest figure, should noise put one above it) with one
/// series per library that has a point, given each row's x.
fn chart(
    report: &Report,
    rows: &[(f64, &Row)],
    peak: Option<f64>,
    title: String,
    x_label: &str,
) -> Chart {
    let series: Vec<Series> = lines(report)
        .into_iter()
        .map(|(label, rate)| Series {
            label,
            points: rows
                .iter()
                .filter_map(|&(x, r)| rate(r).map(|y| (x, y)))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let highest = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max);
    let top = peak.unwrap_or(highest * 1.05).max(highest);
    Chart {
        title,
        x_label: x_label.to_owned(),
        y_label: "GFLOP/s (axis top: FMA peak)".to_owned(),
        log_x: false,
        log_y: false,
        series,
        references: peak
            .map(|y| Reference {
                label: "FMA peak".to_owned(),
                y,
            })
            .into_iter()
            .collect(),
        y_range: (top > 0.0).then_some((0.0, top)),
        x_categories: Vec::new(),
    }
}

/// The plots of `report`: per dtype and thread count, GFLOP/s against m = n = k over `sizes`,
/// and along the MLP products.
pub fn plots(report: &Report, sizes: &[usize]) -> Vec<Plot> {
    let mlp: Vec<String> = mlp_products(report.quick)
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::new();
    for (dtype, threads) in panels(report) {
        let here: Vec<&Row> = report
            .rows
            .iter()
            .filter(|r| r.dtype == dtype && r.threads == threads)
            .collect();
        let peak = report
            .peaks
            .iter()
            .filter(|p| p.dtype == dtype && p.threads == threads)
            .map(|p| p.gflops)
            .reduce(f64::max);
        let plural = if threads == 1 { "" } else { "s" };
        let squares: Vec<(f64, &Row)> = sizes
            .iter()
            .enumerate()
            .filter_map(|(i, &s)| {
                here.iter()
                    .find(|r| r.layout == "AB" && (r.m, r.k, r.n) == (s, s, s))
                    .map(|&r| (i as f64, r))
            })
            .collect();
        let mut square = chart(
            report,
            &squares,
            peak,
            format!("GEMM {dtype}, {threads} thread{plural}: m = n = k"),
            "m = n = k",
        );
        square.x_categories = sizes.iter().map(|s| s.to_string()).collect();
        out.push(Plot {
            file: format!("gemm-square-{dtype}-{threads}t.svg"),
            chart: square,
        });
        let along: Vec<(f64, &Row)> = mlp
            .iter()
            .enumerate()
            .filter_map(|(i, label)| {
                here.iter()
                    .find(|r| &r.shape == label)
                    .map(|&r| (i as f64, r))
            })
            .collect();
        let mut products = chart(
            report,
            &along,
            peak,
            format!("GEMM {dtype}, {threads} thread{plural}: MLP products"),
            "product m×k×n (AtB: A read transposed, ABt: B)",
        );
        products.x_categories = mlp.clone();
        out.push(Plot {
            file: format!("gemm-mlp-{dtype}-{threads}t.svg"),
            chart: products,
        });
    }
    out
}

/// Writes every plot into `dir`, each atomically; returns the files written.
pub fn write_all(dir: &Path, plots: &[Plot]) -> Result<Vec<PathBuf>, PlotError> {
    plots
        .iter()
        .map(|p| {
            let path = dir.join(&p.file);
            p.chart.write(&path).map(|()| path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Library, Peak, PeerRates};
    use crate::shapes::{GemmShape, layer_products};

    fn report() -> Report {
        let peers = |x: f64| PeerRates {
            gemm_crate: Some(x),
            matrixmultiply: Some(x / 2.0),
            openblas: Some(x * 0.9),
            blis: None,
        };
        let mut rows = Vec::new();
        for threads in [1, 2] {
            let t = threads as f64;
            for s in [16, 64, 256] {
                let shape = GemmShape::ab(s, s, s);
                rows.push(Row::new(
                    shape,
                    "f32",
                    threads,
                    s as f64 * t,
                    peers(50.0),
                    None,
                ));
            }
            let forward = layer_products(256, 784, 512)[0];
            rows.push(Row::new(
                forward,
                "f32",
                threads,
                90.0 * t,
                peers(80.0),
                None,
            ));
        }
        Report {
            kernel: "avx512".into(),
            libraries: vec![Library {
                name: "OpenBLAS".into(),
                path: "libopenblas.so.0".into(),
                kernel: "Haswell".into(),
                config: "OpenBLAS 0.3.21".into(),
            }],
            notes: Vec::new(),
            quick: true,
            peaks: vec![
                Peak {
                    isa: "avx512".into(),
                    dtype: "f32".into(),
                    threads: 1,
                    gflops: 300.0,
                },
                Peak {
                    isa: "avx2".into(),
                    dtype: "f32".into(),
                    threads: 1,
                    gflops: 150.0,
                },
            ],
            rows,
        }
    }

    #[test]
    fn one_square_and_one_mlp_plot_per_dtype_and_thread_count() {
        let plots = plots(&report(), &[16, 64, 256, 1024]);
        let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "gemm-square-f32-1t.svg",
                "gemm-mlp-f32-1t.svg",
                "gemm-square-f32-2t.svg",
                "gemm-mlp-f32-2t.svg"
            ]
        );
        let square = &plots[0].chart;
        let legends: Vec<&str> = square.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            legends,
            [
                "lowrank (avx512)",
                "gemm crate",
                "matrixmultiply",
                "OpenBLAS (Haswell)"
            ],
            "BLIS has no point and no line"
        );
        assert_eq!(square.x_categories, ["16", "64", "256", "1024"]);
        assert_eq!(
            square.series[0].points,
            [(0.0, 16.0), (1.0, 64.0), (2.0, 256.0)],
            "1024 was not measured: no point"
        );
        assert!(!square.log_x);
    }

    #[test]
    fn the_axis_tops_at_the_best_peak_or_else_at_the_highest_figure() {
        let plots = plots(&report(), &[16, 64, 256]);
        let one_thread = &plots[0].chart;
        assert_eq!(one_thread.y_range, Some((0.0, 300.0)));
        assert_eq!(one_thread.references[0].y, 300.0);
        // No peak for 2 threads: the highest figure, ours at 256 on 2 threads, with 5% room.
        let two_threads = &plots[2].chart;
        assert_eq!(two_threads.y_range, Some((0.0, 512.0 * 1.05)));
        assert!(two_threads.references.is_empty());
    }

    #[test]
    fn the_mlp_plot_places_each_product_at_its_category() {
        let plots = plots(&report(), &[16]);
        let mlp = &plots[1].chart;
        assert_eq!(mlp.x_categories.len(), mlp_products(true).len());
        assert_eq!(mlp.x_categories[0], "256x784x512");
        assert_eq!(mlp.series[0].points, [(0.0, 90.0)]);
        assert_eq!(mlp.series[1].points, [(0.0, 80.0)]);
        assert!(!mlp.log_x);
    }

    #[test]
    fn plots_are_written_and_a_missing_folder_is_an_error_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("roofline-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let written = write_all(&dir, &plots(&report(), &[16, 64])).unwrap();
        assert_eq!(written.len(), 4);
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        assert!(svg.contains("GEMM f32, 1 thread: m = n = k"), "{svg}");
        assert!(svg.contains("FMA peak = "), "{svg}");
        let e = write_all(&dir.join("missing"), &plots(&report(), &[16]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing/gemm-square-f32-1t.svg"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
