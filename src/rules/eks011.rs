//! EKS011 fails-on-affected-eksctl-releases.

use crate::correlate::Model;
use crate::eksctl;
use crate::facts::TargetRef;

use super::eks001::CFN_ERROR;
use super::{Finding, Related, Severity};

pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for stack in &model.stacks {
        let Some(p) = &stack.prediction else { continue };
        let Some(a) = &p.affected else { continue };
        let cluster = match &a.entry.target {
            TargetRef::Name { name, .. } => Some(name.clone()),
            _ => None,
        };
        let shown = cluster.clone().unwrap_or_else(|| "(unnamed)".to_owned());
        out.push(Finding {
            rule: "EKS011",
            name: "fails-on-affected-eksctl-releases",
            severity: Severity::Warning,
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
                p.nodegroup.as_deref().unwrap_or("(unnamed)"),
                stack.stack_name,
                a.mode.source.describe()
            ),
            location: a.entry.location.clone(),
            stack: Some(stack.stack_name.clone()),
            cluster,
            resource: Some(a.entry.logical_id.clone()),
            related: vec![Related {
                location: a.mode.location.clone(),
                message: format!("cluster `{shown}` authentication mode CONFIG_MAP: {}", a.mode.source.describe()),
            }],
            remediation: format!(
                "If this config may meet eksctl {}: {} To check one release exactly, pass `--eksctl-version X.Y.Z` \
                 (or set EKSGUARD_EKSCTL_VERSION) with the output of `eksctl version`.",
                a.releases,
                eksctl::predicted_nodegroup_remediation(p.outposts)
            )
            .into(),
        });
    }
}
