//! EKS009 conflicting-cluster-definitions.

use crate::correlate::Model;

use super::{Related, Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS009",
    name: "conflicting-cluster-definitions",
    severity: Severity::Warning,
    summary: "Templates define one cluster name with different authentication modes",
    doc: include_str!("../../rules/EKS009.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for c in model.clusters.iter().filter(|c| c.conflict) {
        let Some(name) = &c.name else { continue };
        let mut defs = c.definitions.iter().map(|d| (d, model.definition(*d)));
        let Some((first_ref, first)) = defs.next() else { continue };
        let mode_of =
            |m: &crate::facts::ModeFact| m.mode.as_ref().map_or("(unresolved)".to_owned(), ToString::to_string);
        let related = defs
            .map(|(d, def)| Related {
                location: def.mode.location.clone(),
                message: format!(
                    "stack `{}` defines `{name}` with mode {} ({})",
                    model.stack(d.stack).stack_name,
                    mode_of(&def.mode),
                    def.mode.source.describe()
                ),
            })
            .collect::<Vec<_>>();
        out.push(Violation {
            message: format!(
                "cluster `{name}` is defined {} times with different authentication modes (here {}, {}); access \
                 entries that name it cannot be checked against one mode",
                related.len() + 1,
                mode_of(&first.mode),
                first.mode.source.describe()
            ),
            location: first.location.clone(),
            stack: Some(model.stack(first_ref.stack).stack_name.clone()),
            cluster: Some(name.clone()),
            resource: Some(first.logical_id.clone()),
            related,
            remediation: format!(
                "Scan one definition of `{name}` at a time (stale copies of a template often cause this), or pass \
                 the live state with `aws eks describe-cluster --name {name} > {name}.json` and `--context {name}.json`, \
                 which wins over templates."
            ).into(),
        });
    }
}
