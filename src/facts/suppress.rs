//! Inline suppressions, as plain data.
//!
//! Takes a template (or, through [`comment_ignores`], the text of a YAML
//! document); gives the [`Suppression`]s written in it. They are applied
//! after the rules ran (`crate::suppress`), so rules never see them:
//!
//! - `Metadata: {eksguard: {ignore: [EKS001, ...]}}` on a resource silences
//!   those rules for findings on that resource; an entry may be
//!   `{id: EKS001, reason: "..."}` to say why;
//! - the same under the template's top-level `Metadata`, for every finding
//!   whose primary location is in that template's file;
//! - `# eksguard: ignore EKS001, EKS002 -- reason` comments in YAML
//!   (ClusterConfig nodegroups): [`comment_ignores`] finds them for a line
//!   range, and they become a [`Scope::Lines`] suppression.
//!
//! Rule names are kept as written (an id or a slug); `all` silences every
//! rule. A name that is no built-in rule, or an entry that is neither a
//! name nor `{id, reason}`, silences nothing: it is kept as a
//! [`Suppression::problems`] entry, which rule EKS015 reports where it was
//! written.

use std::sync::Arc;

use crate::finding::Location;
use crate::load::node::{Node, Pos, Value};
use crate::load::{ClusterConfigDoc, Template};

use super::Locator;

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
    /// Why, as written (`reason:` or the text after ` -- `).
    pub reason: Option<String>,
    /// Where it is written.
    pub location: Location,
    /// Entries that silence nothing: where, and what is wrong with them.
    pub problems: Vec<(Location, String)>,
}

/// Is `name` something a suppression may name?
fn known(name: &str) -> bool {
    name.eq_ignore_ascii_case("all") || crate::rules::find(name).is_some()
}

/// What is wrong with naming `name` (an unknown rule).
fn unknown(name: &str) -> String {
    let ids: Vec<&str> = crate::rules::REGISTRY.iter().map(|r| r.id).collect();
    let hint = crate::config::did_you_mean(&name.to_ascii_uppercase(), &ids)
        .map(|id| format!(" (did you mean `{id}`?)"))
        .unwrap_or_default();
    format!("`{name}` is not an eksguard rule{hint}, so this suppression silences nothing")
}

/// The key under `Metadata` that eksguard reads.
pub const METADATA_KEY: &str = "eksguard";

/// The suppressions written in `template`'s `Metadata`.
pub fn of_template(template: &Template) -> Vec<Suppression> {
    let path = &template.source.path;
    let locate = Locator::new(&template.source, template.wrapper);
    let mut out = Vec::new();
    if let Some(metadata) = &template.metadata {
        ignored(metadata, &["Metadata"], &locate, path, &Scope::File, &mut out);
    }
    for r in &template.resources {
        if let Some(metadata) = r.node.get("Metadata") {
            let at = ["Resources", r.logical_id.as_str(), "Metadata"];
            let at = if template.fragment { &at[1..] } else { &at[..] };
            ignored(metadata, at, &locate, path, &Scope::Resource(r.logical_id.clone()), &mut out);
        }
    }
    out
}

/// `eksguard: {ignore: ...}` under a `Metadata` node at `at`: a list of
/// names or `{id, reason}` mappings, or one string (names separated by
/// commas or spaces). Names with no reason make one suppression; each
/// mapping makes its own.
fn ignored(
    metadata: &Node,
    at: &[&str],
    locate: &Locator<'_>,
    path: &Arc<str>,
    scope: &Scope,
    out: &mut Vec<Suppression>,
) {
    let Some(ignore) = metadata.get(METADATA_KEY).and_then(|m| m.get("ignore")) else { return };
    let mut tokens: Vec<&str> = at.to_vec();
    tokens.extend([METADATA_KEY, "ignore"]);
    let location = locate.at(&tokens, ignore.pos);
    let mut plain = Suppression {
        path: path.clone(),
        scope: scope.clone(),
        rules: Vec::new(),
        reason: None,
        location: location.clone(),
        problems: Vec::new(),
    };
    let names = |text: &str, location: &Location, into: &mut Suppression| {
        for name in split_names(text) {
            if known(&name) {
                into.rules.push(name);
            } else {
                into.problems.push((location.clone(), unknown(&name)));
            }
        }
    };
    match &ignore.value {
        Value::String(s) => names(s, &location, &mut plain),
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let index = i.to_string();
                let mut here = tokens.clone();
                here.push(&index);
                let item_location = locate.at(&here, item.pos);
                if let Some(text) = item.as_str() {
                    names(text, &item_location, &mut plain);
                    continue;
                }
                let id = item.get("id").and_then(Node::as_str);
                let reason = item.get("reason").and_then(Node::as_str);
                let extra = match &item.value {
                    Value::Map(entries) => entries.iter().any(|e| !matches!(e.key.as_str(), "id" | "reason")),
                    _ => true,
                };
                match id {
                    Some(id) if !extra => {
                        let mut one = Suppression {
                            path: path.clone(),
                            scope: scope.clone(),
                            rules: Vec::new(),
                            reason: reason.map(str::to_owned),
                            location: item_location.clone(),
                            problems: Vec::new(),
                        };
                        names(id, &item_location, &mut one);
                        out.push(one);
                    }
                    _ => plain.problems.push((
                        item_location,
                        "a suppression entry is a rule id or name, or `{id: EKS001, reason: \"...\"}`; this one \
                         silences nothing"
                            .to_owned(),
                    )),
                }
            }
        }
        _ => plain.problems.push((
            location.clone(),
            "`ignore` is a list of rule ids or names (or `{id, reason}` entries); this one silences nothing".to_owned(),
        )),
    }
    if !plain.rules.is_empty() || !plain.problems.is_empty() {
        out.push(plain);
    }
}

