//! The progress bar shown while training: on stderr, hidden with `--quiet` or when stderr is not
//! a terminal (so logs and CI output stay clean).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over a known number of steps (or runs).
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` units labelled `label`; hidden when `quiet` or when stderr is not a terminal.
    pub fn new(total: u64, label: &str, quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        Self::with_visibility(total, label, visible)
    }

    fn with_visibility(total: u64, label: &str, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr_with_hz(10)
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(
            "{prefix:>16} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Self { bar }
    }

    /// True when the bar is drawn.
    pub fn is_visible(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Moves the bar to `position`.
    pub fn set(&self, position: u64) {
        self.bar.set_position(position);
    }

    /// Advances the bar by one unit.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Shows a short message after the counts (e.g. the current loss).
    pub fn message(&self, text: String) {
        self.bar.set_message(text);
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_bar_is_hidden_and_counts() {
        let p = Progress::new(10, "test", true);
        assert!(!p.is_visible());
        p.set(4);
        p.inc();
        assert_eq!(p.bar.position(), 5);
        p.finish();
    }
}
