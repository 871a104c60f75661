//! Stage 5b: suppressions.
//!
//! Takes the rules' findings and the inline suppressions the facts carried
//! ([`crate::facts::suppress`]); gives the findings left and how many were
//! silenced. A suppression matches a finding by its primary location: the
//! same file, and the whole file, the named resource (the finding's
//! resource, or a JSON pointer under `/Resources/<id>`) or a line range.

use crate::facts::suppress::{Scope, Suppression};
use crate::finding::Finding;
use crate::rules;

/// Removes the suppressed findings; returns the rest and the count removed.
pub fn apply(findings: Vec<Finding>, suppressions: &[Suppression]) -> (Vec<Finding>, usize) {
    if suppressions.is_empty() {
        return (findings, 0);
    }
    let before = findings.len();
    let kept: Vec<Finding> = findings.into_iter().filter(|f| !suppressions.iter().any(|s| silences(s, f))).collect();
    let removed = before - kept.len();
    (kept, removed)
}

/// Does `s` silence `f`?
pub fn silences(s: &Suppression, f: &Finding) -> bool {
    if s.path != f.location.path || !s.rules.iter().any(|r| names_rule(r, f.rule)) {
        return false;
    }
    match &s.scope {
        Scope::File => true,
        Scope::Resource(id) => {
            f.resource.as_deref() == Some(id.as_str()) || under_resource(&f.location.pointer.to_string(), id)
        }
        Scope::Lines { start, end } => (*start..=*end).contains(&f.location.line),
    }
}

fn names_rule(name: &str, id: &str) -> bool {
    name.eq_ignore_ascii_case("all") || rules::find(name).is_some_and(|r| r.id == id)
}

fn under_resource(pointer: &str, id: &str) -> bool {
    let escaped = crate::load::node::escape_pointer_token(id);
    let rest = pointer.strip_prefix("/TemplateBody").unwrap_or(pointer);
    rest.strip_prefix("/Resources/")
        .and_then(|r| r.strip_prefix(escaped.as_ref()))
        .is_some_and(|r| r.is_empty() || r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::finding::Location;
    use crate::finding::Severity;

    fn finding(rule: &'static str, pointer: &str, line: u32) -> Finding {
        Finding {
            rule,
            name: "x",
            severity: Severity::Error,
            message: String::new(),
            location: Location {
                path: Arc::from("t.yaml"),
                pointer: pointer.into(),
                line,
                column: 1,
                source_line: None,
            },
            stack: None,
            cluster: None,
            resource: None,
            related: Vec::new(),
            remediation: "".into(),
        }
    }

    fn suppression(scope: Scope, rules: &[&str]) -> Suppression {
        Suppression { path: Arc::from("t.yaml"), scope, rules: rules.iter().map(|r| (*r).to_owned()).collect() }
    }

    #[test]
    fn scopes_and_rule_names() {
        let f = finding("EKS001", "/Resources/Entry/Properties/ClusterName", 7);
        let by_slug = suppression(Scope::Resource("Entry".into()), &["access-entry-on-config-map-cluster"]);
        assert!(silences(&by_slug, &f));
        assert!(!silences(&suppression(Scope::Resource("Ent".into()), &["EKS001"]), &f));
        assert!(!silences(&suppression(Scope::File, &["EKS002"]), &f));
        assert!(silences(&suppression(Scope::File, &["all"]), &f));
        assert!(silences(&suppression(Scope::Lines { start: 5, end: 7 }, &["eks001"]), &f));
        assert!(!silences(&suppression(Scope::Lines { start: 8, end: 9 }, &["EKS001"]), &f));
        let wrapped = finding("EKS001", "/TemplateBody/Resources/Entry", 2);
        assert!(silences(&by_slug, &wrapped));
        let (kept, removed) = apply(vec![f, finding("EKS002", "/Resources/Entry", 3)], &[by_slug]);
        assert_eq!((kept.len(), removed), (1, 1));
    }
}
