//! Stage 5b: suppressions.
//!
//! Takes the rules' findings and the inline suppressions the facts carried
//! ([`crate::facts::suppress`]); gives the findings left and those
//! silenced, each with the reason written beside its suppression. A
//! suppression matches a finding by its primary location: the same file,
//! and the whole file, the named resource (the finding's resource, or a
//! JSON pointer under `/Resources/<id>`) or a line range. On a
//! ClusterConfig nodegroup (a line range) EKS001 also covers EKS011: they
//! are one failure, seen with and without an eksctl version. It also notes
//! which names of each suppression silenced something, for EKS016.

use serde::Serialize;

use crate::facts::suppress::{Scope, Suppression};
use crate::finding::Finding;
use crate::rules;

/// A finding an inline suppression silenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    /// The reason written with the suppression, if any.
    pub justification: Option<String>,
}

/// What applying the suppressions gave.
#[derive(Debug, Default)]
pub struct Applied {
    /// The findings no suppression silenced.
    pub kept: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// For each suppression, for each rule name it lists: did that name
    /// silence a finding? (Read by EKS016 unused-suppression.)
    pub used: Vec<Vec<bool>>,
}

/// Takes the suppressed findings out, noting which names of which
/// suppressions silenced something.
pub fn apply(findings: Vec<Finding>, suppressions: &[Suppression]) -> Applied {
    let mut used = unused(suppressions);
    let (mut kept, mut suppressed) = (Vec::with_capacity(findings.len()), Vec::new());
    for f in findings {
        match sort_out(f, suppressions, &mut used) {
            Sorted::Kept(f) => kept.push(f),
            Sorted::Suppressed(s) => suppressed.push(s),
        }
    }
    Applied { kept, suppressed, used }
}

/// For each suppression, for each rule name it lists: `false`, none used
/// yet (see [`Applied::used`]).
pub fn unused(suppressions: &[Suppression]) -> Vec<Vec<bool>> {
    suppressions.iter().map(|s| vec![false; s.rules.len()]).collect()
}

/// Where [`sort_out`] puts a finding.
#[derive(Debug)]
pub enum Sorted {
    Kept(Finding),
    Suppressed(Suppressed),
}

/// One finding, kept or suppressed (with the reason); the names that
/// silenced it are marked in `used` (made by [`unused`]). [`apply`], a
/// finding at a time.
pub fn sort_out(f: Finding, suppressions: &[Suppression], used: &mut [Vec<bool>]) -> Sorted {
    let mut justification = None;
    let mut silenced = false;
    for (s, used) in suppressions.iter().zip(used) {
        for name in silencing_names(s, &f) {
            used[name] = true;
            // The first suppression with a reason gives it.
            if justification.is_none() {
                justification = s.reason.clone();
            }
            silenced = true;
        }
    }
    if silenced { Sorted::Suppressed(Suppressed { finding: f, justification }) } else { Sorted::Kept(f) }
}

/// Does `s` silence `f`?
pub fn silences(s: &Suppression, f: &Finding) -> bool {
    silencing_names(s, f).next().is_some()
}

/// The indices of the names in `s.rules` that silence `f`.
fn silencing_names<'a>(s: &'a Suppression, f: &'a Finding) -> impl Iterator<Item = usize> + 'a {
    let lines = matches!(s.scope, Scope::Lines { .. });
    let named = move |r: &String| names_rule(r, f.rule) || (lines && f.rule == "EKS011" && names_rule(r, "EKS001"));
    let covered = s.path == f.location.path
        && match &s.scope {
            Scope::File => true,
            Scope::Resource(id) => {
                f.resource.as_deref() == Some(id.as_str()) || under_resource(&f.location.pointer.to_string(), id)
            }
            Scope::Lines { start, end } => (*start..=*end).contains(&f.location.line),
        };
    s.rules.iter().enumerate().filter(move |(_, r)| covered && named(r)).map(|(i, _)| i)
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
            cluster_named_at_deploy: false,
            resource: None,
            related: Vec::new(),
            remediation: "".into(),
        }
    }

    fn suppression(scope: Scope, rules: &[&str]) -> Suppression {
        Suppression {
            path: Arc::from("t.yaml"),
            scope,
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            reason: None,
            location: finding("EKS001", "/", 1).location,
            problems: Vec::new(),
        }
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
        let applied = apply(vec![f, finding("EKS002", "/Resources/Entry", 3)], &[by_slug]);
        assert_eq!((applied.kept.len(), applied.suppressed.len()), (1, 1));
        // EKS001 on a nodegroup's lines covers EKS011 there, and only there.
        let eks011 = finding("EKS011", "/Resources/Entry", 6);
        assert!(silences(&suppression(Scope::Lines { start: 5, end: 7 }, &["EKS001"]), &eks011));
        assert!(!silences(&suppression(Scope::Resource("Entry".into()), &["EKS001"]), &eks011));
    }

    #[test]
    fn names_that_silenced_something_are_noted() {
        let entry = Scope::Resource("Entry".into());
        let both = suppression(entry.clone(), &["EKS001", "EKS002"]);
        let mut reasoned = suppression(entry, &["all"]);
        reasoned.reason = Some("known".into());
        let applied = apply(vec![finding("EKS001", "/Resources/Entry", 3)], &[both, reasoned]);
        assert_eq!(applied.used, vec![vec![true, false], vec![true]]);
        assert_eq!(applied.suppressed[0].justification.as_deref(), Some("known"));
        assert!(applied.kept.is_empty());
    }
}
