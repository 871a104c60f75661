//! EKS014 outposts-mode-unset.

use crate::correlate::Model;
use crate::eksctl;
use crate::facts::{EksctlCommand, ModeSource};

use super::{Related, Rule, Severity, Sink, Violation};

/// EKS's answer (CreateCluster, through CloudFormation), as eksctl issue
/// #7552 reports it.
pub(super) const LOCAL_CLUSTER_ERROR: &str = "Local Amazon EKS cluster only supports \
                                       bootstrapClusterCreatorAdminPermissions=true and authenticationMode=CONFIG_MAP \
                                       for AccessConfig.";

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS014",
    name: "outposts-mode-unset",
    severity: Severity::Warning,
    summary: "An Outposts ClusterConfig leaves the authentication mode to eksctl 0.167.0 to 0.175.x, whose API_AND_CONFIG_MAP EKS refuses",
    doc: include_str!("../../rules/EKS014.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for stack in &model.stacks {
        let Some(p) = &stack.prediction else { continue };
        if p.command != EksctlCommand::CreateCluster {
            continue;
        }
        for c in &stack.clusters {
            let ModeSource::EksctlDefault { outposts: outposts_default } = c.mode.source else { continue };
            if !c.outposts {
                continue;
            }
            // The modelled release sends API_AND_CONFIG_MAP for Outposts, or
            // (no --eksctl-version) current eksctl's CONFIG_MAP default would
            // be API_AND_CONFIG_MAP on 0.167.0 to 0.175.x. An Outposts config
            // that keeps API_AND_CONFIG_MAP today (`outpost.etcdInstanceType`)
            // is not for those releases at all.
            let (releases, modelled) = match p.version {
                Some(v) if v >= eksctl::ACCESS_ENTRIES_SINCE && v < eksctl::CONFIG_MAP_FIX => {
                    (format!("eksctl {v}"), true)
                }
                None if outposts_default => (format!("eksctl {}", eksctl::affected_range()), false),
                _ => continue,
            };
            let shown = crate::finding::shown(c.name.as_deref());
            let today = if modelled {
                String::new()
            } else {
                format!(
                    "; {}, modelled here, defaults to CONFIG_MAP on Outposts and is fine",
                    eksctl::modelled(p.version)
                )
            };
            out.push(Violation {
                message: format!(
                    "cluster `{shown}` has its control plane on Outposts and leaves accessConfig.authenticationMode \
                     unset: {releases} sends its default API_AND_CONFIG_MAP, which EKS refuses for a local cluster \
                     (\"{LOCAL_CLUSTER_ERROR}\"), so stack `{}` fails and no cluster is created{today}",
                    stack.stack_name
                ),
                location: c.mode.location.clone(),
                stack: Some(stack.stack_name.clone()),
                cluster: c.name.clone(),
                resource: Some(c.logical_id.clone()),
                related: vec![Related {
                    location: c.location.clone(),
                    message: format!("cluster `{shown}`, an Outposts control plane (outpost.controlPlaneOutpostARN)"),
                }],
                remediation: eksctl::outposts_mode_remediation().into(),
            });
        }
    }
}
