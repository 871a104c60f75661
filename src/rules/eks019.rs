//! EKS019 template-mode-behind-live.
//!
//! A scanned template (not a ClusterConfig prediction, and with no deployed
//! template given for its stack) whose cluster's mode is behind the live
//! mode `describe-cluster` reports: the cluster was moved on outside this
//! template, and a stack update that sends the template's mode asks EKS to
//! go back.

use crate::correlate::{DefinitionRef, Model};

use super::eks017::{capitalized, set_to};
use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS019",
    name: "template-mode-behind-live",
    severity: Severity::Warning,
    summary: "A template's authentication mode is behind the live cluster's (a stale template)",
    doc: include_str!("../../rules/EKS019.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for (stack, s) in model.stacks.iter().enumerate() {
        if s.prediction.is_some() || model.deployed_stack(stack).is_some() {
            continue;
        }
        for (index, c) in s.clusters.iter().enumerate() {
            let Some((live, mode, live_mode)) = super::mode_behind_live(model, DefinitionRef { stack, index }, c)
            else {
                continue;
            };
            out.push(Violation {
                message: format!(
                    "cluster `{}` is in authentication mode {live_mode} (live, {}) but stack `{}` says {mode} ({}); \
                     the template is stale: a stack update that changes AccessConfig asks EKS to go back to \
                     {mode}, which it refuses, and the update fails and rolls back",
                    live.name,
                    live.mode.location.path,
                    s.stack_name,
                    c.mode.source.describe()
                ),
                location: c.mode.location.clone(),
                stack: Some(s.stack_name.clone()),
                cluster: Some(live.name.clone()),
                resource: Some(c.logical_id.clone()),
                related: vec![Related {
                    location: live.mode.location.clone(),
                    message: format!("live authentication mode {live_mode} of `{}`", live.name),
                }],
                remediation: format!(
                    "{} (the live mode): CloudFormation then asks EKS for the mode the cluster already has, and \
                     nothing changes.",
                    capitalized(&set_to(&c.mode, live_mode))
                )
                .into(),
            });
        }
    }
}
