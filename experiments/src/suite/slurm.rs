//! A sweep as a Slurm job array: the batch scripts that `sweep slurm` writes.
//!
//! Task I of N runs `sweep --shard I/N` into `OUT/shards/I`; a merge job that depends on the
//! array (`afterok`) joins the shards' tables into `OUT`. Long runs survive the cluster:
//! - before the time limit Slurm sends USR1 to the batch shell (`--signal=B:USR1@S`), which
//!   passes it on to the sweep; the sweep writes its checkpoints and exits with
//!   [`EXIT_INTERRUPTED`], and the task requeues itself;
//! - a preempted or `scontrol requeue`d task starts again (`--requeue`) and its sweep, which by
//!   default keeps what is done, skips the finished points and continues the interrupted ones
//!   from their checkpoints;
//! - the logs (`%A_%a`) are appended to across the attempts of a task.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::RunError;
use crate::runner::interrupt::EXIT_INTERRUPTED;

/// A job array for a sweep: where it runs, what each task runs, and what Slurm is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayJob {
    /// The `sweep` binary the tasks run (an absolute path).
    pub binary: PathBuf,
    /// The sweep's flags, each one word (`--name=value`), without `--shard` and `--out`.
    pub flags: Vec<String>,
    /// The folder of the whole sweep (absolute): `slurm/` (scripts, logs), `shards/I`, tables.
    pub out: PathBuf,
    /// Grid points (for the comments).
    pub points: usize,
    /// Array tasks N (shards), 1 ≤ N ≤ points.
    pub tasks: usize,
    /// At most this many tasks at once (`%K`).
    pub max_running: usize,
    /// Time limit of each attempt of a task, in Slurm's format (e.g. `1:00:00`, `2-00:00:00`).
    pub time: String,
    /// Seconds before the time limit at which the tasks checkpoint and requeue.
    pub signal_seconds: u32,
    /// CPUs per task (the sweep's `--threads` unless the flags give one).
    pub cpus_per_task: u16,
    /// The job name (`NAME` for the array, `NAME-merge` for the merge job).
    pub job_name: String,
    /// Further `#SBATCH` options for both jobs (`--partition=…`, `--mem=4G`, …).
    pub options: Vec<String>,
}

/// The three files `sweep slurm` writes into `OUT/slurm/`.
pub const ARRAY_SCRIPT: &str = "array.sbatch";
/// The merge job's batch script.
pub const MERGE_SCRIPT: &str = "merge.sbatch";
/// Submits the array, then the merge job depending on it; prints both job ids.
pub const SUBMIT_SCRIPT: &str = "submit";

/// Single-quotes `s` for bash.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Seconds of a Slurm time limit: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M` or `D-H:M:S`.
pub fn time_limit_seconds(time: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "`{time}` is not a Slurm time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)"
        )
    };
    let number = |s: &str| -> Result<u64, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (days, clock) = match time.split_once('-') {
        Some((d, rest)) => (Some(number(d)?), rest),
        None => (None, time),
    };
    let parts = clock
        .split(':')
        .map(number)
        .collect::<Result<Vec<u64>, _>>()?;
    let seconds = match (days, parts.as_slice()) {
        (None, [m]) => m.checked_mul(60),
        (None, [m, s]) => m.checked_mul(60).and_then(|m| m.checked_add(*s)),
        (_, [h, m, s]) => h
            .checked_mul(3600)
            .and_then(|h| h.checked_add(m.checked_mul(60)?))
            .and_then(|t| t.checked_add(*s)),
        (Some(_), [h]) => h.checked_mul(3600),
        (Some(_), [h, m]) => h
            .checked_mul(3600)
            .and_then(|h| h.checked_add(m.checked_mul(60)?)),
        _ => None,
    }
    .ok_or_else(bad)?;
    days.map_or(Some(seconds), |d| {
        d.checked_mul(86_400).and_then(|d| d.checked_add(seconds))
    })
    .ok_or_else(bad)
}

