//! The progress bar shown while training: on stderr, hidden with `--quiet` or when stderr is not
//! a terminal (so logs and CI output stay clean). Its line fits the terminal, whatever the
//! label, the step count and the message: a line that wraps is redrawn below itself, not over.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The widest the label is shown (its end: the run's own part of `experiment/run`).
const LABEL: usize = 16;
/// The widest the bar itself is drawn.
const BAR: usize = 30;
/// The narrowest bar worth drawing (with its brackets and a space, 3 columns more).
const MIN_BAR: usize = 10;
/// Columns of ` {elapsed} eta {eta}`: compact durations are at most 3 wide (`59m`), one more
/// for the odd 4 (`100d`).
const TIMES: usize = 14;
/// The message's columns kept before a bar is drawn (`ln R -12.3456`).
const MESSAGE: usize = 14;

/// A progress bar over a known number of steps (or runs).
pub struct Progress {
    bar: ProgressBar,
    total: u64,
    label: String,
    /// The terminal width the style was made for.
    width: AtomicUsize,
}

impl Progress {
    /// A bar of `total` units labelled `label`; hidden when `quiet` or when stderr is not a terminal.
    pub fn new(total: u64, label: &str, quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr_with_hz(10)
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(total, label, target, terminal_width())
    }

    fn with_target(total: u64, label: &str, target: ProgressDrawTarget, width: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), target)
            .with_style(style(width, label, total))
            .with_prefix(label.to_string());
        Self {
            bar,
            total,
            label: label.to_string(),
            width: AtomicUsize::new(width),
        }
    }

    /// Makes the style fit `width` columns, if it was made for another width.
    fn fit(&self, width: usize) {
        if self.width.swap(width, Ordering::Relaxed) != width {
            self.bar.set_style(style(width, &self.label, self.total));
        }
    }

    /// True when the bar is drawn.
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Moves the bar to `position` (refitting it to a resized terminal).
    pub fn set(&self, position: u64) {
        if self.is_visible() {
            self.fit(terminal_width());
        }
        self.bar.set_position(position);
    }

    /// Advances the bar by one unit.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Shows a short message after the counts (e.g. the current loss), cut to the room left.
    pub fn message(&self, text: String) {
        self.bar.set_message(text);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The style of [`template`].
fn style(width: usize, label: &str, total: u64) -> ProgressStyle {
    ProgressStyle::with_template(&template(width, label, total))
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// The width of the terminal on stderr (80 when it has none).
fn terminal_width() -> usize {
    console::Term::stderr()
        .size_checked()
        .map_or(80, |(_rows, columns)| usize::from(columns))
}

/// The bar's template for a terminal `width` columns wide, for `total` units labelled `label`:
/// the label (its end), the bar, the counts, the times and the message, which takes the rest and
/// is cut to it. Narrower terminals drop the bar, then the times, then shorten the label, and
/// show a percentage for counts that do not fit.
fn template(width: usize, label: &str, total: u64) -> String {
    let digits = total.to_string().len();
    let full_counts = 2 * digits + 1;
    let (counts, counts_width) = if full_counts <= width {
        (format!("{{pos:>{digits}}}/{{len}}"), full_counts)
    } else {
        ("{percent:>3}%".to_string(), 4)
    };
    let mut label_width = label.chars().count().min(LABEL);
    // The label, the counts and a space each after them.
    let mut used = label_width + 1 + counts_width + 1;
    let times = used + TIMES + MESSAGE <= width;
    if times {
        used += TIMES;
    }
    let bar = width.saturating_sub(used + MESSAGE + 3).min(BAR);
    let bar = if bar >= MIN_BAR { bar } else { 0 };
    if used > width {
        label_width = label_width.saturating_sub(used - width);
    }
    let mut parts = Vec::new();
    if label_width > 0 {
        parts.push(format!("{{prefix:>{label_width}!}}"));
    }
    if bar > 0 {
        parts.push(format!("[{{bar:{bar}}}]"));
    }
    parts.push(counts);
    if times {
        parts.push("{elapsed:>3} eta {eta:>3}".to_string());
    }
    parts.push("{wide_msg}".to_string());
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::TermLike;
    use std::sync::{Arc, Mutex};

    #[test]
    fn quiet_bar_is_hidden_and_counts() {
        let p = Progress::new(10, "test", true);
        assert!(!p.is_visible());
        p.set(4);
        p.inc();
        assert_eq!(p.bar.position(), 5);
        p.finish();
    }

    /// A terminal of a fixed width that keeps the text written on its current line.
    #[derive(Debug, Clone)]
    struct Screen {
        width: u16,
        lines: Arc<Mutex<Vec<String>>>,
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.lines.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The lines a bar draws on a terminal `width` wide.
    fn drawn(width: u16, label: &str, total: u64, message: &str) -> Vec<String> {
        let screen = Screen {
            width,
            lines: Arc::default(),
        };
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let p = Progress::with_target(total, label, target, usize::from(width));
        p.message(message.to_string());
        p.bar.set_position(total / 3);
        let lines = screen.lines.lock().unwrap().clone();
        lines.into_iter().filter(|l| !l.trim().is_empty()).collect()
    }

    #[test]
    fn the_line_fits_every_terminal_and_cuts_the_message() {
        let long_label = "relu-tail/gaussian-width-100-depth-4";
        let long_message = "ln R -123.4567 and a message far longer than any terminal is wide, \
                            which must be cut rather than wrap onto the next line";
        for width in [20u16, 40, 80, 100, 200] {
            for (label, total) in [("train", 3000), (long_label, 123_456_789_012)] {
                let lines = drawn(width, label, total, long_message);
                assert!(!lines.is_empty(), "nothing drawn at {width}");
                for line in &lines {
                    let columns = line.chars().count();
                    assert!(
                        columns <= usize::from(width),
                        "{columns} columns at width {width}: {line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn wide_terminals_show_every_part() {
        let lines = drawn(100, "train", 3000, "ln R -1.2345");
        let line = lines.last().unwrap();
        assert!(
            line.starts_with("train [==========>") && line.contains(" 1000/3000 "),
            "{line:?}"
        );
        assert!(
            line.contains(" eta ") && line.contains("ln R -1.2345"),
            "{line:?}"
        );
        let narrow = drawn(40, "train", 3000, "ln R -1.2345");
        let line = narrow.last().unwrap();
        assert!(!line.contains('['), "no room for the bar at 40: {line:?}");
        assert!(
            line.contains("1000/3000") && line.contains("ln R"),
            "{line:?}"
        );
    }

    #[test]
    fn templates_by_width() {
        assert_eq!(
            template(100, "train", 3000),
            "{prefix:>5!} [{bar:30}] {pos:>4}/{len} {elapsed:>3} eta {eta:>3} {wide_msg}"
        );
        assert_eq!(
            template(80, "train", 3000),
            "{prefix:>5!} [{bar:30}] {pos:>4}/{len} {elapsed:>3} eta {eta:>3} {wide_msg}"
        );
        assert_eq!(
            template(60, "train", 3000),
            "{prefix:>5!} [{bar:13}] {pos:>4}/{len} {elapsed:>3} eta {eta:>3} {wide_msg}"
        );
        assert_eq!(
            template(40, "train", 3000),
            "{prefix:>5!} {pos:>4}/{len} {wide_msg}"
        );
        assert_eq!(
            template(12, "train", 3000),
            "{prefix:>1!} {pos:>4}/{len} {wide_msg}"
        );
    }
}
