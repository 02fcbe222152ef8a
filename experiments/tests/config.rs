//! `--config FILE.toml` end to end: every binary writes the configuration it resolved as
//! `config.toml`, and `--config` with that file reproduces the run bit for bit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn run(exe: &str, args: &[&str]) -> Output {
    let o = Command::new(exe)
        .args(args)
        .output()
        .expect("the binary starts");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(path: &Path) -> String {
    String::from_utf8(bytes(path)).unwrap()
}

fn config_of(dir: &Path) -> String {
    dir.join("config.toml").to_str().unwrap().to_string()
}

#[test]
fn train_reproduces_a_run_from_its_config_toml_bit_for_bit() {
    let dir = scratch("train");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let train = env!("CARGO_BIN_EXE_train");
    run(
        train,
        &[
            "--quiet",
            "--arch=12,relu:9,linear:7,linear:5,1",
            "--data=gaussian:dim=12,n=60,margin=0.05,seed=3",
            "--init-scheme=orthogonal:0.7",
            "--step-rule=adam",
            "--lr=0.003",
            "--steps=150",
            "--seed=11",
            "--dtype=f32",
            "--log-every=7",
            "--metrics=all",
            "--name=first",
            "--threads=2",
            "--out",
            a.to_str().unwrap(),
        ],
    );
    let written = text(&a.join("config.toml"));
    for line in [
        "step-rule = \"adam\"",
        "lr = 0.003",
        "steps = 150",
        "seed = 11",
        "dtype = \"f32\"",
        "log-every = 7",
        "metrics = \"all\"",
        "name = \"first\"",
    ] {
        assert!(
            written.lines().any(|l| l == line),
            "{line} not in:\n{written}"
        );
    }
    assert!(
        !written.contains("out =") && !written.contains("log-per-decade"),
        "{written}"
    );
    run(
        train,
        &[
            "--quiet",
            "--threads=1",
            "--config",
            &config_of(&a),
            "--out",
            b.to_str().unwrap(),
        ],
    );
    for file in ["final.safetensors", "metrics.csv"] {
        assert!(
            bytes(&a.join(file)) == bytes(&b.join(file)),
            "{file} differs"
        );
    }
    let threads = |t: &str| t.replace("threads = 1", "threads = 2");
    assert_eq!(threads(&text(&b.join("config.toml"))), written);

    // A flag overrides the file, and the new run's configuration says so.
    let c = dir.join("c");
    run(
        train,
        &[
            "--quiet",
            "--config",
            &config_of(&a),
            "--steps",
            "40",
            "--log-per-decade=3",
            "--out",
            c.to_str().unwrap(),
        ],
    );
    let overridden = text(&c.join("config.toml"));
    assert!(
        overridden.contains("\nsteps = 40\n") && overridden.contains("\nlog-per-decade = 3\n"),
        "{overridden}"
    );
    assert!(!overridden.contains("log-every"), "{overridden}");
    let summary = text(&c.join("summary.json"));
    assert!(summary.contains("\"steps\": 40"), "{summary}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_experiment_and_a_sweep_reproduce_from_their_config_toml() {
    let dir = scratch("experiment");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let experiment = env!("CARGO_BIN_EXE_relu-tail");
    run(
        experiment,
        &[
            "--quiet",
            "--steps=120",
            "--seed=4",
            "--out",
            a.to_str().unwrap(),
        ],
    );
    run(
        experiment,
        &[
            "--quiet",
            "--config",
            &config_of(&a),
            "--out",
            b.to_str().unwrap(),
        ],
    );
    assert_eq!(text(&a.join("config.toml")), text(&b.join("config.toml")));
    let runs: Vec<PathBuf> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("final.safetensors").exists())
        .collect();
    assert!(!runs.is_empty(), "no run folder in {}", a.display());
    for run_a in runs {
        let run_b = b.join(run_a.file_name().unwrap());
        for file in ["final.safetensors", "metrics.csv"] {
            assert!(
                bytes(&run_a.join(file)) == bytes(&run_b.join(file)),
                "{}/{file} differs",
                run_a.display()
            );
        }
    }

    let (s, t) = (dir.join("s"), dir.join("t"));
    let sweep = env!("CARGO_BIN_EXE_sweep");
    run(
        sweep,
        &[
            "--quiet",
            "--families=linear",
            "--depths=2",
            "--widths=4",
            "--init-scales=0.1,1",
            "--seeds=2",
            "--steps=40",
            "--out",
            s.to_str().unwrap(),
        ],
    );
    let written = text(&s.join("config.toml"));
    assert!(
        written.contains("\ninit-scales = [0.1, 1]\n") && !written.contains("seed ="),
        "{written}"
    );
    run(
        sweep,
        &[
            "--quiet",
            "--config",
            &config_of(&s),
            "--out",
            t.to_str().unwrap(),
        ],
    );
    assert_eq!(text(&t.join("config.toml")), written);
    let points: Vec<PathBuf> = std::fs::read_dir(&s)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("metrics.csv").exists())
        .collect();
    assert_eq!(points.len(), 4, "{points:?}");
    for point in points {
        let other = t.join(point.file_name().unwrap());
        assert!(
            bytes(&point.join("metrics.csv")) == bytes(&other.join("metrics.csv")),
            "{}",
            point.display()
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
