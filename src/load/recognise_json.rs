//! JSON recognition: takes a JSON text; gives the CloudFormation template,
//! `get-template` wrapper, `describe-cluster` output or bare resource map it
//! holds. The text is validated in full by `serde_json` while borrowing from
//! it (hand-written visitors read the top level and `Resources` in one
//! pass); only the parts facts need (EKS resources, parameters, outputs,
//! metadata) are re-read as positioned trees by [`super::json_tree`].

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::decode::lone_crs_to_lf;
use super::document::{
    ClusterConfigDoc, ClusterContext, Document, Format, Resource, Semantics, SourceText, Template, Wrapper,
    empty_template, is_bare_cluster, is_relevant_type, is_resource_type, last_of_each,
};
use super::error::LoadError;
use super::json_tree;
use super::node::{Node, Pos};
use super::recognise_yaml::{is_cluster_config, recognise_yaml};

/// The top-level keys recognition looks at. A repeated key keeps its last
/// value, as [`Node::get`] does (a derived `Deserialize` would reject it).
#[derive(Default)]
struct TopJson<'a> {
    /// Read in the same pass as the rest: the resources are most of a
    /// template, and are not scanned twice.
    resources: Option<ResourcesValue<'a>>,
    description: Option<&'a RawValue>,
    parameters: Option<&'a RawValue>,
    outputs: Option<&'a RawValue>,
    metadata: Option<&'a RawValue>,
    conditions: Option<&'a RawValue>,
    mappings: Option<&'a RawValue>,
    transform: Option<&'a RawValue>,
    template_body: Option<&'a RawValue>,
    cluster: Option<&'a RawValue>,
    api_version: Option<&'a RawValue>,
    kind: Option<&'a RawValue>,
    /// `name` and `arn`: the bare cluster object of `describe-cluster
    /// --query cluster`.
    name: Option<&'a RawValue>,
    arn: Option<&'a RawValue>,
}

impl<'de: 'a, 'a> Deserialize<'de> for TopJson<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = TopJson<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut top = TopJson::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let slot = match key.0.as_ref() {
                        "Resources" => {
                            top.resources = Some(map.next_value::<ResourcesValue<'de>>()?);
                            continue;
                        }
                        "Description" => &mut top.description,
                        "Parameters" => &mut top.parameters,
                        "Outputs" => &mut top.outputs,
                        "Metadata" => &mut top.metadata,
                        "Conditions" => &mut top.conditions,
                        "Mappings" => &mut top.mappings,
                        "Transform" => &mut top.transform,
                        "TemplateBody" => &mut top.template_body,
                        "cluster" => &mut top.cluster,
                        "apiVersion" => &mut top.api_version,
                        "kind" => &mut top.kind,
                        "name" => &mut top.name,
                        "arn" => &mut top.arn,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value::<&'de RawValue>()?);
                }
                Ok(top)
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

/// A JSON object's entries in source order, borrowed.
struct RawEntries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawEntries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = RawEntries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                raw_entries(map)
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

/// A template's `Resources`: its entries, borrowed, when it is an object.
enum ResourcesValue<'a> {
    Entries(RawEntries<'a>),
    NotAnObject,
}

impl<'de: 'a, 'a> Deserialize<'de> for ResourcesValue<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = ResourcesValue<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                raw_entries(map).map(ResourcesValue::Entries)
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(ResourcesValue::NotAnObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ResourcesValue::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ResourcesValue::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ResourcesValue::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ResourcesValue::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(ResourcesValue::NotAnObject)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(ResourcesValue::NotAnObject)
            }
        }
        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

fn raw_entries<'de, M: serde::de::MapAccess<'de>>(mut map: M) -> Result<RawEntries<'de>, M::Error> {
    let mut entries = Vec::new();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        entries.push((key.0, map.next_value::<&'de RawValue>()?));
    }
    Ok(RawEntries(entries))
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct ResourceHead<'a> {
    #[serde(rename = "Type", borrow)]
    resource_type: Option<Cow<'a, str>>,
}

fn json_error(e: &serde_json::Error) -> LoadError {
    LoadError::Json(json_message(e))
}

fn json_message(e: &serde_json::Error) -> String {
    let mut message = e.to_string();
    // serde_json appends " at line L column C"; keep ours uniform.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    if e.line() == 0 {
        return message;
    }
    format!("invalid JSON: {message} at line {} column {}", e.line(), e.column())
}

