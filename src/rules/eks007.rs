//! EKS007 hybrid-nodes-on-config-map-cluster.

use crate::correlate::{Model, Target};
use crate::facts::AuthMode;

use super::{Rule, Severity, Sink, Violation, config_map_mode};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS007",
    name: "hybrid-nodes-on-config-map-cluster",
    severity: Severity::Error,
    summary: "Hybrid nodes (RemoteNetworkConfig or a HYBRID_LINUX entry) on a CONFIG_MAP cluster",
    doc: include_str!("../../rules/EKS007.md"),
    check,
};

/// How to get past it, for `cluster` (its name, when known).
fn remediation(cluster: Option<&str>) -> std::sync::Arc<str> {
    let (name, note) = crate::eksctl::cluster_arg(cluster);
    format!(
        "Hybrid nodes need the authentication mode API or API_AND_CONFIG_MAP: set AccessConfig.AuthenticationMode \
         accordingly (an existing cluster can be moved with `aws eks update-cluster-config --name {name} \
         --access-config authenticationMode=API_AND_CONFIG_MAP`; the change is one-way).{note}"
    )
    .into()
}

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for (s, c, effective) in model.config_map_definitions() {
        let Some(at) = c.remote_network.as_deref() else { continue };
        let shown = c.identity(&s.stack_name);
        out.push(Violation {
            message: format!(
                "cluster `{shown}` sets {} (hybrid nodes) while its authentication mode is \
                     CONFIG_MAP ({}); hybrid nodes-enabled clusters do not support CONFIG_MAP, so stack `{}` fails",
                c.setting("RemoteNetworkConfig"),
                effective.mode.source.describe(),
                s.stack_name
            ),
            location: at.clone(),
            stack: Some(s.stack_name.clone()),
            cluster: Some(shown.clone()),
            resource: Some(c.logical_id.clone()),
            related: vec![config_map_mode(&effective)],
            remediation: remediation(c.name.as_deref()),
        });
    }
    for e in &model.entries {
        let entry = model.entry(e);
        if entry.entry_type != "HYBRID_LINUX" {
            continue;
        }
        let Target::Cluster { cluster, definition } = e.target else { continue };
        let Some(effective) = model.effective(cluster, definition) else { continue };
        if effective.mode.mode != Some(AuthMode::ConfigMap) {
            continue;
        }
        let stack = model.stack(e.stack);
        let name = model.clusters[cluster].name.as_deref();
        let shown = crate::finding::shown(name);
        out.push(Violation {
            message: format!(
                "access entry `{}` of Type HYBRID_LINUX targets cluster `{shown}`, whose authentication mode is \
                 CONFIG_MAP ({}); hybrid nodes cannot join a CONFIG_MAP cluster and stack `{}` fails",
                entry.logical_id,
                effective.mode.source.describe(),
                stack.stack_name
            ),
            location: entry.type_location.clone().unwrap_or_else(|| entry.location.clone()),
            stack: Some(stack.stack_name.clone()),
            cluster: name.map(str::to_owned),
            resource: Some(entry.logical_id.clone()),
            related: vec![super::config_map_related(Some(shown), effective.mode)],
            remediation: remediation(name),
        });
    }
}
