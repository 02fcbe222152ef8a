//! SVG line charts (plotters, SVG backend only): the run's metrics against the step on a log axis.

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// A tick label of a logarithmic axis: plain with at most three significant digits between
/// 0.001 and 100000 (`60`, `0.25`), else one digit with an exponent (`1e-7`).
fn log_tick(v: f64) -> String {
    let magnitude = v.abs();
    if !(1e-3..1e5).contains(&magnitude) {
        return format!("{v:.0e}");
    }
    let decimals = (2 - magnitude.log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Everything a chart shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// x axis label.
    pub x_label: String,
    /// y axis label.
    pub y_label: String,
    /// Logarithmic x axis (the step axis; a linear one counts seeds or other whole numbers).
    pub log_x: bool,
    /// Logarithmic y axis (for drifts and other quantities spanning decades).
    pub log_y: bool,
    /// The lines.
    pub series: Vec<Series>,
    /// Dashed horizontal lines.
    pub references: Vec<Reference>,
    /// A fixed y range (bottom, top) instead of one fitted to the data, for charts read against
    /// a known bound (throughput from 0 to the machine's peak); points outside it are clipped.
    pub y_range: Option<(f64, f64)>,
    /// Names of the x positions 0, 1, 2, …: a categorical axis (with `log_x` false), its labels
    /// written upright so that long names do not overlap. Empty: a numeric axis.
    pub x_categories: Vec<String>,
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

/// Pixel size of every chart: the plot, and the legend in a panel to its right, where it can
/// hide no data.
const SIZE: (u32, u32) = (960, 420);
/// Width of the plot; the legend panel takes the rest.
const PLOT_WIDTH: u32 = 680;
/// Legend rows: line height, and the characters a label keeps before it is cut.
const LEGEND_ROW: i32 = 18;
const LEGEND_CHARS: usize = 40;
/// Height of the x label area of a categorical axis, whose names are written upright.
const CATEGORY_LABEL_AREA: u32 = 125;

impl Chart {
    /// The points that can be drawn: finite, x > 0 on a log x axis, y > 0 on a log y axis.
    fn drawable(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        points
            .iter()
            .copied()
            .filter(|&(x, y)| {
                x.is_finite()
                    && y.is_finite()
                    && (!self.log_x || x > 0.0)
                    && (!self.log_y || y > 0.0)
            })
            .collect()
    }

    /// What of a series is not drawn, for its legend entry (None when all of it is).
    fn not_drawn(&self, series: &Series) -> Option<String> {
        let drawn = self.drawable(&series.points).len();
        let finite = series
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .count();
        if drawn == 0 && finite == 0 {
            Some("not drawn: no finite value".into())
        } else if drawn == 0 {
            Some("not drawn: none > 0 on a log axis".into())
        } else if drawn < finite {
            Some(format!(
                "{} of {finite} values ≤ 0 not drawn",
                finite - drawn
            ))
        } else {
            None
        }
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
        if !self.log_x {
            // Whole numbers (seeds) with half a unit of room on each side.
            x0 -= 0.5;
            x1 += 0.5;
        } else if x1 <= x0 {
            x1 = x0 * 10.0;
        }
        if let Some(fixed) = self.y_range {
            return Some(((x0, x1), fixed));
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
            let (plot, legend) = root.split_horizontally(PLOT_WIDTH);
            match self.ranges() {
                None => {
                    plot.draw(&Text::new(
                        format!("{}: nothing to plot", self.title),
                        (20, 20),
                        ("sans-serif", 18),
                    ))
                    .map_err(|e| e.to_string())?;
                }
                Some(((x0, x1), (y0, y1))) => match (self.log_x, self.log_y) {
                    (true, true) => self.draw(&plot, (x0..x1).log_scale(), (y0..y1).log_scale())?,
                    (true, false) => self.draw(&plot, (x0..x1).log_scale(), y0..y1)?,
                    (false, true) => self.draw(&plot, x0..x1, (y0..y1).log_scale())?,
                    (false, false) => self.draw(&plot, x0..x1, y0..y1)?,
                },
            }
            self.draw_legend(&legend).map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(svg)
    }

    fn draw<DB, X, Y>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
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
        let x_label_area = if self.x_categories.is_empty() {
            40
        } else {
            CATEGORY_LABEL_AREA
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(x_label_area)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        // The x axis counts steps: whole numbers. plotters prints log-axis ticks with every
        // digit (9.999999999e-5); a few are enough on a log y axis.
        // On a linear axis a tick between two whole numbers gets no label.
        // On a categorical axis a whole number is the index of its name.
        let whole = |v: &f64| {
            if self.log_x {
                format!("{v:.0}")
            } else if (v - v.round()).abs() >= 1e-9 {
                String::new()
            } else if self.x_categories.is_empty() {
                format!("{v:.0}")
            } else {
                usize::try_from(v.round() as i64)
                    .ok()
                    .and_then(|i| self.x_categories.get(i))
                    .cloned()
                    .unwrap_or_default()
            }
        };
        let short = |v: &f64| log_tick(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&whole);
        if self.log_y {
            mesh.y_label_formatter(&short);
        }
        if !self.x_categories.is_empty() {
            // One tick per category (plotters would otherwise pick round steps of its own).
            // Anchored at their start, so that turned upright they hang below the axis.
            mesh.x_labels(self.x_categories.len() + 2).x_label_style(
                TextStyle::from(("sans-serif", 12).into_font())
                    .transform(FontTransform::Rotate90)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            );
            // The axis descriptions would otherwise inherit the labels' turn.
            mesh.axis_desc_style(("sans-serif", 12));
        }
        mesh.draw().map_err(err)?;
        let (x_lo, x_hi) = self.ranges().map(|(x, _)| x).unwrap_or((1.0, 10.0));
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let points = self.drawable(&s.points);
            let style = color.stroke_width(2);
            if !self.log_x {
                // Whole-number x (seeds): each value marked, so that a lone one shows too.
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(err)?;
            }
            match dashes(i) {
                None => chart.draw_series(LineSeries::new(points, style)),
                Some((dash, gap)) => {
                    chart.draw_series(DashedLineSeries::new(points, dash, gap, style))
                }
            }
            .map_err(err)?;
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
                .map_err(err)?;
        }
        Ok(())
    }

    /// The legend panel: one row per series (its line, its label, and what of it is not drawn)
    /// and per reference line (dashed, with its value).
    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let font = ("sans-serif", 13).into_font();
        let mut y = 48;
        // A row: the sample line, the label, and a note on a line of its own below it.
        let mut row = |sample: &dyn Fn(i32) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>,
                       label: String,
                       note: Option<String>|
         -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
            sample(y)?;
            area.draw(&Text::new(cut(&label), (34, y - 7), font.clone()))?;
            y += LEGEND_ROW;
            if let Some(note) = note {
                area.draw(&Text::new(
                    cut(&format!("({note})")),
                    (34, y - 7),
                    font.clone(),
                ))?;
                y += LEGEND_ROW;
            }
            Ok(())
        };
        for (i, s) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            row(
                &|y| {
                    let (dash, gap) = dashes(i).map_or((22, 0), |(d, g)| (d as i32, g as i32));
                    let mut x = 4;
                    while x < 26 {
                        let end = (x + dash).min(26);
                        area.draw(&PathElement::new(
                            vec![(x, y), (end, y)],
                            color.stroke_width(2),
                        ))?;
                        x = end + gap.max(1);
                    }
                    Ok(())
                },
                s.label.clone(),
                self.not_drawn(s),
            )?;
        }
        for r in &self.references {
            row(
                &|y| {
                    for x in [4, 14] {
                        area.draw(&PathElement::new(
                            vec![(x, y), (x + 7, y)],
                            BLACK.stroke_width(1),
                        ))?;
                    }
                    Ok(())
                },
                format!("{} = {}", r.label, crate::claims::fmt_value(r.y)),
                None,
            )?;
        }
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

/// A label cut to what the legend panel holds.
fn cut(label: &str) -> String {
    if label.chars().count() <= LEGEND_CHARS {
        label.to_string()
    } else {
        let kept: String = label.chars().take(LEGEND_CHARS - 1).collect();
        format!("{kept}…")
    }
}

/// The dash pattern of series `i` (dash and gap in pixels; None: solid): solid, dashed and dotted
/// in turn, so that a series lying on another stays seen through its gaps.
fn dashes(i: usize) -> Option<(u32, u32)> {
    [None, Some((9, 5)), Some((2, 4))][i % 3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_short_and_exact_enough() {
        for (v, label) in [
            (60.0, "60"),
            (5.0, "5"),
            (0.25, "0.25"),
            (0.001, "0.001"),
            (12345.0, "12345"),
            (0.707, "0.707"),
            (1e5, "1e5"),
            (2e-7, "2e-7"),
            (0.0, "0e0"),
        ] {
            assert_eq!(log_tick(v), label, "{v}");
        }
    }

    fn chart(log_y: bool) -> Chart {
        Chart {
            title: "r per layer".into(),
            x_label: "step + 1".into(),
            y_label: "r".into(),
            log_x: true,
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
            y_range: None,
            x_categories: Vec::new(),
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
    fn the_legend_sits_beside_the_plot_and_says_what_is_not_drawn() {
        let svg = chart(true).to_svg().unwrap();
        // layer 1 has 0.3 and 0.0 finite: the 0.0 cannot go on the log axis.
        assert!(svg.contains("(1 of 2 values ≤ 0 not drawn)"), "{svg}");
        let zeros = Chart {
            series: vec![Series {
                label: "zeros".into(),
                points: vec![(1.0, 0.0), (2.0, 0.0)],
            }],
            ..chart(true)
        };
        let svg_zeros = zeros.to_svg().unwrap();
        assert!(
            svg_zeros.contains("(not drawn: none &gt; 0 on a log axis)"),
            "{svg_zeros}"
        );
        // Every legend label starts right of the plot, where it can hide no data.
        for label in ["layer 0", "threshold = 0.9900"] {
            let at = svg
                .find(&format!(">\n{label}\n<"))
                .unwrap_or_else(|| panic!("{label}"));
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let x: f64 = tag
                .split("x=\"")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("no x in {tag}"));
            assert!(x > f64::from(PLOT_WIDTH), "{label} at x = {x}");
        }
    }

    #[test]
    fn step_ticks_are_whole_numbers() {
        let svg = chart(false).to_svg().unwrap();
        assert!(
            svg.contains(">\n10\n<") && svg.contains(">\n100\n<"),
            "{svg}"
        );
        assert!(!svg.contains(">\n10.0\n<"), "{svg}");
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

    /// How many `<text>` elements of an SVG that read exactly `label`.
    fn texts(svg: &str, label: &str) -> usize {
        svg.matches(&format!(">\n{label}\n<")).count()
    }

    #[test]
    fn a_fixed_y_range_is_the_axis_whatever_the_data() {
        let fixed = Chart {
            y_range: Some((0.0, 300.0)),
            ..chart(false)
        };
        assert_eq!(fixed.ranges().map(|(_, y)| y), Some((0.0, 300.0)));
        let svg = fixed.to_svg().unwrap();
        assert_eq!(texts(&svg, "300.0"), 1, "the top of the axis is labelled");
        assert_eq!(texts(&svg, "0.0"), 1, "so is its bottom");
        let fitted = chart(false).ranges().map(|(_, y)| y).unwrap();
        assert!(fitted.1 < 1.1, "{fitted:?}");
    }

    #[test]
    fn a_categorical_axis_names_every_position_upright() {
        let names = [
            "256x784x512",
            "784x256x512 AtB",
            "256x512x784 ABt",
            "100x100x100",
        ];
        let categorical = Chart {
            log_x: false,
            series: vec![Series {
                label: "ours".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0), (2.0, 1.5), (3.0, 3.0)],
            }],
            x_categories: names.iter().map(|n| n.to_string()).collect(),
            ..chart(false)
        };
        let svg = categorical.to_svg().unwrap();
        for name in names {
            assert_eq!(texts(&svg, name), 1, "{name}: {svg}");
        }
        assert!(svg.contains("rotate(90"), "{svg}");
        assert_eq!(texts(&svg, "1"), 0, "no index is shown for a name");
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
