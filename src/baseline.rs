//! Baselines: findings recorded once and hidden afterwards.
//!
//! Takes findings; gives their [`fingerprint`]s, a baseline file's text
//! ([`Baseline::render`]) and, given a parsed baseline, the report with the
//! recorded findings taken out ([`Baseline::apply`]). Reading and writing
//! the file is the command line's job.
//!
//! A fingerprint hashes the rule, the file, the JSON pointer of the primary
//! location and the cluster: never lines, columns or message wording, so
//! findings survive edits that move them and eksguard releases that reword
//! them. The driver applies a baseline given in the scan's configuration
//! ([`Applied`]) after suppressions, so a library caller gets the report
//! the command line shows. The file is named relative to the root the caller gives (the git
//! repository's, or the baseline file's directory outside a repository), so
//! `eksguard scan stacks` from the root, `eksguard scan .` from `stacks/`
//! and an absolute path give one fingerprint. Matching counts: a baseline
//! that recorded one finding hides one finding with that fingerprint.
//!
//! Version 1 baselines named files as they were given on the command line;
//! they are still read, matching paths as given (see [`Baseline::legacy`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, fingerprint_at};
use crate::report::{Counts, Report};

/// Version of the baseline file format.
pub const BASELINE_VERSION: u32 = 2;

/// A finding's fingerprint in a baseline: 16 hex digits, stable across
/// runs, machines and line shifts. `root` is the directory paths are named
/// from.
pub fn fingerprint(f: &Finding, root: &Path) -> String {
    fingerprint_at(f, &rooted(&f.location.path, root))
}

/// `path` (as given, relative to the working directory) named from `root`
/// with `/` separators; as given when it is not under `root` (standard
/// input).
pub fn rooted(path: &str, root: &Path) -> String {
    if path == "-" {
        return path.to_owned();
    }
    let absolute = crate::discover::absolute(Path::new(path));
    match absolute.strip_prefix(crate::discover::absolute(root)) {
        Ok(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        Err(_) => path.strip_prefix("./").unwrap_or(path).to_owned(),
    }
}

/// Why a baseline file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON in the baseline's shape.
    #[error("not an eksguard baseline: {0}")]
    NotABaseline(String),
    /// A version this eksguard does not read (0, or newer than it knows).
    #[error(
        "baseline version {version} is not supported (this eksguard reads versions 1 to {BASELINE_VERSION}; \
         a newer eksguard wrote it?)"
    )]
    Unsupported { version: u32 },
}

/// The command line reports every error as its one-line text.
impl From<BaselineError> for String {
    fn from(e: BaselineError) -> Self {
        e.to_string()
    }
}

/// A parsed baseline and the directory its fingerprints name files from
/// (see [`crate::load::settings_files::baseline_root`]), as a scan applies it.
#[derive(Debug, Clone)]
pub struct Applied {
    pub baseline: Baseline,
    pub root: std::path::PathBuf,
}

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
    /// A baseline recording `findings`, their files named from `root`.
    pub fn of(findings: impl IntoIterator<Item = Finding>, root: &Path) -> Self {
        let mut entries: Vec<Entry> = findings
            .into_iter()
            .map(|f| Entry {
                fingerprint: fingerprint(&f, root),
                rule: f.rule.to_owned(),
                path: rooted(&f.location.path, root),
                resource: f.resource.clone(),
                message: f.message.clone(),
            })
            .collect();
        entries.sort();
        Self { version: BASELINE_VERSION, findings: entries }
    }

    /// Parses a baseline file's text.
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let baseline: Self = serde_json::from_str(text).map_err(|e| BaselineError::NotABaseline(e.to_string()))?;
        if baseline.version == 0 || baseline.version > BASELINE_VERSION {
            return Err(BaselineError::Unsupported { version: baseline.version });
        }
        Ok(baseline)
    }

    /// A version 1 baseline: its files are named as they were given on the
    /// command line, so it hides findings only when the same paths are given
    /// from the same directory. Rewrite it with `--write-baseline`.
    pub fn legacy(&self) -> bool {
        self.version < 2
    }

    /// The file's text: pretty JSON, sorted, ending in a newline.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Takes the recorded findings out of `report`, counting them in
    /// `summary.baselined` and recounting the rest.
    pub fn apply(&self, report: &mut Report, root: &Path) {
        let mut left: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.findings {
            *left.entry(e.fingerprint.as_str()).or_default() += 1;
        }
        let before = report.findings.len();
        let key = |f: &Finding| {
            if self.legacy() { fingerprint_at(f, &f.location.path) } else { fingerprint(f, root) }
        };
        let mut counts = Counts::default();
        report.findings.retain(|f| match left.get_mut(key(f).as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => {
                counts.add(f);
                true
            }
        });
        report.summary.baselined += before - report.findings.len();
        report.summary.findings = counts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(path: &str, line: u32) -> Finding {
        Finding {
            name: "x",
            message: format!("at line {line}"),
            resource: Some("E".to_owned()),
            remediation: "".into(),
            ..Finding::sample(path, line, "demo")
        }
    }

    #[test]
    fn fingerprints_ignore_lines_and_wording() {
        let root = Path::new(".");
        assert_eq!(fingerprint(&finding("a/t.json", 3), root), fingerprint(&finding("./a/t.json", 30), root));
        assert_ne!(fingerprint(&finding("a/t.json", 3), root), fingerprint(&finding("b/t.json", 3), root));
        // Fixed forever: a change here breaks every baseline users keep.
        assert_eq!(fingerprint(&finding("a/t.json", 3), root), "0eef45e0475eafce");
        // The same file however it is spelled.
        let cwd = crate::discover::absolute(Path::new("."));
        let absolute = cwd.join("a/t.json").to_string_lossy().into_owned();
        assert_eq!(fingerprint(&finding(&absolute, 1), &cwd), "0eef45e0475eafce");
    }

    #[test]
    fn round_trip_and_counted_matching() {
        let root = Path::new(".");
        let baseline = Baseline::parse(&Baseline::of([finding("t.json", 1)], root).render()).expect("parse");
        assert_eq!(baseline.findings.len(), 1);
        let mut report = Report {
            version: 1,
            summary: crate::report::Summary::default(),
            findings: vec![finding("t.json", 5), finding("t.json", 9), finding("u.json", 1)].into(),
            suppressed: Vec::new(),
            errors: Vec::new(),
            skipped: Vec::new(),
            clusters: Vec::new().into(),
            unmatched: Vec::new(),
            checked: Vec::new(),
            relations: Vec::new(),
            undeclared_parameters: Vec::new(),
            stages: Vec::new(),
        };
        baseline.apply(&mut report, root);
        assert_eq!(report.findings.len(), 2);
        assert_eq!(report.summary.baselined, 1);
        assert_eq!(report.summary.findings.error, 2);
        let newer = Baseline::parse("{\"version\": 9, \"findings\": []}").expect_err("newer");
        assert_eq!(newer, BaselineError::Unsupported { version: 9 });
        assert!(newer.to_string().contains("version 9"));
        assert!(matches!(Baseline::parse("[]"), Err(BaselineError::NotABaseline(_))));
        assert!(Baseline::parse("{\"version\": 1, \"findings\": []}").expect("older").legacy());
    }
}
