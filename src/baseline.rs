//! Baselines: findings recorded once and hidden afterwards.
//!
//! Takes findings; gives their [`fingerprint`]s, a baseline file's text
//! ([`Baseline::render`]) and, given a parsed baseline, the report with the
//! recorded findings taken out ([`Baseline::apply`]). Reading and writing
//! the file is the command line's job.
//!
//! A fingerprint hashes the rule, the file (leading `./` removed), the
//! JSON pointer of the primary location and the cluster: never lines,
//! columns or message wording, so findings survive edits that move them
//! and eksguard releases that reword them. Matching counts: a baseline that
//! recorded one finding hides one finding with that fingerprint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, fingerprint};
use crate::report::{Counts, Report};

/// Version of the baseline file format.
pub const BASELINE_VERSION: u32 = 1;

/// One recorded finding. Only `fingerprint` is matched; the rest is there
/// for people reading the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default)]
    pub message: String,
}

/// The recorded findings of a baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

impl Baseline {
    /// A baseline recording `findings`.
    pub fn of(findings: &[Finding]) -> Self {
        let mut entries: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                fingerprint: fingerprint(f),
                rule: f.rule.to_owned(),
                path: f.location.path.to_string(),
                resource: f.resource.clone(),
                message: f.message.clone(),
            })
            .collect();
        entries.sort();
        Self { version: BASELINE_VERSION, findings: entries }
    }

    /// Parses a baseline file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let baseline: Self = serde_json::from_str(text).map_err(|e| format!("not an eksguard baseline: {e}"))?;
        if baseline.version != BASELINE_VERSION {
            return Err(format!(
                "baseline version {} is not supported (expected {BASELINE_VERSION})",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// The file's text: pretty JSON, sorted, ending in a newline.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Takes the recorded findings out of `report`, counting them in
    /// `summary.baselined` and recounting the rest.
    pub fn apply(&self, report: &mut Report) {
        let mut left: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.findings {
            *left.entry(e.fingerprint.as_str()).or_default() += 1;
        }
        let before = report.findings.len();
        report.findings.retain(|f| match left.get_mut(fingerprint(f).as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        report.summary.baselined += before - report.findings.len();
        report.summary.findings = Counts::of(&report.findings);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::finding::Location;
    use crate::finding::Severity;

    fn finding(path: &str, line: u32) -> Finding {
        Finding {
            rule: "EKS001",
            name: "x",
            severity: Severity::Error,
            message: format!("at line {line}"),
            location: Location {
                path: Arc::from(path),
                pointer: "/Resources/E".into(),
                line,
                column: 3,
                source_line: None,
            },
            stack: None,
            cluster: Some("demo".to_owned()),
            resource: Some("E".to_owned()),
            related: Vec::new(),
            remediation: "".into(),
        }
    }

    #[test]
    fn fingerprints_ignore_lines_and_wording() {
        assert_eq!(fingerprint(&finding("a/t.json", 3)), fingerprint(&finding("./a/t.json", 30)));
        assert_ne!(fingerprint(&finding("a/t.json", 3)), fingerprint(&finding("b/t.json", 3)));
        // Fixed forever: a change here breaks every baseline users keep.
        assert_eq!(fingerprint(&finding("a/t.json", 3)), "0eef45e0475eafce");
    }

    #[test]
    fn round_trip_and_counted_matching() {
        let baseline = Baseline::parse(&Baseline::of(&[finding("t.json", 1)]).render()).expect("parse");
        assert_eq!(baseline.findings.len(), 1);
        let mut report = Report {
            version: 1,
            summary: crate::report::Summary::default(),
            findings: vec![finding("t.json", 5), finding("t.json", 9), finding("u.json", 1)],
            errors: Vec::new(),
            skipped: Vec::new(),
            clusters: Vec::new(),
            checked: Vec::new(),
            relations: Vec::new(),
        };
        baseline.apply(&mut report);
        assert_eq!(report.findings.len(), 2);
        assert_eq!(report.summary.baselined, 1);
        assert_eq!(report.summary.findings.error, 2);
        assert!(Baseline::parse("{\"version\": 9, \"findings\": []}").is_err());
    }
}