/// Checks that `path` can stand in an `#SBATCH` line, which is not shell-quoted.
fn sbatch_safe(path: &Path) -> Result<&str, RunError> {
    let text = path
        .to_str()
        .ok_or_else(|| RunError::Config(format!("--out {}: not UTF-8 text", path.display())))?;
    if let Some(c) = text
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, '%' | '\'' | '"' | '\\'))
    {
        return Err(RunError::Config(format!(
            "--out {text}: `{c}` cannot stand in an #SBATCH line (Slurm's file patterns and option parsing); choose a folder without it"
        )));
    }
    Ok(text)
}

impl ArrayJob {
    /// Checks the settings against each other: tasks, throttle, time limit and signal time.
    pub fn check(&self) -> Result<(), RunError> {
        let bad = |e: String| Err(RunError::Config(e));
        if self.tasks == 0 || self.tasks > self.points {
            return bad(format!(
                "--tasks {}: the grid has {} points; give 1 to {} tasks",
                self.tasks, self.points, self.points
            ));
        }
        if self.max_running == 0 {
            return bad("--max-running 0: at least one task must run".into());
        }
        let limit =
            time_limit_seconds(&self.time).map_err(|e| RunError::Config(format!("--time: {e}")))?;
        if u64::from(self.signal_seconds) >= limit {
            return bad(format!(
                "--signal-seconds {}: not below the time limit --time {} ({limit} s), so the tasks would be told to stop as they start",
                self.signal_seconds, self.time
            ));
        }
        if self.job_name.is_empty() || self.job_name.chars().any(char::is_whitespace) {
            return bad(format!(
                "--job-name `{}`: give a name without spaces",
                self.job_name
            ));
        }
        if let Some(o) = self
            .options
            .iter()
            .find(|o| !o.starts_with("--") || o.contains('\n'))
        {
            return bad(format!(
                "--sbatch `{o}`: give one long sbatch option per flag, as --sbatch=--mem=4G"
            ));
        }
        sbatch_safe(&self.out).map(|_| ())
    }

    fn slurm_dir(&self) -> PathBuf {
        self.out.join("slurm")
    }

    fn logs_dir(&self) -> PathBuf {
        self.slurm_dir().join("logs")
    }

    fn shard_dir(&self, task: &str) -> String {
        format!("{}/shards/{task}", self.out.display())
    }

    /// The `#SBATCH` lines both jobs share, after the job's own.
    fn shared_options(&self, text: &mut String) {
        let _ = writeln!(text, "#SBATCH --time={}", self.time);
        for o in &self.options {
            let _ = writeln!(text, "#SBATCH {o}");
        }
    }

