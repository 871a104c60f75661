//! EKS005 reserved-kubernetes-group.

use crate::correlate::Model;

use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS005",
    name: "reserved-kubernetes-group",
    severity: Severity::Error,
    summary: "An access entry names a Kubernetes group that starts with system:",
    doc: include_str!("../../rules/EKS005.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for e in &model.entries {
        let entry = model.entry(e);
        let stack = model.stack(e.stack);
        for (group, location) in entry.kubernetes_groups.iter().filter(|(g, _)| g.starts_with("system:")) {
            out.push(Violation {
                message: format!(
                    "access entry `{}` puts its principal in Kubernetes group `{group}`; names starting with \
                     `system:` are reserved and EKS rejects them, so stack `{}` fails",
                    entry.logical_id, stack.stack_name
                ),
                location: location.clone(),
                stack: Some(stack.stack_name.clone()),
                cluster: super::target_name(model, e),
                resource: Some(entry.logical_id.clone()),
                related: Vec::new(),
                remediation: if group == "system:masters" {
                    "For cluster administrators, drop the group and associate the access policy \
                     arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy with cluster scope."
                        .into()
                } else {
                    format!(
                        "Use a group name of your own (without `system:`) and bind it to the role you need with a \
                         RoleBinding or ClusterRoleBinding, or associate an EKS access policy instead of `{group}`."
                    )
                    .into()
                },
            });
        }
    }
}
