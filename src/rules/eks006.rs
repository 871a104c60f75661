//! EKS006 duplicate-access-entry.

use crate::correlate::{EntryRef, Model, Target};
use crate::eksctl;
use crate::facts::StackRole;

use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS006",
    name: "duplicate-access-entry",
    severity: Severity::Error,
    summary: "Two access entries for the same principal on the same cluster",
    doc: include_str!("../../rules/EKS006.md"),
    check,
};

/// Which cluster an entry is for, as far as it can be told: a known
/// cluster, or a name that no input defines. Such a name may stand for
/// clusters in different accounts or regions, so it is compared within one
/// stack only (the stack index is part of the key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ClusterKey<'m> {
    Known(usize),
    Named(&'m str, usize),
}

/// What entries that clash share: the cluster, the principal, and the
/// stack when the principal is known only within it.
type Key<'m> = (ClusterKey<'m>, &'m str, Option<usize>);

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    // Every entry keyed by (cluster, principal, scope), sorted so that one
    // key's entries sit together, in model order (the sort is stable): no
    // map or list per entry, as a sweep has many.
    let mut keyed: Vec<(Key<'_>, &EntryRef)> = Vec::new();
    for e in &model.entries {
        let cluster = match &e.target {
            Target::Cluster { cluster, .. } => ClusterKey::Known(*cluster),
            Target::Missing { name: Some(n), .. } => ClusterKey::Named(n.as_str(), e.stack),
            Target::Missing { name: None, .. } => continue,
        };
        let Some(principal) = &model.entry(e).principal else { continue };
        // A principal that is not a literal ARN (`!GetAtt Role.Arn`) is
        // only known to be the same within its own stack.
        let scope = (!principal.literal).then_some(e.stack);
        keyed.push(((cluster, principal.key.as_str(), scope), e));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for group in keyed.chunk_by(|a, b| a.0 == b.0) {
        if group.len() < 2 {
            continue;
        }
        let principal = group[0].0.1;
        let mut entries: Vec<&EntryRef> = group.iter().map(|(_, e)| *e).collect();
        entries.sort_by_key(|e| {
            let l = &model.entry(e).location;
            (l.path.clone(), l.line, l.column)
        });
        let first = entries[0];
        let first_entry = model.entry(first);
        let first_stack = &model.stack(first.stack).stack_name;
        for e in &entries[1..] {
            // Entries of one stack under conditions that never hold together
            // are never both created.
            if e.stack == first.stack {
                if let Some(s) = model.stack(e.stack).scenarios.as_deref() {
                    if s.entry(e.index) & s.entry(first.index) == 0 {
                        continue;
                    }
                }
            }
            let entry = model.entry(e);
            let stack = &model.stack(e.stack).stack_name;
            let cluster = super::target_name(model, e);
            let shown = crate::finding::shown(cluster.as_deref());
            let consequence = if e.stack == first.stack {
                format!("stack `{stack}` fails because the entry already exists")
            } else {
                format!(
                    "whichever of stacks `{first_stack}` and `{stack}` is created second fails because the entry \
                     already exists"
                )
            };
            let location = entry.principal.as_ref().map_or_else(|| entry.location.clone(), |p| p.location.clone());
            let mut related = vec![Related {
                location: first_entry
                    .principal
                    .as_ref()
                    .map_or_else(|| first_entry.location.clone(), |p| p.location.clone()),
                message: format!(
                    "access entry `{}` in stack `{first_stack}` for the same principal",
                    first_entry.logical_id
                ),
            }];
            related.sort();
            out.push(Violation {
                message: format!(
                    "access entry `{}` is for principal `{principal}` on cluster `{shown}`, like access entry `{}` \
                     in stack `{first_stack}`; an IAM principal can have only one access entry per cluster, so \
                     {consequence}",
                    entry.logical_id, first_entry.logical_id
                ),
                location,
                stack: Some(stack.clone()),
                cluster,
                resource: Some(entry.logical_id.clone()),
                related,
                remediation: if by_eksctl_nodegroups(model, first, e) {
                    eksctl::shared_instance_role_remediation().into()
                } else {
                    "Keep one access entry per principal and cluster: merge the Kubernetes groups and access \
                     policies into one entry and delete the other (eksctl: list the principal once in \
                     accessConfig.accessEntries, and do not add an entry for a nodegroup role that eksctl already \
                     maps)."
                        .into()
                },
            });
        }
    }
}

/// Are both entries the node entries eksctl writes into self-managed
/// nodegroup stacks (predicted, or in templates eksctl made)? Then the user
/// cannot merge them: eksctl writes one per nodegroup.
fn by_eksctl_nodegroups(model: &Model, a: &EntryRef, b: &EntryRef) -> bool {
    [a, b].iter().all(|e| {
        let stack = model.stack(e.stack);
        matches!(stack.role, StackRole::EksctlNodeGroup { managed: false, .. })
            && (stack.prediction.is_some() || stack.by_eksctl)
            && super::eks001::is_node_entry(&model.entry(e).entry_type)
    })
}
