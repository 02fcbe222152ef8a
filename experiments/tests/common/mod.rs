//! What the experiment tests share: a fresh scratch folder, quiet settings, and a claim found by
//! run and id.

use std::path::PathBuf;

use experiments::claims::Claim;
use experiments::runner::rundir::RunDir;
use experiments::suite::Common;

/// `lowrank-<prefix>-<name>-<pid>` in the temporary folder, emptied of an earlier attempt and not
/// created (a run publishes its folder itself).
pub fn scratch_path(prefix: &str, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lowrank-{prefix}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

/// [`scratch_path`], created as an experiment's folder.
pub fn scratch(prefix: &str, name: &str) -> RunDir {
    RunDir::create(&scratch_path(prefix, name)).unwrap()
}

/// The default settings without progress bars.
pub fn quiet() -> Common {
    Common {
        quiet: true,
        ..Common::default()
    }
}

/// The claim `id` judged on run `run` (its name alone or as `experiment/run`; "" for any run).
pub fn claim<'a>(claims: &'a [Claim], run: &str, id: &str) -> &'a Claim {
    claims
        .iter()
        .find(|c| {
            c.id == id && (run.is_empty() || c.run == run || c.run.ends_with(&format!("/{run}")))
        })
        .unwrap_or_else(|| panic!("no claim {id} on run {run:?}: {claims:?}"))
}
