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
pub mod guard;

use crate::correlate::Model;
use crate::finding::{Finding, Related, Severity};
use std::collections::BTreeMap;

/// What a rule checks with: the model and a place to put findings. The
/// severity is filled in from the settings afterwards.
pub type Check = fn(&Model, &mut Vec<Finding>);

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
    Rule {
        id: "EKS001",
        name: "access-entry-on-config-map-cluster",
        severity: Severity::Error,
        summary: "An access entry targets a cluster whose authentication mode is CONFIG_MAP",
        doc: include_str!("../../rules/EKS001.md"),
        check: eks001::check,
    },
    Rule {
        id: "EKS002",
        name: "access-entry-cluster-unresolved",
        severity: Severity::Warning,
        summary: "An access entry's cluster, or that cluster's mode, is not known from the inputs",
        doc: include_str!("../../rules/EKS002.md"),
        check: eks002::check,
    },
    Rule {
        id: "EKS003",
        name: "config-map-without-bootstrap-admin",
        severity: Severity::Error,
        summary: "A CONFIG_MAP cluster sets BootstrapClusterCreatorAdminPermissions to false",
        doc: include_str!("../../rules/EKS003.md"),
        check: eks003::check,
    },
    Rule {
        id: "EKS004",
        name: "node-entry-with-kubernetes-permissions",
        severity: Severity::Error,
        summary: "A node access entry sets KubernetesGroups, Username or AccessPolicies",
        doc: include_str!("../../rules/EKS004.md"),
        check: eks004::check,
    },
    Rule {
        id: "EKS005",
        name: "reserved-kubernetes-group",
        severity: Severity::Error,
        summary: "An access entry names a Kubernetes group that starts with system:",
        doc: include_str!("../../rules/EKS005.md"),
        check: eks005::check,
    },
    Rule {
        id: "EKS006",
        name: "duplicate-access-entry",
        severity: Severity::Error,
        summary: "Two access entries for the same principal on the same cluster",
        doc: include_str!("../../rules/EKS006.md"),
        check: eks006::check,
    },
    Rule {
        id: "EKS007",
        name: "hybrid-nodes-on-config-map-cluster",
        severity: Severity::Error,
        summary: "Hybrid nodes (RemoteNetworkConfig or a HYBRID_LINUX entry) on a CONFIG_MAP cluster",
        doc: include_str!("../../rules/EKS007.md"),
        check: eks007::check,
    },
    Rule {
        id: "EKS008",
        name: "invalid-access-policy",
        severity: Severity::Error,
        summary: "An access policy ARN is not an EKS cluster access policy, or its scope is inconsistent",
        doc: include_str!("../../rules/EKS008.md"),
        check: eks008::check,
    },
    Rule {
        id: "EKS009",
        name: "conflicting-cluster-definitions",
        severity: Severity::Warning,
        summary: "Templates define one cluster name with different authentication modes",
        doc: include_str!("../../rules/EKS009.md"),
        check: eks009::check,
    },
    Rule {
        id: "EKS010",
        name: "invalid-authentication-mode",
        severity: Severity::Error,
        summary: "A cluster's authentication mode is not CONFIG_MAP, API_AND_CONFIG_MAP or API",
        doc: include_str!("../../rules/EKS010.md"),
        check: eks010::check,
    },
    Rule {
        id: "EKS011",
        name: "fails-on-affected-eksctl-releases",
        severity: Severity::Warning,
        summary: "Without --eksctl-version: eksctl 0.167.0 to 0.175.x would create a failing nodegroup stack from this ClusterConfig",
        doc: include_str!("../../rules/EKS011.md"),
        check: eks011::check,
    },
];

/// The name of the cluster an access entry targets, when known.
/// The related location every CONFIG_MAP finding carries: where the mode
/// came from.
fn config_map_mode(effective: &crate::correlate::Effective<'_>) -> Related {
    Related {
        location: effective.mode.location.clone(),
        message: format!("authentication mode CONFIG_MAP: {}", effective.mode.source.describe()),
    }
}

fn target_name(model: &Model, e: &crate::correlate::EntryRef) -> Option<String> {
    match &e.target {
        crate::correlate::Target::Cluster { cluster, .. } => model.clusters[*cluster].name.clone(),
        crate::correlate::Target::Missing { name, .. } => name.clone(),
    }
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
}

impl RuleSettings {
    pub fn enabled(&self, rule: &Rule) -> bool {
        let named = |ids: &[String]| ids.iter().any(|i| find(i).is_some_and(|r| r.id == rule.id));
        (self.select.is_empty() || named(&self.select)) && !named(&self.ignore)
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
            let mut found = Vec::new();
            (rule.check)(model, &mut found);
            let severity = settings.severity_of(rule);
            for f in &mut found {
                f.severity = severity;
                // Kept to the end of the scan: a sweep has many.
                f.message.shrink_to_fit();
                f.related.shrink_to_fit();
                f.related.iter_mut().for_each(|r| r.message.shrink_to_fit());
            }
            found.shrink_to_fit();
            found
        })
        .collect();
    let mut findings = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    per_rule.into_iter().for_each(|found| findings.extend(found));
    sort(&mut findings);
    findings
}

/// Sorts findings into report order and drops exact duplicates.
pub fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
}
