//! Stage 6: render.
//!
//! Takes the findings and the account of every input; gives the [`Report`]
//! and its renderings (`text`, `json`, `sarif`, `junit`, `github`,
//! `gitlab`), every one a [`Renderer`]. Renderers are the only code that
//! writes output; they write to the `Write` they are given, so one thread
//! or many give the same bytes.

pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::correlate::Model;
use crate::facts::ModeFact;
use crate::finding::{Finding, InputError, Severity, Skipped};

/// Renders a report in one format.
pub type Renderer = fn(&Report, &RenderOptions, &mut dyn Write) -> io::Result<()>;

/// What renderers may need besides the report.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Also list skipped inputs (text).
    pub verbose: bool,
    /// Ids of the built-in rules that ran (JUnit shows the others skipped).
    pub enabled: Vec<&'static str>,
    /// `--fail-on`: findings below it do not fail the run, so JUnit does
    /// not show them as failures. `None`: nothing fails.
    pub fail_on: Option<Severity>,
    /// The working directory: absolute paths under it are shown relative
    /// to it where code hosts match paths (github, SARIF, GitLab).
    pub base: Option<String>,
}

/// How code hosts (GitHub annotations, SARIF, GitLab) want a path: relative
/// to the working directory without `./`, never absolute for a file under
/// it. Standard input is `None`: each format names it its own way.
pub fn host_path<'a>(path: &'a str, base: Option<&str>) -> Option<Cow<'a, str>> {
    if path == "-" {
        return None;
    }
    let mut rest = path;
    if let Some(base) = base.map(|b| b.trim_end_matches(['/', '\\'])).filter(|b| !b.is_empty()) {
        if let Some(under) = rest.strip_prefix(base).and_then(|r| r.strip_prefix(['/', '\\'])) {
            rest = under;
        }
    }
    while let Some(r) = rest.strip_prefix("./").or_else(|| rest.strip_prefix(".\\")) {
        rest = r.trim_start_matches(['/', '\\']);
    }
    if rest.is_empty() {
        return Some(Cow::Borrowed(path));
    }
    Some(if cfg!(windows) { Cow::Owned(rest.replace('\\', "/")) } else { Cow::Borrowed(rest) })
}

/// Version of the JSON report contract.
pub const REPORT_VERSION: u32 = 1;

/// Everything a run found out.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    pub clusters: Vec<ClusterSummary>,
    /// Every input unit that was analysed, sorted: the files each rule
    /// checked (JUnit's test cases). Not part of the JSON contract.
    #[serde(skip)]
    pub checked: Vec<Arc<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Every input unit: `analysed + skipped + errors`.
    pub inputs: usize,
    pub analysed: usize,
    pub skipped: usize,
    pub errors: usize,
    pub templates: usize,
    pub cluster_configs: usize,
    pub contexts: usize,
    pub clusters: usize,
    pub access_entries: usize,
    pub findings: Counts,
    /// Findings silenced by inline `eksguard` suppressions.
    pub suppressed: usize,
    /// Findings hidden because `--baseline` recorded them.
    pub baselined: usize,
    /// Inputs read under `--context-root` only to correlate with: not in
    /// `inputs`, and nothing in them is reported.
    pub context_only: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub note: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Self {
        let mut c = Self::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Note => c.note += 1,
            }
        }
        c
    }

    pub fn total(&self) -> usize {
        self.error + self.warning + self.note
    }
}

/// A cluster as the run understood it, with every source of its mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterSummary {
    pub name: Option<String>,
    /// The mode rules used (`null` when unknown or conflicting).
    pub mode: Option<String>,
    /// Where that mode came from: `template`, `parameter-default`,
    /// `parameter-override`, `cloudformation-default`, `live`, and for
    /// ClusterConfigs `clusterconfig` or `eksctl-default`.
    pub source: Option<&'static str>,
    pub definitions: Vec<ModeSummary>,
    pub live: Option<ModeSummary>,
    pub conflict: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeSummary {
    pub stack: Option<String>,
    pub path: Arc<str>,
    pub line: u32,
    pub column: u32,
    pub mode: Option<String>,
    pub source: &'static str,
}

impl ModeSummary {
    fn of(stack: Option<String>, m: &ModeFact) -> Self {
        Self {
            stack,
            path: m.location.path.clone(),
            line: m.location.line,
            column: m.location.column,
            mode: m.mode.as_ref().map(ToString::to_string),
            source: m.source.slug(),
        }
    }
}

/// Summaries of every cluster of the model, sorted by name.
pub fn cluster_summaries(model: &Model) -> Vec<ClusterSummary> {
    // Sorted as indices, so that a sweep's many summaries are built once,
    // in order, rather than moved about.
    let key = |i: usize| {
        let c = &model.clusters[i];
        let first = c.definitions.first().map(|d| &model.definition(*d).mode.location);
        (&c.name, first.map(|l| (&l.path, l.line)))
    };
    let mut order: Vec<usize> = (0..model.clusters.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    order
        .into_iter()
        .map(|i| {
            let c = &model.clusters[i];
            let effective = model.effective(i, None);
            ClusterSummary {
                name: c.name.clone(),
                mode: effective.and_then(|e| e.mode.mode.as_ref().map(ToString::to_string)),
                source: effective.map(|e| e.mode.source.slug()),
                definitions: c
                    .definitions
                    .iter()
                    .map(|d| ModeSummary::of(Some(model.stack(d.stack).stack_name.clone()), &model.definition(*d).mode))
                    .collect(),
                live: c.live.map(|l| ModeSummary::of(None, &model.live[l].mode)),
                conflict: c.conflict,
            }
        })
        .collect()
}

impl Report {
    /// The highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// `n one` or `n many`, as people write counts.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_are_relative_without_dot() {
        let base = Some("/work/repo");
        let shown = |p| host_path(p, base).map(Cow::into_owned);
        assert_eq!(shown("./stacks/a.json").as_deref(), Some("stacks/a.json"));
        assert_eq!(shown("././a.json").as_deref(), Some("a.json"));
        assert_eq!(shown(".//a.json").as_deref(), Some("a.json"));
        assert_eq!(shown("/work/repo/stacks/a.json").as_deref(), Some("stacks/a.json"));
        assert_eq!(shown("/work/repository/a.json").as_deref(), Some("/work/repository/a.json"));
        assert_eq!(shown("/tmp/a.json").as_deref(), Some("/tmp/a.json"));
        assert_eq!(shown("../a.json").as_deref(), Some("../a.json"));
        assert_eq!(shown("./x.tgz!t/a.yaml").as_deref(), Some("x.tgz!t/a.yaml"));
        assert_eq!(shown("a:b.json").as_deref(), Some("a:b.json"));
        assert_eq!(shown("-"), None);
    }
}
