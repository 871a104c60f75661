//! EKS001 access-entry-on-config-map-cluster.

use std::collections::HashMap;
use std::sync::Arc;

use crate::correlate::{Model, Target};
use crate::eksctl;
use crate::facts::{AccessEntryFact, AuthMode, ModeSource, Prediction, StackFacts, StackRole};

use super::scenarios::{self, Failure, Verdict};
use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS001",
    name: "access-entry-on-config-map-cluster",
    severity: Severity::Error,
    summary: "An access entry targets a cluster whose authentication mode is CONFIG_MAP",
    doc: include_str!("../../rules/EKS001.md"),
    check,
};

/// CloudFormation's answer when the cluster does not accept access entries.
pub(super) const CFN_ERROR: &str =
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.";

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    // One remediation text per kind and cluster, shared by its findings: a
    // sweep finds many entries on one cluster.
    let mut remediations: HashMap<(Remediation<'_>, usize), Arc<str>> = HashMap::new();
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
        let at_deploy = model.clusters[cluster].named_at_deploy;
        let shown = crate::finding::shown(name.as_deref());
        let named = if at_deploy { format!("{shown}` (named at deploy)") } else { format!("{shown}`") };
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
            None => {
                let stale = match (&stack.role, mode.source == ModeSource::Live) {
                    (StackRole::EksctlAccessEntry { .. }, false) => {
                        " (eksctl writes such a stack only for a cluster that accepts access entries, so the scanned \
                         cluster template may be stale: describe-cluster output given with --context settles it)"
                    }
                    _ => "",
                };
                format!(
                    "access entry `{}` targets cluster `{named}, whose authentication mode is CONFIG_MAP \
                     ({provenance}){stale}; CloudFormation will fail stack `{}` with \"{CFN_ERROR}\"",
                    entry.logical_id, stack.stack_name
                )
            }
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
        let live = mode.source == ModeSource::Live;
        let definition = match e.target {
            Target::Cluster { definition, .. } => definition,
            Target::Missing { .. } => None,
        };
        let template_def = match definition {
            Some(d) => Some(model.definition(d)),
            None => model.clusters[cluster].definitions.first().map(|d| model.definition(*d)),
        };
        let outposts = model.clusters[cluster].definitions.iter().any(|d| model.definition(*d).outposts);
        let template_mode = effective.template.unwrap_or(mode);
        let miscased = template_def.and_then(|c| c.miscased.as_deref());
        if let Some((key, at)) = miscased {
            related.push(Related {
                location: at.clone(),
                message: format!(
                    "`{key}`: CloudFormation property names are case-sensitive, so this is not read as the mode"
                ),
            });
        }
        let defaulted = match (&template_mode.source, miscased) {
            (ModeSource::NoAccessConfig | ModeSource::NoAuthenticationMode, Some((key, _))) => {
                Some(eksctl::Defaulted::Miscased(key.as_str()))
            }
            (ModeSource::NoAccessConfig, None) => Some(eksctl::Defaulted::NoAccessConfig),
            (ModeSource::NoAuthenticationMode, None) => Some(eksctl::Defaulted::NoAuthenticationMode),
            _ => None,
        };
        // The cluster's own CDK facts, through the definition the entry
        // names or the cluster's first one.
        let cdk = definition
            .or_else(|| model.clusters[cluster].definitions.first().copied())
            .and_then(|d| model.definition(d).cdk.as_deref());
        // The principal stays a placeholder: one fix per cluster is shared
        // by its many findings (a sweep's memory, the HTML report's grouping).
        let principal: Option<&str> = None;
        let kind = match (&stack.role, &stack.prediction) {
            (StackRole::EksctlAccessEntry { .. }, Some(p)) => {
                Remediation::PredictedAccessEntry { outposts: p.outposts, version: p.version }
            }
            (_, Some(p)) => {
                Remediation::PredictedNodegroup { outposts: p.outposts, version: p.version, config: &stack.path }
            }
            _ => match &stack.role {
                StackRole::EksctlNodeGroup { managed: false, .. } if is_node_entry(&entry.entry_type) => {
                    Remediation::Nodegroup { outposts }
                }
                StackRole::EksctlAccessEntry { .. } => Remediation::AccessEntryStack { principal, live },
                _ if cdk.is_some() || stack.role == StackRole::Cdk => Remediation::Cdk,
                _ => Remediation::Template { principal, defaulted, outposts, live },
            },
        };
        let remediation = remediations
            .entry((kind, cluster))
            .or_insert_with(|| {
                let name = name.as_deref();
                match kind {
                    Remediation::PredictedAccessEntry { outposts, version } => {
                        eksctl::predicted_accessentry_remediation(outposts, version)
                    }
                    Remediation::PredictedNodegroup { outposts, version, config } => {
                        eksctl::predicted_nodegroup_remediation(outposts, version, config)
                    }
                    Remediation::Nodegroup { outposts } => eksctl::nodegroup_remediation(name, outposts),
                    Remediation::AccessEntryStack { principal, live } => {
                        eksctl::accessentry_stack_remediation(name, principal, live)
                    }
                    Remediation::Template { principal, defaulted, outposts, live } => {
                        eksctl::template_remediation(name, principal, defaulted, outposts, live)
                    }
                    Remediation::Cdk => crate::cdk::remediation(shown, cdk),
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
    let related = scenarios::related(entry, shown, f);
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
        remediation: eksctl::template_remediation(
            name.as_deref(),
            None,
            None,
            model.clusters[cluster].definitions.iter().any(|d| model.definition(*d).outposts),
            false,
        )
        .into(),
    }
}

/// Which remediation an EKS001 finding gets, with what it depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Remediation<'a> {
    PredictedAccessEntry {
        outposts: bool,
        version: Option<eksctl::Version>,
    },
    PredictedNodegroup {
        outposts: bool,
        version: Option<eksctl::Version>,
        config: &'a str,
    },
    Nodegroup {
        outposts: bool,
    },
    AccessEntryStack {
        principal: Option<&'a str>,
        live: bool,
    },
    Template {
        principal: Option<&'a str>,
        defaulted: Option<eksctl::Defaulted<'a>>,
        outposts: bool,
        live: bool,
    },
    /// A cluster or stack synthesized by the AWS CDK.
    Cdk,
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
                None => entry.entry_type.to_string(),
            },
            crate::finding::shown(p.nodegroup.as_deref()),
            stack.stack_name
        ),
    }
}

/// Is this an access entry type for nodes (which eksctl writes for
/// self-managed nodegroups)?
pub(super) fn is_node_entry(entry_type: &str) -> bool {
    matches!(entry_type, "EC2_LINUX" | "EC2_WINDOWS" | "EC2" | "FARGATE_LINUX" | "HYBRID_LINUX")
}
