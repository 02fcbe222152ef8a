//! Weight initializers: seeded, reproducible draws of one [out, in] weight matrix.

use std::fmt;
use std::str::FromStr;

use kernels::rng::Rng;

/// How the weights of a new network are drawn. Biases always start at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// N(0, scale²/fan_in): the scale controls how far from balanced, and how large, the start is.
    Gaussian {
        /// The factor s in the standard deviation s/√fan_in.
        scale: f64,
    },
    /// He/Kaiming normal: N(0, 2/fan_in).
    He,
    /// Xavier/Glorot normal: N(0, 2/(fan_in + fan_out)).
    Xavier,
    /// A random matrix with orthonormal rows (or columns, whichever are fewer), times `scale`.
    Orthogonal {
        /// Every nonzero singular value of the matrix equals this.
        scale: f64,
    },
    /// ±1/√fan_in, half of each sign, without randomness: entry (r, c) is positive when r + c
    /// is even. A single output row [1, m] is thus the fixed ±1/√m layer of two-layer analyses
    /// (⌈m/2⌉ positive entries); the `!signs` marker of the architecture grammar puts it on one
    /// layer.
    Signs,
    /// All zeros.
    Zeros,
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Gaussian { scale } => write!(f, "gaussian:{scale}"),
            Init::He => f.write_str("he"),
            Init::Xavier => f.write_str("xavier"),
            Init::Orthogonal { scale } => write!(f, "orthogonal:{scale}"),
            Init::Signs => f.write_str("signs"),
            Init::Zeros => f.write_str("zeros"),
        }
    }
}

impl FromStr for Init {
    type Err = String;

    /// Parses `gaussian:S`, `he`, `xavier`, `orthogonal:S`, `signs` or `zeros`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let scale = |arg: Option<&str>| -> Result<f64, String> {
            let Some(a) = arg else {
                return Err(format!("initializer `{s}` needs a scale, e.g. `{name}:1`"));
            };
            match a.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(format!(
                    "initializer `{s}`: the scale `{a}` must be a finite non-negative number"
                )),
            }
        };
        let no_arg = |init: Init| match arg {
            None => Ok(init),
            Some(_) => Err(format!(
                "initializer `{name}` takes no argument (got `{s}`)"
            )),
        };
        match name {
            "gaussian" => Ok(Init::Gaussian { scale: scale(arg)? }),
            "orthogonal" => Ok(Init::Orthogonal { scale: scale(arg)? }),
            "he" => no_arg(Init::He),
            "xavier" => no_arg(Init::Xavier),
            "signs" => no_arg(Init::Signs),
            "zeros" => no_arg(Init::Zeros),
            _ => Err(format!(
                "unknown initializer `{s}` (expected gaussian:S, he, xavier, orthogonal:S, signs or zeros)"
            )),
        }
    }
}

impl Init {
    /// Draws a row-major [rows, cols] weight matrix (rows = fan_out, cols = fan_in) in f64.
    pub fn draw(&self, rows: usize, cols: usize, rng: &mut Rng) -> Vec<f64> {
        let gaussian = |std: f64, rng: &mut Rng| -> Vec<f64> {
            (0..rows * cols).map(|_| std * rng.normal()).collect()
        };
        match *self {
            Init::Gaussian { scale } => gaussian(scale / (cols as f64).sqrt(), rng),
            Init::He => gaussian((2.0 / cols as f64).sqrt(), rng),
            Init::Xavier => gaussian((2.0 / (rows + cols) as f64).sqrt(), rng),
            Init::Orthogonal { scale } => orthogonal(rows, cols, scale, rng),
            Init::Signs => {
                let size = 1.0 / (cols as f64).sqrt();
                (0..rows * cols)
                    .map(|t| {
                        if (t / cols + t % cols).is_multiple_of(2) {
                            size
                        } else {
                            -size
                        }
                    })
                    .collect()
            }
            Init::Zeros => vec![0.0; rows * cols],
        }
    }
}

