//! Stage 5: rules.
//!
//! Takes the correlated [`Model`] and the rule settings; gives sorted
//! [`Finding`]s. Every built-in rule is one entry of [`REGISTRY`]: an id
//! that is never reused, a slug, a default severity, its documentation
//! (embedded from `rules/<ID>.md`) and the function that checks it.

pub mod doc;
mod eks001;
mod eks002;
mod eks003;
mod eks004;
mod eks005;
mod eks006;
mod eks007;
mod eks008;
mod eks009;
mod eks010;
mod eks011;
mod eks012;
mod eks013;
mod eks014;
mod eks015;
mod eks016;
mod eks017;
mod eks018;
mod eks019;
mod eks020;
pub mod guard;
mod scenarios;
pub use eks016::unused_suppressions;
pub use scenarios::rejected;

use crate::correlate::Model;
use crate::finding::{Finding, Related, Remedy, Severity};
use std::collections::BTreeMap;

/// The live cluster of definition `d` (cluster fact `c`) when `c`'s mode is
/// behind the live mode on EKS's one-way path, with both modes (EKS019 for
/// templates, EKS020 for ClusterConfigs).
fn mode_behind_live<'m>(
    model: &'m Model,
    d: crate::correlate::DefinitionRef,
    c: &'m crate::facts::ClusterFact,
) -> Option<(&'m crate::facts::LiveCluster, &'m crate::facts::AuthMode, &'m crate::facts::AuthMode)> {
    let live = &model.live[model.clusters[model.cluster_of(d)?].live?];
    let (mode, live_mode) = (c.mode.mode.as_ref()?, live.mode.mode.as_ref()?);
    (mode.step()? < live_mode.step()?).then_some((live, mode, live_mode))
}

/// What a rule found, in its own words: everything a [`Finding`] says
/// but which rule found it and how bad it is, which the rule's registry
/// entry and the settings give.
#[derive(Debug, Clone)]
pub struct Violation {
    pub message: String,
    pub location: crate::finding::Location,
    pub stack: Option<String>,
    pub cluster: Option<String>,
    pub resource: Option<String>,
    pub related: Vec<Related>,
    pub remediation: std::sync::Arc<str>,
}

/// Where a rule reports its [`Violation`]s: bound to the rule's registry
/// entry and effective severity, it makes them [`Finding`]s.
#[derive(Debug)]
pub struct Sink<'r> {
    rule: &'r Rule,
    severity: Severity,
    found: Vec<Finding>,
    /// Remediations given so far: findings with the same fix (every entry
    /// of one cluster) share one copy of its text to the end of the scan.
    remediations: std::collections::HashSet<std::sync::Arc<[Box<str>]>>,
}

impl<'r> Sink<'r> {
    /// A sink for `rule`'s findings at `severity`.
    pub fn new(rule: &'r Rule, severity: Severity) -> Self {
        Self { rule, severity, found: Vec::new(), remediations: std::collections::HashSet::new() }
    }

    /// Reports one violation as a finding of this rule.
    pub fn push(&mut self, mut v: Violation) {
        // Kept to the end of the scan: no spare capacity from formatting.
        v.message.shrink_to_fit();
        for text in [&mut v.stack, &mut v.cluster, &mut v.resource].into_iter().flatten() {
            text.shrink_to_fit();
        }
        v.related.shrink_to_fit();
        for r in &mut v.related {
            r.message.shrink_to_fit();
        }
        // Cut where the cluster's name stands, so that the same fix for
        // other clusters shares its text.
        let remediation = Remedy::new(&v.remediation, v.cluster.as_deref()).sharing(&mut self.remediations);
        self.found.push(Finding {
            rule: self.rule.id,
            name: self.rule.name,
            severity: self.severity,
            message: v.message,
            location: v.location,
            stack: v.stack,
            cluster: v.cluster,
            // Filled in by `evaluate`, which sees the model.
            cluster_named_at_deploy: false,
            resource: v.resource,
            related: v.related,
            remediation,
        });
    }