fn split_names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split([',', ' ', '\t']).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// One `# eksguard: ignore A, B -- reason` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreComment {
    /// 1-based line and column of the `#`.
    pub pos: Pos,
    pub names: Vec<String>,
    pub reason: Option<String>,
}

/// The `# eksguard: ignore ...` comments on lines `start..=end` of `text`,
/// and on the line just above `start` (a comment written before
/// `- name: ng-1`). Lines are 1-based, as in [`crate::finding::Location`].
pub fn comment_ignores(text: &str, start: u32, end: u32) -> Vec<IgnoreComment> {
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
        if let Some((column, names, reason)) = comment_names(line) {
            out.push(IgnoreComment { pos: Pos { line: number, column }, names, reason });
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
    let locate = Locator::new(&config.source, None);
    let mut out = Vec::new();
    for key in ["nodeGroups", "managedNodeGroups"] {
        for (i, nodegroup) in config.document.get(key).and_then(Node::as_seq).unwrap_or_default().iter().enumerate() {
            let (start, end) = (nodegroup.pos.line, nodegroup.last_line());
            let index = i.to_string();
            for comment in comment_ignores(text, start, end) {
                let location = locate.at(&[key, &index], comment.pos);
                let (rules, unknown_names): (Vec<String>, Vec<String>) =
                    comment.names.into_iter().partition(|n| known(n));
                let problems = unknown_names.iter().map(|n| (location.clone(), unknown(n))).collect();
                out.push(Suppression {
                    path: config.source.path.clone(),
                    scope: Scope::Lines { start, end },
                    rules,
                    reason: comment.reason,
                    location,
                    problems,
                });
            }
        }
    }
    out
}

/// The column of the `#`, the names and the reason of a
/// `# eksguard: ignore A, B -- reason` comment on one line.
fn comment_names(line: &str) -> Option<(u32, Vec<String>, Option<String>)> {
    let mut from = 0;
    while let Some(hash) = line[from..].find('#').map(|h| h + from) {
        let comment = line[hash + 1..].trim_start();
        if let Some(after) = comment.strip_prefix(METADATA_KEY) {
            let after = after.trim_start().strip_prefix(':').unwrap_or(after).trim_start();
            if let Some(rest) = after.strip_prefix("ignore") {
                let rest = rest.trim_start_matches([':', '=']);
                let (names, reason) = match rest.split_once("--") {
                    Some((names, reason)) => (names, Some(reason.trim()).filter(|r| !r.is_empty())),
                    None => (rest, None),
                };
                let names: Vec<String> = split_names(names).collect();
                let column = u32::try_from(line[..hash].chars().count() + 1).unwrap_or(u32::MAX);
                return (!names.is_empty()).then(|| (column, names, reason.map(str::to_owned)));
            }
        }
        from = hash + 1;
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
        assert_eq!((found[0].location.line, found[0].location.column), (6, 3));
        assert_eq!(found[0].location.pointer.to_string(), "/nodeGroups/0");
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
        let text = "nodeGroups:\n  # eksguard: ignore EKS001 -- migrated next sprint\n  - name: a\n    instanceType: m5.large  # eksguard: ignore EKS002,EKS003\n  - name: b\n    # not ours\n";
        let found = comment_ignores(text, 3, 4);
        let names: Vec<&String> = found.iter().flat_map(|c| &c.names).collect();
        assert_eq!(names, ["EKS001", "EKS002", "EKS003"]);
        assert_eq!(found[0].reason.as_deref(), Some("migrated next sprint"));
        assert_eq!(found[0].pos, Pos { line: 2, column: 3 });
        assert!(comment_ignores(text, 5, 6).is_empty());
        assert_eq!(comment_names("x: 1 #eksguard:ignore all"), Some((6, vec!["all".to_owned()], None)));
        assert_eq!(comment_names("# eksguard: ignore"), None);
    }

    #[test]
    fn reasons_and_mistakes_in_metadata() {
        let t = template(
            "Resources:\n  E:\n    Type: AWS::EKS::AccessEntry\n    Metadata:\n      eksguard:\n        ignore:\n          \
             - EKS01\n          - {id: EKS001, reason: planned}\n          - {id: EKS002, why: no}\n",
        );
        let s = of_template(&t);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!((s[0].rules.clone(), s[0].reason.as_deref()), (vec!["EKS001".to_owned()], Some("planned")));
        assert!(s[1].rules.is_empty());
        let problems: Vec<String> = s[1].problems.iter().map(|(l, m)| format!("{}:{} {m}", l.line, l.column)).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("7:13 `EKS01` is not an eksguard rule (did you mean `EKS001`?)"),
            "{problems:?}"
        );
        assert!(problems[1].starts_with("9:13 a suppression entry is"), "{problems:?}");
        assert_eq!(s[1].problems[0].0.pointer.to_string(), "/Resources/E/Metadata/eksguard/ignore/0");
    }
}
