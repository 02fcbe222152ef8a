//! A sweep on a real (single-node, localhost) Slurm cluster, brought up by `scripts/slurm-local`:
//! `sweep slurm` writes the job array and its merge job; one task is requeued mid-run with
//! `scontrol requeue`, another is sent USR1 as a time limit would (`--signal=B:USR1@…`), so it
//! writes its checkpoints and requeues itself; both continue from their checkpoints, the merge
//! job joins the shards, and the table and every point's weights and metrics equal those of
//! the same sweep run locally, bit for bit.
//!
//! The cluster needs root on Debian (the script installs `slurm-wlm` and `munge` when missing).
//! Where Slurm cannot be started the test fails, saying why: it never passes without a cluster.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long the whole sweep may take on the cluster (requeued tasks wait cred_expire, 11 s).
const SWEEP_TIMEOUT: Duration = Duration::from_secs(600);

/// The cluster, taken down when dropped (also when the test fails).
struct Cluster {
    state: PathBuf,
    conf: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm-local")
}

impl Cluster {
    fn up(state: PathBuf) -> Self {
        let o = Command::new(script())
            .arg("up")
            .env("LOWRANK_SLURM_DIR", &state)
            .output()
            .expect("scripts/slurm-local starts");
        let stdout = String::from_utf8_lossy(&o.stdout);
        let conf = stdout
            .trim()
            .strip_prefix("export SLURM_CONF=")
            .map(str::to_owned);
        match conf {
            Some(conf) if o.status.success() => Cluster { state, conf },
            _ => {
                let _ = Command::new(script())
                    .arg("down")
                    .env("LOWRANK_SLURM_DIR", &state)
                    .output();
                panic!(
                    "Slurm could not be started by scripts/slurm-local up ({}); it needs root on Debian \
                     (see scripts/setup):\n{}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                )
            }
        }
    }

    /// A Slurm client command (`sbatch`, `squeue`, `scontrol`, …) talking to this cluster.
    fn client(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn run(&self, program: &str, args: &[&str]) -> String {
        let o = self.client(program).args(args).output().unwrap();
        ok(o, &format!("{program} {args:?}"))
    }

    /// The state of job `id` (`PENDING`, `RUNNING`, `COMPLETED`, …; empty once forgotten).
    fn state(&self, id: &str) -> String {
        let o = self
            .client("squeue")
            .args(["-h", "-t", "all", "-j", id, "-o", "%T"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("down")
            .env("LOWRANK_SLURM_DIR", &self.state)
            .output();
    }
}

fn sweep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sweep"))
}

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn log(out: &Path, array: &str, task: usize) -> String {
    String::from_utf8_lossy(&read(&out.join(format!("slurm/logs/{array}_{task}.out")))).into_owned()
}

/// The rows of a sweep table without their timings.
fn rows(dir: &Path) -> serde_json::Value {
    let mut rows: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("sweep.json"))).unwrap();
    for row in rows.as_array_mut().unwrap() {
        row.as_object_mut().unwrap().remove("seconds");
    }
    rows
}

/// Waits until the task's shard holds a checkpoint of one of its points: it is mid-run.
fn await_checkpoint(shard: &Path, cluster: &Cluster, array: &str, task: usize) {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(shard).into_iter().flatten().any(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(".partial") && e.path().join("checkpoint.safetensors").is_file()
        });
        if found {
            return;
        }
        assert!(
            start.elapsed() < SWEEP_TIMEOUT,
            "task {task} never wrote a checkpoint into {} (job state {})",
            shard.display(),
            cluster.state(&format!("{array}_{task}"))
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_requeued_and_a_signalled_task_merge_into_the_local_sweep() {
    let root = std::env::temp_dir().join(format!("lowrank-slurm-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let cluster = Cluster::up(root.join("cluster"));
    let grid = [
        "--families",
        "linear,relu-tail",
        "--depths",
        "2,3",
        "--seeds",
        "0,1",
        "--init-scales",
        "0.5",
        "--step-rules",
        "adam",
        "--steps",
        "200000",
        "--data",
        "gaussian:dim=10,n=40,margin=0.1,seed=1",
        "--checkpoint-every",
        "5000",
    ];
    let out = root.join("cluster-sweep");
    let wrote = ok(
        sweep()
            .arg("slurm")
            .args(grid)
            .args(["--tasks", "4", "--max-running", "2", "--time", "30:00"])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "sweep slurm",
    );
    assert!(wrote.contains("submit with:"), "{wrote}");
    let submitted = ok(
        cluster.client(out.join("slurm/submit")).output().unwrap(),
        "submit",
    );
    // "array job A, merge job M"
    let ids: Vec<String> = submitted
        .lines()
        .next()
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let [array, merge] = ids.as_slice() else {
        panic!("no job ids in: {submitted}")
    };

    // Task 1 is requeued by hand; task 2 gets the time limit's USR1 in its batch shell.
    await_checkpoint(&out.join("shards/1"), &cluster, array, 1);
    cluster.run("scontrol", &["requeue", &format!("{array}_1")]);
    await_checkpoint(&out.join("shards/2"), &cluster, array, 2);
    cluster.run(
        "scancel",
        &["--batch", "--signal=USR1", &format!("{array}_2")],
    );

    let start = Instant::now();
    loop {
        let state = cluster.state(merge);
        if state == "COMPLETED" {
            break;
        }
        assert!(
            matches!(state.as_str(), "PENDING" | "RUNNING" | "COMPLETING" | ""),
            "merge job {merge} ended {state}; logs in {}",
            out.join("slurm/logs").display()
        );
        assert!(
            start.elapsed() < SWEEP_TIMEOUT,
            "the sweep did not finish within {SWEEP_TIMEOUT:?} (merge job {state})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    for task in [1, 2] {
        let text = log(&out, array, task);
        assert!(
            text.contains("attempt 2") && text.contains("continuing from its checkpoint at step"),
            "task {task} did not run again from a checkpoint:\n{text}"
        );
    }
    assert!(
        log(&out, array, 2).contains("requeueing it"),
        "task 2 did not requeue itself after USR1"
    );

    let local = root.join("local-sweep");
    ok(
        sweep()
            .args(grid)
            .args(["--quiet", "--out"])
            .arg(&local)
            .output()
            .unwrap(),
        "the local sweep",
    );
    assert_eq!(rows(&out), rows(&local), "the merged table");
    let mut points = 0;
    for task in 0..4 {
        let shard = out.join(format!("shards/{task}"));
        for entry in std::fs::read_dir(&shard).unwrap() {
            let entry = entry.unwrap();
            if !entry.file_type().unwrap().is_dir() {
                continue;
            }
            let name = entry.file_name();
            assert!(
                !name.to_string_lossy().starts_with('.'),
                "{}: staging left behind",
                entry.path().display()
            );
            for file in ["final.safetensors", "metrics.csv"] {
                assert!(
                    read(&entry.path().join(file)) == read(&local.join(&name).join(file)),
                    "{}/{file} differs from the local sweep's",
                    entry.path().display()
                );
            }
            points += 1;
        }
    }
    assert_eq!(points, 8, "every point ran once");
    drop(cluster);
    std::fs::remove_dir_all(&root).unwrap();
}
