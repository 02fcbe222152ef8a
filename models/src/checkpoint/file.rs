//! The file layer of checkpoints: named float tensors plus string metadata to and from a
//! safetensors byte buffer, and atomic writes. Knows nothing about networks.

use std::borrow::Cow;
use std::collections::HashMap;

use safetensors::{Dtype, SafeTensors, View};

/// One tensor as stored: little-endian f32, f64 or u64 values in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawTensor {
    /// `Dtype::F32`, `Dtype::F64` or `Dtype::U64`.
    pub dtype: Dtype,
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// The values.
    pub values: Values,
}

/// The values of a [`RawTensor`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Values {
    /// Of an f32 or f64 tensor, widened to f64 (exact for f32).
    Reals(Vec<f64>),
    /// Of a u64 tensor (training checkpoints' counters, orders and bit sets).
    Counts(Vec<u64>),
}

impl RawTensor {
    /// A tensor of reals stored as `dtype` (f32 or f64).
    pub(crate) fn reals(dtype: Dtype, shape: Vec<usize>, values: Vec<f64>) -> Self {
        Self {
            dtype,
            shape,
            values: Values::Reals(values),
        }
    }

    /// A one-dimensional u64 tensor.
    pub(crate) fn counts(values: Vec<u64>) -> Self {
        Self {
            dtype: Dtype::U64,
            shape: vec![values.len()],
            values: Values::Counts(values),
        }
    }
}

