//! A published run read back: what resuming an experiment or rerunning a sweep uses instead of
//! training a run that already finished.

use std::path::Path;

use models::{Init, Network};

use super::rundir::RunDir;
use super::watch::fits;
use super::{RunRecord, RunSpec, layer_metas};
use crate::data::svm::Separability;
use crate::error::RunError;
use crate::metrics::log::MetricsLog;
use crate::report::summary::Summary;

/// The summary and record of the run of `spec` published at `out`, if there is one of the same
/// configuration. Another configuration there is an error when `strict` (naming the first
/// setting that differs), else None: the run starts over, replacing it when it is published.
pub(super) fn read(
    spec: &RunSpec,
    out: &Path,
    strict: bool,
) -> Result<Option<(Summary, RunRecord)>, RunError> {
    let dir = RunDir::at(out);
    let path = dir.summary_json();
    if !path.exists() {
        return Ok(None);
    }
    let summary =
        Summary::read(&path).map_err(|e| RunError::io(format!("reading {}", path.display()), e))?;
    if !fits(spec, &summary.config, &out.display().to_string(), strict)? {
        return Ok(None);
    }
    let csv = dir.metrics_csv();
    let text = std::fs::read_to_string(&csv)
        .map_err(|e| RunError::io(format!("reading {}", csv.display()), e))?;
    let log = MetricsLog::read_csv(&text)
        .map_err(|e| RunError::Config(format!("{}: {e}", csv.display())))?;
    let net = Network::<f64>::new(&spec.arch, Init::Zeros, 0);
    let record = RunRecord {
        name: spec.name.clone(),
        layers: layer_metas(net.layers()),
        pairs: net.adjacent_pairs(),
        log,
        outcome: summary.outcome.clone(),
        separability: Separability::of(&spec.data),
        loss: spec.train.loss,
        examples: spec.data.n,
    };
    Ok(Some((summary, record)))
}
