//! An MNIST-format folder (MNIST, Fashion-MNIST, KMNIST …): its training images and labels under
//! the standard file names, gzipped as distributed or already uncompressed.

use std::path::{Path, PathBuf};

use super::{DataError, Dataset, load_idx};

/// Stem of the training images file (`train-images-idx3-ubyte.gz` as distributed).
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// Stem of the training labels file (`train-labels-idx1-ubyte.gz` as distributed).
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";

/// The file `stem` in `dir`: `stem.gz`, else `stem`; the error names both.
fn find(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    let gz = dir.join(format!("{stem}.gz"));
    let plain = dir.join(stem);
    [&gz, &plain]
        .into_iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| DataError::Missing {
            file: gz.display().to_string(),
            also: format!(" (nor {})", plain.display()),
        })
}

/// The training images and labels files of the MNIST-format folder `dir`, or a
/// [`DataError::Missing`] naming the first one that is not there.
pub fn mnist_files(dir: &Path) -> Result<(PathBuf, PathBuf), DataError> {
    Ok((find(dir, TRAIN_IMAGES)?, find(dir, TRAIN_LABELS)?))
}

/// The training examples of classes `a` (+1) and `b` (−1) of the MNIST-format folder `dir`,
/// scaled to max ‖x‖ = 1 (see [`load_idx`]).
pub fn load_mnist_dir(dir: &Path, a: u8, b: u8) -> Result<Dataset, DataError> {
    let (images, labels) = mnist_files(dir)?;
    load_idx(&images, &labels, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh per-test folder.
    fn folder(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lowrank-mnist-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Two 1×2 images labelled 4 and 9, as an IDX pair.
    fn write(dir: &Path, images: &str, labels: &str) {
        let mut i = 0x0803u32.to_be_bytes().to_vec();
        [2u32, 1, 2].iter().for_each(|d| i.extend(d.to_be_bytes()));
        i.extend([3, 4, 0, 5]);
        let mut l = 0x0801u32.to_be_bytes().to_vec();
        l.extend(2u32.to_be_bytes());
        l.extend([4, 9]);
        std::fs::write(dir.join(images), i).unwrap();
        std::fs::write(dir.join(labels), l).unwrap();
    }

    #[test]
    fn uncompressed_names_are_found_too() {
        let dir = folder("plain");
        write(&dir, TRAIN_IMAGES, TRAIN_LABELS);
        let data = load_mnist_dir(&dir, 9, 4).unwrap();
        assert_eq!(data.y, vec![-1.0, 1.0]);
        assert_eq!(data.x, vec![0.6, 0.8, 0.0, 1.0]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_is_named_with_both_names() {
        let dir = folder("missing");
        write(&dir, TRAIN_IMAGES, "other");
        let message = load_mnist_dir(&dir, 4, 9).unwrap_err().to_string();
        let gz = dir.join("train-labels-idx1-ubyte.gz");
        let plain = dir.join("train-labels-idx1-ubyte");
        assert_eq!(
            message,
            format!("{}: missing (nor {})", gz.display(), plain.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
