//! SVG line charts (plotters, SVG backend only): the run's metrics against the step on a log axis.

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use models::atomic::write_atomic;

/// One named line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points; non-finite ones (and non-positive ones on a log axis) are skipped.
    pub points: Vec<(f64, f64)>,
}

/// A horizontal reference line (a threshold or a target such as the SVM margin).
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// Legend text.
    pub label: String,
    /// Its height.
    pub y: f64,
}

/// Everything a chart shows. The x axis is always logarithmic (steps span decades).
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// x axis label.
    pub x_label: String,
    /// y axis label.
    pub y_label: String,
    /// Logarithmic y axis (for drifts and other quantities spanning decades).
    pub log_y: bool,
    /// The lines.
    pub series: Vec<Series>,
    /// Dashed horizontal lines.
    pub references: Vec<Reference>,
}

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// plotters failed while drawing.
    #[error("drawing the chart {path}: {message}")]
    Draw {
        /// The SVG file.
        path: String,
        /// plotters' message.
        message: String,
    },
    /// The SVG file could not be written.
    #[error("writing the chart {path}: {source}")]
    Io {
        /// The SVG file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Pixel size of every chart.
const SIZE: (u32, u32) = (720, 420);

impl Chart {
    /// The points that can be drawn: finite, x > 0, and y > 0 on a log y axis.
    fn drawable(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points
            .iter()
            .copied()
            .filter(|&(x, y)| x.is_finite() && y.is_finite() && x > 0.0 && (!self.log_y || y > 0.0))
            .collect()
    }

    /// The x and y ranges covering every drawable point and reference, padded so that a flat
    /// line is not drawn on the frame. None when there is nothing to draw.
    fn ranges(&self) -> Option<((f64, f64), (f64, f64))> {
        let points: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| self.drawable(&s.points))
            .collect();
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in &points {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if points.is_empty() {
            return None;
        }
        for r in &self.references {
            if r.y.is_finite() && (!self.log_y || r.y > 0.0) {
                y0 = y0.min(r.y);
                y1 = y1.max(r.y);
            }
        }
        if x1 <= x0 {
            x1 = x0 * 10.0;
        }
        if self.log_y {
            if y1 <= y0 * 1.0001 {
                y0 /= 10.0;
                y1 *= 10.0;
            }
            Some(((x0, x1), (y0 / 1.5, y1 * 1.5)))
        } else {
            let pad = if y1 > y0 {
                (y1 - y0) * 0.05
            } else {
                y0.abs().max(1.0) * 0.05
            };
            Some(((x0, x1), (y0 - pad, y1 + pad)))
        }
    }

    /// Renders the chart to SVG text.
    pub fn to_svg(&self) -> Result<String, String> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            match self.ranges() {
                None => {
                    root.draw(&Text::new(
                        format!("{}: nothing to plot", self.title),
                        (20, 20),
                        ("sans-serif", 18),
                    ))
                    .map_err(|e| e.to_string())?;
                }
                Some(((x0, x1), (y0, y1))) => {
                    let x = (x0..x1).log_scale();
                    if self.log_y {
                        self.draw(&root, x, (y0..y1).log_scale())?;
                    } else {
                        self.draw(&root, x, y0..y1)?;
                    }
                }
            }
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(svg)
    }

    fn draw<DB, X, Y>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        x: X,
        y: Y,
    ) -> Result<(), String>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        // plotters prints log-axis ticks with every digit (9.999999999e-5); one digit is enough.
        let short = |v: &f64| format!("{v:.0e}");
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str());
        if self.log_y {
            mesh.y_label_formatter(&short);
        }
        mesh.draw().map_err(err)?;
        let (x_lo, x_hi) = self.ranges().map(|(x, _)| x).unwrap_or((1.0, 10.0));
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    self.drawable(&s.points),
                    color.stroke_width(2),
                ))
                .map_err(err)?
                .label(s.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        for r in self
            .references
            .iter()
            .filter(|r| r.y.is_finite() && (!self.log_y || r.y > 0.0))
        {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x_lo, r.y), (x_hi, r.y)],
                    8,
                    5,
                    BLACK.stroke_width(1),
                ))
                .map_err(err)?
                .label(format!("{} = {}", r.label, crate::claims::fmt_value(r.y)))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(err)?;
        Ok(())
    }

    /// Renders the chart and writes it atomically to `path`.
    pub fn write(&self, path: &Path) -> Result<(), PlotError> {
        let shown = path.display().to_string();
        let svg = self.to_svg().map_err(|message| PlotError::Draw {
            path: shown.clone(),
            message,
        })?;
        write_atomic(path, svg.as_bytes()).map_err(|source| PlotError::Io {
            path: shown,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(log_y: bool) -> Chart {
        Chart {
            title: "r per layer".into(),
            x_label: "step + 1".into(),
            y_label: "r".into(),
            log_y,
            series: vec![
                Series {
                    label: "layer 0".into(),
                    points: vec![(1.0, 0.4), (10.0, 0.8), (1000.0, 0.999)],
                },
                Series {
                    label: "layer 1".into(),
                    points: vec![(1.0, 0.3), (10.0, f64::NAN), (1000.0, 0.0)],
                },
            ],
            references: vec![Reference {
                label: "threshold".into(),
                y: 0.99,
            }],
        }
    }

    #[test]
    fn svg_has_lines_labels_and_reference() {
        let svg = chart(false).to_svg().unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("r per layer"));
        assert!(svg.contains("layer 1"));
        assert!(svg.contains("threshold = 0.9900"));
        assert!(svg.matches("<polyline").count() >= 3, "lines drawn");
    }

    #[test]
    fn log_y_skips_non_positive_and_empty_chart_says_so() {
        let svg = chart(true).to_svg().unwrap();
        assert!(svg.contains("layer 0"));
        let empty = Chart {
            series: vec![],
            ..chart(true)
        };
        assert!(empty.to_svg().unwrap().contains("nothing to plot"));
    }

    #[test]
    fn write_is_atomic_and_reports_the_path() {
        let dir = std::env::temp_dir().join(format!("lowrank-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.svg");
        chart(false).write(&path).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("</svg>"));
        let bad = dir.join("missing/r.svg");
        let e = chart(false).write(&bad).unwrap_err().to_string();
        assert!(e.contains("missing/r.svg"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