/// A tensor ready for `safetensors::serialize`.
struct Encoded {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Encoded {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// The safetensors dtype for an element type name (`"f32"` or `"f64"`).
pub(crate) fn dtype_for(name: &str) -> Dtype {
    if name == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// The lowercase name of a dtype as used in messages and metadata.
pub(crate) fn dtype_name(dtype: Dtype) -> String {
    format!("{dtype:?}").to_lowercase()
}

/// Serializes named tensors (in f32 or f64 as each one says) with string metadata.
pub(crate) fn encode(
    tensors: &[(String, RawTensor)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, String> {
    let encoded: Vec<(String, Encoded)> = tensors
        .iter()
        .map(|(name, t)| {
            let bytes = match (&t.values, t.dtype) {
                (Values::Reals(v), Dtype::F32) => {
                    v.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect()
                }
                (Values::Reals(v), _) => v.iter().flat_map(|v| v.to_le_bytes()).collect(),
                (Values::Counts(v), _) => v.iter().flat_map(|v| v.to_le_bytes()).collect(),
            };
            let e = Encoded {
                dtype: t.dtype,
                shape: t.shape.clone(),
                bytes,
            };
            (name.clone(), e)
        })
        .collect();
    let bytes =
        safetensors::serialize(encoded.iter().map(|(n, e)| (n.as_str(), e)), Some(metadata))
            .map_err(|e| e.to_string())?;
    Ok(with_sorted_metadata(bytes))
}

/// The same file with the keys of its `__metadata__` map in sorted order.
///
/// `safetensors` takes the metadata as a `HashMap`, whose order changes from run to run; sorting
/// makes the same weights give the same bytes. Reordering keys keeps the header's length, so the
/// tensor data does not move.
fn with_sorted_metadata(mut bytes: Vec<u8>) -> Vec<u8> {
    let Some(len) = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    else {
        return bytes;
    };
    let end = 8 + len as usize;
    let Some(header) = bytes.get(8..end) else {
        return bytes;
    };
    // serde_json's object map is ordered by key, so a round trip sorts every object.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(header.trim_ascii_end()) else {
        return bytes;
    };
    let sorted = value.to_string().into_bytes();
    if sorted.len() <= header.len() {
        let padding = header.len() - sorted.len();
        bytes[8..end].copy_from_slice(&[sorted, vec![b' '; padding]].concat());
    }
    bytes
}

/// What a checkpoint file holds, decoded.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The `__metadata__` map (empty if the file has none).
    pub metadata: HashMap<String, String>,
    /// Every tensor by name.
    pub tensors: HashMap<String, RawTensor>,
}

/// Parses a safetensors buffer holding only f32, f64 and u64 tensors; the error says what is
/// wrong.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(describe)?;
    let metadata = meta.metadata().clone().unwrap_or_default();
    let st = SafeTensors::deserialize(bytes).map_err(describe)?;
    let mut tensors = HashMap::new();
    for (name, view) in st.iter() {
        let data = view.data();
        let words = || {
            data.chunks_exact(8)
                .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
        };
        let values = match view.dtype() {
            Dtype::F32 => Values::Reals(
                data.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                    .collect(),
            ),
            Dtype::F64 => Values::Reals(words().map(f64::from_le_bytes).collect()),
            Dtype::U64 => Values::Counts(words().map(u64::from_le_bytes).collect()),
            other => {
                return Err(format!(
                    "tensor `{name}` has dtype {}, but checkpoints hold only f32, f64 or u64",
                    dtype_name(other)
                ));
            }
        };
        let raw = RawTensor {
            dtype: view.dtype(),
            shape: view.shape().to_vec(),
            values,
        };
        tensors.insert(name.to_string(), raw);
    }
    Ok(Decoded { metadata, tensors })
}

fn describe(e: safetensors::SafeTensorError) -> String {
    use safetensors::SafeTensorError as E;
    match e {
        E::HeaderTooSmall | E::InvalidHeaderLength => {
            format!("not a safetensors file, or truncated inside its header ({e})")
        }
        E::MetadataIncompleteBuffer => {
            format!(
                "truncated or padded: the header's tensor sizes do not match the file length ({e})"
            )
        }
        E::InvalidHeader(_) | E::InvalidHeaderDeserialization(_) | E::JsonError(_) => {
            format!("corrupted header ({e})")
        }
        _ => format!("invalid safetensors file ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(String, RawTensor)> {
        vec![
            (
                "a".to_string(),
                RawTensor::reals(
                    Dtype::F32,
                    vec![2, 3],
                    vec![1.0, -2.5, 3.25, 0.0, 1e-3f32 as f64, 7.0],
                ),
            ),
            (
                "b".to_string(),
                RawTensor::reals(Dtype::F64, vec![1, 2], vec![std::f64::consts::PI, -1e-300]),
            ),
            ("c".to_string(), RawTensor::counts(vec![0, 7, u64::MAX])),
        ]
    }

    #[test]
    fn encode_decode_round_trip() {
        let meta = HashMap::from([("k".to_string(), "v".to_string())]);
        let bytes = encode(&sample(), meta.clone()).unwrap();
        let d = decode(&bytes).unwrap();
        assert_eq!(d.metadata, meta);
        for (name, t) in sample() {
            assert_eq!(d.tensors[&name], t);
        }
    }

    #[test]
    fn the_same_tensors_and_metadata_give_the_same_bytes() {
        let meta = || {
            (0..12)
                .map(|i| (format!("key{i}"), format!("value{i}")))
                .collect::<HashMap<_, _>>()
        };
        let first = encode(&sample(), meta()).unwrap();
        for _ in 0..5 {
            assert_eq!(encode(&sample(), meta()).unwrap(), first);
        }
        let header = String::from_utf8_lossy(&first[8..]);
        let positions: Vec<usize> = (0..12)
            .map(|i| header.find(&format!("\"key{i}\"")).unwrap())
            .collect();
        let mut sorted_by_name: Vec<(String, usize)> =
            (0..12).map(|i| (format!("key{i}"), positions[i])).collect();
        sorted_by_name.sort();
        assert!(sorted_by_name.windows(2).all(|w| w[0].1 < w[1].1));
        assert_eq!(decode(&first).unwrap().metadata, meta());
    }

    #[test]
    fn damaged_buffers_are_described() {
        let bytes = encode(&sample(), HashMap::new()).unwrap();
        assert!(
            decode(&bytes[..5])
                .unwrap_err()
                .contains("truncated inside its header")
        );
        assert!(
            decode(&bytes[..bytes.len() - 3])
                .unwrap_err()
                .contains("truncated or padded")
        );
        let mut bad = bytes.clone();
        bad[9] = b'#';
        assert!(decode(&bad).unwrap_err().contains("corrupted header"));
        let ints = safetensors::serialize(
            [(
                "n",
                &Encoded {
                    dtype: Dtype::I32,
                    shape: vec![1],
                    bytes: vec![0; 4],
                },
            )],
            None,
        )
        .unwrap();
        assert!(decode(&ints).unwrap_err().contains("dtype i32"));
    }
}
