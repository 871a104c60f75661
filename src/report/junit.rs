//! The JUnit XML report, for GitLab CI and Jenkins test views.
//!
//! One test suite per built-in rule; in it one test case per (rule, file
//! checked), failing with every finding of that rule in that file (message,
//! location, related locations and fix). A finding below `--fail-on` does
//! not fail the run, so it does not fail its case either: the case passes
//! and shows the finding in its `system-out`. A rule that was not selected has
//! one skipped test case instead. Inputs that could not be read make a
//! last suite, `eksguard inputs`, with one errored case each. No times or
//! timestamps: the same scan gives the same bytes.
//!
//! Written with the `quick-junit` crate (nextest's JUnit writer: XML
//! escaping, counts and the schema GitLab reads are its job). Untrusted
//! text (paths, messages) is made [`visible`] first: XML cannot carry most
//! control characters, and a viewer should not act on the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use crate::finding::{Finding, Visible, visible};
use crate::rules::{self, REGISTRY};

use super::{RenderOptions, Report};

/// Renders `report`; the rules not in `options.enabled` are reported as
/// skipped.
pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let enabled = &options.enabled;
    // Each rule's findings are grouped by file.
    let findings = report.findings.to_vec();
    let mut junit = quick_junit::Report::new("eksguard");
    for rule in REGISTRY {
        let mut suite = TestSuite::new(format!("{} {}", rule.id, rule.name));
        let classname = format!("eksguard.{}", rule.id);
        if !enabled.contains(&rule.id) {
            let mut status = TestCaseStatus::skipped();
            status.set_message(match rules::opt_in_flag(rule) {
                Some(flag) => format!("rule runs only when asked for ({flag} or --select)"),
                None => "rule not selected (--select/--ignore)".to_owned(),
            });
            let mut case = TestCase::new(rule.id, status);
            case.set_classname(classname);
            suite.add_test_case(case);
            junit.add_test_suite(suite);
            continue;
        }
        let mut by_file: BTreeMap<&str, Vec<&Finding>> =
            report.checked.iter().map(|p| (p.as_ref(), Vec::new())).collect();
        for f in findings.iter().filter(|f| f.rule == rule.id) {
            by_file.entry(f.location.path.as_ref()).or_default().push(f);
        }
        for (file, findings) in by_file {
            let fails = |f: &&Finding| options.fail_on.is_some_and(|t| f.severity >= t);
            let (failing, passing): (Vec<&Finding>, Vec<&Finding>) = findings.into_iter().partition(fails);
            let status = match failing.as_slice() {
                [] => TestCaseStatus::success(),
                [first, ..] => {
                    let findings = &failing;
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let worst = findings.iter().map(|f| f.severity).max().unwrap_or(first.severity);
                    let message = if findings.len() == 1 {
                        format!("{}: {}", first.location, Visible(&first.message))
                    } else {
                        let (n, message) = (findings.len(), Visible(&first.message));
                        format!("{n} findings; first: {}: {message}", first.location)
                    };
                    status.set_message(message).set_type(worst.as_str()).set_description(describe(findings));
                    status
                }
            };
            let mut case = TestCase::new(visible(file).into_owned(), status);
            case.set_classname(classname.clone());
            if !passing.is_empty() {
                case.set_system_out(format!("below --fail-on, not failing:\n{}", describe(&passing)));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    if !report.errors.is_empty() {
        let mut suite = TestSuite::new("eksguard inputs");
        let paths: BTreeSet<_> = report.errors.iter().map(|e| (&e.path, &e.message)).collect();
        for (path, message) in paths {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(visible(message).into_owned()).set_type("input error");
            let mut case = TestCase::new(visible(path).into_owned(), status);
            case.set_classname("eksguard.inputs");
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.serialize(&mut *out).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Every finding of one case, as the text report shows it.
fn describe(findings: &[&Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        let (rule, message) = (Visible(f.rule), Visible(&f.message));
        text.push_str(&format!("{}: {}[{rule}] {message}\n", f.location, f.severity));
        for r in &f.related {
            text.push_str(&format!("  related: {}: {}\n", r.location, Visible(&r.message)));
        }
        text.push_str(&format!("  fix: {}\n", Visible(&f.remediation.text())));
    }
    text
}
