//! Stage 6: render.
//!
//! Takes the findings, the account of every input and the model; gives the
//! [`Report`] (cluster summaries and the cluster-stack relations are built
//! here, from the model, so that renderers need nothing else) and its
//! renderings (`text`, `json`, `sarif`, `junit`, `github`, `gitlab`,
//! `markdown`, `html`), every one a [`Renderer`]. Renderers are the only
//! code that writes output; they write to the `Write` they are given, so
//! one thread or many give the same bytes.

mod escape;
pub mod github;
pub mod gitlab;
pub mod held;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::correlate::Model;
pub use crate::correlate::Unmatched;
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

/// The documentation of a built-in rule, on the web; `None` for a Guard rule.
pub fn rule_doc_url(rule: &str) -> Option<String> {
    crate::rules::REGISTRY
        .iter()
        .any(|r| r.id == rule)
        .then(|| format!("{}/blob/main/rules/{rule}.md", sarif::INFORMATION_URI))
}

/// Findings in the order the Markdown and HTML reports list them: errors,
/// then warnings, then notes, each in the report's order.
pub fn by_severity(findings: &[Finding]) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    sorted
}

/// The mode a cluster summary shows: its effective mode, `conflict`, or
/// `unknown`.
pub fn mode_text(c: &ClusterSummary) -> &str {
    match (&c.mode, c.conflict) {
        (Some(m), _) => m,
        (None, true) => "conflict",
        (None, false) => "unknown",
    }
}

/// A report with its findings and cluster summaries read into vectors, for
/// the renderers that index them or go over them more than once (Markdown
/// and HTML: one page, read by people). The rest is the report's.
#[derive(Debug)]
pub struct Whole<'a> {
    report: &'a Report,
    pub findings: Vec<Finding>,
    pub clusters: Vec<ClusterSummary>,
}

impl<'a> Whole<'a> {
    pub fn of(report: &'a Report) -> Self {
        Self { report, findings: report.findings.to_vec(), clusters: report.clusters.to_vec() }
    }
}

impl std::ops::Deref for Whole<'_> {
    type Target = Report;

    fn deref(&self) -> &Report {
        self.report
    }
}

/// Everything a run found out.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub summary: Summary,
    /// In report order, held sealed a block at a time ([`held::Items`]):
    /// read them with `iter()`.
    pub findings: held::Items<Finding>,
    /// Findings inline suppressions silenced, with their reasons (listed
    /// only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<crate::suppress::Suppressed>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    /// Sorted by [`summary_order`], held as the findings are.
    pub clusters: held::Items<ClusterSummary>,
    /// Templates given with `--deployed` that were compared with nothing
    /// (no scanned stack of their name), sorted by path.
    pub unmatched: Vec<Unmatched>,
    /// Every input unit that was analysed, sorted: the files each rule
    /// checked (JUnit's test cases). Not part of the JSON contract.
    #[serde(skip)]
    pub checked: Vec<Arc<str>>,
    /// Which stacks' access entries target which cluster, sorted by
    /// cluster, path and stack (the Markdown and HTML diagrams); empty
    /// unless [`crate::ScanConfig::relations`] asked for it. Not part of
    /// the JSON contract.
    #[serde(skip)]
    pub relations: Vec<Relation>,
    /// `--parameter` names that no template read declares, sorted (pseudo
    /// parameters aside): most often a typo, and they change nothing. The
    /// command line warns about them on standard error; not part of the
    /// JSON contract.
    #[serde(skip)]
    pub undeclared_parameters: Vec<String>,
    /// How long each stage took and the peak memory after it, when
    /// [`crate::ScanConfig::stats`] asked (`--stats`). Timings differ from
    /// run to run: never part of a rendered report.
    #[serde(skip)]
    pub stages: Vec<Stage>,
}

/// One stage of a scan, as `--stats` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: &'static str,
    /// Wall-clock time the stage took.
    pub seconds: f64,
    /// The process's peak resident memory at the stage's end, in bytes,
    /// where the platform tells it.
    pub peak_rss: Option<u64>,
}

/// Times the stages of a scan, when asked: each [`Stages::end`] closes the
/// stage that began where the previous one ended.
#[derive(Debug)]
pub struct Stages {
    since: Option<std::time::Instant>,
    done: Vec<Stage>,
}

impl Stages {
    /// Starts timing when `on`; otherwise records nothing.
    pub fn new(on: bool) -> Self {
        Self { since: on.then(std::time::Instant::now), done: Vec::new() }
    }

    /// Ends the stage `name` now.
    pub fn end(&mut self, name: &'static str) {
        let Some(since) = self.since else { return };
        let now = std::time::Instant::now();
        let peak_rss = crate::usage::peak_rss();
        self.done.push(Stage { name, seconds: now.duration_since(since).as_secs_f64(), peak_rss });
        self.since = Some(now);
    }

    pub fn into_vec(self) -> Vec<Stage> {
        self.done
    }
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
    /// Templates given with `--deployed`: analysed inputs, compared with
    /// the scanned templates and not counted among `templates`.
    pub deployed: usize,
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
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut c = Self::default();
        for f in findings {
            c.add(f);
        }
        c
    }

    /// Counts one more finding.
    pub fn add(&mut self, f: &Finding) {
        match f.severity {
            Severity::Error => self.error += 1,
            Severity::Warning => self.warning += 1,
            Severity::Note => self.note += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.error + self.warning + self.note
    }
}

