//! A run folder is published whole: the run writes into a staging folder beside it
//! (`.NAME.partial`, which also holds its checkpoints), and only a finished run is renamed into
//! place. A reader (a report, `sweep merge`, a resume) sees the previous run's folder or the new
//! one, never the files of two runs mixed, and a new run destroys nothing of the old one's
//! results before it completes.
//!
//! Renaming a folder over a non-empty one is not possible, so publishing takes two renames: the
//! old folder aside to `.NAME.old.PID`, then the staging folder into place. A crash between them
//! leaves the old folder aside and none in place; [`recover`] puts it back before anything else
//! reads the place.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::runner::rundir::RunDir;

/// The hidden sibling of `out` named `.NAME.<suffix>`.
fn sibling(out: &Path, suffix: &str) -> io::Result<PathBuf> {
    let name = out.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a folder", out.display()),
        )
    })?;
    let mut hidden = OsString::from(".");
    hidden.push(name);
    hidden.push(format!(".{suffix}"));
    Ok(out.with_file_name(hidden))
}

/// The staging folder of the run published at `out`: `.NAME.partial` beside it.
pub fn staging_path(out: &Path) -> io::Result<PathBuf> {
    sibling(out, "partial")
}

/// The folders set aside by a publication that did not finish (`.NAME.old.*` beside `out`).
fn set_aside(out: &Path) -> io::Result<Vec<PathBuf>> {
    let prefix = sibling(out, "old.")?;
    let prefix = prefix
        .file_name()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = fs::read_dir(&parent) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    found.sort();
    Ok(found)
}

/// Finishes what an interrupted publication left: with no folder at `out`, the folder set aside
/// goes back in place; with one, the folders set aside are removed.
pub fn recover(out: &Path) -> io::Result<()> {
    let mut aside = set_aside(out)?;
    if !out.exists()
        && let Some(last) = aside.pop()
    {
        fs::rename(&last, out)?;
    }
    for old in aside {
        fs::remove_dir_all(old)?;
    }
    Ok(())
}

/// Removes the temporary files an interrupted atomic write left in `dir` (`.*.tmp`, see
/// [`models::atomic`]); only the run that owns a staging folder writes in it, so none is live.
pub fn remove_stale_temporaries(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Opens the staging folder of `out`: kept as it is when `keep` (a run continuing from its
/// checkpoint, stale temporary files removed), else emptied.
pub fn stage(out: &Path, keep: bool) -> io::Result<RunDir> {
    let staging = staging_path(out)?;
    if staging.exists() {
        if keep {
            remove_stale_temporaries(&staging)?;
        } else {
            fs::remove_dir_all(&staging)?;
        }
    }
    RunDir::create(&staging)
}

/// Moves the finished staging folder into place at `out`, replacing the folder there, if any.
pub fn publish(staging: &RunDir, out: &Path) -> io::Result<()> {
    recover(out)?;
    if out.exists() {
        let aside = sibling(out, &format!("old.{}", std::process::id()))?;
        fs::rename(out, &aside)?;
        fs::rename(staging.root(), out)?;
        fs::remove_dir_all(&aside)
    } else {
        fs::rename(staging.root(), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lowrank-publish-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_new_run_replaces_the_old_folder_only_when_it_is_published() {
        let dir = base("replace");
        let out = dir.join("run");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("summary.json"), "old").unwrap();
        let staging = stage(&out, false).unwrap();
        assert_eq!(staging.root(), dir.join(".run.partial"));
        fs::write(staging.root().join("final.safetensors"), "new").unwrap();
        // Until published, the old folder is whole and alone.
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "old");
        assert!(!out.join("final.safetensors").exists());
        publish(&staging, &out).unwrap();
        assert!(!out.join("summary.json").exists());
        assert_eq!(
            fs::read_to_string(out.join("final.safetensors")).unwrap(),
            "new"
        );
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![OsString::from("run")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_interrupted_publication_is_undone_and_stale_files_removed() {
        let dir = base("recover");
        let out = dir.join("run");
        // Crashed between the two renames: the old folder aside, none in place.
        let aside = dir.join(".run.old.12345");
        fs::create_dir_all(&aside).unwrap();
        fs::write(aside.join("summary.json"), "old").unwrap();
        recover(&out).unwrap();
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "old");
        assert!(!aside.exists());
        // A staging folder kept for resuming loses only its temporary files.
        let staging = stage(&out, false).unwrap();
        fs::write(staging.root().join("checkpoint.safetensors"), "c").unwrap();
        fs::write(staging.root().join(".metrics.csv.99.0.tmp"), "t").unwrap();
        let kept = stage(&out, true).unwrap();
        assert!(kept.root().join("checkpoint.safetensors").exists());
        assert!(!kept.root().join(".metrics.csv.99.0.tmp").exists());
        // A fresh start empties it.
        let fresh = stage(&out, false).unwrap();
        assert_eq!(fs::read_dir(fresh.root()).unwrap().count(), 0);
        assert!(staging_path(Path::new("/")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
