//! The `fashion` binary end to end on tiny MNIST-format folders the tests write themselves (the
//! Debian package is not needed): its claims on separable data, `not applicable` when the premise
//! fails, and the message naming a missing file and how to get it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Side of the tiny images: 4 × 4 = 16 pixels.
const SIDE: usize = 4;

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-fashion-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Writes `train-images-idx3-ubyte.gz` and `train-labels-idx1-ubyte.gz` into `dir`: one SIDE × SIDE
/// image per (label, pixel index, brightness), that pixel lit, every other pixel dark.
fn write_folder(dir: &Path, examples: &[(u8, usize, u8)]) {
    let count = examples.len() as u32;
    let mut images = 0x0803u32.to_be_bytes().to_vec();
    for d in [count, SIDE as u32, SIDE as u32] {
        images.extend(d.to_be_bytes());
    }
    let mut labels = 0x0801u32.to_be_bytes().to_vec();
    labels.extend(count.to_be_bytes());
    for &(label, pixel, brightness) in examples {
        let mut image = [0u8; SIDE * SIDE];
        image[pixel] = brightness;
        images.extend(image);
        labels.push(label);
    }
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gzip(&images)).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), gzip(&labels)).unwrap();
}

/// Runs `fashion` on `data_dir` with a small network for `steps` steps, writing to `out`.
fn fashion(data_dir: &Path, out: &Path, steps: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fashion"))
        .args([
            "--quiet",
            "--threads",
            "1",
            "--dtype",
            "f64",
            "--arch",
            "16,relu:8,linear:8,linear:8,1",
            "--init-scale",
            "0.5",
            "--lr",
            "0.1",
            "--steps",
            steps,
            "--data-dir",
        ])
        .arg(data_dir)
        .arg("--out")
        .arg(out)
        .output()
        .expect("the binary starts")
}

/// The claims of the run's `summary.json`, by id: (measured, verdict).
fn claims(out: &Path) -> Vec<(String, Option<f64>, String)> {
    let text = std::fs::read_to_string(out.join("relu-tail/summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    summary["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["measured"].as_f64(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn claim<'a>(
    all: &'a [(String, Option<f64>, String)],
    id: &str,
) -> &'a (String, Option<f64>, String) {
    all.iter()
        .find(|c| c.0 == id)
        .unwrap_or_else(|| panic!("no claim {id} in {all:?}"))
}

#[test]
fn separable_pair_fits_and_its_tail_goes_to_rank_one() {
    let dir = scratch("separable");
    // Trousers (1) light pixel 0 at 255 or 200, bags (8) pixel 5 at 255 or 128; a coat (4) is
    // left out. Scaled by 255, the SVM margin is a·b/√(a² + b²) for the dimmest of each class,
    // a = 200/255 and b = 128/255.
    write_folder(
        &dir,
        &[
            (1, 0, 255),
            (8, 5, 255),
            (4, 9, 255),
            (1, 0, 200),
            (8, 5, 128),
            (1, 0, 230),
        ],
    );
    let out = dir.join("out");
    let o = fashion(&dir, &out, "2000");
    let stderr = experiments::help::flatten(&String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("6 of 6 claims hold"), "{stdout}");
    let all = claims(&out);
    let ids: Vec<&str> = all.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "separable",
            "fits",
            "tail-rank-one",
            "tail-aligned",
            "tail-norms-grow",
            "tail-rate-bound"
        ]
    );
    let (a, b) = (200.0 / 255.0, 128.0 / 255.0);
    let margin = claim(&all, "separable").1.unwrap();
    let expected = a * b / f64::hypot(a, b);
    assert!(
        (margin - expected).abs() <= 1e-6 * expected,
        "margin {margin} vs {expected}"
    );
    // ln R fell below ln(ℓ(0)/n): every example fitted with room to spare.
    assert!(claim(&all, "fits").1.unwrap() < 0.0, "{all:?}");
    assert!(claim(&all, "tail-rank-one").1.unwrap() > 0.99, "{all:?}");
    assert!(claim(&all, "tail-aligned").1.unwrap() > 0.99, "{all:?}");
    assert!(all.iter().all(|c| c.2 == "holds"), "{all:?}");
    let summary = std::fs::read_to_string(out.join("relu-tail/summary.json")).unwrap();
    assert!(
        summary.contains("\"name\": \"fashion/relu-tail\""),
        "{summary}"
    );
    assert!(summary.contains(&format!(
        "{}(1 vs 8)",
        dir.file_name().unwrap().to_string_lossy()
    )));
    for file in [
        "report.md",
        "summary.json",
        "relu-tail/ratio.svg",
        "relu-tail/metrics.csv",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_separable_data_the_claims_are_not_applicable() {
    let dir = scratch("clash");
    // The same image as a trouser and as a bag: no network can fit both.
    write_folder(&dir, &[(1, 0, 255), (8, 0, 255), (1, 3, 255), (8, 6, 255)]);
    let out = dir.join("out");
    // A short run: run for 2,000 steps on this data, which no network can fit, the
    // grad-normalized rule diverged (a non-finite weight at step 280).
    let o = fashion(&dir, &out, "50");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all = claims(&out);
    assert_eq!(claim(&all, "separable").2, "fails", "{all:?}");
    assert_eq!(claim(&all, "fits").2, "fails", "{all:?}");
    // The contradictory pair's losses sum to at least 2ℓ(0), so the mean loss of the n = 4
    // examples is at least ℓ(0)/2: ln R − ln(ℓ(0)/n) ≥ ln 2 at every log.
    assert!(
        claim(&all, "fits").1.unwrap() >= 2f64.ln() - 1e-12,
        "{all:?}"
    );
    for id in ["tail-rank-one", "tail-aligned", "tail-rate-bound"] {
        assert_eq!(claim(&all, id).2, "not_applicable", "{all:?}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("not applicable"), "{report}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_file_is_named_with_how_to_get_it() {
    let dir = scratch("missing");
    let o = fashion(&dir, &dir.join("out"), "5");
    let stderr = experiments::help::flatten(&String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
    let images = dir.join("train-images-idx3-ubyte.gz");
    let missing = format!("{}: missing", images.display());
    for needle in [
        missing.as_str(),
        "apt-get install dataset-fashion-mnist",
        "--data-dir",
    ] {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
    // With the images there, the labels are what is missing.
    write_folder(&dir, &[(1, 0, 255), (8, 5, 255)]);
    std::fs::remove_file(dir.join("train-labels-idx1-ubyte.gz")).unwrap();
    let o = fashion(&dir, &dir.join("out"), "5");
    let stderr = experiments::help::flatten(&String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success());
    let labels = dir.join("train-labels-idx1-ubyte.gz");
    assert!(
        stderr.contains(&format!("{}: missing", labels.display())),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_classes_are_clear_errors() {
    let dir = scratch("classes");
    write_folder(&dir, &[(1, 0, 255), (8, 5, 255)]);
    for (classes, needle) in [
        ("1", "--classes takes two classes"),
        ("1,3", "no example has label 3"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_fashion"))
            .args(["--quiet", "--classes", classes, "--data-dir"])
            .arg(&dir)
            .arg("--out")
            .arg(dir.join("out"))
            .output()
            .unwrap();
        let stderr = experiments::help::flatten(&String::from_utf8_lossy(&o.stderr));
        assert!(!o.status.success(), "{classes}");
        assert!(
            !stderr.contains("panicked") && stderr.contains(needle),
            "{classes}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
