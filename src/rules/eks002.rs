//! EKS002 access-entry-cluster-unresolved.

use crate::correlate::{Model, Target};

use super::scenarios::{self, Verdict};
use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub const RULE: Rule = Rule {
    id: "EKS002",
    name: "access-entry-cluster-unresolved",
    severity: Severity::Warning,
    summary: "An access entry's cluster, or that cluster's mode, is not known from the inputs",
    doc: include_str!("../../rules/EKS002.md"),
    check,
};

pub fn check(model: &Model, out: &mut Sink<'_>) {
    for e in &model.entries {
        let stack = model.stack(e.stack);
        let entry = model.entry(e);
        let (cluster, message, related) = match &e.target {
            Target::Missing { name, why } => {
                let what = match name {
                    Some(n) => format!("cluster `{n}`, which is not among the inputs ({why})"),
                    None => format!("a cluster that is not known: {why}"),
                };
                (
                    name.clone(),
                    format!(
                        "access entry `{}` targets {what}; its authentication mode is unknown, so whether \
                         CloudFormation accepts the entry cannot be checked",
                        entry.logical_id
                    ),
                    Vec::new(),
                )
            }
            Target::Cluster { cluster, definition } => {
                // Where scenarios decide the mode, EKS001 and EKS012 judge.
                if scenarios::verdict(model, e) != Verdict::Plain {
                    continue;
                }
                let resolved = model.effective(*cluster, *definition).is_some_and(|m| m.mode.mode.is_some());
                if resolved {
                    continue;
                }
                let c = &model.clusters[*cluster];
                let shown = crate::finding::shown(c.name.as_deref());
                let (why, related) = if c.conflict && definition.is_none() {
                    let related = c
                        .definitions
                        .iter()
                        .map(|d| {
                            let m = &model.definition(*d).mode;
                            Related {
                                location: m.location.clone(),
                                message: format!(
                                    "defined with mode {}",
                                    m.mode.as_ref().map_or("(unresolved)", |m| m.as_str())
                                ),
                            }
                        })
                        .collect();
                    ("its definitions disagree on the authentication mode".to_owned(), related)
                } else {
                    let d = definition.or_else(|| c.definitions.first().copied());
                    // With no template, describe-cluster output that does not
                    // say the mode tells why.
                    let mode = d.map(|d| &model.definition(d).mode).or_else(|| c.live.map(|l| &model.live[l].mode));
                    let why = mode.and_then(|m| m.unresolved.clone()).unwrap_or_else(|| "it is unknown".to_owned());
                    let related = mode
                        .map(|m| Related {
                            location: m.location.clone(),
                            message: "the cluster's authentication mode".to_owned(),
                        })
                        .into_iter()
                        .collect();
                    (format!("its authentication mode cannot be worked out: {why}"), related)
                };
                (
                    c.name.clone(),
                    format!(
                        "access entry `{}` targets cluster `{shown}`, but {why}; whether CloudFormation accepts the \
                         entry cannot be checked",
                        entry.logical_id
                    ),
                    related,
                )
            }
        };
        let remediation = match &cluster {
            Some(n) => format!(
                "Scan the cluster's stack with this one (e.g. `aws cloudformation get-template --stack-name \
                 eksctl-{n}-cluster > eksctl-{n}-cluster.json`), or pass its live state: `aws eks describe-cluster \
                 --name {n} > {n}.json` and `--context {n}.json`; use `--parameter KEY=VALUE` for parameters without \
                 a default."
            ),
            None => "Scan the stack that defines or exports the cluster together with this one, or pass \
                     `--parameter KEY=VALUE` for the parameter the ClusterName depends on."
                .to_owned(),
        };
        out.push(Violation {
            message,
            location: entry.target_location.clone(),
            stack: Some(stack.stack_name.clone()),
            cluster,
            resource: Some(entry.logical_id.clone()),
            related,
            remediation: remediation.into(),
        });
    }
}
