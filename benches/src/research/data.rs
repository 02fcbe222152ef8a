//! The benchmark's data: Fashion-MNIST classes 1 vs 8 from an MNIST-format folder, loaded and
//! scaled by the experiments' own loader, and its first n examples.

use std::path::Path;

use experiments::data::{DataError, Dataset, load_idx, mnist_files};

use super::case::CLASSES;

/// How to get the files when they are missing.
pub const INSTALL_HINT: &str = "install the Debian package (`sudo apt-get install \
                                dataset-fashion-mnist`) or point --data-dir at an MNIST-format \
                                folder holding Fashion-MNIST";

/// The training examples of classes 1 (+1) and 8 (−1) in the MNIST-format folder `dir`, scaled
/// as `train --data idx:…,1,8` scales them (every input divided by the largest input norm).
/// A missing file is an error naming it and how to install it.
pub fn load_pair(dir: &Path) -> Result<Dataset, String> {
    let (images, labels) = mnist_files(dir).map_err(|e| match e {
        DataError::Missing { .. } => format!("{e}; {INSTALL_HINT}"),
        other => other.to_string(),
    })?;
    load_idx(&images, &labels, CLASSES.0, CLASSES.1).map_err(|e| e.to_string())
}

/// The first `n` examples of `data` (in file order), scaled again so that their largest input
/// has norm 1, as the loader would scale a file holding only them. The PyTorch peer takes the
/// same examples and scales them the same way. Errors when `n` is 0 or more than `data` holds,
/// or when the examples kept are all zero.
pub fn first(data: &Dataset, n: usize) -> Result<Dataset, String> {
    if n == 0 || n > data.n {
        return Err(format!(
            "--sizes {n}: the data `{}` has {} examples; ask for 1 to {}",
            data.name, data.n, data.n
        ));
    }
    let mut x = data.x[..n * data.dim].to_vec();
    let largest = (0..n)
        .map(|i| data.row(i).iter().map(|v| v * v).sum::<f64>().sqrt())
        .fold(0.0, f64::max);
    if largest == 0.0 {
        return Err(format!(
            "the first {n} examples of `{}` are all zero: nothing to scale or separate",
            data.name
        ));
    }
    x.iter_mut().for_each(|v| *v /= largest);
    let name = if n == data.n {
        data.name.clone()
    } else {
        format!("{}[..{n}]", data.name)
    };
    Ok(Dataset {
        name,
        n,
        dim: data.dim,
        x,
        y: data.y[..n].to_vec(),
        input_divisor: data.input_divisor * largest,
        provenance: data.provenance.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use experiments::data::{Provenance, Source};

    fn three() -> Dataset {
        Dataset {
            name: "d".into(),
            n: 3,
            dim: 2,
            x: vec![0.3, 0.4, 0.0, 0.25, 0.6, 0.8],
            y: vec![1.0, -1.0, 1.0],
            input_divisor: 1.0,
            provenance: Provenance::of(Source::Memory),
        }
    }

    #[test]
    fn the_first_examples_are_rescaled_to_norm_one() {
        let d = first(&three(), 2).unwrap();
        assert_eq!((d.n, d.dim, d.name.as_str()), (2, 2, "d[..2]"));
        assert_eq!(d.y, vec![1.0, -1.0]);
        assert!((d.max_norm() - 1.0).abs() < 1e-15);
        assert!((d.x[1] - 0.8).abs() < 1e-15 && (d.x[3] - 0.5).abs() < 1e-15);
        assert!((d.input_divisor - 0.5).abs() < 1e-15);
        assert_eq!(first(&three(), 3).unwrap(), three());
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(first(&three(), 0).unwrap_err().contains("has 3 examples"));
        assert!(first(&three(), 4).unwrap_err().contains("ask for 1 to 3"));
        let zero = Dataset {
            x: vec![0.0; 6],
            ..three()
        };
        assert!(first(&zero, 2).unwrap_err().contains("all zero"));
    }

    #[test]
    fn a_missing_folder_names_the_file_and_the_package() {
        let dir = std::env::temp_dir().join(format!("research-scale-none-{}", std::process::id()));
        let e = load_pair(&dir).unwrap_err();
        assert!(e.contains("train-images-idx3-ubyte.gz"), "{e}");
        assert!(e.contains("apt-get install dataset-fashion-mnist"), "{e}");
    }
}
