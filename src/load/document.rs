//! The documents loading gives: recognised templates (with the parts facts
//! need, positioned), `describe-cluster` output and eksctl ClusterConfigs,
//! and the outcome of one unit of input. Plain data; nothing here reads.

use std::sync::Arc;

use super::node::{Node, Pos};

/// What became of one unit of input (a file, stdin, an archive entry).
#[derive(Debug)]
pub struct Loaded {
    pub path: Arc<str>,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub enum Outcome {
    Documents(Vec<Document>),
    Skipped(String),
    Error(super::LoadError),
}

/// A recognised document.
#[derive(Debug)]
pub enum Document {
    Template(Template),
    Context(ClusterContext),
    ClusterConfig(ClusterConfigDoc),
}

/// The text a document was read from, kept only while facts are extracted
/// so that locations can quote their source line.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub path: Arc<str>,
    pub bytes: Arc<Vec<u8>>,
    /// The input is a file that the driver can read again, so that
    /// locations need not copy their source line now.
    pub rereadable: bool,
}

/// The parts of a CloudFormation template that facts need.
#[derive(Debug)]
pub struct Template {
    pub source: SourceText,
    pub stack_name: String,
    pub format: Format,
    /// `Some` for `aws cloudformation get-template` output.
    pub wrapper: Option<Wrapper>,
    pub description: Option<String>,
    pub parameters: Option<Node>,
    pub outputs: Option<Node>,
    pub metadata: Option<Node>,
    /// What evaluation needs besides parameters: kept only when the
    /// template has resources or loops later stages look at.
    pub semantics: Option<Box<Semantics>>,
    /// The resources later stages look at (EKS types), positioned.
    pub resources: Vec<Resource>,
    /// Every resource in the template, looked at or not.
    pub resource_count: usize,
    /// A bare resources map (a template fragment, as eksctl's own test data
    /// has): resources sit at the root rather than under `Resources`.
    pub fragment: bool,
}

/// The parts of a template with EKS resources that evaluation reads.
#[derive(Debug, Default)]
pub struct Semantics {
    /// `Conditions` and `Mappings`, positioned.
    pub conditions: Option<Node>,
    pub mappings: Option<Node>,
    /// `Transform` names `AWS::LanguageExtensions`.
    pub language_extensions: bool,
    /// `Fn::ForEach::*` entries of `Resources` that mention EKS types:
    /// key, key position and value, expanded by evaluation.
    pub loops: Vec<(String, Pos, Node)>,
    /// Every logical id of `Resources`.
    pub logical_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// How a template sits inside `get-template` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// `TemplateBody` is an object: positions are the file's own.
    Object,
    /// `TemplateBody` is a string holding the template: positions inside it
    /// are reported at the string itself.
    String(Pos),
}

#[derive(Debug)]
pub struct Resource {
    pub logical_id: String,
    pub key_pos: Pos,
    pub resource_type: String,
    pub node: Node,
}

/// `aws eks describe-cluster` output, JSON or YAML: `{"cluster": {...}}`,
/// or the bare cluster object that `--query cluster` gives.
#[derive(Debug)]
pub struct ClusterContext {
    pub source: SourceText,
    /// The `cluster` object, positioned.
    pub cluster: Node,
    /// The cluster object is the whole document (`--query cluster`), so
    /// pointers into it do not start with `/cluster`.
    pub bare: bool,
}

/// Is `node` the cluster object of `describe-cluster` output, as
/// `--query cluster` prints it: a `name` and an EKS cluster `arn`?
pub(super) fn is_bare_cluster(name: Option<&str>, arn: Option<&str>) -> bool {
    name.is_some() && arn.is_some_and(|a| a.starts_with("arn:") && a.contains(":eks:") && a.contains(":cluster/"))
}

/// An eksctl ClusterConfig (a config file or `--dry-run` output).
#[derive(Debug)]
pub struct ClusterConfigDoc {
    pub source: SourceText,
    pub document: Node,
}

/// Is `resource_type` one that later stages look at?
pub fn is_relevant_type(resource_type: &str) -> bool {
    resource_type.starts_with("AWS::EKS::")
        || resource_type == CDK_CLUSTER_TYPE
        || resource_type == "AWS::CloudFormation::Stack"
        || (resource_type.starts_with("Custom::") && resource_type.contains("AccessEntry"))
}

/// A cluster made by CDK's `aws-eks` (v1) cluster-resource provider.
pub const CDK_CLUSTER_TYPE: &str = "Custom::AWSCDK-EKS-Cluster";

/// The stack name eksctl would have given this file: its name without the
/// last extension (`eksctl-demo-cluster.json` -> `eksctl-demo-cluster`);
/// a CDK-style `X.template.json` (or `.yaml`, or a nested stack's
/// `X.nested.template.json`) is stack `X`.
pub fn stack_name_of(path: &str) -> String {
    let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    if name == "-" {
        return "stdin".to_owned();
    }
    for suffix in [".nested.template.json", ".template.json", ".template.yaml", ".template.yml"] {
        if let Some(stem) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return stem.to_owned();
        }
    }
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => name.to_owned(),
    }
}

pub(super) fn is_resource_type(t: &str) -> bool {
    t.starts_with("AWS::") || t.starts_with("Custom::") || t.starts_with("Alexa::")
}

pub(super) fn empty_template(source: &SourceText, format: Format, wrapper: Option<Wrapper>) -> Template {
    Template {
        source: source.clone(),
        stack_name: stack_name_of(&source.path),
        format,
        wrapper,
        description: None,
        parameters: None,
        outputs: None,
        metadata: None,
        semantics: None,
        resources: Vec::new(),
        resource_count: 0,
        fragment: false,
    }
}

/// The entries of a mapping with repeated keys dropped but for the last
/// one (the one [`Node::get`] and CloudFormation use), in source order.
pub(super) fn last_of_each<T>(entries: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<T> {
    let mut last = std::collections::HashMap::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        last.insert(key(entry), i);
    }
    if last.len() == entries.len() {
        return entries;
    }
    let keep: Vec<bool> = (0..entries.len()).map(|i| last.get(key(&entries[i])) == Some(&i)).collect();
    drop(last);
    entries.into_iter().zip(keep).filter_map(|(e, k)| k.then_some(e)).collect()
}
