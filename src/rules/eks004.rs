//! EKS004 node-entry-with-kubernetes-permissions.

use crate::correlate::Model;

use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS004",
    name: "node-entry-with-kubernetes-permissions",
    severity: Severity::Error,
    summary: "A node access entry sets KubernetesGroups, Username or AccessPolicies",
    doc: include_str!("../../rules/EKS004.md"),
    check,
};

/// Access entry types for nodes: EKS sets their username and groups
/// itself and accepts neither Kubernetes groups, a username nor access
/// policies for them.
pub(super) const NODE_TYPES: &[&str] =
    &["EC2", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX"];

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for e in &model.entries {
        let entry = model.entry(e);
        if !NODE_TYPES.contains(&entry.entry_type.as_ref()) {
            continue;
        }
        let mut set = Vec::new();
        let mut related = Vec::new();
        if !entry.kubernetes_groups.is_empty() {
            set.push("KubernetesGroups");
            if let Some(l) = &entry.kubernetes_groups_location {
                related.push(Related { location: (**l).clone(), message: "KubernetesGroups".to_owned() });
            }
        }
        if let Some(username) = &entry.username {
            set.push("Username");
            related.push(Related { location: username.1.clone(), message: "Username".to_owned() });
        }
        if !entry.access_policies.is_empty() {
            set.push("AccessPolicies");
            if let Some(l) = &entry.access_policies_location {
                related.push(Related { location: (**l).clone(), message: "AccessPolicies".to_owned() });
            }
        }
        if set.is_empty() {
            continue;
        }
        let stack = model.stack(e.stack);
        let location = entry.type_location.clone().unwrap_or_else(|| entry.location.clone());
        out.push(Violation {
            message: format!(
                "access entry `{}` has Type {} and sets {}; EKS manages the Kubernetes identity of node entries and \
                 rejects these properties, so stack `{}` fails",
                entry.logical_id,
                entry.entry_type,
                set.join(", "),
                stack.stack_name
            ),
            location,
            stack: Some(stack.stack_name.clone()),
            cluster: super::target_name(model, e),
            resource: Some(entry.logical_id.clone()),
            related,
            remediation: format!(
                "Remove {} from the {} entry; to give the same role Kubernetes permissions as a user, create a \
                 separate STANDARD access entry for another principal.",
                set.join(", "),
                entry.entry_type
            )
            .into(),
        });
    }
}
