//! `train` on data files at the edges of what loads: values up to the largest f64 and down to
//! subnormals (scaled, never zeroed), the divisor recorded in every file a run writes, CSV that is
//! gzipped or has a byte-order mark or a column named `nan`, files that are not text, gzipped
//! IDX files of several members or with bytes after the gzip data, and CSV options (header,
//! quoted fields, pandas' index column, a label column in the middle) recorded as provenance.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// Runs `train --quiet` with `args`.
fn train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_train"))
        .arg("--quiet")
        .args(args)
        .output()
        .expect("train starts")
}

/// The stderr of a run that must have failed cleanly, naming `needle`.
fn failure(o: &Output, needle: &str) -> String {
    let err = experiments::help::flatten(&String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    err
}

/// `summary.json` of the run at `out`, which must have succeeded.
fn summary(o: &Output, out: &Path) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The `__metadata__` map of a safetensors file (an 8-byte little-endian length, then JSON).
fn metadata(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + length]).unwrap();
    header["__metadata__"].clone()
}

/// `data` as one gzip member.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// Four 3-feature examples separable by the sign of the first feature, of magnitude ~1e308.
const HUGE: &str = "1e308,0,0,1\n-1e308,0,0,-1\n5e307,1e307,0,1\n-5e307,-1e307,0,-1\n";

