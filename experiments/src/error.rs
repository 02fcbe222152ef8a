//! Why a run could not run. (A claim that does not hold is not an error: it is a verdict.)

use std::io;

/// Every way a run, an experiment or a sweep can fail to run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The data could not be built or loaded (the message names the file and the problem).
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// Training stopped with an error other than divergence (a shape or data problem).
    #[error("training run `{run}`: {source}")]
    Train {
        /// The run.
        run: String,
        /// What went wrong.
        source: models::TrainError,
    },
    /// A checkpoint could not be read or written (the message names the file).
    #[error(transparent)]
    Checkpoint(#[from] models::CheckpointError),
    /// A file or folder could not be written or read.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A chart could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] crate::report::plot::PlotError),
    /// A signal asked the run to stop: its checkpoint (step and file) was written, if it had
    /// started training.
    #[error("run `{run}` stopped on {signal}{}", match checkpoint {
        Some((step, path)) => format!(" at step {step}; its checkpoint is {}", path.display()),
        None => " before it started".to_string(),
    })]
    Interrupted {
        /// The run.
        run: String,
        /// The signal's name.
        signal: &'static str,
        /// The step and file of the checkpoint written.
        checkpoint: Option<(usize, std::path::PathBuf)>,
    },
    /// A configuration that cannot run (names the setting and what is wrong).
    #[error("{0}")]
    Config(String),
}

impl RunError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        RunError::Io {
            context: context.into(),
            source,
        }
    }
}
