//! The progress bar of long sweeps: on stderr, only when stderr is a
//! terminal (and not with `--quiet`, which does not call this at all).
//! It counts inputs read (an archive is one), inputs per second and the
//! documents recognised so far; findings are only known once every input
//! is read, so they are in the report, not here.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use eksguard::report::Report;
use eksguard::{Progress, ScanConfig};

struct Bar {
    bar: ProgressBar,
    documents: AtomicUsize,
}

impl Progress for Bar {
    fn start(&self, inputs: usize) {
        self.bar.set_length(inputs as u64);
        // Drawn from here on, once the number of inputs is known.
        self.bar.enable_steady_tick(Duration::from_millis(120));
    }

    fn input_done(&self, documents: usize) {
        let total = self.documents.fetch_add(documents, Ordering::Relaxed) + documents;
        self.bar.set_message(counted(total as u64, "document", "documents"));
        self.bar.inc(1);
    }
}

/// Runs the scan with a progress bar when stderr is a terminal.
pub(crate) fn scan(config: &ScanConfig) -> Result<Report, eksguard::ScanError> {
    if !io::stderr().is_terminal() {
        return eksguard::scan(config);
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {inputs}, {rate}, {msg} [{elapsed}]")
        .map(|s| {
            s.with_key("inputs", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let len = state.len().unwrap_or(0);
                let _ = write!(w, "{}/{}", HumanCount(state.pos()), counted(len, "file", "files"));
            })
            .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}", rate(state.per_sec()));
            })
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let progress = Bar { bar, documents: AtomicUsize::new(0) };
    let result = eksguard::scan_with(config, &progress);
    progress.bar.finish_and_clear();
    result
}

/// `1 document`, `1,580 documents`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", HumanCount(n), if n == 1 { one } else { many })
}

/// Inputs per second as people read them: `1,580/s`, `0.4/s`.
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0/s".to_owned();
    }
    if per_sec < 10.0 {
        return format!("{per_sec:.1}/s");
    }
    // Rounded and in range: the cast neither truncates nor wraps.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = per_sec.round().min(u64::MAX as f64) as u64;
    format!("{}/s", HumanCount(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates_read_as_people_write_them() {
        assert_eq!(counted(1, "document", "documents"), "1 document");
        assert_eq!(counted(0, "document", "documents"), "0 documents");
        assert_eq!(counted(20_000, "file", "files"), "20,000 files");
        assert_eq!(rate(1580.4321), "1,580/s");
        assert_eq!(rate(2.345), "2.3/s");
        assert_eq!(rate(f64::NAN), "0/s");
    }
}
