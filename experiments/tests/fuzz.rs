//! The bounded fuzz suite: every loader on its seeds and a fixed number of seeded mutants (a few
//! seconds in all); the longer campaign is the `fuzz` binary (`experiments/README.md`).

use experiments::fuzz::{self, Budget};

/// Runs the target `name` on its seeds and `iterations` mutants of seed `seed`, and fails
/// listing every kind of broken property with the first input that broke it. The counts below
/// keep each target near a quarter of a second on an idle core: the slower the loader, the fewer.
fn fuzz_target(name: &str, seed: u64, iterations: u64) {
    let target = fuzz::target(name).unwrap();
    let dir = fuzz::scratch(&format!("test-{name}"));
    let report = fuzz::fuzz(&target, seed, Budget::Iterations(iterations), &dir, |_| {}).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        report.iterations,
        iterations + (target.seeds)().len() as u64
    );
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    assert!(
        failures.is_empty(),
        "{} kinds of failure in {} inputs:\n{}",
        failures.len(),
        report.iterations,
        failures.join("\n")
    );
    assert!(
        report.accepted > 0,
        "no input was accepted: the seeds are broken"
    );
}

#[test]
fn arch_grammar() {
    fuzz_target("arch", 1, 20000);
}

#[test]
fn csv_loader() {
    fuzz_target("csv", 2, 20000);
}

#[test]
fn idx_loader() {
    fuzz_target("idx", 3, 5000);
}

#[test]
fn weights_checkpoint() {
    fuzz_target("weights", 4, 5000);
}

#[test]
fn training_checkpoint() {
    fuzz_target("training", 5, 5000);
}

#[test]
fn every_target_is_tested_here() {
    let names: Vec<&str> = fuzz::targets().iter().map(|t| t.name).collect();
    assert_eq!(names, ["arch", "csv", "idx", "weights", "training"]);
}

/// Runs the `fuzz` binary with `args`, returning its exit code, stdout and stderr.
fn fuzz_binary(args: &[&str]) -> (Option<i32>, String, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_fuzz"))
        .args(args)
        .output()
        .expect("the binary starts");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        o.status.code(),
        text(&o.stdout),
        experiments::help::flatten(&text(&o.stderr)),
    )
}

#[test]
fn the_campaign_binary_fuzzes_for_the_seconds_given_and_reproduces_a_saved_input() {
    let out = fuzz::scratch("binary");
    let out_flag = out.to_str().unwrap();
    let (code, stdout, stderr) =
        fuzz_binary(&["--target", "arch", "--seconds", "1", "--out", out_flag]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("arch: ")
            && stdout.contains(" inputs in 1.0 s (")
            && stdout.contains("seed 0: 0 kinds of finding"),
        "{stdout}"
    );
    let saved = out.join("saved");
    std::fs::create_dir_all(&saved).unwrap();
    std::fs::write(saved.join("arch.txt"), "10,relu:0,1").unwrap();
    let saved_flag = saved.to_str().unwrap();
    let (code, stdout, _) = fuzz_binary(&["--target", "arch", "--reproduce", saved_flag]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("arch: refused, as it should be: "),
        "{stdout}"
    );
    let (code, _, stderr) = fuzz_binary(&["--target", "csv", "--reproduce", saved_flag]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no file `data.csv` (the target csv reads data.csv)"),
        "{stderr}"
    );
    let (code, _, stderr) = fuzz_binary(&["--target", "yaml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("invalid value 'yaml' for '--target <NAME>'")
            && stderr.contains("[possible values: arch, csv, idx, weights, training]"),
        "{stderr}"
    );
    let (code, _, stderr) = fuzz_binary(&["--seconds", "0"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--seconds 0: must be a positive number"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::remove_dir_all(&out).unwrap();
}
