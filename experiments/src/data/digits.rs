//! The bundled 8×8 handwritten digits (UCI "Optical Recognition of Handwritten Digits", the
//! 1797-image copy that scikit-learn ships; CC BY 4.0, see `experiments/data/README.md`).

use std::io::Read;

use flate2::read::GzDecoder;

use super::csv::parse_table;
use super::{Classes, DataError, Dataset, HeaderMode, Location, Source};

/// The gzipped CSV: 64 pixel values in 0..=16 then the digit, one image per line.
const DIGITS_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// The bundled file, as the repository holds it.
const BUNDLED: &str = "experiments/data/digits.csv.gz";

/// How the bundled file is named in errors.
const SOURCE: &str = "digits (bundled experiments/data/digits.csv.gz)";

/// Pixels per image.
const PIXELS: usize = 64;

/// The digits of classes `a` (labelled +1) and `b` (labelled −1), 64 pixel features each, scaled
/// so the largest image has norm 1 (pixels that are zero in every image stay zero). Errors when
/// a class is not a digit 0–9 or the two classes are equal.
pub fn digits(a: u8, b: u8) -> Result<Dataset, DataError> {
    if a > 9 || b > 9 || a == b {
        return Err(DataError::malformed(
            SOURCE,
            Location::File,
            format!("classes must be two different digits 0-9, got {a} and {b}"),
        ));
    }
    let mut text = String::new();
    GzDecoder::new(DIGITS_GZ)
        .read_to_string(&mut text)
        .map_err(|e| DataError::malformed(SOURCE, Location::File, format!("corrupt: {e}")))?;
    let table = parse_table(&text, SOURCE, HeaderMode::Auto)?;
    if table.columns != PIXELS + 1 {
        return Err(DataError::malformed(
            SOURCE,
            Location::Line(table.rows[0].0),
            format!(
                "{} fields, expected {} pixels and a label",
                table.columns, PIXELS
            ),
        ));
    }
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (_, values) in &table.rows {
        let label = values[PIXELS];
        if label == f64::from(a) || label == f64::from(b) {
            x.extend_from_slice(&values[..PIXELS]);
            y.push(if label == f64::from(a) { 1.0 } else { -1.0 });
        }
    }
    let source = Source::Digits {
        bundled: BUNDLED,
        classes: Classes::pair(a, b),
    };
    Dataset::scaled(format!("digits({a} vs {b})"), PIXELS, x, y, SOURCE, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_versus_one_has_the_known_class_sizes_and_is_scaled() {
        let data = digits(0, 1).unwrap();
        // scikit-learn's copy holds 178 zeros and 182 ones.
        assert_eq!(data.class_counts(), (178, 182));
        assert_eq!((data.n, data.dim), (360, 64));
        assert!((data.max_norm() - 1.0).abs() < 1e-12);
        assert!(data.x.iter().all(|&v| v >= 0.0));
        assert_eq!(data.name, "digits(0 vs 1)");
    }

    #[test]
    fn the_whole_file_has_1797_images_over_ten_classes() {
        let total: usize = (0..10u8)
            .map(|d| digits(d, (d + 1) % 10).unwrap().class_counts().0)
            .sum();
        assert_eq!(total, 1797);
    }

    #[test]
    fn bad_class_pairs_are_errors() {
        for (a, b) in [(3, 3), (10, 1), (1, 12)] {
            let message = digits(a, b).unwrap_err().to_string();
            assert!(message.contains("two different digits 0-9"), "{message}");
        }
    }
}
