//! EKS008 invalid-access-policy.

use crate::correlate::Model;

use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS008",
    name: "invalid-access-policy",
    severity: Severity::Error,
    summary: "An access policy ARN is not an EKS cluster access policy, or its scope is inconsistent",
    doc: include_str!("../../rules/EKS008.md"),
    check,
};

/// Is `arn` an EKS cluster access policy,
/// `arn:<partition>:eks::aws:cluster-access-policy/<name>`?
pub(super) fn is_cluster_access_policy(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("eks"), Some(""), Some("aws"), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let name = resource.strip_prefix("cluster-access-policy/").unwrap_or_default();
    !partition.is_empty() && !name.is_empty() && !name.contains('/')
}

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for e in &model.entries {
        let entry = model.entry(e);
        let stack = model.stack(e.stack);
        for (i, p) in entry.access_policies.iter().enumerate() {
            let mut problems = Vec::new();
            if let Some((arn, at)) = &p.policy_arn {
                if !is_cluster_access_policy(arn) {
                    let what = if arn.contains(":iam::") {
                        "an IAM policy, not an EKS cluster access policy"
                    } else {
                        "not an EKS cluster access policy (arn:<partition>:eks::aws:cluster-access-policy/<name>)"
                    };
                    problems.push((format!("PolicyArn `{arn}` is {what}"), at, PolicyProblem::Arn));
                }
            }
            if let Some((scope, at)) = &p.scope_type {
                match (scope.as_str(), &p.namespaces) {
                    ("namespace", None) => problems.push((
                        "AccessScope Type is `namespace` but no Namespaces are given".to_owned(),
                        at,
                        PolicyProblem::Namespaces,
                    )),
                    ("cluster", Some((names, ns_at))) if !names.is_empty() => problems.push((
                        "AccessScope Type is `cluster` but Namespaces are given".to_owned(),
                        ns_at,
                        PolicyProblem::ClusterScope,
                    )),
                    _ => {}
                }
            }
            for (what, at, kind) in problems {
                out.push(Violation {
                    message: format!(
                        "access entry `{}` AccessPolicies item {i}: {what}; EKS rejects the association and stack \
                         `{}` fails",
                        entry.logical_id, stack.stack_name
                    ),
                    location: at.clone(),
                    stack: Some(stack.stack_name.clone()),
                    cluster: super::target_name(model, e),
                    resource: Some(entry.logical_id.clone()),
                    related: Vec::new(),
                    remediation: kind.remediation().into(),
                });
            }
        }
    }
}

enum PolicyProblem {
    Arn,
    Namespaces,
    ClusterScope,
}

impl PolicyProblem {
    fn remediation(&self) -> &'static str {
        match self {
            Self::Arn => {
                "Use an EKS access policy such as arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy (list \
                 them with `aws eks list-access-policies`); IAM policies belong on the IAM role, not in \
                 AccessPolicies."
            }
            Self::Namespaces => "Add AccessScope.Namespaces with at least one namespace, or use Type `cluster`.",
            Self::ClusterScope => "Remove AccessScope.Namespaces, or use Type `namespace`.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_cluster_access_policy;

    #[test]
    fn recognises_cluster_access_policies() {
        assert!(is_cluster_access_policy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"));
        assert!(is_cluster_access_policy("arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"));
        assert!(!is_cluster_access_policy("arn:aws:iam::aws:policy/AdministratorAccess"));
        assert!(!is_cluster_access_policy("arn:aws:eks::aws:cluster-access-policy/"));
        assert!(!is_cluster_access_policy("arn:aws:eks:us-east-1:aws:cluster-access-policy/X"));
        assert!(!is_cluster_access_policy("AmazonEKSAdminPolicy"));
    }
}