/// A cluster as the run understood it, with every source of its mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterSummary {
    /// The cluster name, or `<stack>/<logicalId>` for a template cluster
    /// without one.
    pub name: Option<String>,
    /// The template gives no name: it is assigned at deploy.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub named_at_deploy: bool,
    /// The mode rules used (`null` when unknown or conflicting).
    pub mode: Option<String>,
    /// Where that mode came from: `template`, `parameter-default`,
    /// `parameter-override`, `cloudformation-default`, `live`, and for
    /// ClusterConfigs `clusterconfig` or `eksctl-default`.
    pub source: Option<&'static str>,
    pub definitions: Vec<ModeSummary>,
    pub live: Option<ModeSummary>,
    pub conflict: bool,
    /// Known by where it is defined, not by a name (see
    /// [`summary_order`]); not part of the JSON contract.
    #[serde(skip)]
    pub known_by_place: bool,
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

/// The stacks of one input whose access entries target one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Index into [`Report::clusters`].
    pub cluster: usize,
    pub stack: String,
    pub path: Arc<str>,
    /// Access entries of the stack that target the cluster.
    pub entries: usize,
    /// Of those, the ones CloudFormation will reject (the cluster's
    /// effective mode is CONFIG_MAP), whether or not their findings are
    /// shown.
    pub failing: usize,
}

/// The model's cluster indices in the order of [`cluster_summaries`]: by
/// name, then by the place of the first definition.
fn cluster_order(model: &Model) -> Vec<usize> {
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
}

/// Every (cluster, stack) pair that an access entry links, with how many
/// entries and how many of them CloudFormation will reject (in every
/// scenario, as EKS001 reports them). Entries whose
/// cluster is not among the inputs are left out (EKS002 reports them).
pub fn relations(model: &Model) -> Vec<Relation> {
    let mut summary_index = vec![0; model.clusters.len()];
    for (at, i) in cluster_order(model).into_iter().enumerate() {
        summary_index[i] = at;
    }
    let mut counts: std::collections::BTreeMap<(usize, usize), (usize, usize)> = std::collections::BTreeMap::new();
    for e in &model.entries {
        let crate::correlate::Target::Cluster { cluster, .. } = e.target else { continue };
        let count = counts.entry((summary_index[cluster], e.stack)).or_default();
        count.0 += 1;
        count.1 += usize::from(crate::rules::rejected(model, e));
    }
    let mut relations: Vec<Relation> = counts
        .into_iter()
        .map(|((cluster, stack), (entries, failing))| {
            let s = model.stack(stack);
            Relation { cluster, stack: s.stack_name.clone(), path: s.path.clone(), entries, failing }
        })
        .collect();
    relations.sort_by(|a, b| (a.cluster, &a.path, &a.stack).cmp(&(b.cluster, &b.path, &b.stack)));
    relations
}

/// The order of [`Report::clusters`], whatever batches the summaries were
/// made in: by name, then by where its first definition sets its mode,
/// then a cluster known by name before one known by where it is defined
/// (as [`Model::clusters`] has them).
pub fn summary_order(a: &ClusterSummary, b: &ClusterSummary) -> std::cmp::Ordering {
    fn key(s: &ClusterSummary) -> (Option<(&str, u32)>, bool) {
        (s.definitions.first().map(|d| (&*d.path, d.line)), s.known_by_place)
    }
    a.name.cmp(&b.name).then_with(|| key(a).cmp(&key(b)))
}

/// Summaries of every cluster of the model, sorted by [`summary_order`].
pub fn cluster_summaries(model: &Model) -> Vec<ClusterSummary> {
    cluster_order(model)
        .into_iter()
        .map(|i| {
            let c = &model.clusters[i];
            let effective = model.effective(i, None);
            ClusterSummary {
                name: c.name.clone(),
                named_at_deploy: c.named_at_deploy,
                mode: effective.and_then(|e| e.mode.mode.as_ref().map(ToString::to_string)),
                source: effective.map(|e| e.mode.source.slug()),
                definitions: c
                    .definitions
                    .iter()
                    .map(|d| ModeSummary::of(Some(model.stack(d.stack).stack_name.clone()), &model.definition(*d).mode))
                    .collect(),
                live: c.live.map(|l| ModeSummary::of(None, &model.live[l].mode)),
                conflict: c.conflict,
                known_by_place: !model.known_by_name(i),
            }
        })
        .collect()
}

impl Report {
    /// The highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Per cluster of [`Report::clusters`]: the stacks, access entries and
    /// rejected entries that [`Report::relations`] link to it.
    pub fn cluster_load(&self) -> Vec<Load> {
        let mut load = vec![Load::default(); self.clusters.len()];
        for r in &self.relations {
            if let Some(l) = load.get_mut(r.cluster) {
                l.stacks += 1;
                l.entries += r.entries;
                l.failing += r.failing;
            }
        }
        load
    }

    /// Indices into [`Report::clusters`], the clusters with the most
    /// rejected entries first, then the most entries, then by name (the
    /// order of the Markdown and HTML tables and diagrams).
    pub fn clusters_by_load(&self, load: &[Load]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.clusters.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(load[i].failing), std::cmp::Reverse(load[i].entries), i));
        order
    }
}

/// What targets one cluster (see [`Report::cluster_load`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    pub stacks: usize,
    pub entries: usize,
    pub failing: usize,
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
