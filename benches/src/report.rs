//! The roofline report: its rows, the text table, and the JSON file.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use serde::Serialize;

use crate::shapes::GemmShape;

/// A measured FMA peak.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peak {
    /// Instruction set: `avx512` or `avx2`.
    pub isa: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Threads running the FMA loop at once.
    pub threads: usize,
    /// Their summed rate.
    pub gflops: f64,
}

/// One product measured by us and the peers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The label of the shape, e.g. `256x784x512 AtB`.
    pub shape: String,
    /// Rows of C.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of C.
    pub n: usize,
    /// `AB`, `AtB` or `ABt`.
    pub layout: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Threads.
    pub threads: usize,
    /// Our median GFLOP/s.
    pub ours: f64,
    /// The `gemm` crate's median GFLOP/s, if measured.
    pub gemm_crate: Option<f64>,
    /// `matrixmultiply`'s median GFLOP/s, if measured.
    pub matrixmultiply: Option<f64>,
    /// OpenBLAS's median GFLOP/s, if the library was found.
    pub openblas: Option<f64>,
    /// BLIS's median GFLOP/s, if the library was found.
    pub blis: Option<f64>,
    /// Ours as a percentage of the machine's FMA peak for this dtype and thread count.
    pub percent_of_peak: Option<f64>,
    /// Ours divided by the fastest peer.
    pub ratio_to_best_peer: Option<f64>,
}

/// The peers' median GFLOP/s on one product; `None` where a peer was not measured.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PeerRates {
    /// The `gemm` crate.
    pub gemm_crate: Option<f64>,
    /// `matrixmultiply`.
    pub matrixmultiply: Option<f64>,
    /// OpenBLAS.
    pub openblas: Option<f64>,
    /// BLIS.
    pub blis: Option<f64>,
}

impl PeerRates {
    /// The fastest of the measured peers.
    pub fn best(&self) -> Option<f64> {
        [
            self.gemm_crate,
            self.matrixmultiply,
            self.openblas,
            self.blis,
        ]
        .into_iter()
        .flatten()
        .reduce(f64::max)
    }
}

impl Row {
    /// A row from the measured rates, deriving the percentage of `peak` and the peer ratio.
    pub fn new(
        shape: GemmShape,
        dtype: &str,
        threads: usize,
        ours: f64,
        peers: PeerRates,
        peak: Option<f64>,
    ) -> Self {
        Self {
            shape: shape.to_string(),
            m: shape.m,
            k: shape.k,
            n: shape.n,
            layout: shape.layout.name().to_owned(),
            dtype: dtype.to_owned(),
            threads,
            ours,
            gemm_crate: peers.gemm_crate,
            matrixmultiply: peers.matrixmultiply,
            openblas: peers.openblas,
            blis: peers.blis,
            percent_of_peak: peak.filter(|&p| p > 0.0).map(|p| 100.0 * ours / p),
            ratio_to_best_peer: peers.best().filter(|&b| b > 0.0).map(|b| ours / b),
        }
    }
}

/// A BLAS library measured as a peer, and what it ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Library {
    /// `OpenBLAS` or `BLIS`.
    pub name: String,
    /// The file it was opened from.
    pub path: String,
    /// Its kernel on this machine: OpenBLAS's core name or BLIS's configuration.
    pub kernel: String,
    /// Its build: OpenBLAS's configuration string or BLIS's version.
    pub config: String,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The GEMM kernel family our products ran with (`avx512`, `avx2`, `portable`).
    pub kernel: String,
    /// The BLAS libraries found and measured.
    pub libraries: Vec<Library>,
    /// Why a BLAS peer is absent, and how to install it: one note per library not found.
    pub notes: Vec<String>,
    /// True for a `--quick` run (fewer shapes, shorter timings).
    pub quick: bool,
    /// The FMA peaks measured.
    pub peaks: Vec<Peak>,
    /// One row per (shape, dtype, threads).
    pub rows: Vec<Row>,
}

/// A rate with one decimal, or `-` when absent.
fn cell(x: Option<f64>, suffix: &str) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}{suffix}"))
}

/// The report as an aligned text table, peaks first.
pub fn format_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "FMA peak (GFLOP/s, independent accumulators):");
    for p in &report.peaks {
        let _ = writeln!(
            out,
            "  {:<7} {:<4} {} thread{}: {:>7.1}",
            p.isa,
            p.dtype,
            p.threads,
            if p.threads == 1 { " " } else { "s" },
            p.gflops
        );
    }
    for l in &report.libraries {
        let _ = writeln!(
            out,
            "{}: kernel {} ({}), from {}",
            l.name, l.kernel, l.config, l.path
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(out, "GEMM, GFLOP/s (median), our kernel: {}", report.kernel);
    let _ = writeln!(
        out,
        "{:<20} {:<5} {:>3} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}",
        "shape", "dtype", "thr", "ours", "gemm", "mm", "openblas", "blis", "%peak", "ours/best"
    );
    for r in &report.rows {
        let _ = writeln!(
            out,
            "{:<20} {:<5} {:>3} {:>8.1} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}",
            r.shape,
            r.dtype,
            r.threads,
            r.ours,
            cell(r.gemm_crate, ""),
            cell(r.matrixmultiply, ""),
            cell(r.openblas, ""),
            cell(r.blis, ""),
            cell(r.percent_of_peak, "%"),
            r.ratio_to_best_peer
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}x")),
        );
    }
    out
}

