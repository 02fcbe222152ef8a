//! The files of one run, all in one folder (`--out`, default `runs/<name>/`):
//!
//! | file | content |
//! | --- | --- |
//! | `metrics.csv` | every logged metric, long format: `step,scope,index,name,metric,value` |
//! | `spectra.csv` | with `--metrics full-spectrum`: every singular value of every layer at each log, `step,index,name,k,sigma` |
//! | `summary.json` | the config, the outcome, the data's separability, the final metrics, and each claim with its verdict |
//! | `final.safetensors` | the trained weights (loadable with `--init` or `models::load`) |
//! | `report.md` | tables and the plots below, embedded |
//! | `config.toml` | the flags that reproduce the run (`train --config config.toml`) |
//! | `*.svg` | r per layer, alignment per pair, log-loss, invariance drifts, margins, and `claim-<id>.svg`: each claim's measure at every log against its threshold |
//!
//! While the run trains, these are written to its staging folder, beside the training
//! checkpoint `checkpoint.safetensors`; the folder is published whole (see
//! [`crate::runner::publish`]).

use std::io;
use std::path::{Path, PathBuf};

/// The folder a run writes to, and the names of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// The default folder of a run called `name`: `runs/<name>` under the current directory.
    pub fn default_path(name: &str) -> PathBuf {
        Path::new("runs").join(name)
    }

    /// Uses (and creates if needed) the folder `root`.
    pub fn create(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("creating the run folder {}: {e}", root.display()),
            )
        })?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The folder `root`, as it is (not created).
    pub fn at(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `metrics.csv`.
    pub fn metrics_csv(&self) -> PathBuf {
        self.root.join("metrics.csv")
    }

    /// `spectra.csv` (the full spectra, when asked).
    pub fn spectra_csv(&self) -> PathBuf {
        self.root.join("spectra.csv")
    }

    /// `summary.json`.
    pub fn summary_json(&self) -> PathBuf {
        self.root.join("summary.json")
    }

    /// `final.safetensors`.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("final.safetensors")
    }

    /// `checkpoint.safetensors`: the training checkpoint of a run in progress (weights,
    /// optimizer state, metrics so far), in its staging folder; gone once the run is published.
    pub fn training_checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint.safetensors")
    }

    /// `config.toml`: the resolved configuration of the invocation that wrote the folder, which
    /// `--config` reads back (see [`crate::cli::config`]).
    pub fn config_toml(&self) -> PathBuf {
        self.root.join(crate::cli::config::FILE_NAME)
    }

    /// `report.md`.
    pub fn report_md(&self) -> PathBuf {
        self.root.join("report.md")
    }

    /// The SVG file of the plot called `stem` (`<stem>.svg`).
    pub fn plot(&self, stem: &str) -> PathBuf {
        self.root.join(format!("{stem}.svg"))
    }

    /// A sub-folder for one run of a multi-run experiment or suite.
    pub fn child(&self, name: &str) -> io::Result<Self> {
        Self::create(&self.root.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_names_every_file() {
        let base = std::env::temp_dir().join(format!("lowrank-rundir-{}", std::process::id()));
        let dir = RunDir::create(&base.join("a/b")).unwrap();
        assert!(dir.root().is_dir());
        assert!(dir.metrics_csv().ends_with("a/b/metrics.csv"));
        assert!(dir.summary_json().ends_with("summary.json"));
        assert!(dir.checkpoint().ends_with("final.safetensors"));
        assert!(dir.report_md().ends_with("report.md"));
        assert!(dir.plot("ratio").ends_with("a/b/ratio.svg"));
        assert!(dir.child("c").unwrap().root().is_dir());
        assert_eq!(RunDir::default_path("x"), PathBuf::from("runs/x"));
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn unwritable_place_is_a_clear_error() {
        let file = std::env::temp_dir().join(format!("lowrank-rundir-file-{}", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let e = RunDir::create(&file.join("sub")).unwrap_err().to_string();
        assert!(e.contains("creating the run folder"), "{e}");
        std::fs::remove_file(&file).unwrap();
    }
}
