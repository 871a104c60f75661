//! Inline suppressions, as plain data.
//!
//! Takes a template (or, through [`comment_ignores`], the text of a YAML
//! document); gives the [`Suppression`]s written in it. They are applied
//! after the rules ran (`crate::suppress`), so rules never see them:
//!
//! - `Metadata: {eksguard: {ignore: [EKS001, ...]}}` on a resource silences
//!   those rules for findings on that resource;
//! - the same under the template's top-level `Metadata`, for every finding
//!   whose primary location is in that template's file;
//! - `# eksguard: ignore EKS001, EKS002` comments in YAML (ClusterConfig
//!   nodegroups): [`comment_ignores`] finds them for a line range, and the
//!   ClusterConfig facts turn them into a [`Scope::Lines`] suppression.
//!
//! Rule names are kept as written (an id or a slug); matching them against
//! rules is the applying stage's job. `all` silences every rule.

use std::sync::Arc;

use crate::load::node::{Node, Value};
use crate::load::{ClusterConfigDoc, Template};

/// What one suppression covers, within its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole file (a template's top-level `Metadata`).
    File,
    /// One resource, by logical id.
    Resource(String),
    /// Findings whose primary location is on these 1-based lines.
    Lines { start: u32, end: u32 },
}

/// Rules silenced for part of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub path: Arc<str>,
    pub scope: Scope,
    /// Rule ids or slugs as written (`EKS001`, `access-entry-on-config-map-cluster`, `all`).
    pub rules: Vec<String>,
}

/// The key under `Metadata` that eksguard reads.
pub const METADATA_KEY: &str = "eksguard";

/// The suppressions written in `template`'s `Metadata`.
pub fn of_template(template: &Template) -> Vec<Suppression> {
    let path = &template.source.path;
    let mut out = Vec::new();
    if let Some(rules) = template.metadata.as_ref().and_then(ignored) {
        out.push(Suppression { path: path.clone(), scope: Scope::File, rules });
    }
    for r in &template.resources {
        if let Some(rules) = r.node.get("Metadata").and_then(ignored) {
            out.push(Suppression { path: path.clone(), scope: Scope::Resource(r.logical_id.clone()), rules });
        }
    }
    out
}

/// `eksguard: {ignore: ...}` under a `Metadata` node: a list of names, or
/// one string (names separated by commas or spaces).
fn ignored(metadata: &Node) -> Option<Vec<String>> {
    let ignore = metadata.get(METADATA_KEY)?.get("ignore")?;
    let rules: Vec<String> = match &ignore.value {
        Value::Seq(items) => items.iter().filter_map(Node::as_str).flat_map(split_names).collect(),
        Value::String(s) => split_names(s).collect(),
        _ => Vec::new(),
    };
    (!rules.is_empty()).then_some(rules)
}

fn split_names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Rules named by `# eksguard: ignore ...` comments on lines `start..=end`
/// of `text`, and on the line just above `start` (a comment written before
/// `- name: ng-1`). Lines are 1-based, as in [`crate::finding::Location`].
///
/// The ClusterConfig facts call this with the line range of a nodegroup's
/// mapping and, when it gives names, add
/// `Suppression { path, scope: Scope::Lines { start, end }, rules }` to
/// their output (as `Facts::Suppressions`); findings located on those lines
/// are then silenced like those of a template resource.
pub fn comment_ignores(text: &str, start: u32, end: u32) -> Vec<String> {
    let first = start.saturating_sub(1).max(1);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if number < first {
            continue;
        }
        if number > end {
            break;
        }
        // The line above `start` counts only when it is nothing but a comment.
        if number < start && !line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(names) = comment_names(line) {
            out.extend(names);
        }
    }
    out
}

/// The suppressions written as `# eksguard: ignore ...` comments on the
/// nodegroups (`nodeGroups[]`, `managedNodeGroups[]`) of a ClusterConfig:
/// each covers the lines of its nodegroup.
pub fn of_cluster_config(config: &ClusterConfigDoc) -> Vec<Suppression> {
    let Ok(text) = std::str::from_utf8(&config.source.bytes) else { return Vec::new() };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for key in ["nodeGroups", "managedNodeGroups"] {
        for nodegroup in config.document.get(key).and_then(Node::as_seq).unwrap_or_default() {
            let (start, end) = (nodegroup.pos.line, nodegroup.last_line());
            let rules = comment_ignores(text, start, end);
            if !rules.is_empty() {
                out.push(Suppression { path: config.source.path.clone(), scope: Scope::Lines { start, end }, rules });
            }
        }
    }
    out
}

/// The names of a `# eksguard: ignore A, B` comment on one line.
fn comment_names(line: &str) -> Option<Vec<String>> {
    let mut rest = line;
    while let Some(hash) = rest.find('#') {
        let comment = rest[hash + 1..].trim_start();
        if let Some(after) = comment.strip_prefix(METADATA_KEY) {
            let after = after.trim_start().strip_prefix(':').unwrap_or(after).trim_start();
            if let Some(names) = after.strip_prefix("ignore") {
                let names: Vec<String> = split_names(names.trim_start_matches([':', '='])).collect();
                return (!names.is_empty()).then_some(names);
            }
        }
        rest = &rest[hash + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Document, Outcome, recognise};

    #[test]
    fn cluster_config_nodegroup_comments_cover_their_nodegroup() {
        let text = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: c\nnodeGroups:\n  \
                    # eksguard: ignore EKS001\n  - name: a\n    instanceType: m5.large\n  - name: b # eksguard: ignore EKS011\n\
                    managedNodeGroups:\n  - name: m\n";
        let Outcome::Documents(docs) = recognise(&Arc::from("c.yaml"), text.as_bytes().to_vec(), true) else {
            panic!("not recognised")
        };
        let Document::ClusterConfig(config) = &docs[0] else { panic!("not a ClusterConfig") };
        let found = of_cluster_config(config);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].scope, Scope::Lines { start: 7, end: 8 });
        assert_eq!(found[0].rules, ["EKS001"]);
        assert_eq!(found[1].scope, Scope::Lines { start: 9, end: 9 });
        assert_eq!(found[1].rules, ["EKS011"]);
    }

    fn template(text: &str) -> Template {
        match recognise(&Arc::from("t.yaml"), text.as_bytes().to_vec(), true) {
            Outcome::Documents(mut d) => match d.remove(0) {
                Document::Template(t) => t,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn template_and_resource_metadata() {
        let t = template(
            "Metadata:\n  eksguard:\n    ignore: EKS009, EKS002\nResources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    \
             Metadata:\n      eksguard: {ignore: [EKS001]}\n  F:\n    Type: AWS::EKS::AccessEntry\n",
        );
        let s = of_template(&t);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].scope, Scope::File);
        assert_eq!(s[0].rules, ["EKS009", "EKS002"]);
        assert_eq!(s[1].scope, Scope::Resource("E".to_owned()));
        assert_eq!(s[1].rules, ["EKS001"]);
    }

    #[test]
    fn comments_in_a_line_range() {
        let text = "nodeGroups:\n  # eksguard: ignore EKS001\n  - name: a\n    instanceType: m5.large  # eksguard: ignore EKS002,EKS003\n  - name: b\n    # not ours\n";
        assert_eq!(comment_ignores(text, 3, 4), ["EKS001", "EKS002", "EKS003"]);
        assert!(comment_ignores(text, 5, 6).is_empty());
        assert_eq!(comment_names("x: 1 #eksguard:ignore all"), Some(vec!["all".to_owned()]));
        assert_eq!(comment_names("# eksguard: ignore"), None);
    }
}
