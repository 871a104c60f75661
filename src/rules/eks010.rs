//! EKS010 invalid-authentication-mode.

use crate::correlate::Model;
use crate::facts::{AuthMode, ModeSource};

use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS010",
    name: "invalid-authentication-mode",
    severity: Severity::Error,
    summary: "A cluster's authentication mode is not CONFIG_MAP, API_AND_CONFIG_MAP or API",
    doc: include_str!("../../rules/EKS010.md"),
    check,
};

/// The values EKS accepts for a cluster's authentication mode.
pub(super) const ALLOWED: &str = "CONFIG_MAP, API_AND_CONFIG_MAP or API";

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for stack in &model.stacks {
        for cluster in &stack.clusters {
            let Some(AuthMode::Invalid(value)) = &cluster.mode.mode else { continue };
            let shown = cluster.identity(&stack.stack_name);
            let (what, consequence) = match (&cluster.mode.source, &stack.prediction) {
                (ModeSource::ClusterConfig, Some(p)) => (
                    "accessConfig.authenticationMode".to_owned(),
                    format!(
                        "eksctl does not check the value and passes it on, so `{}` would fail: CloudFormation \
                         rejects it in stack `{}`",
                        p.command, stack.stack_name
                    ),
                ),
                _ => (
                    cluster.setting("AccessConfig.AuthenticationMode"),
                    format!("CloudFormation will fail stack `{}` when it creates the cluster", stack.stack_name),
                ),
            };
            let provenance = match &cluster.mode.source {
                ModeSource::Literal | ModeSource::ClusterConfig | ModeSource::CdkConfig => String::new(),
                other => format!(" ({})", other.describe()),
            };
            out.push(Violation {
                message: format!(
                    "cluster `{shown}` has {what} `{value}`{provenance}, which is not one of {ALLOWED}; {consequence}"
                ),
                location: cluster.mode.location.clone(),
                stack: Some(stack.stack_name.clone()),
                cluster: Some(shown.clone()),
                resource: Some(cluster.logical_id.clone()),
                related: Vec::new(),
                remediation: format!(
                    "Use one of {ALLOWED} (spelt exactly so, in capitals). API_AND_CONFIG_MAP accepts both access \
                     entries and the aws-auth ConfigMap and is eksctl's default; the mode can later move only \
                     towards API."
                )
                .into(),
            });
        }
    }
}
