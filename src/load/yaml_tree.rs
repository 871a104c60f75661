//! The YAML reader.
//!
//! Takes the text of a YAML stream; gives one positioned [`Node`] per
//! document, or a one-line error with line and column. CloudFormation's
//! short-form tags (`!Ref`, `!GetAtt A.B`, `!Sub`, ...) become their long
//! forms, so later stages see one shape whatever the source format.
//!
//! Built on `saphyr-parser`: a maintained, pure-Rust YAML 1.2 event parser
//! that reports a span for every event and keeps tags. It replaces the
//! deprecated `serde_yaml`; building our own tree from its events is what
//! gives every node a line and column, and lets us bound nesting depth and
//! alias expansion (the "billion laughs") ourselves.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use super::error::LoadError;
use super::node::{Entry, Node, Pos, Value};

/// Deepest nesting accepted; see [`super::json_tree::MAX_DEPTH`].
pub const MAX_DEPTH: usize = super::json_tree::MAX_DEPTH;

/// Most nodes one stream may build, aliases expanded: the same per-file
/// budget as JSON's ([`super::json_tree::MAX_NODES`]). Nodes in the skipped
/// rest of a resource are validated but not built, so they do not count.
pub const MAX_NODES: usize = super::json_tree::MAX_NODES;

/// Most nodes alias expansion may add to one stream (the "billion laughs").
pub const MAX_ALIAS_NODES: usize = 200_000;

/// CloudFormation's short-form tags and the long-form keys they stand for.
pub(super) const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("ImportValue", "Fn::ImportValue"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

/// How much of a stream the reader turns into [`Node`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Build {
    /// Every node (Guard rules see whole templates).
    #[default]
    Everything,
    /// Everything but the inside of template resources whose `Type` is
    /// not one later stages read ([`super::is_relevant_type`]): once such
    /// a resource's `Type` has been seen, the rest of it is validated and
    /// counted but not built. Those resources keep the entries before and
    /// including `Type`, which is all the loader looks at.
    Templates,
}

/// Parses every document of a YAML stream into whole trees.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, LoadError> {
    parse_stream_with(text, Build::Everything)
}

/// Parses every document of a YAML stream, building what `build` asks.
pub fn parse_stream_with(text: &str, build: Build) -> Result<Vec<Node>, LoadError> {
    match run(text, build) {
        Ok(documents) => Ok(documents),
        // An alias in a built part named an anchor in a skipped part: the
        // skipped part is needed after all, so build everything.
        Err(Stop::Rebuild) => match run(text, Build::Everything) {
            Ok(documents) => Ok(documents),
            Err(Stop::Error(e)) => Err(e),
            Err(Stop::Rebuild) => Err(LoadError::Yaml("invalid YAML: alias to an unbuilt anchor".to_owned())),
        },
        Err(Stop::Error(e)) => Err(e),
    }
}

/// Why building stopped.
enum Stop {
    Error(LoadError),
    Rebuild,
}

impl From<LoadError> for Stop {
    fn from(e: LoadError) -> Self {
        Self::Error(e)
    }
}

fn run(text: &str, build: Build) -> Result<Vec<Node>, Stop> {
    let mut builder = Builder { build, ..Builder::default() };
    let mut lines = None;
    let mut feed = |event: Event<'_>, mut pos: Pos| {
        if matches!(event, Event::SequenceStart(..)) {
            let lines = lines.get_or_insert_with(|| super::json_tree::LineIndex::new(text.as_bytes()));
            pos = at_dash(text, lines, pos);
        }
        builder.on_event(event, pos)
    };
    // The plain YAML most templates are written in is read by the fast
    // path, which gives saphyr's events or nothing.
    if let Some(events) = super::yaml_fast::events(text) {
        for (event, pos) in events {
            feed(event, pos)?;
        }
    } else {
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|e| scan_error(&e))?;
            feed(event, pos_of(&span))?;
        }
    }
    Ok(builder.documents)
}

/// A block sequence at its parent key's indentation (`key:` then `- x` in
/// the same column) starts, for the parser, at its first item; users see
/// it start at the `-`. Moves `pos` back to that `-` when only blanks lie
/// between them.
fn at_dash(text: &str, lines: &super::json_tree::LineIndex, pos: Pos) -> Pos {
    let Some(line) = lines.line_text(text.as_bytes(), pos.line) else { return pos };
    let before: Vec<char> = line.chars().take(pos.column.saturating_sub(1) as usize).collect();
    if line.chars().nth(before.len()).is_none_or(|c| c == '-' || c == '[') {
        return pos;
    }
    let blanks = before.iter().rev().take_while(|c| **c == ' ' || **c == '\t').count();
    let dash = before.len() - blanks;
    if blanks == 0 || dash == 0 || before[dash - 1] != '-' {
        return pos;
    }
    if dash >= 2 && !matches!(before[dash - 2], ' ' | '\t') {
        return pos;
    }
    Pos { line: pos.line, column: u32::try_from(dash).unwrap_or(u32::MAX) }
}

