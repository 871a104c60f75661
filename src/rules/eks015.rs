//! EKS015 invalid-suppression.

use crate::correlate::Model;

use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS015",
    name: "invalid-suppression",
    severity: Severity::Warning,
    summary: "An inline suppression names no eksguard rule or is malformed, so it silences nothing",
    doc: include_str!("../../rules/EKS015.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for s in &model.suppressions {
        for (location, problem) in &s.problems {
            out.push(Violation {
                message: problem.clone(),
                location: location.clone(),
                stack: None,
                cluster: None,
                resource: match &s.scope {
                    crate::facts::suppress::Scope::Resource(id) => Some(id.clone()),
                    _ => None,
                },
                related: Vec::new(),
                remediation: "Name a rule by its id or name as `eksguard rules` lists them (or `all`), written as \
                              `ignore: [EKS001]` or `ignore: [{id: EKS001, reason: \"why\"}]` in Metadata, or \
                              `# eksguard: ignore EKS001 -- why` in a ClusterConfig."
                    .into(),
            });
        }
    }
}