    /// The findings reported so far.
    pub fn into_findings(self) -> Vec<Finding> {
        self.found
    }
}

/// What a rule checks with: the model and the sink for what it finds.
pub type Check = fn(&Model, &mut Sink<'_>);

/// A built-in rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The documentation: `rules/<ID>.md`.
    pub doc: &'static str,
    pub check: Check,
}

/// Every built-in rule, in id order.
pub static REGISTRY: &[Rule] = &[
    eks001::RULE,
    eks002::RULE,
    eks003::RULE,
    eks004::RULE,
    eks005::RULE,
    eks006::RULE,
    eks007::RULE,
    eks008::RULE,
    eks009::RULE,
    eks010::RULE,
    eks011::RULE,
    eks012::RULE,
    eks013::RULE,
    eks014::RULE,
    eks015::RULE,
    eks016::RULE,
    eks017::RULE,
    eks018::RULE,
    eks019::RULE,
    eks020::RULE,
];

/// The related location every CONFIG_MAP finding carries: where the mode
/// came from. With `cluster`, the message names the cluster.
fn config_map_mode(effective: &crate::correlate::Effective<'_>) -> Related {
    config_map_related(None, effective.mode)
}

/// Where a cluster's CONFIG_MAP mode came from, as a related location;
/// `cluster` (shown as the finding shows it) is named when given.
fn config_map_related(cluster: Option<&str>, mode: &crate::facts::ModeFact) -> Related {
    let named = cluster.map(|c| format!("cluster `{c}` ")).unwrap_or_default();
    Related {
        location: mode.location.clone(),
        message: format!("{named}authentication mode CONFIG_MAP: {}", mode.source.describe()),
    }
}

/// The name of the cluster an access entry targets, when known.
fn target_name(model: &Model, e: &crate::correlate::EntryRef) -> Option<String> {
    match &e.target {
        crate::correlate::Target::Cluster { cluster, .. } => model.clusters[*cluster].name.clone(),
        crate::correlate::Target::Missing { name, .. } => name.clone(),
    }
}

/// `name` as the `'static` text a finding holds: a built-in rule's id or
/// name, or a Guard rule's (see [`guard`]).
pub fn static_name(name: &str) -> &'static str {
    REGISTRY
        .iter()
        .flat_map(|r| [r.id, r.name])
        .chain([guard::NOT_CHECKED, guard::FINDING_NAME])
        .find(|n| *n == name)
        .unwrap_or_else(|| guard::intern(name))
}

/// Looks a rule up by id (case-insensitive) or slug.
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    REGISTRY.iter().find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name == id_or_name)
}

/// Which rules run, and at what severity.
#[derive(Debug, Clone, Default)]
pub struct RuleSettings {
    /// Only these rules (all when empty).
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    /// `--report-unused-suppressions`: EKS016 runs (it runs only when
    /// asked for, by this or by `--select`).
    pub unused_suppressions: bool,
}

/// Rules that run only when asked for, by name in `--select` or by their
/// own flag: EKS016 judges the suppressions, which most scans leave be.
const OPT_IN: &[(&str, &str)] = &[(eks016::RULE.id, "--report-unused-suppressions")];

/// The flag that turns `rule` on, for a rule that runs only when asked for.
pub fn opt_in_flag(rule: &Rule) -> Option<&'static str> {
    OPT_IN.iter().find(|(id, _)| *id == rule.id).map(|(_, flag)| *flag)
}

impl RuleSettings {
    pub fn enabled(&self, rule: &Rule) -> bool {
        let named = |ids: &[String]| ids.iter().any(|i| find(i).is_some_and(|r| r.id == rule.id));
        let selected = if opt_in_flag(rule).is_some() {
            named(&self.select) || (rule.id == eks016::RULE.id && self.unused_suppressions)
        } else {
            self.select.is_empty() || named(&self.select)
        };
        selected && !named(&self.ignore)
    }