fn scan_error(e: &ScanError) -> LoadError {
    let m = e.marker();
    let (info, too_deep) = match e.info() {
        "recursion limit exceeded" => ("nested too deeply (recursion limit exceeded)", true),
        info => (info, false),
    };
    let message = format!("invalid YAML: {} at line {} column {}", one_line(info), m.line(), m.col() + 1);
    if too_deep { LoadError::TooDeep(message) } else { LoadError::Yaml(message) }
}

/// Keeps a parser's message on one line.
fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    if message.contains(['\n', '\r']) { message.replace(['\n', '\r'], " ").into() } else { message.into() }
}

fn pos_of(span: &Span) -> Pos {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
    Pos { line, column }
}

enum Frame {
    Seq { pos: Pos, anchor: usize, tag: Option<Tag>, items: Vec<Node> },
    Map { pos: Pos, anchor: usize, tag: Option<Tag>, entries: Vec<Entry>, key: Option<(String, Pos)>, role: Role },
}

/// Where a mapping sits in a would-be template, for [`Build::Templates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Root,
    /// The object `TemplateBody` of `get-template` output.
    Body,
    Resources,
    Resource,
    Other,
}

/// The rest of a resource being validated without being built.
#[derive(Default)]
struct Skip {
    /// For each collection open inside the skipped part: its anchor and
    /// the node count when it opened.
    open: Vec<(usize, usize)>,
}

#[derive(Default)]
struct Builder {
    build: Build,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    /// Anchors inside skipped parts, with the nodes they stand for.
    skipped_anchors: HashMap<usize, usize>,
    skip: Option<Skip>,
    documents: Vec<Node>,
    /// Nodes met, built or skipped (sizes of skipped anchors).
    nodes: usize,
    /// Nodes built, within [`MAX_NODES`].
    built: usize,
    alias_nodes: usize,
}

