//! Training checkpoints: the weights with everything else a run needs to continue exactly (the
//! trainer's [`TrainState`] and whatever the caller attaches, such as its metrics so far), in one
//! safetensors file written atomically.
//!
//! Beside the weights under their usual names, the file holds `train.counts` and `train.reals`
//! (the state's scalars), `train.order` (u64), `train.{first,second,backup,grad_backup}.{i}` (in
//! the weights' dtype) and the attachments as `extra.reals.{name}` (f64), `extra.counts.{name}`
//! (u64) and `extra.{name}` metadata entries. The metadata's `kind` is `training` and `version`
//! is [`TRAINING_VERSION`]: a file of another version is refused, not misread.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use autodiff::Element;
use kernels::rng::RngState;
use safetensors::Dtype;

use super::file::{RawTensor, Values};
use super::{CheckpointError, FORMAT, fill, read, write};
use crate::network::Network;
use crate::train::{StepInfo, TrainState};

/// The layout version of training checkpoints; bumped whenever it changes.
pub const TRAINING_VERSION: &str = "1";

/// Named arrays and texts a caller stores in a training checkpoint beside the trainer's state,
/// and gets back exactly (reals bit for bit, NaN and infinities included).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attachments {
    /// Real-valued arrays, stored as f64.
    pub reals: BTreeMap<String, Vec<f64>>,
    /// Integer arrays.
    pub counts: BTreeMap<String, Vec<u64>>,
    /// Texts.
    pub texts: BTreeMap<String, String>,
}

/// Saves `net`'s weights, the trainer's `state` (taken at the same moment) and `extra` to
/// `path`, atomically: a reader sees the previous checkpoint or this one, never a mixture.
pub fn save_training<T: Element>(
    net: &Network<T>,
    state: &TrainState<T>,
    extra: &Attachments,
    path: &Path,
) -> Result<(), CheckpointError> {
    let dtype = super::file::dtype_for(T::NAME);
    let native = |values: &[T]| {
        let reals = values.iter().map(|v| v.to_f64()).collect();
        RawTensor::reals(dtype, vec![values.len()], reals)
    };
    let mut tensors: Vec<(String, RawTensor)> = net
        .named_params()
        .into_iter()
        .map(|(name, t)| {
            let reals = t.data().iter().map(|v| v.to_f64()).collect();
            (name, RawTensor::reals(dtype, t.shape().to_vec(), reals))
        })
        .collect();
    let accepted = state.accepted.unwrap_or(StepInfo {
        step: 0,
        loss: 0.0,
        log_loss: 0.0,
        lr: 0.0,
        grad_norm: 0.0,
    });
    let [w0, w1, w2, w3] = state.rng.words;
    let counts = vec![
        state.step as u64,
        state.cursor as u64,
        u64::from(state.updates),
        u64::from(state.backup.is_some()),
        u64::from(state.accepted.is_some()),
        accepted.step as u64,
        w0,
        w1,
        w2,
        w3,
        u64::from(state.rng.spare_normal.is_some()),
        state.first.len() as u64,
        state.second.len() as u64,
        state.grad_backup.len() as u64,
    ];
    let reals = vec![
        state.log_eta,
        accepted.loss,
        accepted.log_loss,
        accepted.lr,
        accepted.grad_norm,
        state.rng.spare_normal.unwrap_or(0.0),
    ];
    tensors.push(("train.counts".into(), RawTensor::counts(counts)));
    tensors.push((
        "train.reals".into(),
        RawTensor::reals(Dtype::F64, vec![reals.len()], reals),
    ));
    let order = state.order.iter().map(|&i| i as u64).collect();
    tensors.push(("train.order".into(), RawTensor::counts(order)));
    let buffers = [
        ("first", &state.first[..]),
        ("second", &state.second[..]),
        ("backup", state.backup.as_deref().unwrap_or_default()),
        ("grad_backup", &state.grad_backup[..]),
    ];
    for (what, list) in buffers {
        for (i, b) in list.iter().enumerate() {
            tensors.push((format!("train.{what}.{i}"), native(b)));
        }
    }
    for (name, values) in &extra.reals {
        let t = RawTensor::reals(Dtype::F64, vec![values.len()], values.clone());
        tensors.push((format!("extra.reals.{name}"), t));
    }
    for (name, values) in &extra.counts {
        tensors.push((
            format!("extra.counts.{name}"),
            RawTensor::counts(values.clone()),
        ));
    }
    let mut metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("kind".to_string(), "training".to_string()),
        ("version".to_string(), TRAINING_VERSION.to_string()),
        ("arch".to_string(), net.arch().to_string()),
        ("dtype".to_string(), T::NAME.to_string()),
    ]);
    for (key, text) in &extra.texts {
        metadata.insert(format!("extra.{key}"), text.clone());
    }
    write(path, &tensors, metadata)
}

