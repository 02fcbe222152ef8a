//! Every singular value of every layer at each log (`--metrics full-spectrum`): the one metric
//! family that needs a full SVD, so only computed when named. Written to `spectra.csv` in long
//! format, `step,index,name,k,sigma`, one row per singular value (k = 1 the largest).

use std::io::{self, Write};
use std::path::Path;

use kernels::{Element, MatRef};
use models::Attachments;
use models::atomic::write_atomic_with;

/// The header of `spectra.csv`.
const HEADER: &str = "step,index,name,k,sigma";

/// Every singular value of `w`, decreasing, in f64 whatever the element type of `w`: the Jacobi
/// SVD (`kernels::linalg::svd`, to high relative accuracy even for the small values), of cost
/// about min(out, in)² · max(out, in) per sweep (0.72 s for a 512 × 512 layer on one Zen 5
/// core) and 4 · out · in f64 of workspace. A non-finite matrix gives NaN values.
pub fn singular_values<T: Element>(w: MatRef<'_, T>) -> Vec<f64> {
    kernels::linalg::svd_of(w).singular_values
}

/// The spectrum of one layer at one logged step.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpectrum {
    /// Steps completed when it was measured.
    pub step: usize,
    /// The layer's index in the forward order.
    pub index: usize,
    /// Its singular values, decreasing.
    pub values: Vec<f64>,
}

/// The full spectra of a run, in the order they were measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpectraLog {
    entries: Vec<LayerSpectrum>,
}

impl SpectraLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the spectrum of layer `index` after `step` steps.
    pub fn push(&mut self, step: usize, index: usize, values: Vec<f64>) {
        self.entries.push(LayerSpectrum {
            step,
            index,
            values,
        });
    }

    /// Every spectrum recorded.
    pub fn entries(&self) -> &[LayerSpectrum] {
        &self.entries
    }

    /// Writes the log as CSV, naming each layer by `names[index]`.
    pub fn write_csv_to(&self, out: &mut impl Write, names: &[String]) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        for e in &self.entries {
            let name = names.get(e.index).map_or("", String::as_str);
            for (k, sigma) in e.values.iter().enumerate() {
                writeln!(out, "{},{},{name},{},{sigma}", e.step, e.index, k + 1)?;
            }
        }
        Ok(())
    }

    /// Writes the log atomically to `path` as CSV.
    pub fn write_csv(&self, path: &Path, names: &[String]) -> io::Result<()> {
        write_atomic_with(path, |w| self.write_csv_to(w, names))
    }

    /// Adds the log to a training checkpoint's attachments (values bit for bit).
    pub fn attach(&self, extra: &mut Attachments) {
        let column = |f: &dyn Fn(&LayerSpectrum) -> u64| -> Vec<u64> {
            self.entries.iter().map(f).collect()
        };
        extra
            .counts
            .insert("spectra.step".into(), column(&|e| e.step as u64));
        extra
            .counts
            .insert("spectra.index".into(), column(&|e| e.index as u64));
        extra
            .counts
            .insert("spectra.count".into(), column(&|e| e.values.len() as u64));
        let values = self.entries.iter().flat_map(|e| e.values.clone()).collect();
        extra.reals.insert("spectra.values".into(), values);
    }

    /// The log that [`SpectraLog::attach`] stored; the error says what is missing or does not
    /// fit.
    pub fn from_attachments(extra: &Attachments) -> Result<Self, String> {
        let counts = |key: &str| {
            extra
                .counts
                .get(key)
                .ok_or_else(|| format!("the full spectra have no `{key}`"))
        };
        let (steps, indices, lengths) = (
            counts("spectra.step")?,
            counts("spectra.index")?,
            counts("spectra.count")?,
        );
        let values = extra
            .reals
            .get("spectra.values")
            .ok_or("the full spectra have no values")?;
        if steps.len() != indices.len() || steps.len() != lengths.len() {
            return Err("the full spectra's columns differ in length".into());
        }
        let mut log = Self::new();
        let mut rest = &values[..];
        for ((&step, &index), &length) in steps.iter().zip(indices).zip(lengths) {
            let bad = || "the full spectra have an out-of-range entry".to_string();
            let length = usize::try_from(length).map_err(|_| bad())?;
            if length > rest.len() {
                return Err(bad());
            }
            let (these, tail) = rest.split_at(length);
            rest = tail;
            log.push(
                usize::try_from(step).map_err(|_| bad())?,
                usize::try_from(index).map_err(|_| bad())?,
                these.to_vec(),
            );
        }
        if !rest.is_empty() {
            return Err("the full spectra have more values than their counts say".into());
        }
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_values_of_a_known_matrix_in_either_dtype() {
        // Rows (3, 0, 0) and (0, 0, 4), transposed: singular values 4 and 3.
        let w = [3.0f32, 0.0, 0.0, 0.0, 0.0, 4.0];
        let view = MatRef::from_row_major(&w, 2, 3).unwrap();
        assert_eq!(singular_values(view), vec![4.0, 3.0]);
        assert_eq!(singular_values(view.t()), vec![4.0, 3.0]);
        let w64: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
        let view64 = MatRef::from_row_major(&w64, 2, 3).unwrap();
        assert_eq!(singular_values(view64), vec![4.0, 3.0]);
        let nan = [f64::NAN, 1.0];
        assert!(singular_values(MatRef::from_row_major(&nan, 1, 2).unwrap())[0].is_nan());
    }

    #[test]
    fn csv_has_one_row_per_value_and_the_attachments_read_back_bit_for_bit() {
        let mut log = SpectraLog::new();
        log.push(0, 0, vec![2.5, 1.0]);
        log.push(0, 1, vec![0.1 + 0.2]);
        log.push(7, 0, vec![f64::NAN, -0.0]);
        let names = ["layers.0.weight".to_string(), "layers.1.weight".to_string()];
        let mut out = Vec::new();
        log.write_csv_to(&mut out, &names).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                HEADER,
                "0,0,layers.0.weight,1,2.5",
                "0,0,layers.0.weight,2,1",
                "0,1,layers.1.weight,1,0.30000000000000004",
                "7,0,layers.0.weight,1,NaN",
                "7,0,layers.0.weight,2,-0",
            ]
        );
        let mut extra = Attachments::default();
        log.attach(&mut extra);
        let back = SpectraLog::from_attachments(&extra).unwrap();
        let bits = |l: &SpectraLog| -> Vec<(usize, usize, Vec<u64>)> {
            l.entries()
                .iter()
                .map(|e| {
                    (
                        e.step,
                        e.index,
                        e.values.iter().map(|v| v.to_bits()).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(bits(&back), bits(&log));
        extra.reals.get_mut("spectra.values").unwrap().push(1.0);
        let e = SpectraLog::from_attachments(&extra).unwrap_err();
        assert!(e.contains("more values"), "{e}");
        extra.counts.remove("spectra.count");
        let e = SpectraLog::from_attachments(&extra).unwrap_err();
        assert!(e.contains("spectra.count"), "{e}");
    }
}