/// Writes `report` as pretty JSON to `path` atomically: a temporary file in the same folder,
/// flushed, then renamed over `path`.
pub fn write_json_atomic(path: &Path, report: &Report) -> io::Result<()> {
    let json = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(json.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::layer_products;

    fn sample() -> Report {
        let shape = layer_products(256, 784, 512)[1];
        Report {
            kernel: "avx512".into(),
            libraries: vec![Library {
                name: "OpenBLAS".into(),
                path: "libopenblas.so.0".into(),
                kernel: "Haswell".into(),
                config: "OpenBLAS 0.3.21".into(),
            }],
            notes: vec![
                "BLIS not found; install it with `apt-get install libblis4-pthread`".into(),
            ],
            quick: true,
            peaks: vec![Peak {
                isa: "avx512".into(),
                dtype: "f32".into(),
                threads: 1,
                gflops: 270.0,
            }],
            rows: vec![
                Row::new(
                    shape,
                    "f32",
                    1,
                    243.0,
                    PeerRates {
                        gemm_crate: Some(240.0),
                        matrixmultiply: Some(200.0),
                        openblas: Some(230.0),
                        blis: None,
                    },
                    Some(270.0),
                ),
                Row::new(shape, "f64", 2, 50.0, PeerRates::default(), None),
            ],
        }
    }

    #[test]
    fn rows_derive_percent_of_peak_and_peer_ratio() {
        let r = &sample().rows[0];
        assert_eq!(r.percent_of_peak, Some(90.0));
        assert_eq!(r.ratio_to_best_peer, Some(243.0 / 240.0));
        assert_eq!((r.m, r.k, r.n, r.layout.as_str()), (784, 256, 512, "AtB"));
        let shape = layer_products(256, 784, 512)[1];
        let only_mm = PeerRates {
            matrixmultiply: Some(50.0),
            ..PeerRates::default()
        };
        let only_mm = Row::new(shape, "f32", 1, 100.0, only_mm, Some(0.0));
        assert_eq!(only_mm.ratio_to_best_peer, Some(2.0));
        assert_eq!(only_mm.percent_of_peak, None);
        let blis_fastest = PeerRates {
            gemm_crate: Some(50.0),
            openblas: Some(60.0),
            blis: Some(80.0),
            ..PeerRates::default()
        };
        let vs_blis = Row::new(shape, "f32", 1, 100.0, blis_fastest, None);
        assert_eq!(vs_blis.ratio_to_best_peer, Some(1.25));
        assert_eq!((vs_blis.openblas, vs_blis.blis), (Some(60.0), Some(80.0)));
    }

    #[test]
    fn table_lists_peaks_and_rows() {
        let table = format_table(&sample());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[1], "  avx512  f32  1 thread :   270.0");
        assert_eq!(
            lines[2],
            "OpenBLAS: kernel Haswell (OpenBLAS 0.3.21), from libopenblas.so.0"
        );
        assert_eq!(
            lines[3],
            "note: BLIS not found; install it with `apt-get install libblis4-pthread`"
        );
        assert_eq!(lines[4], "GEMM, GFLOP/s (median), our kernel: avx512");
        assert!(lines[5].starts_with("shape"));
        assert!(lines[5].contains("openblas     blis"), "{}", lines[5]);
        assert_eq!(
            lines[6],
            "784x256x512 AtB      f32     1    243.0    240.0    200.0    230.0        -   90.0%    1.01x"
        );
        assert_eq!(
            lines[7],
            "784x256x512 AtB      f64     2     50.0        -        -        -        -       -        -"
        );
    }

    #[test]
    fn json_has_the_documented_fields_and_is_written_atomically() {
        let dir = std::env::temp_dir().join(format!("roofline-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.json");
        write_json_atomic(&path, &sample()).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value["kernel"], "avx512");
        assert_eq!(value["quick"], true);
        assert_eq!(value["peaks"][0]["gflops"], 270.0);
        assert_eq!(value["libraries"][0]["kernel"], "Haswell");
        assert!(
            value["notes"][0]
                .as_str()
                .unwrap()
                .contains("libblis4-pthread")
        );
        let row = &value["rows"][0];
        for key in [
            "shape",
            "m",
            "k",
            "n",
            "layout",
            "dtype",
            "threads",
            "ours",
            "gemm_crate",
            "matrixmultiply",
            "openblas",
            "blis",
            "percent_of_peak",
            "ratio_to_best_peer",
        ] {
            assert!(row.get(key).is_some(), "missing {key}");
        }
        assert_eq!(value["rows"][1]["gemm_crate"], serde_json::Value::Null);
        assert_eq!(value["rows"][0]["openblas"], 230.0);
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file was left behind");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(write_json_atomic(&dir.join("missing").join("r.json"), &sample()).is_err());
    }
}