/// Loads a checkpoint written by [`save_training`] into `net`, which must have the
/// architecture and dtype it was saved from; returns the trainer's state and the attachments.
/// Nothing is changed in `net` unless everything checks.
pub fn load_training<T: Element>(
    net: &mut Network<T>,
    path: &Path,
) -> Result<(TrainState<T>, Attachments), CheckpointError> {
    let decoded = read(path)?;
    let meta = |problem: String| CheckpointError::Metadata {
        path: path.to_path_buf(),
        problem,
    };
    let get = |key: &str| {
        decoded.metadata.get(key).ok_or_else(|| {
            meta(format!(
                "no `{key}` entry (not a {FORMAT} training checkpoint?)"
            ))
        })
    };
    let expect = |key: &str, want: &str| -> Result<(), CheckpointError> {
        let got = get(key)?;
        if got == want {
            Ok(())
        } else {
            Err(meta(format!("{key} is `{got}`, expected `{want}`")))
        }
    };
    expect("format", FORMAT)?;
    expect("kind", "training")?;
    expect("version", TRAINING_VERSION)?;
    let arch = get("arch")?;
    if *arch != net.arch().to_string() {
        return Err(CheckpointError::Mismatch {
            path: path.to_path_buf(),
            problem: format!(
                "it was saved from the network `{arch}`, not `{}`",
                net.arch()
            ),
        });
    }
    let dtype = get("dtype")?;
    if dtype != T::NAME {
        return Err(meta(format!(
            "the run was trained in {dtype}, not in {}",
            T::NAME
        )));
    }
    let mut weights = decoded.tensors;
    let mut state_tensors: HashMap<String, RawTensor> = HashMap::new();
    let names: Vec<String> = weights
        .keys()
        .filter(|k| k.starts_with("train.") || k.starts_with("extra."))
        .cloned()
        .collect();
    for name in names {
        if let Some(t) = weights.remove(&name) {
            state_tensors.insert(name, t);
        }
    }
    let mut extra = Attachments::default();
    for (key, text) in &decoded.metadata {
        if let Some(name) = key.strip_prefix("extra.") {
            extra.texts.insert(name.to_string(), text.clone());
        }
    }
    let mut parts = Parts {
        tensors: state_tensors,
        path,
    };
    let counts = parts.counts("train.counts")?;
    let reals = parts.reals("train.reals")?;
    let (
        &[
            step,
            cursor,
            updates,
            has_backup,
            has_accepted,
            accepted_step,
            w0,
            w1,
            w2,
            w3,
            has_spare,
            firsts,
            seconds,
            grads,
        ],
        &[log_eta, loss, log_loss, lr, grad_norm, spare],
    ) = (&counts[..], &reals[..])
    else {
        return Err(parts.bad("train.counts or train.reals has the wrong length"));
    };
    let order = parts.counts("train.order")?;
    let mut list = |what: &str, count: u64| -> Result<Vec<Vec<T>>, CheckpointError> {
        (0..count)
            .map(|i| {
                let reals = parts.reals(&format!("train.{what}.{i}"))?;
                Ok(reals.into_iter().map(T::from_f64).collect())
            })
            .collect()
    };
    let first = list("first", firsts)?;
    let second = list("second", seconds)?;
    let grad_backup = list("grad_backup", grads)?;
    let params = net.named_params().len() as u64;
    let backup = if has_backup == 1 {
        Some(list("backup", params)?)
    } else {
        None
    };
    let to_usize = |v: u64, what: &str| {
        usize::try_from(v).map_err(|_| meta(format!("{what} {v} does not fit this machine")))
    };
    let state = TrainState {
        step: to_usize(step, "the step")?,
        rng: RngState {
            words: [w0, w1, w2, w3],
            spare_normal: (has_spare == 1).then_some(spare),
        },
        order: order
            .iter()
            .map(|&i| to_usize(i, "an example index"))
            .collect::<Result<_, _>>()?,
        cursor: to_usize(cursor, "the epoch position")?,
        first,
        second,
        updates: u32::try_from(updates).map_err(|_| meta(format!("update count {updates}")))?,
        backup,
        grad_backup,
        log_eta,
        accepted: (has_accepted == 1).then_some(StepInfo {
            step: to_usize(accepted_step, "the accepted step")?,
            loss,
            log_loss,
            lr,
            grad_norm,
        }),
    };
    for (name, tensor) in std::mem::take(&mut parts.tensors) {
        match (
            name.strip_prefix("extra.reals."),
            name.strip_prefix("extra.counts."),
            tensor.values,
        ) {
            (Some(key), _, Values::Reals(v)) => {
                extra.reals.insert(key.to_string(), v);
            }
            (_, Some(key), Values::Counts(v)) => {
                extra.counts.insert(key.to_string(), v);
            }
            _ => {
                return Err(CheckpointError::Mismatch {
                    path: path.to_path_buf(),
                    problem: format!("unexpected tensor `{name}`"),
                });
            }
        }
    }
    fill(net, path, weights)?;
    Ok((state, extra))
}

/// The state tensors of a training checkpoint, taken out by name.
struct Parts<'a> {
    tensors: HashMap<String, RawTensor>,
    path: &'a Path,
}

impl Parts<'_> {
    fn bad(&self, problem: &str) -> CheckpointError {
        CheckpointError::Mismatch {
            path: self.path.to_path_buf(),
            problem: problem.to_string(),
        }
    }

    fn take(&mut self, name: &str) -> Result<RawTensor, CheckpointError> {
        self.tensors
            .remove(name)
            .ok_or_else(|| self.bad(&format!("tensor `{name}` is missing")))
    }

    fn counts(&mut self, name: &str) -> Result<Vec<u64>, CheckpointError> {
        match self.take(name)?.values {
            Values::Counts(v) => Ok(v),
            Values::Reals(_) => Err(self.bad(&format!("tensor `{name}` should be u64"))),
        }
    }

    fn reals(&mut self, name: &str) -> Result<Vec<f64>, CheckpointError> {
        match self.take(name)?.values {
            Values::Reals(v) => Ok(v),
            Values::Counts(_) => Err(self.bad(&format!("tensor `{name}` should be f32 or f64"))),
        }
    }
}
