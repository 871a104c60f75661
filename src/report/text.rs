//! The text report: `path:line:col: severity[ID] message`, the source line,
//! the related locations and the remediation; then errors and a summary.
//! Styles are always written; the caller strips them when the output is
//! not a terminal. Every untrusted piece (paths, messages, quoted lines) is
//! printed [`visible`]: the only escape sequences are the styles above.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::finding::{Severity, Visible, visible};

use super::{RenderOptions, Report, plural};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const BLUE: Style = AnsiColor::Blue.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default().bold();

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => AnsiColor::Red.on_default().bold(),
        Severity::Warning => AnsiColor::Yellow.on_default().bold(),
        Severity::Note => CYAN,
    }
}

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings.iter() {
        let sev = severity_style(f.severity);
        let (rule, message) = (Visible(f.rule), Visible(&f.message));
        writeln!(out, "{BOLD}{}{BOLD:#}: {sev}{}[{rule}]{sev:#} {message}", f.location, f.severity)?;
        if let Some(line) = &f.location.source_line {
            let number = f.location.line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(out, "{pad} {BLUE}|{BLUE:#}")?;
            writeln!(out, "{BLUE}{number} |{BLUE:#} {}", Visible(line))?;
            // The caret under the column as printed (escapes are wider).
            let col = usize::try_from(f.location.column).unwrap_or(1).saturating_sub(1);
            let before: String = line.chars().take(col).collect();
            let indent: String = visible(&before).chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            writeln!(out, "{pad} {BLUE}|{BLUE:#} {indent}{sev}^{sev:#}")?;
        }
        for r in &f.related {
            writeln!(out, "  {BLUE}= related:{BLUE:#} {}: {}", r.location, Visible(&r.message))?;
        }
        writeln!(out, "  {CYAN}= fix:{CYAN:#} {}", Visible(&f.remediation.text()))?;
        writeln!(out)?;
    }
    for e in &report.errors {
        let red = severity_style(Severity::Error);
        writeln!(out, "{BOLD}{}{BOLD:#}: {red}input error:{red:#} {}", Visible(&e.path), Visible(&e.message))?;
    }
    for u in &report.unmatched {
        writeln!(out, "{BOLD}{}{BOLD:#}: deployed template not compared: {}", u.path, u.reason)?;
    }
    if options.verbose {
        for s in &report.skipped {
            writeln!(out, "{DIM}{}: skipped: {}{DIM:#}", Visible(&s.path), Visible(&s.reason))?;
        }
    }
    let s = &report.summary;
    write!(
        out,
        "{BOLD}Summary:{BOLD:#} {} ({} analysed, {} skipped, {}); {}, {}, {}, {}; findings: {}, {}, {}",
        plural(s.inputs, "input", "inputs"),
        s.analysed,
        s.skipped,
        plural(s.errors, "error", "errors"),
        plural(s.templates, "template", "templates"),
        plural(s.cluster_configs, "ClusterConfig", "ClusterConfigs"),
        plural(s.clusters, "cluster", "clusters"),
        plural(s.access_entries, "access entry", "access entries"),
        plural(s.findings.error, "error", "errors"),
        plural(s.findings.warning, "warning", "warnings"),
        plural(s.findings.note, "note", "notes"),
    )?;
    if s.deployed > 0 {
        write!(
            out,
            "; deployed: {} ({} not compared)",
            plural(s.deployed, "template", "templates"),
            report.unmatched.len()
        )?;
    }
    if s.suppressed + s.baselined > 0 {
        write!(out, "; hidden: {} suppressed, {} baselined", s.suppressed, s.baselined)?;
    }
    writeln!(out)
}
