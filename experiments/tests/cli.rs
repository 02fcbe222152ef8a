//! The binaries end to end: every file a run writes, and clear errors (non-zero exit, no panic)
//! on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use experiments::help::flatten;

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn run(exe: &str, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .output()
        .expect("the binary starts")
}

/// The words of the stderr of `o`, whatever lines the binary wrapped its messages into.
fn stderr(o: &Output) -> String {
    flatten(&String::from_utf8_lossy(&o.stderr))
}

/// Runs `train` with `args` (plus a small budget) and expects a clear error mentioning `needle`.
fn train_fails(args: &[&str], needle: &str) {
    let mut all = vec!["--quiet"];
    if !args.contains(&"--steps") {
        all.extend(["--steps", "5"]);
    }
    all.extend_from_slice(args);
    let o = run(env!("CARGO_BIN_EXE_train"), &all);
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(
        err.contains(&flatten(needle)),
        "{args:?}: `{needle}` not in: {err}"
    );
}

#[test]
fn train_writes_every_file_and_restarts_from_its_checkpoint() {
    let dir = scratch("train");
    let out = dir.join("a");
    let common = [
        "--quiet",
        "--arch",
        "10,relu:8,linear:6,1",
        "--data",
        "gaussian:dim=10,n=40,margin=0.1,seed=1",
    ];
    let mut args = common.to_vec();
    args.extend(["--out", out.to_str().unwrap(), "--steps", "200"]);
    let o = run(env!("CARGO_BIN_EXE_train"), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("tail-rank-one") && stdout.contains("claims hold"),
        "{stdout}"
    );
    for f in [
        "metrics.csv",
        "summary.json",
        "final.safetensors",
        "report.md",
        "ratio.svg",
        "second_ratio.svg",
        "alignment.svg",
        "log_loss.svg",
        "drift.svg",
        "margin.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.starts_with("step,scope,index,name,metric,value\n"));
    assert!(
        csv.contains("\n200,layer,1,layers.1.weight,r,"),
        "last step logged per layer"
    );
    // Tidy: one row per (step, scope, index, metric), so a pivot needs no aggregation.
    let mut keys = std::collections::HashSet::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 6, "{line}");
        assert!(f[5].parse::<f64>().is_ok(), "value not a number: {line}");
        assert!(keys.insert((f[0], f[1], f[2], f[4])), "key twice: {line}");
    }
    assert!(keys.contains(&("0", "run", "0", "loss")), "step 0 logged");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["config"]["arch"], "10,relu:8,linear:6,1");
    assert_eq!(summary["outcome"]["steps"], 200);
    let rank_one = summary["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "tail-rank-one")
        .expect("tail-rank-one judged");
    assert_eq!(rank_one["threshold"]["value"].as_f64(), Some(0.99));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("![ratio](ratio.svg)"));

    // Restart from the checkpoint: step 0 of the new run is the end of the old one.
    let b = dir.join("b");
    let ckpt = out.join("final.safetensors");
    let mut args = common.to_vec();
    args.extend([
        "--out",
        b.to_str().unwrap(),
        "--init",
        ckpt.to_str().unwrap(),
        "--steps",
        "1",
    ]);
    let o = run(env!("CARGO_BIN_EXE_train"), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = |p: &Path, step: &str| {
        std::fs::read_to_string(p.join("metrics.csv"))
            .unwrap()
            .lines()
            .find(|l| l.starts_with(&format!("{step},layer,0,layers.0.weight,frobenius,")))
            .map(str::to_string)
            .unwrap()
    };
    let end_of_a = first(&out, "200").rsplit(',').next().unwrap().to_string();
    let start_of_b = first(&b, "0").rsplit(',').next().unwrap().to_string();
    assert_eq!(end_of_a, start_of_b);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn train_rejects_bad_input_clearly() {
    let dir = scratch("bad");
    let csv = dir.join("ragged.csv");
    std::fs::write(&csv, "1,2,1\n3,-1\n").unwrap();
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"not a checkpoint").unwrap();
    train_fails(&["--arch", "10,relu:x,1"], "--arch");
    train_fails(
        &["--arch", "10,linear:5,1", "--data", "digits:0,1"],
        "64 features",
    );
    train_fails(
        &["--arch", "10,linear:5,2", "--data", "gaussian:dim=10"],
        "scalar output",
    );
    train_fails(&["--data", "nosuchset"], "nosuchset");
    train_fails(&["--data", csv.to_str().unwrap()], "ragged.csv");
    train_fails(&["--init", junk.to_str().unwrap()], "junk.safetensors");
    train_fails(
        &["--init", dir.join("missing.safetensors").to_str().unwrap()],
        "missing.safetensors",
    );
    train_fails(&["--lr=-1"], "--lr");
    train_fails(&["--lr", "0"], "--lr");
    train_fails(&["--dtype", "f16"], "f16");
    train_fails(&["--loss", "hinge"], "hinge");
    train_fails(&["--step-rule", "sgd"], "sgd");
    train_fails(&["--threads", "0"], "--threads");
    train_fails(&["--steps", "many"], "many");
    train_fails(&["--bogus"], "--bogus");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn other_binaries_reject_bad_input_clearly() {
    let cases: [(&str, &[&str], &str); 8] = [
        (env!("CARGO_BIN_EXE_sweep"), &["--shard", "3/2"], "3/2"),
        (
            env!("CARGO_BIN_EXE_sweep"),
            &["--seeds", "0,0", "--out", "/tmp/lowrank-cli-never"],
            "--seeds: `0` appears twice",
        ),
        (
            env!("CARGO_BIN_EXE_sweep"),
            &["--depths", "3,2,3", "--out", "/tmp/lowrank-cli-never"],
            "--depths: `3` appears twice",
        ),
        (
            env!("CARGO_BIN_EXE_sweep"),
            &["--seed", "5", "--out", "/tmp/lowrank-cli-never"],
            "give its seeds with --seeds",
        ),
        (
            env!("CARGO_BIN_EXE_sweep"),
            &["merge", "/nonexistent/shard"],
            "/nonexistent/shard/sweep.json",
        ),
        (
            env!("CARGO_BIN_EXE_lowrank"),
            &["--only", "nonsense"],
            "nonsense",
        ),
        (
            env!("CARGO_BIN_EXE_deep-linear"),
            &[
                "--depths",
                "1",
                "--quiet",
                "--out",
                "/tmp/lowrank-cli-never",
            ],
            "depth 1",
        ),
        (
            env!("CARGO_BIN_EXE_digits"),
            &[
                "--classes",
                "3,11",
                "--quiet",
                "--out",
                "/tmp/lowrank-cli-never",
            ],
            "11",
        ),
    ];
    for (exe, args, needle) in cases {
        let o = run(exe, args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{exe} {args:?} should fail");
        assert!(!err.contains("panicked"), "{exe} {args:?} panicked: {err}");
        assert!(
            err.contains(needle),
            "{exe} {args:?}: `{needle}` not in: {err}"
        );
    }
}

/// Runs `exe` with `args` in `dir` and expects a clear error holding every one of `needles`,
/// and that no output folder was left behind (`out`, and its staging folder `.NAME.partial`).
fn refused_leaving_nothing(exe: &str, dir: &Path, args: &[&str], needles: &[&str]) {
    let out = dir.join("out");
    let o = Command::new(exe)
        .args(args)
        .args(["--quiet", "--out", out.to_str().unwrap()])
        .current_dir(dir)
        .output()
        .expect("the binary starts");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for needle in needles {
        assert!(
            err.contains(&flatten(needle)),
            "{args:?}: `{needle}` not in: {err}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(left.is_empty(), "{args:?} left {left:?}");
}

/// Regression: each of these aborted allocating (leaving an empty folder) or panicked.
#[test]
fn oversized_numbers_are_refused_before_anything_is_allocated() {
    let dir = scratch("sizes");
    let train = env!("CARGO_BIN_EXE_train");
    refused_leaving_nothing(
        train,
        &dir,
        &["--steps", "100000000000", "--log-every", "1"],
        &[
            "error: --steps 100000000000 with --log-every 1 asks for 2.1 PB of metrics log for \
             100000000001 logs",
            "; this machine has ",
        ],
    );
    refused_leaving_nothing(
        train,
        &dir,
        &["--arch", "20,relu:100000000000,1", "--steps", "5"],
        &[
            "error: --arch 20,relu:100000000000,1 asks for 800.0 TB of activations for 200 \
             examples",
            "84.0 TB of weights",
            "MemAvailable in /proc/meminfo",
        ],
    );
    refused_leaving_nothing(
        train,
        &dir,
        &["--data", "gaussian:dim=20,n=1000000000", "--steps", "5"],
        &["error: data spec `gaussian:dim=20,n=1000000000`: --data asks for 352.0 GB of data"],
    );
    refused_leaving_nothing(
        env!("CARGO_BIN_EXE_deep-linear"),
        &dir,
        &["--width", "100000000000", "--steps", "5"],
        &["error: run `depth-2`: the network `10,linear:100000000000,1` asks for 400.0 TB"],
    );
    refused_leaving_nothing(
        env!("CARGO_BIN_EXE_sweep"),
        &dir,
        &["--widths", "10,100000000000", "--steps", "5"],
        &["error: --depths 2 --widths 100000000000 (point linear-d2-w100000000000-"],
    );
    let o = run(train, &["--arch", "20,relu:18446744073709551615,1"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "architecture `20,relu:18446744073709551615,1` has more than 18446744073709551615 weights"
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: `--steps 18446744073709551615` hung building its log schedule; now it trains
/// (until stopped: a SIGTERM writes its checkpoint, exit status 75).
#[test]
fn the_largest_step_budget_trains() {
    let dir = scratch("max-steps");
    let out = dir.join("max");
    let child = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--quiet", "--steps", "18446744073709551615"])
        .args(["--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("train starts");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -TERM failed");
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(75), "{err}");
    let at = err
        .split("stopped on SIGTERM at step ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|step| step.parse::<u64>().ok());
    assert!(at.is_some_and(|step| step > 0), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: these flags were accepted and silently ignored, or wrote outside runs/.
#[test]
fn flags_that_would_do_nothing_or_escape_runs_are_errors() {
    let dir = scratch("flags");
    let train = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_train"))
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("train starts")
    };
    for (args, needles) in [
        (
            &["--init", "w.safetensors", "--init-scheme", "he"][..],
            &["'--init <FILE.safetensors>' cannot be used with '--init-scheme <INIT_SCHEME>'"][..],
        ),
        (
            &["--log-every", "3", "--log-per-decade", "5"],
            &["'--log-every <N>' cannot be used with '--log-per-decade <LOG_PER_DECADE>'"],
        ),
        (
            &["--name", "../x"],
            &["`../x` contains a path separator: a run's name must be a plain folder name"],
        ),
        (
            &["--name", ".."],
            &["`..` means the folder itself or its parent"],
        ),
        (&["--name", ""], &["`` is empty"]),
    ] {
        let o = train(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for needle in needles {
            assert!(
                err.contains(&flatten(needle)),
                "{args:?}: `{needle}` not in: {err}"
            );
        }
    }
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "left {left:?}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 64 {
        let o = train(&["--quiet", "--steps", "3", "--threads", "64", "--out", "t"]);
        let err = stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains(&format!(
                "warning: --threads 64 is more than the {cores} cores available"
            )),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_shards_merge_into_the_whole_grid() {
    let dir = scratch("sweep");
    let grid = [
        "--quiet",
        "--families",
        "linear",
        "--depths",
        "2",
        "--init-scales",
        "0.5",
        "--step-rules",
        "grad-normalized",
        "--seeds",
        "0,1,2",
        "--steps",
        "50",
        "--data",
        "gaussian:dim=5,n=20,margin=0.1,seed=0",
    ];
    let mut shards = Vec::new();
    for i in 0..2 {
        let out = dir.join(format!("shard{i}"));
        let mut args = grid.to_vec();
        let shard = format!("{i}/2");
        args.extend(["--shard", &shard, "--out", out.to_str().unwrap()]);
        let o = run(env!("CARGO_BIN_EXE_sweep"), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        shards.push(out);
    }
    let merged = dir.join("merged");
    let o = run(
        env!("CARGO_BIN_EXE_sweep"),
        &[
            "merge",
            shards[0].to_str().unwrap(),
            shards[1].to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("missing"), "{}", stderr(&o));
    let csv = std::fs::read_to_string(merged.join("sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        assert!(row.starts_with(&format!("{i},linear,2,")), "{row}");
    }
    // Half the shards: an error naming the missing points, and nothing written, unless
    // --allow-partial.
    let partial = dir.join("partial");
    let half = [
        "merge",
        shards[1].to_str().unwrap(),
        "--out",
        partial.to_str().unwrap(),
    ];
    let o = run(env!("CARGO_BIN_EXE_sweep"), &half);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("points missing: 0, 2"),
        "{}",
        stderr(&o)
    );
    assert!(!partial.join("sweep.csv").exists());
    let mut allowed = half.to_vec();
    allowed.push("--allow-partial");
    let o = run(env!("CARGO_BIN_EXE_sweep"), &allowed);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: points missing: 0, 2"));
    // A Slurm array task runs its share without --shard.
    let task = dir.join("task");
    let mut args = grid.to_vec();
    args.extend(["--out", task.to_str().unwrap()]);
    let o = Command::new(env!("CARGO_BIN_EXE_sweep"))
        .args(&args)
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let json = std::fs::read_to_string(task.join("sweep.json")).unwrap();
    let task_rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let indices: Vec<u64> = task_rows
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indices, [1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_slurm_writes_the_array_and_its_merge_job_and_refuses_what_cannot_work() {
    let dir = scratch("slurm");
    let out = dir.join("sweep");
    let grid = [
        "--depths",
        "2,3",
        "--seeds",
        "0,1,2",
        "--data",
        "gaussian:dim=5,n=20,margin=0.1,seed=0",
    ];
    let mut args = vec!["slurm"];
    args.extend(grid);
    args.extend([
        "--tasks",
        "5",
        "--time",
        "2:00:00",
        "--sbatch=--mem=2G",
        "--out",
        out.to_str().unwrap(),
    ]);
    let o = run(env!("CARGO_BIN_EXE_sweep"), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("5 tasks over 48 points"), "{stdout}");
    let array = std::fs::read_to_string(out.join("slurm/array.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-4%5\n",
        "#SBATCH --mem=2G\n",
        "#SBATCH --time=2:00:00\n",
    ] {
        assert!(array.contains(line), "`{line}` not in {array}");
    }
    assert!(
        array.contains(
            "'--depths=2,3' '--seeds=0,1,2' '--data=gaussian:dim=5,n=20,margin=0.1,seed=0'"
        ),
        "{array}"
    );
    for script in ["array.sbatch", "merge.sbatch", "submit"] {
        let path = out.join("slurm").join(script);
        let syntax = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(syntax.status.success(), "{script}: {}", stderr(&syntax));
    }
    assert!(
        out.join("slurm/logs").is_dir(),
        "Slurm does not create the log folder"
    );
    for (bad, needle) in [
        (vec!["--shard", "0/2"], "--shard does not apply"),
        (vec!["--resume", "x"], "--resume does not apply"),
        (vec!["--fresh"], "--fresh does not apply"),
        (vec!["--seed", "4"], "--seed does not apply"),
        (vec!["--tasks", "49"], "--tasks 49"),
        (vec!["--time", "1"], "--signal-seconds 120"),
        (vec!["--time", "tomorrow"], "--time"),
        (vec!["--depths", "2,2"], "appears twice"),
    ] {
        let other = dir.join("other");
        let mut args = vec!["slurm"];
        args.extend(grid);
        args.extend(bad.iter().copied());
        if !bad.contains(&"--resume") {
            args.extend(["--out", other.to_str().unwrap()]);
        }
        let o = run(env!("CARGO_BIN_EXE_sweep"), &args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{bad:?} should fail");
        assert!(err.contains(needle), "{bad:?}: `{needle}` not in: {err}");
        assert!(!other.exists(), "{bad:?}: wrote {}", other.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_diverged_run_is_written_unjudged_and_fails_the_exit_status() {
    let dir = scratch("diverged");
    let args = [
        "--quiet",
        "--step-rule",
        "constant",
        "--lr",
        "1e30",
        "--steps",
        "100",
        "--out",
        dir.to_str().unwrap(),
    ];
    let o = run(env!("CARGO_BIN_EXE_train"), &args);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("diverged"), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["outcome"]["status"], "diverged");
    for claim in summary["claims"].as_array().unwrap() {
        assert_eq!(claim["verdict"], "not_measured", "{claim}");
    }
    assert!(dir.join("final.safetensors").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `train` of a small ReLU net with a linear tail, 20 steps on Gaussian data, into `out`, with
/// the flags `extra`.
fn small_train(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--quiet",
        "--arch",
        "10,relu:8,linear:6,1",
        "--data",
        "gaussian:dim=10,n=40,margin=0.1,seed=1",
        "--steps",
        "20",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(env!("CARGO_BIN_EXE_train"), &args)
}

#[test]
fn metrics_selects_families_and_rejects_unknown_names() {
    train_fails(
        &["--metrics", "spectral,svd"],
        "invalid value 'svd' for '--metrics <LIST>'\n  [possible values: margin, spectral, \
         alignment, invariance, activity, flips, full-spectrum, direction, all, default, none]",
    );
    let dir = scratch("metrics");
    let out = dir.join("run");
    let o = small_train(&out, &["--metrics", "margin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("not measured"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.contains(",min_margin,") && csv.contains(",accuracy,"));
    assert!(
        !csv.contains(",sigma1,") && !csv.contains(",drift_full,"),
        "{csv}"
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        summary.contains("not computed: --metrics left out spectral, alignment, invariance"),
        "{summary}"
    );
    // Step 0 is logged once.
    let zeros = csv
        .lines()
        .filter(|l| l.starts_with("0,run,0,run,accuracy,"))
        .count();
    assert_eq!(zeros, 1, "{csv}");
}

#[test]
fn full_spectrum_writes_every_singular_value_of_every_layer_at_each_log() {
    let dir = scratch("full-spectrum");
    let out = dir.join("run");
    let o = small_train(
        &out,
        &["--log-every", "10", "--metrics", "spectral,full-spectrum"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("spectra.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("step,index,name,k,sigma"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // Three logs (steps 0, 10, 20) of the shapes 8×10, 6×8 and 1×6: 8 + 6 + 1 values each.
    assert_eq!(rows.len(), 3 * 15, "{csv}");
    let net = models::load::<f64>(&out.join("final.safetensors")).unwrap();
    for k in 0..3 {
        let exact = kernels::linalg::svd(net.weight(k).as_mat()).singular_values;
        let logged: Vec<f64> = rows
            .iter()
            .filter(|r| r[0] == "20" && r[1] == k.to_string())
            .map(|r| r[4].parse().unwrap())
            .collect();
        assert_eq!(logged, exact, "layer {k}");
        let name = format!("layers.{k}.weight");
        assert!(
            rows.iter()
                .filter(|r| r[1] == k.to_string())
                .all(|r| r[2] == name)
        );
    }
    // σ₁ agrees with the spectral family's Lanczos value in metrics.csv.
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let sigma1: f64 = metrics
        .lines()
        .find(|l| l.starts_with("20,layer,0,") && l.contains(",sigma1,"))
        .and_then(|l| l.rsplit(',').next())
        .unwrap()
        .parse()
        .unwrap();
    let first: f64 = rows
        .iter()
        .find(|r| r[0] == "20" && r[1] == "0" && r[3] == "1")
        .unwrap()[4]
        .parse()
        .unwrap();
    assert!(
        (sigma1 - first).abs() <= 1e-12 * first,
        "{sigma1} vs {first}"
    );
    // Without the family, no file.
    let plain = dir.join("plain");
    let o = run(
        env!("CARGO_BIN_EXE_train"),
        &[
            "--quiet",
            "--steps",
            "5",
            "--metrics",
            "all",
            "--out",
            plain.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!plain.join("spectra.csv").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_prints_the_summary_and_nothing_else_on_stdout() {
    let dir = scratch("json");
    let small = ["--quiet", "--json", "--steps", "20"];
    let cases: [(&str, &str, &[&str]); 3] = [
        (env!("CARGO_BIN_EXE_train"), "summary.json", &[]),
        (env!("CARGO_BIN_EXE_counterexample"), "summary.json", &[]),
        (
            env!("CARGO_BIN_EXE_sweep"),
            "sweep.json",
            &[
                "--families",
                "linear",
                "--depths",
                "2",
                "--seeds",
                "0",
                "--init-scales",
                "1",
            ],
        ),
    ];
    for (i, (exe, file, extra)) in cases.into_iter().enumerate() {
        let out = dir.join(i.to_string());
        let mut args: Vec<&str> = small.to_vec();
        if !exe.ends_with("counterexample") {
            args.extend(extra);
        } else {
            args.retain(|a| *a != "--steps" && *a != "20");
        }
        args.extend(["--out", out.to_str().unwrap()]);
        let o = run(exe, &args);
        assert!(o.status.success(), "{exe}: {}", stderr(&o));
        let printed = String::from_utf8(o.stdout).unwrap();
        let written = std::fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(printed.trim_end(), written.trim_end(), "{exe}");
        let _: serde_json::Value = serde_json::from_str(&printed).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reader_that_stops_early_is_not_a_panic() {
    let dir = scratch("pipe");
    for json in [false, true] {
        let out = dir.join(format!("json-{json}"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_train"));
        command.args(["--quiet", "--steps", "20", "--out", out.to_str().unwrap()]);
        if json {
            command.arg("--json");
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -0`: the reader is gone before the first line.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(o.status.success(), "json {json}: {} {err}", o.status);
        assert!(!err.contains("panicked"), "json {json}: {err}");
        assert!(out.join("summary.json").is_file());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