/// Offset of a borrowed slice within the text it was borrowed from.
fn offset_in(text: &[u8], raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// Positions in one file, and what is left of its node budget.
#[derive(Default)]
struct Reader {
    cursor: json_tree::Cursor,
    budget: json_tree::Budget,
}

impl Reader {
    fn pos_at(&mut self, text: &[u8], offset: usize) -> Pos {
        self.cursor.pos_at(text, offset)
    }
}

fn positioned(text: &[u8], cursor: &mut Reader, raw: &RawValue) -> Result<Node, LoadError> {
    let offset = offset_in(text, raw);
    let start = cursor.pos_at(text, offset);
    json_tree::parse_positioned_within(raw.get().as_bytes(), start, &mut cursor.budget)
}

fn raw_str(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

pub(super) fn recognise_json(source: &SourceText) -> Result<Vec<Document>, LoadError> {
    let text: &[u8] = &source.bytes;
    let body = text;
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(|e| json_error(&e))?;
        return Ok(Vec::new());
    }
    let mut top: TopJson<'_> = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
    let cursor = &mut Reader::default();
    if let Some(resources) = top.resources.take() {
        return Ok(vec![Document::Template(json_template(source, text, cursor, &top, resources, None)?)]);
    }
    if let Some(body_raw) = top.template_body {
        return get_template_json(source, text, cursor, body_raw);
    }
    if let Some(cluster) = top.cluster {
        let node = positioned(text, cursor, cluster)?;
        if node.get("name").is_some() {
            return Ok(vec![Document::Context(ClusterContext { source: source.clone(), cluster: node, bare: false })]);
        }
    }
    if is_bare_cluster(top.name.and_then(raw_str).as_deref(), top.arn.and_then(raw_str).as_deref()) {
        let whole = serde_json::from_slice::<&RawValue>(body).map_err(|e| json_error(&e))?;
        let cluster = positioned(text, cursor, whole)?;
        return Ok(vec![Document::Context(ClusterContext { source: source.clone(), cluster, bare: true })]);
    }
    if let (Some(api), Some(kind)) = (top.api_version, top.kind) {
        if is_cluster_config(raw_str(api).as_deref(), raw_str(kind).as_deref()) {
            let whole = serde_json::from_slice::<&RawValue>(body).map_err(|e| json_error(&e))?;
            let document = positioned(text, cursor, whole)?;
            return Ok(vec![Document::ClusterConfig(ClusterConfigDoc { source: source.clone(), document })]);
        }
    }
    Ok(json_fragment(source, text, body)?.map(Document::Template).into_iter().collect())
}

fn get_template_json(
    source: &SourceText,
    text: &[u8],
    cursor: &mut Reader,
    body: &RawValue,
) -> Result<Vec<Document>, LoadError> {
    let raw = body.get();
    if raw.starts_with('{') {
        let mut top: TopJson<'_> = serde_json::from_str(raw).map_err(|e| json_error(&e))?;
        return match top.resources.take() {
            Some(resources) => {
                let wrapper = Some(Wrapper::Object);
                Ok(vec![Document::Template(json_template(source, text, cursor, &top, resources, wrapper)?)])
            }
            None => Ok(Vec::new()),
        };
    }
    let Some(inner) = raw_str(body) else {
        return Ok(Vec::new());
    };
    let at = cursor.pos_at(text, offset_in(text, body));
    string_body(source, &inner, at)
}

/// The templates in a `get-template` `TemplateBody` that is a string (a
/// JSON or YAML template as text, in JSON or YAML output), found at `at`.
/// Their positions are reported at the string, and quote the outer file.
pub(super) fn string_body(source: &SourceText, inner: &str, at: Pos) -> Result<Vec<Document>, LoadError> {
    let inner = lone_crs_to_lf(inner.as_bytes()).into_owned();
    let inner_source = SourceText { path: source.path.clone(), bytes: Arc::new(inner), rereadable: source.rereadable };
    let inner =
        std::str::from_utf8(&inner_source.bytes).map_err(|e| LoadError::Encoding(format!("TemplateBody: {e}")))?;
    let docs = if inner.trim_start().starts_with('{') {
        recognise_json(&inner_source)
    } else {
        recognise_yaml(&inner_source, inner, Some(at))
    }
    .map_err(|e| e.within("TemplateBody: "))?;
    Ok(docs
        .into_iter()
        .filter_map(|doc| match doc {
            Document::Template(mut t) => {
                t.source = source.clone();
                t.wrapper = Some(Wrapper::String(at));
                Some(Document::Template(t))
            }
            _ => None,
        })
        .collect())
}

fn json_template(
    source: &SourceText,
    text: &[u8],
    cursor: &mut Reader,
    top: &TopJson<'_>,
    resources: ResourcesValue<'_>,
    wrapper: Option<Wrapper>,
) -> Result<Template, LoadError> {
    let mut template = Template {
        description: top.description.and_then(raw_str),
        parameters: top.parameters.map(|r| positioned(text, cursor, r)).transpose()?,
        outputs: top.outputs.map(|r| positioned(text, cursor, r)).transpose()?,
        metadata: top.metadata.map(|r| positioned(text, cursor, r)).transpose()?,
        ..empty_template(source, Format::Json, wrapper)
    };
    let ResourcesValue::Entries(entries) = resources else {
        return Ok(template);
    };
    add_json_resources(&mut template, text, cursor, entries)?;
    // Evaluation needs these only for templates with EKS resources.
    if let Some(semantics) = template.semantics.as_mut() {
        semantics.conditions = top.conditions.map(|r| positioned(text, cursor, r)).transpose()?;
        semantics.mappings = top.mappings.map(|r| positioned(text, cursor, r)).transpose()?;
        semantics.language_extensions = top.transform.is_some_and(|t| t.get().contains("AWS::LanguageExtensions"));
    }
    Ok(template)
}

/// What a resource that can be an EKS type (or a nested stack) holds, as
/// searchers built once: building one costs more than a search of a
/// resource.
static MARKERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 4]> = std::sync::LazyLock::new(|| {
    [b"EKS::".as_slice(), b"AccessEntry", b"AWSCDK-EKS-Cluster", b"CloudFormation::Stack"]
        .map(memchr::memmem::Finder::new)
});

