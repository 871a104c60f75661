//! EKS003 config-map-without-bootstrap-admin.

use crate::correlate::{DefinitionRef, Model};
use crate::facts::AuthMode;

use super::{Finding, Related, Severity};

/// CreateCluster's answer.
pub const API_ERROR: &str =
    "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP";

pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for (stack, s) in model.stacks.iter().enumerate() {
        for (index, c) in s.clusters.iter().enumerate() {
            let Some((false, at)) = &c.bootstrap_admin else { continue };
            let d = DefinitionRef { stack, index };
            let Some(cluster) = model.cluster_of(d) else { continue };
            let Some(effective) = model.effective(cluster, Some(d)) else { continue };
            if effective.mode.mode != Some(AuthMode::ConfigMap) {
                continue;
            }
            let shown = c.name.as_deref().unwrap_or("(unnamed)");
            out.push(Finding {
                rule: "EKS003",
                name: "config-map-without-bootstrap-admin",
                severity: Severity::Error,
                message: format!(
                    "cluster `{shown}` sets AccessConfig.BootstrapClusterCreatorAdminPermissions to false while its \
                     authentication mode is CONFIG_MAP ({}); EKS rejects the cluster (\"{API_ERROR}\") and stack `{}` \
                     fails",
                    effective.mode.source.describe(),
                    s.stack_name
                ),
                location: at.clone(),
                stack: Some(s.stack_name.clone()),
                cluster: c.name.clone(),
                resource: Some(c.logical_id.clone()),
                related: vec![Related {
                    location: effective.mode.location.clone(),
                    message: format!("authentication mode CONFIG_MAP: {}", effective.mode.source.describe()),
                }],
                remediation: format!(
                    "Set AccessConfig.BootstrapClusterCreatorAdminPermissions to true (or drop it: it defaults to \
                     true), or move `{shown}` to AccessConfig.AuthenticationMode API_AND_CONFIG_MAP or API and grant \
                     administrators access with access entries."
                ),
            });
        }
    }
}
