//! EKS001 access-entry-on-config-map-cluster.

use crate::correlate::{Model, Target};
use crate::eksctl;
use crate::facts::{AuthMode, ModeSource, StackRole};

use super::{Finding, Related, Severity};

/// CloudFormation's answer when the cluster does not accept access entries.
pub const CFN_ERROR: &str =
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.";

pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for e in &model.entries {
        let Target::Cluster { cluster, definition } = e.target else { continue };
        let Some(effective) = model.effective(cluster, definition) else { continue };
        if effective.mode.mode != Some(AuthMode::ConfigMap) {
            continue;
        }
        let stack = model.stack(e.stack);
        let entry = model.entry(e);
        let name = model.clusters[cluster].name.clone();
        let shown = name.as_deref().unwrap_or("(unnamed)");
        let mode = effective.mode;
        let mut provenance = mode.source.describe();
        if mode.source == ModeSource::Live {
            provenance = format!("{provenance} in {}", mode.location.path);
            if let Some(t) = effective.template.and_then(|t| t.mode.as_ref().map(|m| (m, &t.source))) {
                provenance = format!("{provenance}; the template says {} ({})", t.0, t.1.describe());
            }
        }
        let message = format!(
            "access entry `{}` targets cluster `{shown}`, whose authentication mode is CONFIG_MAP ({provenance}); \
             CloudFormation will fail stack `{}` with \"{CFN_ERROR}\"",
            entry.logical_id, stack.stack_name
        );
        let mut related = vec![Related {
            location: mode.location.clone(),
            message: format!("cluster `{shown}` authentication mode CONFIG_MAP: {}", mode.source.describe()),
        }];
        if let Some(t) = effective.template {
            related.push(Related {
                location: t.location.clone(),
                message: format!(
                    "the template's authentication mode for `{shown}` ({}), overridden by live state",
                    t.mode.as_ref().map_or("unresolved", AuthMode::as_str)
                ),
            });
        }
        if entry.target_location != entry.location {
            related.push(Related {
                location: entry.target_location.clone(),
                message: "the entry's ClusterName".to_owned(),
            });
        }
        let defaulted = matches!(mode.source, ModeSource::NoAccessConfig | ModeSource::NoAuthenticationMode);
        let remediation = match &stack.role {
            StackRole::EksctlNodeGroup { managed: false, .. } if is_node_entry(&entry.entry_type) => {
                eksctl::nodegroup_remediation(shown)
            }
            StackRole::EksctlAccessEntry { .. } => eksctl::accessentry_stack_remediation(shown),
            _ => eksctl::template_remediation(shown, defaulted),
        };
        out.push(Finding {
            rule: "EKS001",
            name: "access-entry-on-config-map-cluster",
            severity: Severity::Error,
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

/// Is this an access entry type for nodes (which eksctl writes for
/// self-managed nodegroups)?
pub fn is_node_entry(entry_type: &str) -> bool {
    matches!(entry_type, "EC2_LINUX" | "EC2_WINDOWS" | "EC2" | "FARGATE_LINUX" | "HYBRID_LINUX")
}
