//! EKS011 fails-on-affected-eksctl-releases.

use crate::correlate::Model;
use crate::eksctl;
use crate::facts::TargetRef;

use super::eks001::CFN_ERROR;
use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS011",
    name: "fails-on-affected-eksctl-releases",
    severity: Severity::Warning,
    summary: "Without --eksctl-version: eksctl 0.167.0 to 0.175.x would create a failing nodegroup stack from this ClusterConfig",
    doc: include_str!("../../rules/EKS011.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for stack in &model.stacks {
        let Some(p) = &stack.prediction else { continue };
        let Some(a) = &p.affected else { continue };
        let cluster = match &a.entry.target {
            TargetRef::Name { name, .. } => Some(name.clone()),
            _ => None,
        };
        let shown = crate::finding::shown(cluster.as_deref());
        out.push(Violation {
            message: format!(
                "no --eksctl-version given, so {} is modelled and this nodegroup is fine with it; but `{}` \
                 with eksctl {} would put access entry `{}` ({}) for nodegroup `{}` into stack `{}`, and cluster \
                 `{shown}`'s authentication mode is CONFIG_MAP ({}): CloudFormation would fail that stack with \
                 \"{CFN_ERROR}\"",
                eksctl::modelled(p.version),
                p.command,
                a.releases,
                a.entry.logical_id,
                a.entry.entry_type,
                crate::finding::shown(p.nodegroup.as_deref()),
                stack.stack_name,
                a.mode.source.describe()
            ),
            location: a.entry.location.clone(),
            stack: Some(stack.stack_name.clone()),
            cluster: cluster.clone(),
            resource: Some(a.entry.logical_id.clone()),
            related: vec![super::config_map_related(Some(shown), &a.mode)],
            remediation: format!(
                "If this config may meet eksctl {}: {} To check one release exactly, pass `--eksctl-version \
                 VERSION` (or set EKSGUARD_EKSCTL_VERSION); VERSION is what `eksctl version` prints.",
                a.releases,
                eksctl::predicted_nodegroup_remediation(p.outposts, None, &stack.path)
            )
            .into(),
        });
    }
}
