//! GitHub Actions workflow commands: one `::error`, `::warning` or
//! `::notice` line per finding (by severity), which the runner turns into
//! annotations on the file and line; one `::error` per input that could
//! not be read; then the plain summary line for the log.
//!
//! Escaping follows the runner's rules: in the message `%`, CR and LF are
//! percent-encoded; in properties (`file`, `title`) also `:` and `,`.
//! Before that, every untrusted piece is made [`visible`], so that a name
//! holding a line break or an escape sequence shows as `\n` or `\x1b`
//! in the annotation and the log.

use std::io::{self, Write};

use crate::finding::{Severity, visible};

use super::{RenderOptions, Report, host_path, plural};

/// Standard input's path, unless `--stdin-filename` names it.
pub const STDIN_PATH: &str = "<stdin>";

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let base = options.base.as_deref();
    let path = |p: &str| property(&visible(host_path(p, base).as_deref().unwrap_or(STDIN_PATH)));
    for f in report.findings.iter() {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let l = &f.location;
        writeln!(
            out,
            "::{command} file={},line={},col={},title={}::{}",
            path(&l.path),
            l.line,
            l.column,
            property(&visible(&format!("{} {}", f.rule, f.name))),
            data(&format!("{}\nFix: {}", visible(&f.message), visible(&f.remediation.text()))),
        )?;
    }
    for e in &report.errors {
        writeln!(out, "::error file={},title=eksguard input error::{}", path(&e.path), data(&visible(&e.message)))?;
    }
    for u in &report.unmatched {
        writeln!(
            out,
            "::notice file={},title=eksguard deployed template not compared::{}",
            property(&u.path),
            data(&u.reason)
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "eksguard: {} ({} analysed, {} skipped, {}); findings: {}, {}, {}; {} suppressed, {} baselined",
        plural(s.inputs, "input", "inputs"),
        s.analysed,
        s.skipped,
        plural(s.errors, "error", "errors"),
        plural(s.findings.error, "error", "errors"),
        plural(s.findings.warning, "warning", "warnings"),
        plural(s.findings.note, "note", "notes"),
        s.suppressed,
        s.baselined
    )
}

/// A command's message.
pub fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A command's property value.
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(data("50% done\r\nnext: a, b"), "50%25 done%0D%0Anext: a, b");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
