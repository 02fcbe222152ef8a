//! IDX files (the MNIST format): an images file and a labels file, two classes selected.

use std::path::Path;

use super::gzip::{gunzip, is_gzip};
use super::provenance::absolute;
use super::{Classes, DataError, Dataset, Location, Source};

/// Magic number of an unsigned-byte, three-dimensional IDX file (images × rows × columns).
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an unsigned-byte, one-dimensional IDX file (labels).
const LABELS_MAGIC: u32 = 0x0000_0801;

/// A parsed IDX file: its dimensions and its unsigned-byte payload.
struct Idx {
    dims: Vec<usize>,
    payload: Vec<u8>,
    /// Offset of the payload in the (decompressed) file.
    payload_offset: u64,
}

/// Loads an MNIST-style pair of IDX files (optionally gzipped), keeping the images whose label is
/// `a` (labelled +1) or `b` (labelled −1); pixels become features, scaled so the largest image
/// has norm 1.
///
/// A gzipped file may have several members (`cat a.gz b.gz`); bytes after the last member are an
/// error. Errors name the file, the byte offset and the problem: unreadable file, corrupt gzip,
/// wrong magic number, truncated header or payload, trailing bytes, image and label counts that
/// differ, equal classes, or a class with no example.
pub fn load_idx(images: &Path, labels: &Path, a: u8, b: u8) -> Result<Dataset, DataError> {
    let images_name = images.display().to_string();
    let labels_name = labels.display().to_string();
    if a == b {
        return Err(DataError::malformed(
            &labels_name,
            Location::File,
            format!("the two classes must differ, got {a} and {b}"),
        ));
    }
    let pixels = read_idx(images, &images_name, IMAGES_MAGIC, "unsigned-byte images")?;
    let classes = read_idx(labels, &labels_name, LABELS_MAGIC, "unsigned-byte labels")?;
    let (count, dim) = (pixels.dims[0], pixels.dims[1] * pixels.dims[2]);
    if classes.dims[0] != count {
        return Err(DataError::malformed(
            &labels_name,
            Location::Offset(4),
            format!(
                "holds {} labels but {images_name} holds {count} images",
                classes.dims[0]
            ),
        ));
    }
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (i, &label) in classes.payload.iter().enumerate() {
        if label == a || label == b {
            let image = &pixels.payload[i * dim..(i + 1) * dim];
            x.extend(image.iter().map(|&p| f64::from(p)));
            y.push(if label == a { 1.0 } else { -1.0 });
        }
    }
    for class in [a, b] {
        if !classes.payload.contains(&class) {
            return Err(DataError::malformed(
                &labels_name,
                Location::Offset(classes.payload_offset),
                format!("no example has label {class}"),
            ));
        }
    }
    let name = format!(
        "{}({a} vs {b})",
        images
            .file_name()
            .map_or_else(|| images_name.clone(), |n| n.to_string_lossy().into_owned())
    );
    let source = Source::Idx {
        images: absolute(images),
        labels: absolute(labels),
        classes: Classes::pair(a, b),
    };
    Dataset::scaled(name, dim, x, y, &images_name, source)
}

