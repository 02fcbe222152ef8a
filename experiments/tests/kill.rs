//! `train` killed at random steps and continued with `--resume` ends bit for bit where an
//! uninterrupted run ends: every step rule, f32 and f64, 1 and 2 threads, SIGKILL (the work since
//! the last checkpoint is lost and redone) and SIGTERM (a checkpoint is written, exit status 75).
//! The delays are random; a failure prints the seed, and `LOWRANK_KILL_SEED=S` repeats it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Steps of every run: about a second on one core, so a signal lands mid-run.
const STEPS: &str = "120000";
/// How long the first checkpoint may take to appear before the test gives up.
const FIRST_CHECKPOINT_TIMEOUT: Duration = Duration::from_secs(120);

/// A small xorshift generator: the test's delays and checkpoint intervals.
struct Dice(u64);

impl Dice {
    /// The seed of this test process: `LOWRANK_KILL_SEED`, else the clock.
    fn seed() -> u64 {
        std::env::var("LOWRANK_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
    }

    fn new(seed: u64, salt: u64) -> Self {
        Dice((seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Signal {
    Kill,
    Term,
}

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-kill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn train(args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_train"));
    command.args(args).stdout(Stdio::null());
    command
}

/// The flags of one configuration, without its folder.
fn flags(rule: &str, dtype: &str, threads: u16) -> Vec<String> {
    [
        "--quiet",
        "--arch",
        "10,relu:8,resz(relu),linear:6,1",
        "--data",
        "gaussian:dim=10,n=40,margin=0.1,seed=1",
        "--metrics",
        "all,full-spectrum,direction",
        "--steps",
        STEPS,
        "--step-rule",
        rule,
        "--dtype",
        dtype,
        "--threads",
        &threads.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

fn with(mut args: Vec<String>, extra: &[&str]) -> Vec<String> {
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

/// Waits until the run's first checkpoint is in its staging folder (or the run has ended).
fn await_first_checkpoint(child: &mut Child, out: &Path) {
    let name = out.file_name().unwrap().to_str().unwrap();
    let checkpoint = out
        .with_file_name(format!(".{name}.partial"))
        .join("checkpoint.safetensors");
    let start = Instant::now();
    while !checkpoint.is_file() && child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < FIRST_CHECKPOINT_TIMEOUT,
            "no checkpoint at {} after {FIRST_CHECKPOINT_TIMEOUT:?}",
            checkpoint.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Sends `signal` to the running child; false when it had already ended by itself.
fn signal(child: &mut Child, signal: Signal) -> bool {
    if child.try_wait().unwrap().is_some() {
        return false;
    }
    match signal {
        Signal::Kill => child.kill().unwrap(),
        Signal::Term => {
            let sent = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success(), "kill -TERM failed");
        }
    }
    true
}

#[cfg(unix)]
fn by_sigkill(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

/// The summary without its timings, which are the only thing allowed to differ.
fn summary(dir: &Path) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !k.ends_with("seconds"));
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut value = serde_json::from_str(&text).unwrap();
    strip(&mut value);
    value
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `rule` uninterrupted once per dtype, then killed and resumed at 1 and 2 threads with
/// either signal, and compares the bits.
fn killed_runs_resume_exactly(rule: &str, salt: u64) {
    let seed = Dice::seed();
    let mut dice = Dice::new(seed, salt);
    let dir = scratch(rule);
    for dtype in ["f32", "f64"] {
        let reference = dir.join(format!("reference-{dtype}"));
        let status = train(&with(
            flags(rule, dtype, 1),
            &["--out", path_arg(&reference)],
        ))
        .status()
        .unwrap();
        assert!(status.success(), "{rule} {dtype}: the reference run failed");
        for threads in [1, 2] {
            for kind in [Signal::Kill, Signal::Term] {
                let case = format!("{rule} {dtype} {threads} threads {kind:?} (seed {seed})");
                let out = dir.join(format!("killed-{dtype}-{threads}-{kind:?}"));
                let every = (500 + dice.below(4000)).to_string();
                let base = with(flags(rule, dtype, threads), &["--checkpoint-every", &every]);
                // A run that ends before the signal lands is tried again with a shorter delay.
                let mut max_delay = 400;
                let status = loop {
                    let _ = std::fs::remove_dir_all(&out);
                    let mut child = train(&with(base.clone(), &["--out", path_arg(&out)]))
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap();
                    await_first_checkpoint(&mut child, &out);
                    std::thread::sleep(Duration::from_millis(dice.below(max_delay)));
                    let signalled = signal(&mut child, kind);
                    let status = child.wait().unwrap();
                    if signalled {
                        break status;
                    }
                    assert!(max_delay > 1, "{case}: every run ended before its signal");
                    max_delay /= 4;
                };
                match kind {
                    Signal::Kill => assert!(by_sigkill(status), "{case}: {status}"),
                    // The signal may land after the last step, while the files are published.
                    Signal::Term => assert!(
                        status.code() == Some(75) || status.success(),
                        "{case}: exit {status}, not 75"
                    ),
                }
                let resumed = train(&with(base, &["--resume", path_arg(&out)]))
                    .output()
                    .unwrap();
                assert!(
                    resumed.status.success(),
                    "{case}: the resumed run failed: {}",
                    String::from_utf8_lossy(&resumed.stderr)
                );
                for file in ["final.safetensors", "metrics.csv", "spectra.csv"] {
                    assert!(
                        read(out.join(file)) == read(reference.join(file)),
                        "{case}: {file} differs from the uninterrupted run's"
                    );
                }
                assert_eq!(summary(&out), summary(&reference), "{case}: summary.json");
            }
        }
    }
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    left.sort();
    assert!(
        left.is_empty(),
        "{rule}: staging or temporary files left behind: {left:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn constant() {
    killed_runs_resume_exactly("constant", 1);
}

#[test]
fn loss_normalized() {
    killed_runs_resume_exactly("loss-normalized", 2);
}

#[test]
fn grad_normalized() {
    killed_runs_resume_exactly("grad-normalized", 3);
}

#[test]
fn adaptive() {
    killed_runs_resume_exactly("adaptive", 4);
}

#[test]
fn momentum() {
    killed_runs_resume_exactly("momentum", 5);
}

#[test]
fn adam() {
    killed_runs_resume_exactly("adam", 6);
}
