//! EKS017 unsupported-authentication-mode-change.
//!
//! A scanned template's cluster whose mode, compared with the deployed
//! template of its stack (`--deployed`), goes back or skips a step; or,
//! with no deployed template, skips a step from the live mode
//! (`--context`). A template behind the live mode is EKS019's.

use crate::correlate::{DefinitionRef, Model};
use crate::facts::{AuthMode, ClusterFact, ModeFact, ModeSource, StackFacts};

use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS017",
    name: "unsupported-authentication-mode-change",
    severity: Severity::Error,
    summary: "A template moves a cluster's authentication mode back, or skips a step, from the deployed or live mode",
    doc: include_str!("../../rules/EKS017.md"),
    check,
};

/// EKS's answer to a skipped step (`UpdateClusterConfig`).
fn skip_error(from: &AuthMode, to: &AuthMode) -> String {
    format!("InvalidParameterException: Unsupported authentication mode update from {from} to {to}")
}

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for (stack, s) in model.stacks.iter().enumerate() {
        // eksctl never changes a mode through CloudFormation (EKS020).
        if s.prediction.is_some() {
            continue;
        }
        for (index, c) in s.clusters.iter().enumerate() {
            let d = DefinitionRef { stack, index };
            let Some(to) = c.mode.mode.as_ref().filter(|m| m.step().is_some()) else { continue };
            if let Some((deployed, dc)) = model.deployed_definition(d) {
                let Some(from) = dc.mode.mode.as_ref().filter(|m| m.step().is_some()) else { continue };
                let related = Related {
                    location: dc.mode.location.clone(),
                    message: format!(
                        "deployed authentication mode {from} of `{}` in stack `{}`: {}",
                        shown(c),
                        deployed.stack_name,
                        dc.mode.source.describe()
                    ),
                };
                if let Some(f) = finding(s, c, from, to, "deployed", related) {
                    out.push(f);
                }
            } else if model.deployed_stack(stack).is_none() {
                // No deployed template: the live mode is what EKS changes
                // from. Only a skipped step is certain to fail; a template
                // behind the live mode is stale (EKS019).
                let Some(live) = model.cluster_of(d).and_then(|i| model.clusters[i].live).map(|l| &model.live[l])
                else {
                    continue;
                };
                let Some(from) = live.mode.mode.as_ref().filter(|m| m.step().is_some()) else { continue };
                if to.step() <= from.step() {
                    continue;
                }
                let related = Related {
                    location: live.mode.location.clone(),
                    message: format!(
                        "live authentication mode {from} of `{}`: {}",
                        live.name,
                        live.mode.source.describe()
                    ),
                };
                if let Some(f) = finding(s, c, from, to, "live", related) {
                    out.push(f);
                }
            }
        }
    }
}

fn shown(c: &ClusterFact) -> &str {
    c.name.as_deref().unwrap_or("(unnamed)")
}

/// The finding for a change from `from` to `to`, if EKS refuses it.
fn finding(
    s: &StackFacts,
    c: &ClusterFact,
    from: &AuthMode,
    to: &AuthMode,
    what: &str,
    related: Related,
) -> Option<Violation> {
    let (from_step, to_step) = (from.step()?, to.step()?);
    let name = shown(c);
    let (message, remediation) = if to_step < from_step {
        (
            format!(
                "cluster `{name}` goes back from authentication mode {from} ({what}) to {to} ({}); EKS only moves a \
                 cluster forward (CONFIG_MAP -> API_AND_CONFIG_MAP -> API) and refuses a change back, so the update \
                 of stack `{}` fails and rolls back",
                c.mode.source.describe(),
                s.stack_name
            ),
            format!(
                "{} (the {what} mode): a cluster's authentication mode cannot be changed back; a cluster in {to} \
                 has to be a new cluster.",
                capitalized(&set_to(&c.mode, from))
            ),
        )
    } else if to_step == from_step + 2 {
        (
            format!(
                "cluster `{name}` jumps from authentication mode {from} ({what}) to {to} ({}), skipping \
                 API_AND_CONFIG_MAP; EKS changes the mode one step at a time, so the update of stack `{}` fails \
                 (\"{}\") and rolls back",
                c.mode.source.describe(),
                s.stack_name,
                skip_error(from, to)
            ),
            format!(
                "{} and deploy that first; then, in a second stack update, {}.",
                capitalized(&set_to(&c.mode, &AuthMode::ApiAndConfigMap)),
                set_to(&c.mode, to)
            ),
        )
    } else {
        return None;
    };
    Some(Violation {
        message,
        location: c.mode.location.clone(),
        stack: Some(s.stack_name.clone()),
        cluster: c.name.clone(),
        resource: Some(c.logical_id.clone()),
        related: vec![related],
        remediation: remediation.into(),
    })
}

/// "set \<where the mode comes from\> to \<mode\>", to start a sentence with
/// [`capitalized`].
pub(super) fn set_to(mode: &ModeFact, to: &AuthMode) -> String {
    match &mode.source {
        ModeSource::Parameter { name, .. } => format!("deploy with parameter {name} set to {to}"),
        ModeSource::ClusterConfig | ModeSource::EksctlDefault { .. } | ModeSource::EksctlWithoutAccessConfig => {
            format!("set `accessConfig.authenticationMode: {to}` in the ClusterConfig")
        }
        _ => format!("set AccessConfig.AuthenticationMode to {to}"),
    }
}

pub(super) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