    /// The array's batch script.
    pub fn array_script(&self) -> String {
        let logs = self.logs_dir();
        let mut s = String::from("#!/bin/bash\n");
        let _ = writeln!(
            s,
            "# A lowrank sweep of {} points as {} array tasks, written by `sweep slurm`; submit with {}.",
            self.points,
            self.tasks,
            self.slurm_dir().join(SUBMIT_SCRIPT).display()
        );
        let _ = writeln!(s, "#SBATCH --job-name={}", self.job_name);
        let _ = writeln!(
            s,
            "#SBATCH --array=0-{}%{}",
            self.tasks - 1,
            self.max_running
        );
        let _ = writeln!(s, "#SBATCH --output={}/%A_%a.out", logs.display());
        let _ = writeln!(s, "#SBATCH --open-mode=append");
        let _ = writeln!(s, "#SBATCH --requeue");
        let _ = writeln!(s, "#SBATCH --signal=B:USR1@{}", self.signal_seconds);
        let _ = writeln!(s, "#SBATCH --cpus-per-task={}", self.cpus_per_task);
        self.shared_options(&mut s);
        let mut command = vec![quote(&self.binary.to_string_lossy())];
        command.extend(self.flags.iter().map(|f| quote(f)));
        let has = |name: &str| {
            self.flags
                .iter()
                .any(|f| f == name || f.starts_with(&format!("{name}=")))
        };
        if !has("--threads") {
            command.push(format!("--threads={}", self.cpus_per_task));
        }
        if !has("--quiet") {
            command.push("--quiet".into());
        }
        command.push(format!("--shard=\"$task/{}\"", self.tasks));
        command.push(format!(
            "--out={}",
            quote(&self.shard_dir("")) + "\"$task\""
        ));
        let _ = write!(
            s,
            r#"set -u
task=${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch}}
echo "lowrank sweep: task $task of {tasks}, attempt $((${{SLURM_RESTART_COUNT:-0}} + 1)), on $(hostname) at $(date -Is)"
# Slurm sends USR1 to this shell only (--signal=B:…): pass it on to the sweep, which writes its
# checkpoints and exits {interrupted}. TERM (scancel, preemption) reaches the sweep directly; the
# shell only goes on waiting for it.
trap 'kill -USR1 "$child" 2>/dev/null' USR1
trap ':' TERM
{command} &
child=$!
status=0
wait "$child" || status=$?
# A trapped signal ends `wait` early: wait again until the sweep has really exited.
while kill -0 "$child" 2>/dev/null; do
    status=0
    wait "$child" || status=$?
done
if [ "$status" -eq {interrupted} ]; then
    echo "lowrank sweep: task $task stopped with its checkpoints written; requeueing it"
    scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_$task" && exit 0
fi
exit "$status"
"#,
            tasks = self.tasks,
            interrupted = EXIT_INTERRUPTED,
            command = command.join(" "),
        );
        s
    }

    /// The merge job's batch script.
    pub fn merge_script(&self) -> String {
        let mut s = String::from("#!/bin/bash\n");
        let _ = writeln!(
            s,
            "# Joins the tables of the {} shards of the sweep into {}, once every array task has succeeded.",
            self.tasks,
            self.out.display()
        );
        let _ = writeln!(s, "#SBATCH --job-name={}-merge", self.job_name);
        let _ = writeln!(
            s,
            "#SBATCH --output={}/merge_%j.out",
            self.logs_dir().display()
        );
        let _ = writeln!(s, "#SBATCH --cpus-per-task=1");
        self.shared_options(&mut s);
        let shards: Vec<String> = (0..self.tasks)
            .map(|i| quote(&self.shard_dir(&i.to_string())))
            .collect();
        let _ = writeln!(
            s,
            "exec {} merge {} --out={}",
            quote(&self.binary.to_string_lossy()),
            shards.join(" "),
            quote(&self.out.to_string_lossy())
        );
        s
    }

    /// The script that submits both jobs.
    pub fn submit_script(&self) -> String {
        let dir = self.slurm_dir();
        let array = quote(&dir.join(ARRAY_SCRIPT).to_string_lossy());
        let merge = quote(&dir.join(MERGE_SCRIPT).to_string_lossy());
        format!(
            r#"#!/bin/bash
# Submits the sweep's job array, then its merge job, which runs once every task has succeeded
# (and is cancelled if one fails). Prints both job ids.
set -euo pipefail
array=$(sbatch --parsable {array})
array=${{array%%;*}}
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes {merge})
merge=${{merge%%;*}}
echo "array job $array, merge job $merge"
echo "logs: {logs}; table: {out}/sweep.md"
"#,
            logs = self.logs_dir().display(),
            out = self.out.display(),
        )
    }

    /// Writes the three scripts into `OUT/slurm/` (and creates its `logs/`, which Slurm does
    /// not); returns the submit script's path.
    pub fn write(&self) -> Result<PathBuf, RunError> {
        self.check()?;
        let logs = self.logs_dir();
        std::fs::create_dir_all(&logs)
            .map_err(|e| RunError::io(format!("--out: creating {}", logs.display()), e))?;
        let dir = self.slurm_dir();
        for (name, text) in [
            (ARRAY_SCRIPT, self.array_script()),
            (MERGE_SCRIPT, self.merge_script()),
            (SUBMIT_SCRIPT, self.submit_script()),
        ] {
            let path = dir.join(name);
            models::atomic::write_atomic_with(&path, |file| {
                use std::os::unix::fs::PermissionsExt;
                file.get_ref()
                    .set_permissions(std::fs::Permissions::from_mode(0o755))?;
                file.write_all(text.as_bytes())
            })
            .map_err(|e| RunError::io(format!("writing {}", path.display()), e))?;
        }
        Ok(dir.join(SUBMIT_SCRIPT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> ArrayJob {
        ArrayJob {
            binary: "/opt/lowrank/sweep".into(),
            flags: vec!["--seeds=0,1,2".into(), "--data=it's".into()],
            out: "/scratch/run".into(),
            points: 12,
            tasks: 4,
            max_running: 2,
            time: "1:30:00".into(),
            signal_seconds: 120,
            cpus_per_task: 2,
            job_name: "lowrank-sweep".into(),
            options: vec!["--partition=short".into()],
        }
    }

    #[test]
    fn time_limits_parse_in_every_slurm_format() {
        for (text, seconds) in [
            ("90", 5400),
            ("5:30", 330),
            ("1:30:00", 5400),
            ("2-0", 172_800),
            ("1-2:3", 93_780),
            ("1-02:03:04", 93_784),
        ] {
            assert_eq!(time_limit_seconds(text), Ok(seconds), "{text}");
        }
        for bad in [
            "",
            "1:2:3:4",
            "x",
            "-1",
            "1-",
            "1-2:3:4:5",
            "1.5",
            "99999999999999999999",
        ] {
            assert!(time_limit_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_array_script_asks_for_what_a_long_sweep_needs() {
        let s = job().array_script();
        for line in [
            "#SBATCH --array=0-3%2\n",
            "#SBATCH --output=/scratch/run/slurm/logs/%A_%a.out\n",
            "#SBATCH --open-mode=append\n",
            "#SBATCH --requeue\n",
            "#SBATCH --signal=B:USR1@120\n",
            "#SBATCH --cpus-per-task=2\n",
            "#SBATCH --time=1:30:00\n",
            "#SBATCH --partition=short\n",
            "trap 'kill -USR1 \"$child\" 2>/dev/null' USR1\n",
            "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_$task\" && exit 0\n",
        ] {
            assert!(s.contains(line), "`{line}` not in:\n{s}");
        }
        assert!(s.contains(
            "'/opt/lowrank/sweep' '--seeds=0,1,2' '--data=it'\\''s' --threads=2 --quiet --shard=\"$task/4\" --out='/scratch/run/shards/'\"$task\" &"
        ), "{s}");
        // Every #SBATCH line comes before the first command, or sbatch ignores it.
        let first_command = s.find("set -u").unwrap();
        assert!(s.rfind("#SBATCH").unwrap() < first_command);
        let merge = job().merge_script();
        assert!(merge.contains("merge '/scratch/run/shards/0' '/scratch/run/shards/1' '/scratch/run/shards/2' '/scratch/run/shards/3' --out='/scratch/run'"), "{merge}");
        let submit = job().submit_script();
        assert!(
            submit.contains("--dependency=afterok:\"$array\""),
            "{submit}"
        );
    }

    #[test]
    fn inconsistent_settings_are_named() {
        let with = |f: fn(&mut ArrayJob)| {
            let mut j = job();
            f(&mut j);
            j.check().unwrap_err().to_string()
        };
        assert!(with(|j| j.tasks = 13).contains("--tasks 13"));
        assert!(with(|j| j.tasks = 0).contains("--tasks 0"));
        assert!(with(|j| j.max_running = 0).contains("--max-running"));
        assert!(with(|j| j.time = "soon".into()).contains("--time"));
        assert!(with(|j| j.time = "2".into()).contains("--signal-seconds 120"));
        assert!(with(|j| j.out = "/my runs".into()).contains("--out /my runs"));
        assert!(with(|j| j.out = "/runs/%j".into()).contains("`%`"));
        assert!(with(|j| j.options = vec!["mem=4G".into()]).contains("--sbatch"));
        assert!(job().check().is_ok());
    }
}
