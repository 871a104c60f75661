//! EKS016 unused-suppression.
//!
//! Unlike the other rules it judges no template: it reads which names of
//! each inline suppression silenced a finding ([`crate::suppress::Applied`]),
//! so the driver runs it after suppressions are applied, through
//! [`unused_suppressions`]. Its registry entry's check finds nothing.

use crate::correlate::Model;
use crate::facts::suppress::{Scope, Suppression};
use crate::finding::Finding;

use super::{Rule, RuleSettings, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS016",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "An inline suppression names a rule that reported nothing where it applies, so it silences nothing",
    doc: include_str!("../../rules/EKS016.md"),
    check,
};

/// Runs after suppressions: see [`unused_suppressions`].
fn check(_: &Model, _: &mut Sink<'_>) {}

/// One finding per rule name of a suppression that silenced nothing
/// (`used` as [`crate::suppress::Applied::used`] gives it), for enabled
/// rules only: a rule that did not run could not have been silenced.
/// Suppressions in `skip` files (read only for context) are left alone.
/// Empty unless EKS016 is enabled.
pub fn unused_suppressions(
    suppressions: &[Suppression],
    used: &[Vec<bool>],
    settings: &RuleSettings,
    skip: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    if !settings.enabled(&RULE) {
        return Vec::new();
    }
    let mut sink = Sink::new(&RULE, settings.severity_of(&RULE));
    for (s, used) in suppressions.iter().zip(used) {
        if skip(&s.path) {
            continue;
        }
        for (name, _) in s.rules.iter().zip(used).filter(|(_, used)| !**used) {
            let rule = super::find(name);
            // A rule switched off cannot have fired: its suppression may
            // still be needed.
            if rule.is_some_and(|r| r.id == RULE.id || !settings.enabled(r)) {
                continue;
            }
            let what = match rule {
                Some(r) => format!("{} {}", r.id, r.name),
                None => "`all`".to_owned(),
            };
            let here = match &s.scope {
                Scope::File => "in this file".to_owned(),
                Scope::Resource(id) => format!("on resource {id}"),
                Scope::Lines { start, end } => format!("on lines {start}-{end}"),
            };
            sink.push(Violation {
                message: format!(
                    "this suppression of {what} silences nothing: no finding of it is reported {here}, so it \
                     would hide a future finding there that nobody has looked at"
                ),
                location: s.location.clone(),
                stack: None,
                cluster: None,
                resource: match &s.scope {
                    Scope::Resource(id) => Some(id.clone()),
                    _ => None,
                },
                related: Vec::new(),
                remediation: format!(
                    "Remove `{name}` from this suppression, or the whole suppression when it names nothing else."
                )
                .into(),
            });
        }
    }
    let mut found = sink.into_findings();
    super::sort(&mut found);
    found
}
