//! The progress bar of long sweeps: on stderr, only when stderr is a
//! terminal (and not with `--quiet`, which does not call this at all).
//! It counts inputs read (an archive is one), inputs per second and the
//! documents recognised so far; findings are only known once every input
//! is read, so they are in the report, not here.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        self.bar.set_message(format!("{total} documents"));
        self.bar.inc(1);
    }
}

/// Runs the scan with a progress bar when stderr is a terminal.
pub fn scan(config: &ScanConfig) -> Result<Report, String> {
    if !io::stderr().is_terminal() {
        return eksguard::scan(config);
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {pos}/{len} files, {per_sec}, {msg} [{elapsed}]")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let progress = Bar { bar, documents: AtomicUsize::new(0) };
    let result = eksguard::scan_with(config, &progress);
    progress.bar.finish_and_clear();
    result
}
