//! EKS003 config-map-without-bootstrap-admin.

use crate::correlate::Model;

use super::{Rule, Severity, Sink, Violation, config_map_mode};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS003",
    name: "config-map-without-bootstrap-admin",
    severity: Severity::Error,
    summary: "A CONFIG_MAP cluster sets BootstrapClusterCreatorAdminPermissions to false",
    doc: include_str!("../../rules/EKS003.md"),
    check,
};

/// CreateCluster's answer.
pub(super) const API_ERROR: &str =
    "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP";

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for (s, c, effective) in model.config_map_definitions() {
        let Some((false, at)) = c.bootstrap_admin.as_deref() else { continue };
        let shown = c.identity(&s.stack_name);
        out.push(Violation {
            message: format!(
                "cluster `{shown}` sets {} to false while its \
                     authentication mode is CONFIG_MAP ({}); EKS rejects the cluster (\"{API_ERROR}\") and stack `{}` \
                     fails",
                c.setting("AccessConfig.BootstrapClusterCreatorAdminPermissions"),
                effective.mode.source.describe(),
                s.stack_name
            ),
            location: at.clone(),
            stack: Some(s.stack_name.clone()),
            cluster: Some(shown.clone()),
            resource: Some(c.logical_id.clone()),
            related: vec![config_map_mode(&effective)],
            remediation: if c.outposts {
                format!(
                    "Set {} to true (or drop it: it defaults to true). The cluster is an EKS local cluster on \
                     Outposts, which accepts only CONFIG_MAP, so moving it to another authentication mode is not an \
                     option.",
                    c.setting("AccessConfig.BootstrapClusterCreatorAdminPermissions"),
                )
                .into()
            } else {
                format!(
                    "Set {} to true (or drop it: it defaults to true), or move `{shown}` to {} API_AND_CONFIG_MAP or \
                     API and grant administrators access with access entries.",
                    c.setting("AccessConfig.BootstrapClusterCreatorAdminPermissions"),
                    c.setting("AccessConfig.AuthenticationMode"),
                )
                .into()
            },
        });
    }
}
