//! EKS012 access-entry-fails-in-some-scenarios.

use crate::correlate::{Model, Target};

use super::eks001::CFN_ERROR;
use super::scenarios::{self, Verdict};
use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS012",
    name: "access-entry-fails-in-some-scenarios",
    severity: Severity::Warning,
    summary: "An access entry is rejected under some of the parameter values the template allows",
    doc: include_str!("../../rules/EKS012.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for e in &model.entries {
        let Target::Cluster { cluster, .. } = e.target else { continue };
        let Verdict::Fails(f) = scenarios::verdict(model, e) else { continue };
        if f.every {
            continue;
        }
        let stack = model.stack(e.stack);
        let entry = model.entry(e);
        let name = model.clusters[cluster].name.clone();
        let shown = crate::finding::shown(name.as_deref());
        let related = scenarios::related(entry, shown, &f);
        let settle = if f.settle.is_empty() {
            format!(
                "It is accepted when {}; pass the `--parameter` values that decide those conditions to settle it.",
                f.passing.join(", ")
            )
        } else {
            let args: Vec<String> = f.settle.iter().map(|a| format!("--parameter {a}")).collect();
            format!(
                "If you deploy with {}, say so and the warning goes: `eksguard scan {} {}`.",
                f.settle.join(", "),
                stack.path,
                args.join(" ")
            )
        };
        out.push(Violation {
            message: format!(
                "access entry `{}` targets cluster `{shown}`, whose authentication mode is CONFIG_MAP when {}; \
                 deployed so, CloudFormation fails stack `{}` with \"{CFN_ERROR}\"",
                entry.logical_id, f.when, stack.stack_name
            ),
            location: entry.location.clone(),
            stack: Some(stack.stack_name.clone()),
            cluster: name,
            resource: Some(entry.logical_id.clone()),
            related,
            remediation: format!(
                "{settle} To make every allowed value safe, give the cluster API_AND_CONFIG_MAP (or API) in every \
                 case, take CONFIG_MAP out of the parameter's AllowedValues, or create the entry only under a \
                 condition in which the cluster accepts it."
            )
            .into(),
        });
    }
}
