//! Progress display: an indicatif bar on a terminal, plain lines in CI logs
//! (stderr not a TTY), or nothing.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::metrics_log::{TrainRecord, ValRecord};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// burn-train's terminal dashboard when this crate is built with the `tui`
    /// feature and stdout is a terminal; otherwise a bar when stderr is a
    /// terminal, plain lines when it is not.
    #[default]
    Auto,
    /// Always plain lines on stderr.
    Plain,
    /// Nothing (library use, tests).
    Quiet,
}

/// Whether a run shows burn-train's terminal dashboard (its TUI renderer)
/// instead of [`TrainDisplay`]: only in [`ProgressMode::Auto`], with the `tui`
/// feature, when stdout is a terminal.
pub fn dashboard(mode: ProgressMode, stdout_is_terminal: bool) -> bool {
    cfg!(feature = "tui") && mode == ProgressMode::Auto && stdout_is_terminal
}

/// The progress of one training run.
#[derive(Debug)]
pub struct TrainDisplay {
    bar: Option<ProgressBar>,
    plain: bool,
    label: String,
    total: u64,
}

/// `1h02m`, `4m05s`, `12s`.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".into();
    }
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

impl TrainDisplay {
    /// Starts the display for iterations `start+1..=total`.
    pub fn new(mode: ProgressMode, label: &str, start: u64, total: u64) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let (bar, plain) = match mode {
            ProgressMode::Quiet => (None, false),
            ProgressMode::Plain => (None, true),
            ProgressMode::Auto if !terminal => (None, true),
            ProgressMode::Auto => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{prefix} [{elapsed_precise}] {bar:40} {pos}/{len}\n  {wide_msg}")
                        .expect("a valid template"),
                );
                bar.set_prefix(label.to_string());
                bar.set_position(start);
                bar.enable_steady_tick(Duration::from_millis(500));
                (Some(bar), false)
            }
        };
        Self { bar, plain, label: label.to_string(), total }
    }

    /// One iteration done.
    pub fn tick(&self, iteration: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(iteration);
        }
    }

    /// A training log line, with the estimated time left.
    pub fn train(&self, r: &TrainRecord, eta_s: f64) {
        let diff = r.l_pix_diff.map(|d| format!(", l_pix_diff {d:.4e}")).unwrap_or_default();
        let text = format!(
            "loss {:.4e} (l_pix {:.4e}{diff}) lr {:.3e} | {:.1} img/s | ETA {}",
            r.loss,
            r.l_pix,
            r.lr,
            r.images_per_s,
            format_duration(eta_s)
        );
        if let Some(bar) = &self.bar {
            bar.set_message(text);
        } else if self.plain {
            eprintln!("[{}] iter {}/{} {text}", self.label, r.iter, self.total);
        }
    }

    /// A validation result.
    pub fn val(&self, r: &ValRecord) {
        self.line(&format!(
            "validation at iter {}: PSNR {:.3} dB, L1 {:.4e} ({} images)",
            r.iter, r.val_psnr, r.val_l1, r.images
        ));
    }

    /// Any other message (checkpoint written, data generated, ...).
    pub fn line(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.println(format!("[{}] {text}", self.label));
        } else if self.plain {
            eprintln!("[{}] {text}", self.label);
        }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_only_replaces_the_display_on_a_terminal_in_auto_mode() {
        assert_eq!(dashboard(ProgressMode::Auto, true), cfg!(feature = "tui"));
        for mode in [ProgressMode::Auto, ProgressMode::Plain, ProgressMode::Quiet] {
            assert!(!dashboard(mode, false), "{mode:?}: plain lines or nothing when stdout is not a terminal");
        }
        assert!(!dashboard(ProgressMode::Plain, true));
        assert!(!dashboard(ProgressMode::Quiet, true));
    }

    #[test]
    fn durations_read_as_hours_minutes_seconds() {
        assert_eq!(format_duration(12.4), "12s");
        assert_eq!(format_duration(245.0), "4m05s");
        assert_eq!(format_duration(3720.0), "1h02m");
        assert_eq!(format_duration(f64::NAN), "?");
    }
}
