//! `summary.json`: what a run was (its full config), how it ended, its final metrics, and each
//! claim with the statement, the measured value, the threshold and the verdict.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::claims::{Claim, Verdict};
use crate::data::svm::Separability;
use models::atomic::write_atomic;

/// The paper whose claims the runs test.
pub const REFERENCE: &str = "T. Le and S. Jegelka, Training invariances and the low-rank phenomenon: beyond linear networks, ICLR 2022 (arXiv:2201.11968)";

/// How a training run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It used its step budget or reached its target loss.
    Completed,
    /// The loss or the weights became non-finite; the metrics stop at the last good step.
    Diverged,
    /// The network outputs exactly 0 on some training examples at the end, with every unit of
    /// a layer inactive there: no gradient reaches them, so training can never fit them. (A run
    /// that stopped on a non-finite step from such a state is reported as collapsed too: the
    /// collapse is the cause.)
    Collapsed,
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Completed, diverged or collapsed.
    pub status: Status,
    /// Steps taken.
    pub steps: usize,
    /// Why training stopped (`budget`, `target loss`, or the divergence message).
    pub stop_reason: String,
    /// Wall-clock seconds of the whole run (training and metrics).
    pub seconds: f64,
    /// The part of `seconds` spent computing metrics (kept a small fraction by the log schedule).
    pub metrics_seconds: f64,
}

/// The data's separability as `summary.json` states it: the finding with its numbers, and in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataPremise {
    /// False when the data breaks the premise: the claims resting on it are not applicable.
    pub separable: bool,
    /// The finding in words, as the report and the warning print it.
    pub evidence: String,
    /// The finding and its numbers.
    #[serde(flatten)]
    pub finding: Separability,
}

impl DataPremise {
    /// The premise as found in `finding`.
    pub fn new(finding: Separability) -> Self {
        Self {
            separable: finding.margin().is_some(),
            evidence: finding.to_string(),
            finding,
        }
    }
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The run's name.
    pub name: String,
    /// The paper the claims come from.
    pub reference: String,
    /// The full configuration (architecture, data, init, loss, step rule, lr, steps, dtype, seed …).
    pub config: serde_json::Value,
    /// How the run ended.
    pub outcome: Outcome,
    /// Whether the data meets the premise of the claims that rest on separability, and why not
    /// (None in summaries written before it was recorded).
    #[serde(default)]
    pub data: Option<DataPremise>,
    /// The last logged value of every metric, keyed `run.<metric>`, `layer.<k>.<metric>` or
    /// `pair.<k>.<metric>` (non-finite values left out).
    pub final_metrics: BTreeMap<String, f64>,
    /// The claims checked on this run.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// True when every claim holds.
    pub fn all_hold(&self) -> bool {
        self.claims.iter().all(|c| c.verdict == Verdict::Holds)
    }

    /// Writes the summary as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        write_atomic(path, text.as_bytes())
    }

    /// Reads a summary written by [`Summary::write`]; the error names the file.
    pub fn read(path: &Path) -> io::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| io::Error::new(e.kind(), format!("reading {}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a run summary: {e}", path.display()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Threshold;

    #[test]
    fn writes_and_reads_back() {
        let mut final_metrics = BTreeMap::new();
        final_metrics.insert("layer.0.r".to_string(), 0.999);
        let s = Summary {
            name: "t".into(),
            reference: REFERENCE.into(),
            config: serde_json::json!({"arch": "10,linear:10,1", "lr": 0.1}),
            outcome: Outcome {
                status: Status::Completed,
                steps: 100,
                stop_reason: "budget".into(),
                seconds: 0.5,
                metrics_seconds: 0.1,
            },
            data: Some(DataPremise::new(Separability::Contradictory {
                first: 1,
                second: 3,
                examples: 2,
            })),
            final_metrics,
            claims: vec![Claim::evaluate(
                "r",
                "t",
                "s",
                "m",
                0.999,
                Threshold::Above { value: 0.99 },
            )],
        };
        assert!(s.all_hold());
        let path =
            std::env::temp_dir().join(format!("lowrank-summary-{}.json", std::process::id()));
        s.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"verdict\": \"holds\""), "{text}");
        assert!(
            text.contains(
                "\"data\": {\n    \"separable\": false,\n    \"evidence\": \"contradictory: \
                 examples 1 and 3 have the same input and opposite labels"
            ),
            "{text}"
        );
        assert!(text.contains("\"finding\": \"contradictory\""), "{text}");
        assert_eq!(Summary::read(&path).unwrap(), s);
        std::fs::write(&path, "{}").unwrap();
        let e = Summary::read(&path).unwrap_err().to_string();
        assert!(e.contains("is not a run summary"), "{e}");
        std::fs::remove_file(&path).unwrap();
    }
}
