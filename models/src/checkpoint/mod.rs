//! Network checkpoints as safetensors files that NumPy, PyTorch and JAX read directly.
//!
//! Tensor names are `layers.{k}.weight`, `blocks.{j}.{y,u,z}.weight` and `layers.0.bias`, each
//! weight [out_features, in_features] in the dtype the network was trained in. The metadata
//! `{"format": "lowrank", "arch": "<grammar string>", "dtype": "f32"|"f64"}` lets a file alone
//! rebuild its network.

mod file;
mod training;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use autodiff::Element;

use crate::arch::Arch;
use crate::init::Init;
use crate::layers::layer_list;
use crate::network::Network;
use file::{RawTensor, Values, decode, dtype_for, dtype_name, encode};

use crate::atomic::write_atomic;

pub use training::{Attachments, TRAINING_VERSION, load_training, save_training};

/// The value of the `format` metadata key.
pub const FORMAT: &str = "lowrank";

/// Why a checkpoint could not be written or read; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be read or written (missing, permissions, disk full...).
    #[error("checkpoint {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file (truncated, corrupted header...).
    #[error("checkpoint {}: {problem}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The metadata is missing a key or has a value that does not parse.
    #[error("checkpoint {}: metadata: {problem}", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The tensors do not match the network: a name missing or unexpected, a wrong shape or dtype.
    #[error("checkpoint {}: {problem}", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Which tensor and how it differs.
        problem: String,
    },
}

/// Saves the network's weights and architecture to `path`, atomically.
pub fn save<T: Element>(net: &Network<T>, path: &Path) -> Result<(), CheckpointError> {
    save_with_notes(net, path, HashMap::new())
}

/// Saves as [`save`] does, with `notes` added to the metadata: facts a reader of the file alone
/// needs to use the weights (what the inputs were divided by, say). The keys [`load`] reads win
/// over a note of the same name, so a note can never make the file unloadable.
pub fn save_with_notes<T: Element>(
    net: &Network<T>,
    path: &Path,
    mut notes: HashMap<String, String>,
) -> Result<(), CheckpointError> {
    let tensors: Vec<(String, RawTensor)> = net
        .named_params()
        .into_iter()
        .map(|(name, t)| {
            let values = t.data().iter().map(|v| v.to_f64()).collect();
            (
                name,
                RawTensor::reals(dtype_for(T::NAME), t.shape().to_vec(), values),
            )
        })
        .collect();
    notes.extend([
        ("format".to_string(), FORMAT.to_string()),
        ("arch".to_string(), net.arch().to_string()),
        ("dtype".to_string(), T::NAME.to_string()),
    ]);
    write(path, &tensors, notes)
}

/// Encodes named tensors with metadata and writes them to `path` atomically.
fn write(
    path: &Path,
    tensors: &[(String, RawTensor)],
    metadata: HashMap<String, String>,
) -> Result<(), CheckpointError> {
    let bytes = encode(tensors, metadata).map_err(|problem| CheckpointError::Format {
        path: path.to_path_buf(),
        problem,
    })?;
    write_atomic(path, &bytes).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads a checkpoint written by [`save`], rebuilding the network from the recorded architecture.
/// The file's dtype must be `T` (load as the stored type, then [`Network::cast`], to convert).
///
/// The recorded architecture is checked against the tensors the file holds before the network is
/// built: a damaged or hostile header cannot make it allocate more than the file's own size.
pub fn load<T: Element>(path: &Path) -> Result<Network<T>, CheckpointError> {
    let decoded = read(path)?;
    let meta = |problem: String| CheckpointError::Metadata {
        path: path.to_path_buf(),
        problem,
    };
    let get = |key: &str| {
        decoded
            .metadata
            .get(key)
            .ok_or_else(|| meta(format!("no `{key}` entry (not a {FORMAT} checkpoint?)")))
    };
    let format = get("format")?;
    if format != FORMAT {
        return Err(meta(format!("format is `{format}`, expected `{FORMAT}`")));
    }
    let arch = parse_arch(path, get("arch")?)?;
    let dtype = get("dtype")?;
    if dtype != T::NAME {
        return Err(meta(format!(
            "the weights are stored as {dtype} but were requested as {}",
            T::NAME
        )));
    }
    let owner = format!("the metadata architecture `{arch}`");
    let values = check::<T>(&param_shapes(&arch), &owner, path, decoded.tensors)?;
    let mut net = Network::new(&arch, Init::Zeros, 0);
    copy(&mut net, values);
    Ok(net)
}

/// Loads the weights of a checkpoint into an existing network: names, shapes and dtype must match,
/// and so must the architecture a [`FORMAT`] file records, since equal shapes do not make equal
/// networks (a ReLU net's weights in a linear net compute something else). A file another tool
/// wrote, without that metadata, is checked by its tensors alone.
pub fn load_weights_into<T: Element>(
    net: &mut Network<T>,
    path: &Path,
) -> Result<(), CheckpointError> {
    let decoded = read(path)?;
    let recorded = match decoded.metadata.get("format") {
        Some(format) if format == FORMAT => decoded
            .metadata
            .get("arch")
            .map(|text| parse_arch(path, text))
            .transpose()?,
        _ => None,
    };
    let checked = verify(net, path, decoded.tensors);
    match recorded {
        Some(arch) if arch != *net.arch() => {
            let shapes = match checked {
                Err(CheckpointError::Mismatch { problem, .. }) => problem,
                Err(other) => return Err(other),
                Ok(_) => "every tensor has the shape the network needs, but the activations or \
                          blocks differ"
                    .to_string(),
            };
            Err(CheckpointError::Mismatch {
                path: path.to_path_buf(),
                problem: format!(
                    "it was saved from the network `{arch}`, not `{}`: {shapes}",
                    net.arch()
                ),
            })
        }
        _ => {
            copy(net, checked?);
            Ok(())
        }
    }
}

/// The `arch` metadata entry as an architecture.
fn parse_arch(path: &Path, text: &str) -> Result<Arch, CheckpointError> {
    text.parse().map_err(|e| CheckpointError::Metadata {
        path: path.to_path_buf(),
        problem: format!("the recorded architecture does not parse: {e}"),
    })
}

/// The name and shape of every parameter of a network of `arch`, in the order of
/// [`Network::named_params`], without building the network.
fn param_shapes(arch: &Arch) -> Vec<(String, Vec<usize>)> {
    let (layers, _) = layer_list(arch);
    let mut shapes: Vec<(String, Vec<usize>)> = layers
        .into_iter()
        .map(|l| (l.name, l.shape.to_vec()))
        .collect();
    if arch.has_bias() {
        let rows = shapes[0].1[0];
        shapes.insert(1, ("layers.0.bias".to_string(), vec![rows]));
    }
    shapes
}

fn read(path: &Path) -> Result<file::Decoded, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes).map_err(|problem| CheckpointError::Format {
        path: path.to_path_buf(),
        problem,
    })
}

