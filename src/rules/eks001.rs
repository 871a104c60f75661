//! EKS001 access-entry-on-config-map-cluster.

use std::collections::HashMap;
use std::sync::Arc;

use crate::correlate::{Model, Target};
use crate::eksctl;
use crate::facts::{AccessEntryFact, AuthMode, ModeSource, Prediction, StackFacts, StackRole};

use super::scenarios::{self, Failure, Verdict};
use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub const RULE: Rule = Rule {
    id: "EKS001",
    name: "access-entry-on-config-map-cluster",
    severity: Severity::Error,
    summary: "An access entry targets a cluster whose authentication mode is CONFIG_MAP",
    doc: include_str!("../../rules/EKS001.md"),
    check,
};

/// CloudFormation's answer when the cluster does not accept access entries.
pub const CFN_ERROR: &str =
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.";

pub fn check(model: &Model, out: &mut Sink<'_>) {
    // One remediation text per kind and cluster, shared by its findings: a
    // sweep finds many entries on one cluster.
    let mut remediations: HashMap<(Remediation, usize), Arc<str>> = HashMap::new();
    for e in &model.entries {
        if let Target::Cluster { cluster, .. } = e.target {
            match scenarios::verdict(model, e) {
                Verdict::Plain => {}
                Verdict::Fails(f) if f.every => {
                    out.push(every_scenario(model, e, cluster, &f));
                    continue;
                }
                // Fails in some scenarios only (EKS012), or never.
                _ => continue,
            }
        }
        // CONFIG_MAP, and not left out by `eksctl create nodegroup`.
        let Some((cluster, effective)) = model.rejected(e) else { continue };
        let stack = model.stack(e.stack);
        let entry = model.entry(e);
        let name = model.clusters[cluster].name.clone();
        let shown = crate::finding::shown(name.as_deref());
        let mode = effective.mode;
        let mut provenance = mode.source.describe();
        if mode.source == ModeSource::Live {
            provenance = format!("{provenance} in {}", mode.location.path);
            if let Some(t) = effective.template.and_then(|t| t.mode.as_ref().map(|m| (m, &t.source))) {
                provenance = format!("{provenance}; the template says {} ({})", t.0, t.1.describe());
            }
        }
        let message = match &stack.prediction {
            Some(p) => predicted_message(p, stack, entry, shown, &provenance),
            None => format!(
                "access entry `{}` targets cluster `{shown}`, whose authentication mode is CONFIG_MAP ({provenance}); \
                 CloudFormation will fail stack `{}` with \"{CFN_ERROR}\"",
                entry.logical_id, stack.stack_name
            ),
        };
        let mut related = vec![super::config_map_related(Some(shown), mode)];
        if let Some(t) = effective.template {
            related.push(Related {
                location: t.location.clone(),
                message: format!(
                    "the template's authentication mode for `{shown}` ({}), overridden by live state",
                    t.mode.as_ref().map_or("unresolved", AuthMode::as_str)
                ),
            });
        }
        if entry.target_location != entry.location && stack.prediction.is_none() {
            related.push(Related {
                location: entry.target_location.clone(),
                message: "the entry's ClusterName".to_owned(),
            });
        }
        let defaulted = matches!(mode.source, ModeSource::NoAccessConfig | ModeSource::NoAuthenticationMode);
        let kind = match (&stack.role, &stack.prediction) {
            (StackRole::EksctlAccessEntry { .. }, Some(_)) => Remediation::PredictedAccessEntry,
            (_, Some(p)) => Remediation::PredictedNodegroup { outposts: p.outposts },
            _ => match &stack.role {
                StackRole::EksctlNodeGroup { managed: false, .. } if is_node_entry(&entry.entry_type) => {
                    Remediation::Nodegroup
                }
                StackRole::EksctlAccessEntry { .. } => Remediation::AccessEntryStack,
                _ => Remediation::Template { defaulted },
            },
        };
        let remediation = remediations
            .entry((kind, cluster))
            .or_insert_with(|| {
                match kind {
                    Remediation::PredictedAccessEntry => eksctl::predicted_accessentry_remediation(),
                    Remediation::PredictedNodegroup { outposts } => eksctl::predicted_nodegroup_remediation(outposts),
                    Remediation::Nodegroup => eksctl::nodegroup_remediation(shown),
                    Remediation::AccessEntryStack => eksctl::accessentry_stack_remediation(shown),
                    Remediation::Template { defaulted } => eksctl::template_remediation(shown, defaulted),
                }
                .into()
            })
            .clone();
        out.push(Violation {
            message,
            location: entry.location.clone(),
            stack: Some(stack.stack_name.clone()),
            cluster: name,
            resource: Some(entry.logical_id.clone()),
            related,
            remediation,
        });
    }
}

