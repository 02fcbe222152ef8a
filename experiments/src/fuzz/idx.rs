//! The IDX loader (`--data idx:IMAGES,LABELS` and MNIST folders), gzip included.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::{Input, Outcome, Target, dataset_invariants};
use crate::data::{self, DataError, Dataset};

/// The two classes the target selects (the seeds hold both and a third).
const CLASSES: (u8, u8) = (0, 1);

/// Bytes that follow the gzip data in the trailing-garbage variant.
const GARBAGE: &[u8] = b"garbage!";

/// The `idx` target.
pub(super) fn target() -> Target {
    Target {
        name: "idx",
        about: "the IDX loader (images and labels, raw or gzipped); raw inputs are also gzipped \
                in one member, in two members (as `cat a.gz b.gz` makes) and with trailing \
                garbage, and must load as the raw files do (or, with garbage, be refused)",
        files: &["images", "labels"],
        seeds,
        run,
    }
}

/// A pair of MNIST-format files made from the bundled digits (0, 1 and 2), raw and gzipped.
fn seeds() -> Vec<Input> {
    let (images, labels) = digits_idx(8);
    vec![
        vec![images.clone(), labels.clone()],
        vec![gzip(&images), gzip(&labels)],
        vec![images, gzip(&labels)],
    ]
}

/// `per_class` digits of each of the classes 0, 1 and 2 as an IDX images file (pixels 0–255)
/// and an IDX labels file.
fn digits_idx(per_class: usize) -> (Vec<u8>, Vec<u8>) {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (a, b) in [(0, 1), (2, 1)] {
        let Ok(set) = data::digits(a, b) else {
            continue;
        };
        let positives = (0..set.n).filter(|&i| set.y[i] > 0.0).take(per_class);
        for i in positives {
            pixels.extend(set.row(i).iter().map(|v| (v * 255.0).round() as u8));
            labels.push(a);
        }
        if a == 0 {
            let negatives = (0..set.n).filter(|&i| set.y[i] < 0.0).take(per_class);
            for i in negatives {
                pixels.extend(set.row(i).iter().map(|v| (v * 255.0).round() as u8));
                labels.push(b);
            }
        }
    }
    let count = labels.len() as u32;
    let mut images = [0x0000_0803u32, count, 8, 8]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect::<Vec<u8>>();
    images.extend(pixels);
    let mut label_file = [0x0000_0801u32, count]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect::<Vec<u8>>();
    label_file.extend(labels);
    (images, label_file)
}

/// `bytes` as one gzip member.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .unwrap_or_default()
}

fn load(dir: &Path, images: &str, labels: &str) -> Result<Dataset, DataError> {
    data::load_idx(&dir.join(images), &dir.join(labels), CLASSES.0, CLASSES.1)
}

fn run(dir: &Path) -> Outcome {
    let raw = load(dir, "images", "labels");
    let outcome = match &raw {
        Ok(data) => dataset_invariants(data),
        Err(e) => Outcome::Refused(e.to_string()),
    };
    if outcome != Outcome::Accepted {
        return outcome;
    }
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_default();
    let (images, labels) = (read("images"), read("labels"));
    if images.starts_with(&[0x1f, 0x8b]) || labels.starts_with(&[0x1f, 0x8b]) {
        return outcome;
    }
    let (front, back) = images.split_at(images.len() / 2);
    let two_members = [gzip(front), gzip(back)].concat();
    let garbage = [gzip(&images), GARBAGE.to_vec()].concat();
    let variants = [
        ("gzipped (one member)", gzip(&images), gzip(&labels), true),
        (
            "gzipped in two members (`cat a.gz b.gz`)",
            two_members,
            labels.clone(),
            true,
        ),
        ("gzipped with trailing garbage", garbage, labels, false),
    ];
    let mut wrongs = Vec::new();
    for (what, images, labels, same) in variants {
        let written = std::fs::write(dir.join("variant-images.gz"), images)
            .and_then(|()| std::fs::write(dir.join("variant-labels"), labels));
        if let Err(e) = written {
            return Outcome::Refused(format!("cannot write a variant: {e}"));
        }
        let got = load(dir, "variant-images.gz", "variant-labels");
        let wrong = match (&raw, &got, same) {
            (Ok(a), Ok(b), true) if a.x == b.x && a.y == b.y => None,
            (Ok(_), Ok(_), true) => Some("a different data set".to_string()),
            (Ok(_), Err(e), true) => Some(format!("the error `{e}`")),
            (Ok(_), Ok(_), false) => Some("the same data set, the garbage ignored".to_string()),
            _ => None,
        };
        if let Some(wrong) = wrong {
            wrongs.push(format!("the images {what} give {wrong}"));
        }
    }
    if !wrongs.is_empty() {
        return Outcome::Wrong(format!("while the raw files load, {}", wrongs.join("; ")));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{scratch, write_input};

    #[test]
    fn the_seed_files_are_a_valid_pair_of_three_classes() {
        let (images, labels) = digits_idx(8);
        assert_eq!(
            &images[..16],
            &[0, 0, 8, 3, 0, 0, 0, 24, 0, 0, 0, 8, 0, 0, 0, 8]
        );
        assert_eq!(images.len(), 16 + 24 * 64);
        assert_eq!(&labels[8..], &[[0u8; 8], [1; 8], [2; 8]].concat()[..]);
        let dir = scratch("idx-seeds");
        write_input(&target(), &vec![images, labels], &dir).unwrap();
        let data = load(&dir, "images", "labels").unwrap();
        assert_eq!((data.n, data.dim), (16, 64));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
