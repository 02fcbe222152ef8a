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