#[test]
fn values_near_the_largest_f64_are_scaled_and_the_divisor_is_recorded() {
    let dir = scratch("huge");
    let csv = dir.join("huge.csv");
    std::fs::write(&csv, HUGE).unwrap();
    let out = dir.join("run");
    let o = train(&[
        "--arch",
        "3,relu:10,linear:5,1",
        "--data",
        csv.to_str().unwrap(),
        "--steps",
        "200",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&o, &out);
    assert_eq!(s["final_metrics"]["run.accuracy"], 1.0);
    assert!(s["final_metrics"]["run.grad_norm"].as_f64().unwrap() > 0.0);
    assert_eq!(s["config"]["data"]["inputs_divided_by"], 1e308);
    let meta = metadata(&out.join("final.safetensors"));
    assert_eq!(meta["data.inputs_divided_by"], "1e308");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_training_checkpoint_records_the_divisor() {
    let dir = scratch("checkpoint");
    let csv = dir.join("huge.csv");
    std::fs::write(&csv, HUGE).unwrap();
    let out = dir.join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--quiet", "--arch", "3,relu:10,linear:5,1", "--data"])
        .arg(&csv)
        .args(["--steps", "10000000", "--checkpoint-every", "10", "--out"])
        .arg(&out)
        .spawn()
        .expect("train starts");
    let checkpoint = dir.join(".run.partial").join("checkpoint.safetensors");
    let started = Instant::now();
    while !checkpoint.exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let meta = metadata(&checkpoint);
    let config: serde_json::Value =
        serde_json::from_str(meta["extra.config"].as_str().unwrap()).unwrap();
    assert_eq!(config["data"]["inputs_divided_by"], 1e308);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn subnormal_values_are_not_taken_for_zero() {
    let dir = scratch("tiny");
    let csv = dir.join("tiny.csv");
    std::fs::write(&csv, "3e-320,4e-320,1\n-3e-320,-4e-320,-1\n0,1e-320,1\n").unwrap();
    let out = dir.join("run");
    let o = train(&[
        "--arch",
        "2,linear:3,1",
        "--data",
        csv.to_str().unwrap(),
        "--steps",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&o, &out);
    let divisor = s["config"]["data"]["inputs_divided_by"].as_f64().unwrap();
    assert!((divisor - 5e-320).abs() < 1e-3 * 5e-320, "{divisor}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gzipped_csv_with_a_byte_order_mark_and_a_nan_column_trains() {
    let dir = scratch("csvgz");
    let csv = dir.join("data.csv.gz");
    let text = b"\xef\xbb\xbfx,nan,label\n3,4,1\n-3,-4,-1\n0,2,1\n";
    std::fs::write(&csv, gzip(text)).unwrap();
    let out = dir.join("run");
    let o = train(&[
        "--arch",
        "2,linear:3,1",
        "--data",
        csv.to_str().unwrap(),
        "--steps",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&o, &out);
    assert_eq!(s["config"]["data"]["name"], "data.csv.gz");
    assert_eq!(s["config"]["data"]["n"], 3);
    assert_eq!(s["config"]["data"]["inputs_divided_by"], 5.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_that_are_not_text_are_named_as_such() {
    let dir = scratch("binary");
    let nul = dir.join("nul.csv");
    std::fs::write(&nul, [0u8; 100]).unwrap();
    let args = ["--arch", "2,linear:3,1", "--steps", "5", "--data"];
    let o = train(&[&args[..], &[nul.to_str().unwrap()]].concat());
    failure(
        &o,
        "nul.csv, line 1: a NUL byte (0x00) at byte offset 0: not a text file",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An IDX file: magic number, dimensions, payload.
fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
    out.extend_from_slice(payload);
    out
}

#[test]
fn gzipped_idx_is_read_whole_and_nothing_after_it() {
    let dir = scratch("idx");
    let images = idx(
        0x0803,
        &[4, 2, 2],
        &[3, 4, 0, 0, 0, 0, 6, 8, 0, 0, 0, 1, 9, 9, 9, 9],
    );
    let labels = idx(0x0801, &[4], &[3, 7, 3, 5]);
    let (head, tail) = images.split_at(20);
    let members = [gzip(head), gzip(tail)].concat();
    let (multi, junk, l) = (
        dir.join("multi.gz"),
        dir.join("junk.gz"),
        dir.join("labels"),
    );
    std::fs::write(&multi, &members).unwrap();
    std::fs::write(&junk, [&members[..], b"JUNK"].concat()).unwrap();
    std::fs::write(&l, labels).unwrap();
    let data = |images: &Path| format!("idx:{},{},3,7", images.display(), l.display());
    let out = dir.join("run");
    let spec = data(&multi);
    let o = train(&[
        "--arch",
        "4,linear:3,1",
        "--data",
        &spec,
        "--steps",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&o, &out);
    assert_eq!(s["config"]["data"]["n"], 3);
    assert_eq!(s["config"]["data"]["inputs_divided_by"], 10.0);
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    let recorded = &s["config"]["data"];
    assert_eq!(
        (&recorded["kind"], &recorded["spec"]),
        (&"idx".into(), &spec.as_str().into())
    );
    assert_eq!(recorded["images"], absolute(&multi));
    assert_eq!(recorded["labels"], absolute(&l));
    assert_eq!(recorded["classes"], serde_json::json!({ "+1": 3, "-1": 7 }));
    assert_eq!(
        recorded["examples_per_class"],
        serde_json::json!({ "+1": 2, "-1": 1 })
    );
    let spec = data(&junk);
    let o = train(&["--arch", "4,linear:3,1", "--steps", "5", "--data", &spec]);
    failure(
        &o,
        &format!(
            "junk.gz, byte offset {} of the gzip file: 4 bytes after the gzip data do not start \
             a gzip member (trailing garbage)",
            members.len()
        ),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The bytes of a safetensors file after its header: the tensors alone.
fn tensors(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + length..].to_vec()
}

#[test]
fn csv_options_read_the_same_examples_and_are_recorded_as_provenance() {
    let dir = scratch("options");
    let plain = dir.join("plain.csv");
    std::fs::write(&plain, "3,4,1\n-3,-4,-1\n0,2,1\n1,-2,-1\n").unwrap();
    // What pandas' to_csv writes: an unnamed index column; the label in the middle, 0/1, quoted
    // fields in the header and the rows.
    let fancy = dir.join("fancy.csv");
    std::fs::write(
        &fancy,
        ",\"x, first\",label,\"x \"\"two\"\"\"\n0,3,1,4\n1,-3,0,\"-4\"\n2,\"0\",1,2\n3,1,0,-2\n",
    )
    .unwrap();
    let run = |spec: &str, out: &Path| {
        train(&[
            "--arch",
            "2,linear:3,1",
            "--data",
            spec,
            "--steps",
            "40",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let unnamed = format!("{}", fancy.display());
    failure(
        &run(&unnamed, &dir.join("refused")),
        "fancy.csv, line 1: field 1 has an empty name in the header and holds 0, 1, 2, …",
    );
    let (plain_out, fancy_out) = (dir.join("plain"), dir.join("fancy"));
    let spec = format!("{}:label=label,drop=0", fancy.display());
    let a = summary(&run(plain.to_str().unwrap(), &plain_out), &plain_out);
    let b = summary(&run(&spec, &fancy_out), &fancy_out);
    assert_eq!(a["final_metrics"], b["final_metrics"]);
    assert_eq!(a["data"], b["data"]);
    assert_eq!(
        tensors(&plain_out.join("final.safetensors")),
        tensors(&fancy_out.join("final.safetensors"))
    );
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    assert_eq!(
        b["config"]["data"],
        serde_json::json!({
            "name": "fancy.csv",
            "n": 4,
            "dim": 2,
            "examples_per_class": { "+1": 2, "-1": 2 },
            "inputs_divided_by": 5.0,
            "spec": spec,
            "kind": "csv",
            "file": absolute(&fancy),
            "header": true,
            "label_column": { "index": 2, "name": "label" },
            "dropped_columns": [{ "index": 0, "name": "" }],
            "classes": { "+1": 1, "-1": 0 },
        })
    );
    let plain_data = &a["config"]["data"];
    assert_eq!(plain_data["spec"], plain.to_str().unwrap());
    assert_eq!(plain_data["file"], absolute(&plain));
    assert_eq!(plain_data["header"], false);
    assert_eq!(
        plain_data["label_column"],
        serde_json::json!({ "index": 2 })
    );
    assert_eq!(plain_data["dropped_columns"], serde_json::json!([]));
    assert_eq!(
        plain_data["classes"],
        serde_json::json!({ "+1": 1, "-1": -1 })
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_says_how_the_inputs_are_scaled() {
    let o = train(&["--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        help.contains("every input is divided by the largest input norm of the data"),
        "{help}"
    );
    assert!(help.contains("config.data.inputs_divided_by in summary.json"));
    assert!(help.contains("data.inputs_divided_by in the metadata of\n  final.safetensors"));
}
