//! EKS003 config-map-without-bootstrap-admin.

use crate::correlate::Model;

use super::{Finding, Severity, config_map_mode};

/// CreateCluster's answer.
pub const API_ERROR: &str =
    "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP";

pub fn check(model: &Model, out: &mut Vec<Finding>) {
    for (s, c, effective) in model.config_map_definitions() {
        let Some((false, at)) = c.bootstrap_admin.as_deref() else { continue };
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
            related: vec![config_map_mode(&effective)],
            remediation: format!(
                "Set AccessConfig.BootstrapClusterCreatorAdminPermissions to true (or drop it: it defaults to \
                     true), or move `{shown}` to AccessConfig.AuthenticationMode API_AND_CONFIG_MAP or API and grant \
                     administrators access with access entries."
            )
            .into(),
        });
    }
}