/// A [rows, cols] matrix whose rows (if rows ≤ cols) or columns are orthonormal, times `scale`:
/// Gram–Schmidt, applied twice for full accuracy, on a Gaussian matrix.
fn orthogonal(rows: usize, cols: usize, scale: f64, rng: &mut Rng) -> Vec<f64> {
    let (k, len) = if rows <= cols {
        (rows, cols)
    } else {
        (cols, rows)
    };
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(k);
    while basis.len() < k {
        let mut v: Vec<f64> = (0..len).map(|_| rng.normal()).collect();
        for _ in 0..2 {
            for b in &basis {
                let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
                v.iter_mut().zip(b).for_each(|(x, y)| *x -= dot * y);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        // A Gaussian draw lies in the span of the others with probability zero; redraw if close.
        if norm > 1e-6 {
            v.iter_mut().for_each(|x| *x /= norm);
            basis.push(v);
        }
    }
    let mut out = vec![0.0; rows * cols];
    for (i, b) in basis.iter().enumerate() {
        for (j, &x) in b.iter().enumerate() {
            // Rows of the result are the basis vectors when rows ≤ cols, columns otherwise.
            let (r, c) = if rows <= cols { (i, j) } else { (j, i) };
            out[r * cols + c] = scale * x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "gaussian:0.5",
            "he",
            "xavier",
            "orthogonal:1",
            "signs",
            "zeros",
            "gaussian:1e-3",
        ] {
            let init: Init = s.parse().unwrap();
            assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
        }
        assert_eq!(
            "orthogonal:1".parse::<Init>().unwrap().to_string(),
            "orthogonal:1"
        );
        assert!(
            "gaussian"
                .parse::<Init>()
                .unwrap_err()
                .contains("needs a scale")
        );
        assert!(
            "gaussian:-1"
                .parse::<Init>()
                .unwrap_err()
                .contains("non-negative")
        );
        assert!(
            "he:2"
                .parse::<Init>()
                .unwrap_err()
                .contains("takes no argument")
        );
        assert!(
            "kaiming"
                .parse::<Init>()
                .unwrap_err()
                .contains("unknown initializer")
        );
    }

    fn variance(w: &[f64]) -> f64 {
        w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64
    }

    #[test]
    fn gaussian_family_has_the_right_variance_and_is_seeded() {
        let (rows, cols) = (200, 100);
        let g = Init::Gaussian { scale: 0.5 }.draw(rows, cols, &mut Rng::new(1));
        assert!((variance(&g) / (0.25 / 100.0) - 1.0).abs() < 0.03);
        let he = Init::He.draw(rows, cols, &mut Rng::new(1));
        assert!((variance(&he) / (2.0 / 100.0) - 1.0).abs() < 0.03);
        let xa = Init::Xavier.draw(rows, cols, &mut Rng::new(1));
        assert!((variance(&xa) / (2.0 / 300.0) - 1.0).abs() < 0.03);
        assert_eq!(
            g,
            Init::Gaussian { scale: 0.5 }.draw(rows, cols, &mut Rng::new(1))
        );
        assert_ne!(
            g,
            Init::Gaussian { scale: 0.5 }.draw(rows, cols, &mut Rng::new(2))
        );
        assert!(
            Init::Zeros
                .draw(3, 4, &mut Rng::new(0))
                .iter()
                .all(|&x| x == 0.0)
        );
    }

    fn gram(w: &[f64], rows: usize, cols: usize, by_rows: bool) -> Vec<f64> {
        let k = if by_rows { rows } else { cols };
        let at = |v: usize, i: usize| {
            if by_rows {
                w[v * cols + i]
            } else {
                w[i * cols + v]
            }
        };
        let len = if by_rows { cols } else { rows };
        let mut g = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..k {
                g[a * k + b] = (0..len).map(|i| at(a, i) * at(b, i)).sum();
            }
        }
        g
    }

    #[test]
    fn orthogonal_rows_or_columns_are_orthonormal_times_scale() {
        for (rows, cols) in [(3, 7), (7, 3), (5, 5)] {
            let w = Init::Orthogonal { scale: 2.0 }.draw(rows, cols, &mut Rng::new(9));
            let g = gram(&w, rows, cols, rows <= cols);
            let k = rows.min(cols);
            for a in 0..k {
                for b in 0..k {
                    let expect = if a == b { 4.0 } else { 0.0 };
                    assert!(
                        (g[a * k + b] - expect).abs() < 1e-12,
                        "{rows}x{cols} gram[{a},{b}]"
                    );
                }
            }
        }
    }

    #[test]
    fn signs_are_half_of_each_sign_at_one_over_root_fan_in_and_ignore_the_seed() {
        let row = Init::Signs.draw(1, 4, &mut Rng::new(1));
        assert_eq!(row, [0.5, -0.5, 0.5, -0.5]);
        assert_eq!(row, Init::Signs.draw(1, 4, &mut Rng::new(2)));
        let odd = Init::Signs.draw(1, 9, &mut Rng::new(0));
        let third = 1.0 / 3.0;
        assert_eq!(odd.iter().filter(|&&a| a == third).count(), 5);
        assert_eq!(odd.iter().filter(|&&a| a == -third).count(), 4);
        // Every row alternates, starting on the other sign than the row above.
        let m = Init::Signs.draw(2, 2, &mut Rng::new(0));
        let s = 1.0 / 2f64.sqrt();
        assert_eq!(m, [s, -s, -s, s]);
        assert!(
            "signs:1"
                .parse::<Init>()
                .unwrap_err()
                .contains("takes no argument")
        );
    }
}
