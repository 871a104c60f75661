//! The GitLab Code Quality report: a JSON array of issues, one per
//! finding, as GitLab's merge request widget reads it
//! (`artifacts:reports:codequality`): `description`, `check_name`,
//! `fingerprint` (the baseline's, [`crate::finding::fingerprint`], so an
//! issue keeps its identity when lines move), `severity` and `location`
//! (`path` relative to the working directory, `lines.begin`).
//!
//! Severities map as error -> `major`, warning -> `minor`, note -> `info`.
//! Input errors are not issues (GitLab would show them as code to fix);
//! the exit code and the other formats report them.

use std::io::{self, Write};

use serde_json::json;

use crate::finding::{Severity, fingerprint, visible};

use super::{RenderOptions, Report, host_path};

/// Standard input's path, unless `--stdin-filename` names it.
pub const STDIN_PATH: &str = "<stdin>";

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // Each issue is made and written in turn, not all held at once.
    let issues = report.findings.iter().map(|f| {
        let path = host_path(&f.location.path, options.base.as_deref());
        json!({
            "description": format!("{}{} Fix: {}", visible(&f.message), stop(&f.message), visible(&f.remediation.text())),
            "check_name": f.rule,
            "fingerprint": fingerprint(&f),
            "severity": severity(f.severity),
            "location": {
                "path": path.as_deref().unwrap_or(STDIN_PATH),
                "lines": { "begin": f.location.line.max(1) },
            },
        })
    });
    serde::Serializer::collect_seq(&mut serde_json::Serializer::pretty(&mut *out), issues)?;
    out.write_all(b"\n")
}

/// The full stop a message needs before the fix follows it.
fn stop(message: &str) -> &'static str {
    if message.ends_with(['.', '!', '?', '"']) { "" } else { "." }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}