/// Reads and checks one IDX file with the expected magic number (`what` describes it in errors).
fn read_idx(path: &Path, file: &str, magic: u32, what: &str) -> Result<Idx, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        file: file.to_owned(),
        source,
    })?;
    let bytes = if is_gzip(&raw) {
        gunzip(&raw, file)?
    } else {
        raw
    };
    let rank = (magic & 0xff) as usize;
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(DataError::malformed(
            file,
            Location::Offset(bytes.len() as u64),
            format!(
                "truncated header: an IDX file of {what} needs {header} header bytes, the file \
                 has {}",
                bytes.len()
            ),
        ));
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic {
        return Err(DataError::malformed(
            file,
            Location::Offset(0),
            format!("magic number 0x{found:08x} is not 0x{magic:08x} ({what}, {rank}-dimensional)"),
        ));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|d| {
            let at = 4 + 4 * d;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        })
        .collect();
    let size = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let payload_end = size.and_then(|s| s.checked_add(header));
    let shape = dims
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("×");
    match payload_end {
        Some(end) if end == bytes.len() => Ok(Idx {
            dims,
            payload: bytes[header..].to_vec(),
            payload_offset: header as u64,
        }),
        Some(end) if end < bytes.len() => Err(DataError::malformed(
            file,
            Location::Offset(end as u64),
            format!(
                "size mismatch: {} bytes follow the {shape} payload",
                bytes.len() - end
            ),
        )),
        _ => Err(DataError::malformed(
            file,
            Location::Offset(bytes.len() as u64),
            format!(
                "truncated: a {shape} payload needs {} bytes from offset {header}, the file ends \
                 after {}",
                size.map_or_else(|| "more than 2^64".to_owned(), |s| s.to_string()),
                bytes.len() - header
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::data::gzip::member;

    /// An IDX file with the given magic number, dimensions and payload.
    fn idx_bytes(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
        out.extend_from_slice(payload);
        out
    }

    /// Writes an images file and a labels file into a per-test folder.
    fn write_pair(test: &str, images: &[u8], labels: &[u8]) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("lowrank-idx-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (i, l) = (dir.join("images.idx"), dir.join("labels.idx"));
        std::fs::write(&i, images).unwrap();
        std::fs::write(&l, labels).unwrap();
        (i, l)
    }

    /// Four 2×2 images with labels 3, 7, 3, 5.
    fn good_pair() -> (Vec<u8>, Vec<u8>) {
        let pixels = [3, 4, 0, 0, 0, 0, 6, 8, 0, 0, 0, 1, 9, 9, 9, 9];
        (
            idx_bytes(IMAGES_MAGIC, &[4, 2, 2], &pixels),
            idx_bytes(LABELS_MAGIC, &[4], &[3, 7, 3, 5]),
        )
    }

    #[test]
    fn loads_the_selected_classes_and_scales() {
        let (images, labels) = good_pair();
        let (i, l) = write_pair("good", &images, &labels);
        let data = load_idx(&i, &l, 3, 7).unwrap();
        assert_eq!((data.n, data.dim), (3, 4));
        assert_eq!(data.y, vec![1.0, -1.0, 1.0]);
        assert_eq!(
            data.x,
            vec![0.3, 0.4, 0.0, 0.0, 0.0, 0.0, 0.6, 0.8, 0.0, 0.0, 0.0, 0.1]
        );
        assert_eq!(data.name, "images.idx(3 vs 7)");
    }

    #[test]
    fn reads_gzipped_files() {
        let (images, labels) = good_pair();
        let (i, l) = write_pair("gz", &member(&images), &labels);
        assert_eq!(load_idx(&i, &l, 7, 5).unwrap().y, vec![1.0, -1.0]);
    }

    #[test]
    fn reads_every_member_of_a_multi_member_gzip() {
        let (images, labels) = good_pair();
        let (head, tail) = images.split_at(20);
        let (i, l) = write_pair("multi", &[member(head), member(tail)].concat(), &labels);
        assert_eq!(load_idx(&i, &l, 7, 5).unwrap().y, vec![1.0, -1.0]);
    }

    #[test]
    fn bytes_after_the_gzip_data_are_an_error_naming_the_offset() {
        let (images, labels) = good_pair();
        let compressed = member(&images);
        let end = compressed.len();
        let (i, l) = write_pair("garbage", &[compressed, vec![0, 1, 2]].concat(), &labels);
        let message = load_idx(&i, &l, 7, 5).unwrap_err().to_string();
        assert!(
            message.ends_with(&format!(
                "images.idx, byte offset {end} of the gzip file: 3 bytes after the gzip data do \
                 not start a gzip member (trailing garbage)"
            )),
            "{message}"
        );
    }

    #[test]
    fn malformed_files_are_named_with_offset_and_problem() {
        let (images, labels) = good_pair();
        let bad_magic = idx_bytes(0x0000_0801, &[4, 2, 2], &images[16..]);
        let truncated = images[..images.len() - 3].to_vec();
        let trailing = [images.clone(), vec![0, 0]].concat();
        let short_labels = idx_bytes(LABELS_MAGIC, &[3], &[3, 7, 3]);
        let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
            (
                "magic",
                bad_magic,
                labels.clone(),
                "images.idx, byte offset 0: magic number 0x00000801 is not 0x00000803",
            ),
            (
                "short",
                images[..10].to_vec(),
                labels.clone(),
                "images.idx, byte offset 10: truncated header",
            ),
            (
                "trunc",
                truncated,
                labels.clone(),
                "images.idx, byte offset 29: truncated: a 4×2×2 payload needs 16 bytes from offset 16",
            ),
            (
                "trail",
                trailing,
                labels.clone(),
                "images.idx, byte offset 32: size mismatch: 2 bytes follow the 4×2×2 payload",
            ),
            (
                "count",
                images.clone(),
                short_labels,
                "labels.idx, byte offset 4: holds 3 labels but",
            ),
            (
                "empty",
                images.clone(),
                Vec::new(),
                "labels.idx, byte offset 0: truncated header",
            ),
        ];
        for (test, images, labels, expected) in cases {
            let (i, l) = write_pair(test, &images, &labels);
            let message = load_idx(&i, &l, 3, 7).unwrap_err().to_string();
            assert!(message.contains(expected), "{test}: {message}");
        }
    }

    #[test]
    fn class_problems_are_reported() {
        let (images, labels) = good_pair();
        let (i, l) = write_pair("classes", &images, &labels);
        let missing = load_idx(&i, &l, 3, 4).unwrap_err().to_string();
        assert!(
            missing.contains("labels.idx, byte offset 8: no example has label 4"),
            "{missing}"
        );
        let same = load_idx(&i, &l, 3, 3).unwrap_err().to_string();
        assert!(same.contains("the two classes must differ"), "{same}");
    }
}