impl Builder {
    fn on_event(&mut self, event: Event<'_>, pos: Pos) -> Result<(), Stop> {
        if self.skip.is_some() {
            return self.on_skipped(event, pos);
        }
        match event {
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.skipped_anchors.clear();
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| t.into_owned());
                let value = scalar_value(&text, style, tag.as_ref());
                self.count(1, pos)?;
                self.complete(Node::new(pos, value), anchor, tag)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(pos)?;
                let tag = tag.map(|t| t.into_owned());
                self.stack.push(Frame::Seq { pos, anchor, tag, items: Vec::new() });
            }
            Event::MappingStart(anchor, tag) => {
                self.open(pos)?;
                let tag = tag.map(|t| t.into_owned());
                let role = self.role_of_next();
                self.stack.push(Frame::Map { pos, anchor, tag, entries: Vec::new(), key: None, role });
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { pos, anchor, tag, items }) => {
                    self.complete(Node::new(pos, Value::Seq(items)), anchor, tag)?;
                }
                Some(Frame::Map { pos, anchor, tag, entries, .. }) => {
                    self.complete(Node::new(pos, Value::Map(entries)), anchor, tag)?;
                }
                None => {
                    return Err(Stop::Error(LoadError::Yaml(format!(
                        "invalid YAML: unbalanced collection end at line {} column {}",
                        pos.line, pos.column
                    ))));
                }
            },
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(if self.skipped_anchors.contains_key(&id) {
                        Stop::Rebuild
                    } else {
                        unknown_alias(pos).into()
                    });
                };
                let size = node.size();
                let mut node = node.clone();
                self.expand(size, pos)?;
                // Where the alias is used, not where its anchor is: two
                // uses are two places.
                relocate(&mut node, pos);
                self.complete(node, 0, None)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// An event inside the skipped rest of a resource: checked against the
    /// same limits as a built one, anchors remembered by size.
    fn on_skipped(&mut self, event: Event<'_>, pos: Pos) -> Result<(), Stop> {
        match event {
            Event::Scalar(_, _, anchor, _) => {
                self.count(1, pos)?;
                if anchor != 0 {
                    self.skipped_anchors.insert(anchor, 1);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let before = self.nodes;
                self.open(pos)?;
                if let Some(skip) = &mut self.skip {
                    skip.open.push((anchor, before));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => match self.skip.as_mut().and_then(|s| s.open.pop()) {
                Some((anchor, before)) => {
                    if anchor != 0 {
                        self.skipped_anchors.insert(anchor, self.nodes - before);
                    }
                }
                // The end of the resource itself: build again from here.
                None => {
                    self.skip = None;
                    return self.on_event(event, pos);
                }
            },
            Event::Alias(id) => {
                let size = match (self.anchors.get(&id), self.skipped_anchors.get(&id)) {
                    (Some(node), _) => node.size(),
                    (None, Some(&size)) => size,
                    (None, None) => return Err(unknown_alias(pos).into()),
                };
                self.expand(size, pos)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// An alias adds a copy of `size` nodes, within the alias budget.
    fn expand(&mut self, size: usize, pos: Pos) -> Result<(), LoadError> {
        self.alias_nodes = self.alias_nodes.saturating_add(size);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(LoadError::TooDeep(format!(
                "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias expansion bomb?) \
                 at line {} column {}",
                pos.line, pos.column
            )));
        }
        self.count(size, pos)
    }

    /// The role of a mapping about to open, from its parent and key.
    fn role_of_next(&self) -> Role {
        if self.build == Build::Everything {
            return Role::Other;
        }
        match self.stack.last() {
            None => Role::Root,
            Some(Frame::Map { role, key: Some((key, _)), .. }) => match (role, key.as_str()) {
                (Role::Root, "TemplateBody") => Role::Body,
                (Role::Root | Role::Body, "Resources") => Role::Resources,
                (Role::Resources, _) => Role::Resource,
                _ => Role::Other,
            },
            Some(_) => Role::Other,
        }
    }

    /// The logical id of the template resource being built, if any (the
    /// key of the open `Resources` mapping).
    fn resource_in_build(&self) -> Option<&str> {
        self.stack.iter().rev().find_map(|f| match f {
            Frame::Map { role: Role::Resources, key: Some((key, _)), .. } => Some(key.as_str()),
            _ => None,
        })
    }

    fn open(&mut self, pos: Pos) -> Result<(), LoadError> {
        // Depth is bounded only where a tree is built (as in JSON): the
        // skipped rest of a resource keeps a flat list of what is open.
        if self.skip.is_none() && self.stack.len() >= MAX_DEPTH {
            return Err(LoadError::TooDeep(format!(
                "YAML nested deeper than {MAX_DEPTH} levels (the most eksguard reads) at line {} column {}",
                pos.line, pos.column
            )));
        }
        self.count(1, pos)
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.skip.is_none() {
            self.built = self.built.saturating_add(n);
            if self.built > MAX_NODES {
                let message = super::json_tree::too_large(pos);
                let resource = self.resource_in_build().map(str::to_owned);
                return Err(LoadError::TooLarge { within: String::new(), resource, message });
            }
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize, tag: Option<Tag>) -> Result<(), LoadError> {
        let node = match tag {
            Some(tag) => apply_tag(node, &tag),
            None => node,
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, role, .. }) => match key.take() {
                None => {
                    let text = match node.value {
                        Value::String(s) | Value::Number(s) => s,
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(LoadError::Yaml(format!(
                                "YAML mapping keys that are lists or mappings are not supported at line {} column {}",
                                node.pos.line, node.pos.column
                            )));
                        }
                    };
                    *key = Some((text, node.pos));
                }
                Some((key, key_pos)) => {
                    // A resource of a type nothing reads: the rest of it
                    // is only validated.
                    let skip_rest = *role == Role::Resource
                        && key == "Type"
                        && node.as_str().is_some_and(|t| !super::is_relevant_type(t));
                    entries.push(Entry { key, key_pos, value: node });
                    if skip_rest {
                        self.skip = Some(Skip::default());
                    }
                }
            },
        }
        Ok(())
    }
}

/// Applies YAML 1.1 merge keys (`<<: *a`, `<<: [*a, *b]`, or a mapping
/// written in place) throughout `node`, as eksctl's reader does for a
/// ClusterConfig: each merged mapping's entries are added unless the key
/// is already there, keys set in the mapping itself win over merged ones,
/// and in a list the earlier mappings win over the later ones. A `<<` whose
/// value is not a mapping or a list of mappings stays an ordinary key.
/// Merged entries keep their positions: the alias's, where one was used.
pub fn apply_merge_keys(node: &mut Node) {
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(apply_merge_keys),
        Value::Map(entries) => {
            entries.iter_mut().for_each(|e| apply_merge_keys(&mut e.value));
            if entries.iter().any(is_merge) {
                let old = std::mem::take(entries);
                *entries = merged(old);
            }
        }
        _ => {}
    }
}

fn is_merge(entry: &Entry) -> bool {
    entry.key == "<<"
        && match &entry.value.value {
            Value::Map(_) => true,
            Value::Seq(items) => items.iter().all(|i| matches!(i.value, Value::Map(_))),
            _ => false,
        }
}

fn merged(entries: Vec<Entry>) -> Vec<Entry> {
    let mut taken: std::collections::HashSet<String> =
        entries.iter().filter(|e| !is_merge(e)).map(|e| e.key.clone()).collect();
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        if !is_merge(&entry) {
            out.push(entry);
            continue;
        }
        let sources = match entry.value.value {
            Value::Map(from) => vec![from],
            Value::Seq(items) => items
                .into_iter()
                .filter_map(|i| match i.value {
                    Value::Map(from) => Some(from),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for from in sources {
            for e in from {
                if taken.insert(e.key.clone()) {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// Moves every node and key of `node` to `pos` (an alias's copy).
fn relocate(node: &mut Node, pos: Pos) {
    node.pos = pos;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, pos)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            e.key_pos = pos;
            relocate(&mut e.value, pos);
        }),
        _ => {}
    }
}

fn unknown_alias(pos: Pos) -> LoadError {
    LoadError::Yaml(format!("invalid YAML: unknown alias at line {} column {}", pos.line, pos.column))
}

fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let forced_string = tag.is_some_and(|t| !(t.is_yaml_core_schema() && t.suffix != "str"));
    if style != ScalarStyle::Plain || forced_string {
        return Value::String(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ if looks_numeric(text) => Value::Number(text.to_owned()),
        _ => Value::String(text.to_owned()),
    }
}

fn looks_numeric(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.chars().any(|c| c.is_ascii_digit())
        && text.parse::<f64>().is_ok()
}

/// Rewrites a CloudFormation short-form tag into its long form.
fn apply_tag(node: Node, tag: &Tag) -> Node {
    if tag.handle != "!" {
        return node;
    }
    let Some((_, long)) = SHORT_FORMS.iter().find(|(short, _)| *short == tag.suffix) else {
        return node;
    };
    let pos = node.pos;
    let argument = match (&node.value, *long) {
        // `!GetAtt Resource.Attribute` is the string form of a two-item list.
        (Value::String(s), "Fn::GetAtt") => match s.split_once('.') {
            Some((resource, attribute)) => Node::new(
                pos,
                Value::Seq(vec![
                    Node::new(pos, Value::String(resource.to_owned())),
                    Node::new(pos, Value::String(attribute.to_owned())),
                ]),
            ),
            None => node,
        },
        (Value::Null, _) => Node::new(pos, Value::String(String::new())),
        _ => node,
    };
    Node::new(pos, Value::Map(vec![Entry { key: (*long).to_owned(), key_pos: pos, value: argument }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse_stream(text).expect("valid YAML");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn short_forms_become_long_forms() {
        let doc = one("a: !Ref P\nb: !GetAtt Role.Arn\nc: !Sub '${AWS::StackName}-x'\nd: !If [C, 1, 2]\n");
        assert_eq!(doc.pointer("/a/Ref").and_then(Node::as_str), Some("P"));
        assert_eq!(doc.pointer("/b/Fn::GetAtt/1").and_then(Node::as_str), Some("Arn"));
        assert_eq!(doc.pointer("/c/Fn::Sub").and_then(Node::as_str), Some("${AWS::StackName}-x"));
        assert_eq!(doc.pointer("/d/Fn::If/1").map(|n| &n.value), Some(&Value::Number("1".into())));
    }

    #[test]
    fn positions_are_one_based() {
        let doc = one("Resources:\n  Cluster:\n    Type: AWS::EKS::Cluster\n");
        let ty = doc.pointer("/Resources/Cluster/Type").expect("type");
        assert_eq!(ty.pos, Pos { line: 3, column: 11 });
        let entry = doc.pointer("/Resources").and_then(|r| r.entry("Cluster")).expect("entry");
        assert_eq!(entry.key_pos, Pos { line: 2, column: 3 });
    }

    #[test]
    fn scalars_resolve_like_yaml_core() {
        let doc = one("a: false\nb: 'false'\nc: 12\nd: 1.2.3\ne: ~\nf: !!str 7\n");
        assert_eq!(doc.get("a").map(|n| &n.value), Some(&Value::Bool(false)));
        assert_eq!(doc.get("b").and_then(Node::as_str), Some("false"));
        assert_eq!(doc.get("c").map(|n| &n.value), Some(&Value::Number("12".into())));
        assert_eq!(doc.get("d").and_then(Node::as_str), Some("1.2.3"));
        assert_eq!(doc.get("e").map(|n| &n.value), Some(&Value::Null));
        assert_eq!(doc.get("f").and_then(Node::as_str), Some("7"));
    }

    #[test]
    fn streams_hold_several_documents() {
        let docs = parse_stream("a: 1\n---\nb: 2\n").expect("valid");
        assert_eq!(docs.len(), 2);
        assert!(parse_stream("").expect("empty is valid").is_empty());
    }

    #[test]
    fn aliases_expand_within_a_budget() {
        let doc = one("base: &b {x: 1}\ncopy: *b\n");
        assert_eq!(doc.pointer("/copy/x").map(|n| &n.value), Some(&Value::Number("1".into())));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse_stream(&bomb).expect_err("bomb");
        assert!(matches!(&err, LoadError::TooDeep(m) if m.contains("alias expansion bomb")), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse_stream(&deep).is_err());
        let deep_block: String = (0..400).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let err = parse_stream(&deep_block).expect_err("too deep");
        assert!(matches!(&err, LoadError::TooDeep(m) if m.contains("nested deeper")), "{err}");
    }

    const MIXED: &str = "\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: b, Tags: [{Key: k, Value: v}]}
  Cluster:
    Type: AWS::EKS::Cluster
    Properties: {Name: c}
  Late:
    Properties: {X: 1}
    Type: AWS::SNS::Topic
";

    #[test]
    fn templates_mode_builds_only_what_the_loader_reads() {
        let whole = one(MIXED);
        let mut docs = parse_stream_with(MIXED, Build::Templates).expect("valid");
        let doc = docs.remove(0);
        // The bucket keeps its Type and nothing after it.
        let bucket = doc.pointer("/Resources/Bucket").expect("bucket");
        assert_eq!(bucket.get("Type").and_then(Node::as_str), Some("AWS::S3::Bucket"));
        assert!(bucket.get("Properties").is_none());
        // EKS resources, and resources whose Type comes last, are whole.
        assert_eq!(doc.pointer("/Resources/Cluster"), whole.pointer("/Resources/Cluster"));
        assert_eq!(doc.pointer("/Resources/Late"), whole.pointer("/Resources/Late"));
        // Outside Resources everything is built.
        let other = "Outputs: {O: {Value: {Type: AWS::S3::Bucket, Properties: 1}}}\nResources: {}\n";
        assert_eq!(parse_stream_with(other, Build::Templates).expect("valid"), parse_stream(other).expect("valid"));
    }

    #[test]
    fn templates_mode_builds_again_when_an_alias_needs_a_skipped_anchor() {
        let text = "\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: &props {BucketName: b}
  Entry:
    Type: AWS::EKS::AccessEntry
    Properties: *props
";
        assert_eq!(parse_stream_with(text, Build::Templates).expect("valid"), parse_stream(text).expect("valid"));
    }

    #[test]
    fn templates_mode_keeps_the_limits_in_skipped_parts() {
        let mut bomb = String::from("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n");
        bomb.push_str("      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("      a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse_stream_with(&bomb, Build::Templates).expect_err("bomb");
        assert!(matches!(&err, LoadError::TooDeep(m) if m.contains("alias expansion bomb")), "{err}");

        let unknown = "Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties: *nope\n";
        assert!(parse_stream_with(unknown, Build::Templates).is_err());

        // Flow collections nest at most 255 deep anywhere: the parser's
        // own limit.
        let mut deep = String::from("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties: ");
        deep.push_str(&"[".repeat(300));
        deep.push_str(&"]".repeat(300));
        let err = parse_stream_with(&deep, Build::Templates).expect_err("too deep");
        assert!(matches!(&err, LoadError::TooDeep(m) if m.contains("nested too deeply")), "{err}");
    }

    fn block_nest(levels: usize, indent: usize) -> String {
        (0..levels).map(|i| format!("{}k{i}:\n", " ".repeat(indent + 2 * i))).collect()
    }

    #[test]
    fn deep_yaml_is_bounded_only_where_a_tree_is_built() {
        // Under a bucket nothing reads: validated, not built, not bounded.
        let bucket = format!(
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n{}  E:\n    Type: AWS::EKS::Cluster\n",
            block_nest(400, 6)
        );
        let docs = parse_stream_with(&bucket, Build::Templates).expect("deep but unread");
        assert_eq!(docs[0].pointer("/Resources/E/Type").and_then(Node::as_str), Some("AWS::EKS::Cluster"));
        // Under an EKS resource it is built: an error with a position.
        let eks = format!("Resources:\n  C:\n    Type: AWS::EKS::Cluster\n    Properties:\n{}", block_nest(400, 6));
        let err = parse_stream_with(&eks, Build::Templates).expect_err("too deep");
        assert!(matches!(&err, LoadError::TooDeep(m) if m.starts_with("YAML nested deeper than 256 levels")), "{err}");
        assert!(err.to_string().ends_with("at line 258 column 513"), "{err}");
    }

    #[test]
    fn merge_keys_apply_with_explicit_and_earlier_keys_winning() {
        let text = "\
a: &a {x: 1, y: 1}
b: &b {y: 2, z: 2}
one:
  <<: *a
  x: 9
two:
  w: 0
  <<: [*b, *a]
three:
  <<: {q: 1}
  '<<': kept
four:
  <<: 5
";
        let mut doc = one(text);
        apply_merge_keys(&mut doc);
        let scalar = |p: &str| doc.pointer(p).and_then(Node::scalar_text).map(|t| t.into_owned());
        assert_eq!(scalar("/one/x").as_deref(), Some("9"));
        assert_eq!(scalar("/one/y").as_deref(), Some("1"));
        assert!(doc.pointer("/one/<<").is_none());
        assert_eq!(scalar("/two/y").as_deref(), Some("2"));
        assert_eq!(scalar("/two/x").as_deref(), Some("1"));
        assert_eq!(scalar("/two/z").as_deref(), Some("2"));
        assert_eq!(scalar("/two/w").as_deref(), Some("0"));
        assert_eq!(scalar("/three/q").as_deref(), Some("1"));
        assert_eq!(scalar("/four/<<").as_deref(), Some("5"));
        // A merged entry is located at the alias that brought it.
        assert_eq!(doc.pointer("/one").and_then(|n| n.entry("y")).map(|e| e.key_pos), Some(Pos { line: 4, column: 7 }));
    }

    #[test]
    fn an_alias_is_located_where_it_is_used() {
        let text = "a: &g {x: [1]}\nb: *g\nc:\n  d: *g\n";
        let doc = one(text);
        assert_eq!(doc.pointer("/a/x/0").map(|n| n.pos), Some(Pos { line: 1, column: 12 }));
        assert_eq!(doc.pointer("/b").map(|n| n.pos), Some(Pos { line: 2, column: 4 }));
        assert_eq!(doc.pointer("/b/x/0").map(|n| n.pos), Some(Pos { line: 2, column: 4 }));
        assert_eq!(doc.pointer("/b").and_then(|b| b.entry("x")).map(|e| e.key_pos), Some(Pos { line: 2, column: 4 }));
        assert_eq!(doc.pointer("/c/d").map(|n| n.pos), Some(Pos { line: 4, column: 6 }));
    }

    #[test]
    fn a_block_sequence_at_its_keys_indentation_starts_at_the_dash() {
        let doc = one("a:\n- x\n- y\nb:\n  -   z\nc:\n-   &q {k: v}\nd: [1]\ne:\n- - n\n");
        assert_eq!(doc.get("a").map(|n| n.pos), Some(Pos { line: 2, column: 1 }));
        assert_eq!(doc.pointer("/a/0").map(|n| n.pos), Some(Pos { line: 2, column: 3 }));
        assert_eq!(doc.get("b").map(|n| n.pos), Some(Pos { line: 5, column: 3 }));
        assert_eq!(doc.get("c").map(|n| n.pos), Some(Pos { line: 7, column: 1 }));
        assert_eq!(doc.get("d").map(|n| n.pos), Some(Pos { line: 8, column: 4 }));
        assert_eq!(doc.pointer("/e/0").map(|n| n.pos), Some(Pos { line: 10, column: 3 }));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse_stream("a: [1, 2\nb: 3\n").expect_err("invalid");
        assert!(matches!(&err, LoadError::Yaml(m) if m.contains("line")), "{err}");
    }
}
