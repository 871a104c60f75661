//! EKS002 access-entry-cluster-unresolved.

use crate::correlate::{Model, Target};

use super::scenarios::{self, Verdict};
use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS002",
    name: "access-entry-cluster-unresolved",
    severity: Severity::Warning,
    summary: "An access entry's cluster, or that cluster's mode, is not known from the inputs",
    doc: include_str!("../../rules/EKS002.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for e in &model.entries {
        let stack = model.stack(e.stack);
        let entry = model.entry(e);
        let (cluster, message, related, remediation) = match &e.target {
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
                    missing_remediation(name.as_deref()),
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
                let (unknown, live) = (
                    "the cluster is defined in the scanned inputs, but its authentication mode is not known".to_owned(),
                    crate::eksctl::cluster_arg(c.name.as_deref()),
                );
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
                let (name, note) = live;
                let describe = format!(
                    "pass its live state: `aws eks describe-cluster --name {name} > cluster.json`, then scan again \
                     with `--context cluster.json`.{note}"
                );
                let remediation = if c.conflict && definition.is_none() {
                    format!(
                        "{unknown}: its definitions (related locations) disagree. Scan one definition at a time, or \
                         {describe}"
                    )
                } else if why.contains("parameter") {
                    format!(
                        "{unknown}: it depends on a template parameter without a value ({why}). Give the value the \
                         stack is deployed with, `--parameter NAME=VALUE` (NAME is that parameter and VALUE is its \
                         value), or {describe}"
                    )
                } else {
                    format!("{unknown}: {why}. To give it, {describe}")
                };
                (
                    c.name.clone(),
                    format!(
                        "access entry `{}` targets cluster `{shown}`, but {why}; whether CloudFormation accepts the \
                         entry cannot be checked",
                        entry.logical_id
                    ),
                    related,
                    remediation,
                )
            }
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

/// How to give eksguard a cluster that no input defines: scan its stack, or
/// its live state. The stack name is eksctl's only for a cluster eksctl made.
fn missing_remediation(name: Option<&str>) -> String {
    // A cluster known only as `<stack>/<logicalId>` (CDK: no name until
    // deploy; EKS names never hold a `/`) cannot be named in a command.
    match name.filter(|n| !n.contains('/')) {
        Some(n) => format!(
            "Scan the template that defines cluster `{n}` together with this one (for a cluster eksctl made, that is \
             stack eksctl-{n}-cluster: `aws cloudformation get-template --stack-name eksctl-{n}-cluster > \
             eksctl-{n}-cluster.json`), or pass its live state: `aws eks describe-cluster --name {n} > {n}.json` and \
             `--context {n}.json`."
        ),
        None => "Scan the stack that defines or exports the cluster together with this one, or give the value the \
                 ClusterName depends on with `--parameter NAME=VALUE` (NAME is the parameter named in the message \
                 and VALUE is the value the stack is deployed with)."
            .to_owned(),
    }
}