/// Checks the file's tensors against the parameters a network needs (`expected`, described in
/// messages as `owner`) and returns their values in that order. Decoding has already checked that
/// each tensor's bytes match its shape, so values that pass are no larger than the file.
fn check<T: Element>(
    expected: &[(String, Vec<usize>)],
    owner: &str,
    path: &Path,
    mut tensors: HashMap<String, RawTensor>,
) -> Result<Vec<Vec<f64>>, CheckpointError> {
    let mismatch = |problem: String| CheckpointError::Mismatch {
        path: path.to_path_buf(),
        problem,
    };
    let mut values = Vec::with_capacity(expected.len());
    for (name, shape) in expected {
        let Some(raw) = tensors.remove(name) else {
            return Err(mismatch(format!("tensor `{name}` is missing ({owner})")));
        };
        if raw.shape != *shape {
            return Err(mismatch(format!(
                "tensor `{name}` has shape {:?}, {owner} needs {shape:?}",
                raw.shape
            )));
        }
        if raw.dtype != dtype_for(T::NAME) {
            return Err(mismatch(format!(
                "tensor `{name}` is {}, the network is {}",
                dtype_name(raw.dtype),
                T::NAME
            )));
        }
        let Values::Reals(reals) = raw.values else {
            return Err(mismatch(format!("tensor `{name}` is not a weight tensor")));
        };
        values.push(reals);
    }
    if let Some(extra) = tensors.keys().min() {
        return Err(mismatch(format!(
            "unexpected tensor `{extra}` ({owner} has no such layer)"
        )));
    }
    Ok(values)
}

/// Copies values returned by [`check`] into the network's parameters.
fn copy<T: Element>(net: &mut Network<T>, values: Vec<Vec<f64>>) {
    for (i, v) in values.into_iter().enumerate() {
        net.param_mut(i)
            .data_mut()
            .iter_mut()
            .zip(v)
            .for_each(|(d, s)| *d = T::from_f64(s));
    }
}

/// Checks the file's tensors against the parameters of `net` and returns their values in order.
fn verify<T: Element>(
    net: &Network<T>,
    path: &Path,
    tensors: HashMap<String, RawTensor>,
) -> Result<Vec<Vec<f64>>, CheckpointError> {
    let shapes: Vec<(String, Vec<usize>)> = net
        .named_params()
        .into_iter()
        .map(|(name, t)| (name, t.shape().to_vec()))
        .collect();
    check::<T>(
        &shapes,
        &format!("the network `{}`", net.arch()),
        path,
        tensors,
    )
}

/// Checks every tensor against `net`, then copies them in (all or nothing).
fn fill<T: Element>(
    net: &mut Network<T>,
    path: &Path,
    tensors: HashMap<String, RawTensor>,
) -> Result<(), CheckpointError> {
    let values = verify(net, path, tensors)?;
    copy(net, values);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_shapes_are_those_of_the_built_network() {
        for text in [
            "3,relu:5,leaky(0.2):4,1",
            "3,leaky(0.5):4+bias,resz(relu),res(relu),linear:2,1",
            "3,relu:4,resid(relu),linear:3,2",
            "5,res(relu),1",
        ] {
            let arch: Arch = text.parse().unwrap();
            let net = Network::<f32>::new(&arch, Init::Zeros, 0);
            let built: Vec<(String, Vec<usize>)> = net
                .named_params()
                .into_iter()
                .map(|(name, t)| (name, t.shape().to_vec()))
                .collect();
            assert_eq!(param_shapes(&arch), built, "{text}");
        }
    }
}