/// The finding for an entry that fails in every scenario although the
/// cluster's mode depends on them.
fn every_scenario(model: &Model, e: &crate::correlate::EntryRef, cluster: usize, f: &Failure) -> Violation {
    let stack = model.stack(e.stack);
    let entry = model.entry(e);
    let name = model.clusters[cluster].name.clone();
    let shown = crate::finding::shown(name.as_deref());
    let mut related = vec![Related {
        location: f.mode_location.clone(),
        message: format!("cluster `{shown}` authentication mode: CONFIG_MAP when {}", f.when),
    }];
    if entry.target_location != entry.location {
        related
            .push(Related { location: entry.target_location.clone(), message: "the entry's ClusterName".to_owned() });
    }
    Violation {
        message: format!(
            "access entry `{}` targets cluster `{shown}`, whose authentication mode is CONFIG_MAP in every scenario \
             in which the entry is created ({}); CloudFormation will fail stack `{}` with \"{CFN_ERROR}\"",
            entry.logical_id, f.when, stack.stack_name
        ),
        location: entry.location.clone(),
        stack: Some(stack.stack_name.clone()),
        cluster: name.clone(),
        resource: Some(entry.logical_id.clone()),
        related,
        remediation: eksctl::template_remediation(shown, false).into(),
    }
}

/// Which remediation an EKS001 finding gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Remediation {
    PredictedAccessEntry,
    PredictedNodegroup { outposts: bool },
    Nodegroup,
    AccessEntryStack,
    Template { defaulted: bool },
}

/// The message for a stack predicted from a ClusterConfig.
fn predicted_message(
    p: &Prediction,
    stack: &StackFacts,
    entry: &AccessEntryFact,
    cluster: &str,
    provenance: &str,
) -> String {
    match &stack.role {
        StackRole::EksctlAccessEntry { .. } => format!(
            "eksctl refuses this ClusterConfig: the access entry for `{}` (predicted stack `{}`) needs access entries \
             enabled, but cluster `{cluster}`'s authentication mode is CONFIG_MAP ({provenance}); eksctl stops with \
             \"{}\"",
            entry.principal.as_ref().map_or("(no principalARN)", |p| p.key.as_str()),
            stack.stack_name,
            eksctl::ACCESS_ENTRIES_REFUSED
        ),
        _ => format!(
            "`{}` with {} ({}) would put access entry `{}` ({}) for nodegroup `{}` into predicted stack `{}`, \
             but cluster `{cluster}`'s authentication mode is CONFIG_MAP ({provenance}); CloudFormation would fail that \
             stack with \"{CFN_ERROR}\"",
            p.command,
            eksctl::modelled(p.version),
            p.releases,
            entry.logical_id,
            match entry.principal.as_ref().filter(|p| p.literal) {
                Some(role) => format!("{}, naming iam.instanceRoleARN {}", entry.entry_type, role.key),
                None => entry.entry_type.clone(),
            },
            crate::finding::shown(p.nodegroup.as_deref()),
            stack.stack_name
        ),
    }
}

/// Is this an access entry type for nodes (which eksctl writes for
/// self-managed nodegroups)?
pub fn is_node_entry(entry_type: &str) -> bool {
    matches!(entry_type, "EC2_LINUX" | "EC2_WINDOWS" | "EC2" | "FARGATE_LINUX" | "HYBRID_LINUX")
}
