//! Inputs that break a run's premises, end to end: starting weights saved from another network,
//! and data with one class, contradictory examples or no separating direction, each stated on
//! stderr, in `report.md` and in `summary.json`, with the claims resting on separability not
//! applicable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-premises-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn train(args: &[&str]) -> (Output, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_train"))
        .arg("--quiet")
        .args(args)
        .output()
        .expect("the binary starts");
    let err = experiments::help::flatten(&String::from_utf8_lossy(&o.stderr));
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    (o, err)
}

#[test]
fn init_weights_of_another_architecture_are_refused_naming_both() {
    let dir = scratch("init");
    let relu = dir.join("relu");
    let (o, err) = train(&[
        "--arch",
        "20,relu:10,1",
        "--steps",
        "5",
        "--out",
        relu.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{err}");
    let weights = relu.join("final.safetensors");
    let linear = dir.join("linear");
    let (o, err) = train(&[
        "--arch",
        "20,linear:10,1",
        "--steps",
        "5",
        "--init",
        weights.to_str().unwrap(),
        "--out",
        linear.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "checkpoint {}: it was saved from the network `20,relu:10,1`, not `20,linear:10,1`: \
             every tensor has the shape the network needs, but the activations or blocks differ",
            weights.display()
        )),
        "{err}"
    );
    assert!(!linear.exists(), "a refused run leaves no folder");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Trains a small ReLU net with a linear tail on the CSV `rows` and returns its stderr, its
/// `report.md` and its `summary.json`.
fn run_on(dir: &Path, name: &str, rows: &str) -> (String, String, serde_json::Value) {
    let csv = dir.join(format!("{name}.csv"));
    std::fs::write(&csv, rows).unwrap();
    let out = dir.join(name);
    let (o, err) = train(&[
        "--arch",
        "2,relu:5,linear:3,1",
        "--steps",
        "20",
        "--data",
        csv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{name}: {err}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (err, report, serde_json::from_str(&summary).unwrap())
}

/// The verdict and metric text of claim `id` in a summary.
fn claim(summary: &serde_json::Value, id: &str) -> (String, String) {
    let c = summary["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no claim {id}: {summary}"));
    (
        c["verdict"].as_str().unwrap().to_string(),
        c["metric"].as_str().unwrap().to_string(),
    )
}

/// Checks that `evidence` is stated everywhere and that the claims resting on separability are
/// not applicable because of `because`.
fn stated(name: &str, run: (String, String, serde_json::Value), evidence: &str, because: &str) {
    let (err, report, summary) = run;
    // The warning is wrapped at 100 columns: its words, in order.
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words(&err).contains(&words(&format!(
            "warning: run `train`: the data `{name}.csv` breaks the premise of the claims resting \
             on separability, which are not applicable: {evidence}"
        ))),
        "{name}: {err}"
    );
    assert!(
        report.contains(&format!("\nData: {evidence}")),
        "{name}: {report}"
    );
    assert_eq!(summary["data"]["separable"], false, "{name}");
    assert!(
        summary["data"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with(evidence),
        "{name}: {}",
        summary["data"]
    );
    for id in ["tail-rank-one", "tail-aligned", "tail-rate-bound"] {
        let (verdict, metric) = claim(&summary, id);
        assert_eq!(verdict, "not_applicable", "{name}: {id}: {metric}");
        assert!(metric.contains(because), "{name}: {id}: {metric}");
    }
}

#[test]
fn data_that_breaks_the_separability_premise_is_stated_and_its_claims_are_not_applicable() {
    let dir = scratch("data");
    let single = run_on(&dir, "single", "1,0,1\n0,1,1\n1,1,1\n0.5,0.2,1\n");
    let (verdict, metric) = claim(&single.2, "separable");
    assert_eq!(verdict, "not_applicable", "{metric}");
    assert!(
        metric.ends_with(
            "(not applicable: the data breaks a premise: a single class: all 4 examples are \
             labelled +1, so there are not two classes to separate)"
        ),
        "{metric}"
    );
    assert_eq!(single.2["data"]["finding"], "one_class");
    assert_eq!(single.2["data"]["examples"], 4);
    stated(
        "single",
        single,
        "a single class: all 4 examples are labelled +1",
        "premise `separable` is not applicable",
    );

    let contradictory = run_on(&dir, "contradictory", "1,0,1\n0,1,-1\n1,0,-1\n0.5,0.5,1\n");
    assert_eq!(claim(&contradictory.2, "separable").0, "fails");
    assert_eq!(contradictory.2["data"]["finding"], "contradictory");
    stated(
        "contradictory",
        contradictory,
        "contradictory: examples 1 and 3 have the same input and opposite labels (2 examples",
        "premise `separable` is FAILS",
    );

    let xor = run_on(&dir, "xor", "1,1,1\n-1,-1,1\n1,-1,-1\n-1,1,-1\n");
    assert_eq!(claim(&xor.2, "separable").0, "fails");
    let data = &xor.2["data"];
    assert_eq!(data["finding"], "not_separable");
    assert_eq!(data["converged"], true);
    assert!(data["upper"].as_f64().unwrap() < 1e-5, "{data}");
    assert!(data["lower"].as_f64().unwrap() <= 0.0, "{data}");
    stated(
        "xor",
        xor,
        "not linearly separable through the origin: after ",
        "premise `separable` is FAILS",
    );

    // Separable data states its margin and no warning.
    let (err, report, summary) = run_on(&dir, "separable", "1,0.5,1\n-1,0.5,-1\n");
    assert!(!err.contains("warning"), "{err}");
    assert!(
        report.contains(
            "\nData: linearly separable through the origin, hard-margin SVM margin 0.8944."
        ),
        "{report}"
    );
    assert_eq!(summary["data"]["separable"], true);
    assert_eq!(claim(&summary, "separable").0, "holds");
    std::fs::remove_dir_all(&dir).unwrap();
}