/// Keeps the EKS resources among `entries` (the last of a repeated logical
/// id), positioned.
fn add_json_resources(
    template: &mut Template,
    text: &[u8],
    cursor: &mut Reader,
    entries: RawEntries<'_>,
) -> Result<(), LoadError> {
    let entries = last_of_each(entries.0, |(key, _)| key.as_ref());
    template.resource_count = entries.len();
    let mut loops = Vec::new();
    for (logical_id, raw) in &entries {
        let bytes = raw.get().as_bytes();
        // Cheap byte-level prefilter: only resources that can be EKS types
        // are looked at any further.
        if !MARKERS.iter().any(|m| m.find(bytes).is_some()) {
            continue;
        }
        if logical_id.starts_with("Fn::ForEach::") {
            let key_pos = cursor.pos_at(text, key_offset(text, raw));
            loops.push((logical_id.to_string(), key_pos, positioned(text, cursor, raw)?));
            continue;
        }
        let Ok(head) = serde_json::from_str::<ResourceHead<'_>>(raw.get()) else { continue };
        let Some(resource_type) = head.resource_type.filter(|t| is_relevant_type(t)) else { continue };
        let key_pos = cursor.pos_at(text, key_offset(text, raw));
        let node = positioned(text, cursor, raw).map_err(|e| e.in_resource(logical_id))?;
        template.resources.push(Resource {
            logical_id: logical_id.to_string(),
            key_pos,
            resource_type: resource_type.into_owned(),
            node,
        });
    }
    if !template.resources.is_empty() || !loops.is_empty() {
        let logical_ids = entries.iter().map(|(k, _)| k.to_string()).collect();
        template.semantics = Some(Box::new(Semantics { loops, logical_ids, ..Semantics::default() }));
    }
    Ok(())
}

/// Where the key of an object member whose value is `raw` starts: the key
/// sits before the value, so its opening quote is found backwards.
fn key_offset(text: &[u8], raw: &RawValue) -> usize {
    let value_at = offset_in(text, raw);
    memchr::memrchr(b':', &text[..value_at])
        .and_then(|colon| memchr::memrchr(b'"', &text[..colon]))
        .and_then(|close| memchr::memrchr(b'"', &text[..close]))
        .unwrap_or(value_at)
}

/// A bare map of resources: every value an object whose `Type` names a
/// CloudFormation resource type (`AWS::...`, `Custom::...`).
fn json_fragment(source: &SourceText, text: &[u8], body: &[u8]) -> Result<Option<Template>, LoadError> {
    let entries: RawEntries<'_> = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
    let looks_like_resources = !entries.0.is_empty()
        && entries.0.iter().all(|(_, raw)| {
            serde_json::from_str::<ResourceHead<'_>>(raw.get())
                .ok()
                .and_then(|h| h.resource_type)
                .is_some_and(|t| is_resource_type(&t))
        });
    if !looks_like_resources {
        return Ok(None);
    }
    let mut template = empty_template(source, Format::Json, None);
    template.fragment = true;
    add_json_resources(&mut template, text, &mut Reader::default(), entries)?;
    Ok(Some(template))
}
