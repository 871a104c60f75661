//! YAML recognition: takes a YAML text; gives the templates,
//! `get-template` wrappers, `describe-cluster` output and eksctl
//! ClusterConfigs in its documents. The text is read whole into positioned
//! trees by [`super::yaml_tree`] (which skips building non-EKS resources).

use super::document::{
    ClusterConfigDoc, ClusterContext, Document, Format, Resource, Semantics, SourceText, Template, Wrapper,
    empty_template, is_bare_cluster, is_relevant_type, is_resource_type, last_of_each,
};
use super::error::LoadError;
use super::node::{self, Node, Pos, Value};
use super::recognise_json::string_body;
use super::yaml_tree;

pub(super) fn is_cluster_config(api_version: Option<&str>, kind: Option<&str>) -> bool {
    api_version.is_some_and(|a| a.starts_with("eksctl.io/")) && kind == Some("ClusterConfig")
}

pub(super) fn recognise_yaml(source: &SourceText, text: &str, at: Option<Pos>) -> Result<Vec<Document>, LoadError> {
    let mut docs = Vec::new();
    for node in yaml_tree::parse_stream_with(text, yaml_tree::Build::Templates)? {
        // `get-template --output yaml` of a stack whose template is text:
        // `TemplateBody` is a (block) string holding the template.
        if at.is_none() && node.get("Resources").is_none() {
            if let Some(body) = node.get("TemplateBody").filter(|b| b.as_str().is_some()) {
                docs.extend(string_body(source, body.as_str().unwrap_or_default(), body.pos)?);
                continue;
            }
        }
        if let Some(doc) = yaml_document(source, node, at) {
            docs.push(doc);
        }
    }
    Ok(docs)
}

fn yaml_document(source: &SourceText, node: Node, at: Option<Pos>) -> Option<Document> {
    node.as_map()?;
    if node.get("Resources").is_some() {
        let wrapper = at.map(Wrapper::String);
        return Some(Document::Template(yaml_template(source, node, wrapper)));
    }
    if let Some(body) = node.get("TemplateBody") {
        if body.as_map().is_some() {
            let mut node = node;
            let body = take(&mut node, "TemplateBody")?;
            return body
                .get("Resources")
                .is_some()
                .then(|| Document::Template(yaml_template(source, body, Some(Wrapper::Object))));
        }
        return None;
    }
    if node.get("cluster").and_then(|c| c.get("name")).is_some() {
        let mut node = node;
        let cluster = take(&mut node, "cluster")?;
        return Some(Document::Context(ClusterContext { source: source.clone(), cluster, bare: false }));
    }
    if is_bare_cluster(node.get("name").and_then(Node::as_str), node.get("arn").and_then(Node::as_str)) {
        return Some(Document::Context(ClusterContext { source: source.clone(), cluster: node, bare: true }));
    }
    let api = node.get("apiVersion").and_then(Node::as_str);
    let kind = node.get("kind").and_then(Node::as_str);
    if is_cluster_config(api, kind) {
        // eksctl's YAML reader applies merge keys; CloudFormation does not
        // (it takes no aliases or merges at all), so templates keep `<<`.
        let mut node = node;
        yaml_tree::apply_merge_keys(&mut node);
        return Some(Document::ClusterConfig(ClusterConfigDoc { source: source.clone(), document: node }));
    }
    yaml_fragment(source, node, at)
}

/// A bare map of resources (see `json_fragment` in the JSON recogniser).
fn yaml_fragment(source: &SourceText, node: Node, at: Option<Pos>) -> Option<Document> {
    let entries = node.as_map()?;
    let all_resources = !entries.is_empty()
        && entries.iter().all(|e| e.value.get("Type").and_then(Node::as_str).is_some_and(is_resource_type));
    if !all_resources {
        return None;
    }
    let pos = node.pos;
    let root = Node::new(pos, Value::Map(vec![node::Entry { key: "Resources".to_owned(), key_pos: pos, value: node }]));
    let mut template = yaml_template(source, root, at.map(Wrapper::String));
    template.fragment = true;
    Some(Document::Template(template))
}

/// Moves the (last) value under `key` out of a mapping node.
fn take(node: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(entries) = &mut node.value else { return None };
    let i = entries.iter().rposition(|e| e.key == key)?;
    Some(entries.swap_remove(i).value)
}

fn yaml_template(source: &SourceText, mut node: Node, wrapper: Option<Wrapper>) -> Template {
    let description = node.get("Description").and_then(Node::as_str).map(str::to_owned);
    let mut template = Template {
        description,
        parameters: take(&mut node, "Parameters"),
        outputs: take(&mut node, "Outputs"),
        metadata: take(&mut node, "Metadata"),
        ..empty_template(source, Format::Yaml, wrapper)
    };
    if let Some(Node { value: Value::Map(entries), .. }) = take(&mut node, "Resources") {
        let entries = last_of_each(entries, |e| e.key.as_str());
        template.resource_count = entries.len();
        // The logical ids are kept only for templates evaluation will read.
        let relevant = entries.iter().any(|e| {
            e.value.get("Type").and_then(Node::as_str).is_some_and(is_relevant_type)
                || (e.key.starts_with("Fn::ForEach::") && mentions_eks(&e.value, 0))
        });
        let mut ids = Vec::new();
        let mut loops = Vec::new();
        for entry in entries {
            if relevant {
                ids.push(entry.key.clone());
            }
            if entry.key.starts_with("Fn::ForEach::") && mentions_eks(&entry.value, 0) {
                loops.push((entry.key, entry.key_pos, entry.value));
                continue;
            }
            let resource_type = entry.value.get("Type").and_then(Node::as_str).unwrap_or_default();
            if is_relevant_type(resource_type) {
                template.resources.push(Resource {
                    resource_type: resource_type.to_owned(),
                    logical_id: entry.key,
                    key_pos: entry.key_pos,
                    node: entry.value,
                });
            }
        }
        if !template.resources.is_empty() || !loops.is_empty() {
            let language_extensions = node.get("Transform").is_some_and(|t| match &t.value {
                Value::String(s) => s == "AWS::LanguageExtensions",
                Value::Seq(items) => items.iter().any(|i| i.as_str() == Some("AWS::LanguageExtensions")),
                _ => false,
            });
            template.semantics = Some(Box::new(Semantics {
                conditions: take(&mut node, "Conditions"),
                mappings: take(&mut node, "Mappings"),
                language_extensions,
                loops,
                logical_ids: ids,
            }));
        }
    }
    template
}

/// Does a loop body name an EKS type anywhere (a string that later stages
/// would look at as a resource `Type`)?
fn mentions_eks(node: &Node, depth: usize) -> bool {
    match &node.value {
        Value::String(s) => is_relevant_type(s),
        Value::Seq(items) if depth < super::json_tree::MAX_DEPTH => items.iter().any(|i| mentions_eks(i, depth + 1)),
        Value::Map(entries) if depth < super::json_tree::MAX_DEPTH => {
            entries.iter().any(|e| mentions_eks(&e.value, depth + 1))
        }
        _ => false,
    }
}