    /// Does a Guard rule named `name` run? `--ignore` names it, or
    /// `--select` lists Guard rules and not this one: it does not. (A
    /// `--select` of built-in rules only leaves the Guard rules given with
    /// `--guard-rules` running: giving them is a selection of its own.)
    pub fn guard_enabled(&self, name: &str, guard_names: &[&str]) -> bool {
        let selects_guard = self.select.iter().any(|s| guard_names.contains(&s.as_str()));
        (!selects_guard || self.select.iter().any(|s| s == name)) && !self.ignore.iter().any(|s| s == name)
    }

    /// The severity set for a Guard rule named `name`, if any.
    pub fn guard_severity(&self, name: &str) -> Option<Severity> {
        self.severity.get(name).copied()
    }

    pub fn severity_of(&self, rule: &Rule) -> Severity {
        self.severity
            .iter()
            .find(|(id, _)| find(id).is_some_and(|r| r.id == rule.id))
            .map_or(rule.severity, |(_, s)| *s)
    }
}

/// Runs every enabled rule over the model, in parallel; findings come back
/// sorted, the same whatever the number of threads.
pub fn evaluate(model: &Model, settings: &RuleSettings) -> Vec<Finding> {
    use rayon::prelude::*;
    let enabled: Vec<&Rule> = REGISTRY.iter().filter(|r| settings.enabled(r)).collect();
    let per_rule: Vec<Vec<Finding>> = enabled
        .par_iter()
        .map(|rule| {
            let mut sink = Sink::new(rule, settings.severity_of(rule));
            (rule.check)(model, &mut sink);
            // Each finding's text was shrunk as it was reported.
            let mut found = sink.into_findings();
            found.shrink_to_fit();
            found
        })
        .collect();
    let mut findings = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    per_rule.into_iter().for_each(|found| findings.extend(found));
    mark_named_at_deploy(model, &mut findings);
    sort(&mut findings);
    findings
}

/// Says on each finding whether its cluster is one named at deploy (known
/// as `<stack>/<logicalId>`).
fn mark_named_at_deploy(model: &Model, findings: &mut [Finding]) {
    mark_named_at_deploy_among(&named_at_deploy(model), findings);
}

/// The names of the model's clusters that are named at deploy.
pub fn named_at_deploy(model: &Model) -> std::collections::HashSet<&str> {
    model.clusters.iter().filter(|c| c.named_at_deploy).filter_map(|c| c.name.as_deref()).collect()
}

/// Says on each finding whether its cluster is among `at_deploy` (see
/// [`named_at_deploy`]): for findings of models correlated apart.
pub fn mark_named_at_deploy_among<S: std::borrow::Borrow<str> + Eq + std::hash::Hash>(
    at_deploy: &std::collections::HashSet<S>,
    findings: &mut [Finding],
) {
    for f in findings {
        f.cluster_named_at_deploy = f.cluster.as_deref().is_some_and(|c| at_deploy.contains(c));
    }
}

/// Sorts findings into report order and drops exact duplicates.
pub fn sort(findings: &mut Vec<Finding>) {
    sort_by_index(findings, |a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
}

/// Sorts `items` as a stable sort by `order` does, with scratch space for
/// their indices rather than for the items: a stable sort of a sweep's
/// findings or cluster summaries (a few hundred bytes each) would take a
/// copy of most of them.
pub fn sort_by_index<T>(items: &mut [T], order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    // `from[i]`: the place of the item that goes to place `i`.
    let mut from: Vec<usize> = (0..items.len()).collect();
    from.sort_by(|&a, &b| order(&items[a], &items[b]));
    // Each cycle of the permutation in turn, by swaps; a place done is
    // marked with usize::MAX.
    for start in 0..from.len() {
        let mut at = start;
        while from[at] != usize::MAX {
            let next = from[at];
            from[at] = usize::MAX;
            if next == start {
                break;
            }
            items.swap(at, next);
            at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// Sorting by index gives what a stable sort gives: the same order,
        /// ties in the order they came.
        #[test]
        fn sorting_by_index_is_a_stable_sort(items in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut stable = items.clone();
            stable.sort_by_key(|&(key, _)| key);
            let mut by_index = items;
            super::sort_by_index(&mut by_index, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(by_index, stable);
        }
    }
}
