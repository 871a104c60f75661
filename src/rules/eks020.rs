//! EKS020 clusterconfig-mode-behind-live.
//!
//! An eksctl ClusterConfig whose authentication mode is behind the live
//! mode `describe-cluster` reports. eksctl never changes an existing
//! cluster's mode from a config (only `eksctl utils
//! update-authentication-mode` does), so it keeps the live mode; the config
//! no longer says what the cluster is.

use crate::correlate::{DefinitionRef, Model};
use crate::facts::EksctlCommand;

use super::eks017::{capitalized, set_to};
use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS020",
    name: "clusterconfig-mode-behind-live",
    severity: Severity::Note,
    summary: "A ClusterConfig's authentication mode is behind the live cluster's; eksctl keeps the live mode",
    doc: include_str!("../../rules/EKS020.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for (stack, s) in model.stacks.iter().enumerate() {
        if !s.prediction.as_ref().is_some_and(|p| p.command == EksctlCommand::CreateCluster) {
            continue;
        }
        for (index, c) in s.clusters.iter().enumerate() {
            let Some((live, mode, live_mode)) = super::mode_behind_live(model, DefinitionRef { stack, index }, c)
            else {
                continue;
            };
            out.push(Violation {
                message: format!(
                    "the ClusterConfig of `{}` says authentication mode {mode} ({}) but the cluster is in \
                     {live_mode} (live, {}); eksctl keeps the live mode (it changes a cluster's mode only through \
                     `eksctl utils update-authentication-mode`, which cannot go back), so the config no longer \
                     describes the cluster",
                    live.name,
                    c.mode.source.describe(),
                    live.mode.location.path
                ),
                location: c.mode.location.clone(),
                stack: Some(s.stack_name.clone()),
                cluster: Some(live.name.clone()),
                resource: None,
                related: vec![Related {
                    location: live.mode.location.clone(),
                    message: format!("live authentication mode {live_mode} of `{}`", live.name),
                }],
                remediation: format!("{} (the live mode).", capitalized(&set_to(&c.mode, live_mode))).into(),
            });
        }
    }
}
