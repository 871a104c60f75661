//! Stage 2: load and recognise.
//!
//! Takes one discovered [`Input`]; gives [`Loaded`] units, each holding the
//! documents recognised in it (CloudFormation templates, `get-template`
//! wrappers, `describe-cluster` output, eksctl ClusterConfigs), or the one
//! reason it was skipped or could not be read. This stage and discovery are
//! the only ones that touch the disk. Documents are recognised by content,
//! never by extension; the extension only decides whether text that is not
//! JSON or YAML is an error (a `.json` file that does not parse) or simply
//! not ours (a `README.md`).
//!
//! JSON is validated in full by `serde_json` while borrowing from the input;
//! only the parts that facts need (EKS resources, parameters, outputs,
//! metadata) are re-read as positioned trees. YAML is read whole, since its
//! parser is the slow part either way.

pub mod archive;
pub mod json;
pub mod node;
pub mod settings_files;
pub mod yaml;

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use node::{Node, Pos, Value};

/// Where the bytes of an input come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file at [`Input::path`]; `Some` holds its real path when its name
    /// is not UTF-8 (the display path then shows replacement characters).
    /// A sweep keeps one path per file, not two.
    File(Option<Box<Path>>),
    Stdin,
}

impl Source {
    /// A file at `path`, as discovery met it, for an input shown as `shown`.
    pub fn file(path: &Path, shown: &str) -> Self {
        Self::File((path.to_str() != Some(shown)).then(|| path.into()))
    }
}

/// One input found by discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as users wrote it (relative stays relative), or `-`.
    pub path: Arc<str>,
    pub source: Source,
    /// Named on the command line rather than found in a directory walk:
    /// such an input is expected to be readable JSON or YAML.
    pub explicit: bool,
    /// Given with `--context`: only `describe-cluster` output is expected.
    pub context: bool,
}

impl Input {
    /// Where a file input is read from; `None` for standard input.
    pub fn file_path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(Some(real)) => Some(real),
            Source::File(None) => Some(Path::new(&*self.path)),
            Source::Stdin => None,
        }
    }
}

/// Limits the loader enforces on every input.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Files larger than this are skipped without being read.
    pub max_file_size: u64,
    /// Limits on what one archive may expand to.
    pub archive: archive::ArchiveLimits,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { max_file_size: 64 * 1024 * 1024, archive: archive::ArchiveLimits::default() }
    }
}

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
    Error(String),
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
    /// The input is a file that [`quote_lines`] can read again, so that
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
    /// The resources later stages look at (EKS types), positioned.
    pub resources: Vec<Resource>,
    /// Every resource in the template, looked at or not.
    pub resource_count: usize,
    /// A bare resources map (a template fragment, as eksctl's own test data
    /// has): resources sit at the root rather than under `Resources`.
    pub fragment: bool,
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

/// `aws eks describe-cluster` output.
#[derive(Debug)]
pub struct ClusterContext {
    pub source: SourceText,
    /// The `cluster` object, positioned.
    pub cluster: Node,
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
        || (resource_type.starts_with("Custom::") && resource_type.contains("AccessEntry"))
}

/// Extensions whose files must parse: anything else that does not parse is
/// simply not ours and is skipped.
const DATA_EXTENSIONS: &[&str] = &["json", "yaml", "yml", "template", "cfn"];

/// Reads and recognises one input; an archive (recognised by its magic
/// bytes) gives one unit per entry.
pub fn load(input: &Input, options: &LoadOptions) -> Vec<Loaded> {
    let outcome = match read_input(input, options) {
        Ok(bytes) => {
            if let Some(kind) = archive::detect(&bytes) {
                return archive::load(&input.path, &bytes, kind, input.explicit, &options.archive);
            }
            let expected = input.explicit || has_data_extension(&input.path);
            recognise_as(&input.path, bytes, expected, matches!(input.source, Source::File(_)))
        }
        Err(ReadFailure::Skip(reason)) => Outcome::Skipped(reason),
        Err(ReadFailure::Error(message)) => Outcome::Error(message),
    };
    vec![Loaded { path: input.path.clone(), outcome }]
}

enum ReadFailure {
    Skip(String),
    Error(String),
}

fn read_input(input: &Input, options: &LoadOptions) -> Result<Vec<u8>, ReadFailure> {
    let limit = options.max_file_size;
    match &input.source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| ReadFailure::Error(format!("cannot read standard input: {e}")))?;
            if bytes.len() as u64 > limit {
                return Err(ReadFailure::Skip(format!("larger than the {limit}-byte limit (--max-file-size)")));
            }
            Ok(bytes)
        }
        Source::File(_) => {
            let path = input.file_path().unwrap_or(Path::new(""));
            let file = open_regular(path).map_err(|e| ReadFailure::Error(io_reason(&e)))?;
            let meta = file.metadata().map_err(|e| ReadFailure::Error(io_reason(&e)))?;
            // Discovery only passes regular files; this catches one swapped
            // for a FIFO or device since, before anything is read from it.
            if !meta.is_file() {
                return Err(ReadFailure::Skip("not a regular file (not read)".to_owned()));
            }
            let len = meta.len();
            if len > limit {
                return Err(ReadFailure::Skip(format!(
                    "{len} bytes, larger than the {limit}-byte limit (--max-file-size)"
                )));
            }
            let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            // `take` guards against a file that grows while it is read.
            file.take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| ReadFailure::Error(io_reason(&e)))?;
            if bytes.len() as u64 > limit {
                return Err(ReadFailure::Skip(format!("larger than the {limit}-byte limit (--max-file-size)")));
            }
            Ok(bytes)
        }
    }
}

/// Opens `path` for reading without ever blocking in `open` itself: on Unix
/// with `O_NONBLOCK`, which makes no difference to regular files but keeps
/// a FIFO that took a regular file's place from hanging the run.
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// A one-line, user-facing reason for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::InvalidData => "not valid UTF-8 text".to_owned(),
        _ => format!("cannot read: {e}"),
    }
}

fn has_data_extension(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| DATA_EXTENSIONS.iter().any(|d| d.eq_ignore_ascii_case(e)))
}

/// The stack name eksctl would have given this file: its name without the
/// last extension (`eksctl-demo-cluster.json` -> `eksctl-demo-cluster`).
pub fn stack_name_of(path: &str) -> String {
    let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    if name == "-" {
        return "stdin".to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => name.to_owned(),
    }
}

/// Recognises the documents in `bytes`. `expected` says whether text that
/// is neither JSON nor YAML is an error or merely not ours.
pub fn recognise(path: &Arc<str>, bytes: Vec<u8>, expected: bool) -> Outcome {
    recognise_as(path, bytes, expected, false)
}

/// Reads `lines` (1-based) of a file input again, for quoting findings'
/// locations after the rules ran; the text of each line without its line
/// break, `None` when the input is not a file, cannot be read, or the line
/// is missing or not UTF-8. Only files whose locations were not quoted at
/// load time (see [`SourceText::rereadable`]) are asked for.
pub fn quote_lines(input: &Input, options: &LoadOptions, lines: &[u32]) -> Vec<Option<String>> {
    let bytes = match &input.source {
        Source::File(_) => read_input(input, options).ok(),
        Source::Stdin => None,
    };
    let Some(bytes) = bytes else {
        return vec![None; lines.len()];
    };
    let index = json::LineIndex::new(&bytes);
    lines.iter().map(|&l| index.line_text(&bytes, l).map(str::to_owned)).collect()
}

fn recognise_as(path: &Arc<str>, bytes: Vec<u8>, expected: bool, rereadable: bool) -> Outcome {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let body = &bytes[bom..];
    let head = &body[..body.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Outcome::Skipped("binary file (NUL bytes)".to_owned());
    }
    let Some(&first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Outcome::Skipped("empty file".to_owned());
    };
    // Shared, not copied, with the documents read from it.
    let source = SourceText { path: path.clone(), bytes: Arc::new(bytes), rereadable };
    let body = &source.bytes[bom..];
    let result = if first == b'{' || first == b'[' {
        recognise_json(&source, bom)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => recognise_yaml(&source, text, None),
            Err(e) => Err(format!("not valid UTF-8 text (byte {})", e.valid_up_to() + bom)),
        }
    };
    match result {
        Ok(docs) if docs.is_empty() => Outcome::Skipped(not_recognised(first)),
        Ok(docs) => Outcome::Documents(docs),
        Err(message) if expected => Outcome::Error(message),
        Err(message) => Outcome::Skipped(format!("not JSON or YAML ({message})")),
    }
}

fn not_recognised(first: u8) -> String {
    let kind = if first == b'{' || first == b'[' { "JSON" } else { "YAML" };
    format!(
        "{kind} but not a CloudFormation template, get-template output, describe-cluster output or eksctl ClusterConfig"
    )
}

// ---------------------------------------------------------------- JSON --

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
    template_body: Option<&'a RawValue>,
    cluster: Option<&'a RawValue>,
    api_version: Option<&'a RawValue>,
    kind: Option<&'a RawValue>,
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
                        "TemplateBody" => &mut top.template_body,
                        "cluster" => &mut top.cluster,
                        "apiVersion" => &mut top.api_version,
                        "kind" => &mut top.kind,
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

fn json_error(e: &serde_json::Error) -> String {
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

fn positioned(text: &[u8], cursor: &mut json::Cursor, raw: &RawValue) -> Result<Node, String> {
    let offset = offset_in(text, raw);
    json::parse_positioned(raw.get().as_bytes(), cursor.pos_at(text, offset))
}

fn raw_str(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

fn recognise_json(source: &SourceText, bom: usize) -> Result<Vec<Document>, String> {
    let text: &[u8] = &source.bytes;
    let body = &text[bom..];
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(|e| json_error(&e))?;
        return Ok(Vec::new());
    }
    let mut top: TopJson<'_> = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
    let cursor = &mut json::Cursor::default();
    if let Some(resources) = top.resources.take() {
        return Ok(vec![Document::Template(json_template(source, text, cursor, &top, resources, None)?)]);
    }
    if let Some(body_raw) = top.template_body {
        return get_template_json(source, text, cursor, body_raw);
    }
    if let Some(cluster) = top.cluster {
        let node = positioned(text, cursor, cluster)?;
        if node.get("name").is_some() {
            return Ok(vec![Document::Context(ClusterContext { source: source.clone(), cluster: node })]);
        }
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
    cursor: &mut json::Cursor,
    body: &RawValue,
) -> Result<Vec<Document>, String> {
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
    let inner_source = SourceText {
        path: source.path.clone(),
        bytes: Arc::new(inner.as_bytes().to_vec()),
        rereadable: source.rereadable,
    };
    let docs = if inner.trim_start().starts_with('{') {
        recognise_json(&inner_source, 0)
    } else {
        recognise_yaml(&inner_source, &inner, Some(at))
    }
    .map_err(|e| format!("TemplateBody: {e}"))?;
    // Quote the outer file's line, and report positions at the string.
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
    cursor: &mut json::Cursor,
    top: &TopJson<'_>,
    resources: ResourcesValue<'_>,
    wrapper: Option<Wrapper>,
) -> Result<Template, String> {
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
    Ok(template)
}

/// Keeps the EKS resources among `entries` (the last of a repeated logical
/// id), positioned.
fn add_json_resources(
    template: &mut Template,
    text: &[u8],
    cursor: &mut json::Cursor,
    entries: RawEntries<'_>,
) -> Result<(), String> {
    let entries = last_of_each(entries.0, |(key, _)| key.as_ref());
    template.resource_count = entries.len();
    for (logical_id, raw) in entries {
        let bytes = raw.get().as_bytes();
        // Cheap byte-level prefilter: only resources that can be EKS types
        // are looked at any further.
        if memchr::memmem::find(bytes, b"EKS::").is_none() && memchr::memmem::find(bytes, b"AccessEntry").is_none() {
            continue;
        }
        let Ok(head) = serde_json::from_str::<ResourceHead<'_>>(raw.get()) else { continue };
        let Some(resource_type) = head.resource_type.filter(|t| is_relevant_type(t)) else { continue };
        // The key sits before the value; find its quote for the position.
        let value_at = offset_in(text, raw);
        let key_at = memchr::memrchr(b':', &text[..value_at])
            .and_then(|colon| memchr::memrchr(b'"', &text[..colon]))
            .and_then(|close| memchr::memrchr(b'"', &text[..close]))
            .unwrap_or(value_at);
        let key_pos = cursor.pos_at(text, key_at);
        let node = positioned(text, cursor, raw)?;
        template.resources.push(Resource {
            logical_id: logical_id.into_owned(),
            key_pos,
            resource_type: resource_type.into_owned(),
            node,
        });
    }
    Ok(())
}

/// A bare map of resources: every value an object whose `Type` names a
/// CloudFormation resource type (`AWS::...`, `Custom::...`).
fn json_fragment(source: &SourceText, text: &[u8], body: &[u8]) -> Result<Option<Template>, String> {
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
    add_json_resources(&mut template, text, &mut json::Cursor::default(), entries)?;
    Ok(Some(template))
}

fn is_resource_type(t: &str) -> bool {
    t.starts_with("AWS::") || t.starts_with("Custom::") || t.starts_with("Alexa::")
}

fn empty_template(source: &SourceText, format: Format, wrapper: Option<Wrapper>) -> Template {
    Template {
        source: source.clone(),
        stack_name: stack_name_of(&source.path),
        format,
        wrapper,
        description: None,
        parameters: None,
        outputs: None,
        metadata: None,
        resources: Vec::new(),
        resource_count: 0,
        fragment: false,
    }
}

/// The entries of a mapping with repeated keys dropped but for the last
/// one (the one [`Node::get`] and CloudFormation use), in source order.
fn last_of_each<T>(entries: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<T> {
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

// ---------------------------------------------------------------- YAML --

fn is_cluster_config(api_version: Option<&str>, kind: Option<&str>) -> bool {
    api_version.is_some_and(|a| a.starts_with("eksctl.io/")) && kind == Some("ClusterConfig")
}

fn recognise_yaml(source: &SourceText, text: &str, at: Option<Pos>) -> Result<Vec<Document>, String> {
    let mut docs = Vec::new();
    for node in yaml::parse_stream_with(text, yaml::Build::Templates)? {
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
        return Some(Document::Context(ClusterContext { source: source.clone(), cluster }));
    }
    let api = node.get("apiVersion").and_then(Node::as_str);
    let kind = node.get("kind").and_then(Node::as_str);
    if is_cluster_config(api, kind) {
        return Some(Document::ClusterConfig(ClusterConfigDoc { source: source.clone(), document: node }));
    }
    yaml_fragment(source, node, at)
}

/// A bare map of resources (see [`json_fragment`]).
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
        for entry in entries {
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
    }
    template
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Outcome {
        recognise(&Arc::from("t.json"), text.as_bytes().to_vec(), true)
    }

    fn template(outcome: Outcome) -> Template {
        match outcome {
            Outcome::Documents(mut docs) => match docs.remove(0) {
                Document::Template(t) => t,
                other => panic!("not a template: {other:?}"),
            },
            other => panic!("no documents: {other:?}"),
        }
    }

    const JSON: &str = r#"{
  "Description": "x [created and managed by eksctl]",
  "Resources": {
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Entry": {
      "Type": "AWS::EKS::AccessEntry",
      "Properties": {"ClusterName": "demo"}
    }
  }
}"#;

    #[test]
    fn json_template_keeps_only_eks_resources_with_positions() {
        let t = template(run(JSON));
        assert_eq!(t.resource_count, 2);
        assert_eq!(t.resources.len(), 1);
        let r = &t.resources[0];
        assert_eq!(r.logical_id, "Entry");
        assert_eq!(r.key_pos, Pos { line: 5, column: 5 });
        let name = r.node.pointer("/Properties/ClusterName").expect("ClusterName");
        assert_eq!(name.pos, Pos { line: 7, column: 37 });
        assert_eq!(t.description.as_deref(), Some("x [created and managed by eksctl]"));
    }

    #[test]
    fn get_template_string_body_is_read() {
        let wrapped = serde_json::json!({ "TemplateBody": JSON }).to_string();
        let t = template(run(&wrapped));
        assert_eq!(t.wrapper, Some(Wrapper::String(Pos { line: 1, column: 17 })));
        assert_eq!(t.resources.len(), 1);
        let yaml_body = "Resources:\n  C:\n    Type: AWS::EKS::Cluster\n";
        let wrapped = serde_json::json!({ "TemplateBody": yaml_body }).to_string();
        assert_eq!(template(run(&wrapped)).resources[0].resource_type, "AWS::EKS::Cluster");
    }

    #[test]
    fn get_template_object_body_is_read() {
        let wrapped = format!(r#"{{"TemplateBody": {JSON}, "StagesAvailable": ["Original"]}}"#);
        let t = template(run(&wrapped));
        assert_eq!(t.wrapper, Some(Wrapper::Object));
        assert_eq!(t.resources[0].logical_id, "Entry");
    }

    #[test]
    fn other_documents_are_skipped_with_a_reason() {
        assert!(matches!(run("[1, 2]"), Outcome::Skipped(_)));
        assert!(matches!(run("{\"a\": 1}"), Outcome::Skipped(_)));
        assert!(matches!(run("kind: Deployment\n"), Outcome::Skipped(_)));
        assert!(matches!(run("   \n"), Outcome::Skipped(r) if r == "empty file"));
        assert!(matches!(run("{\"a\": \0}"), Outcome::Skipped(r) if r.starts_with("binary")));
    }

    #[test]
    fn broken_json_is_an_error_with_a_position() {
        match run("{\n  \"Resources\": {,\n}") {
            Outcome::Error(message) => assert_eq!(message, "invalid JSON: key must be a string at line 2 column 17"),
            other => panic!("{other:?}"),
        }
        // Not ours when it was only met in a walk and has no data extension.
        let outcome = recognise(&Arc::from("notes.txt"), b"{ nope".to_vec(), false);
        assert!(matches!(outcome, Outcome::Skipped(_)));
    }

    #[test]
    fn describe_cluster_and_cluster_config_are_recognised() {
        let ctx = r#"{"cluster": {"name": "demo", "accessConfig": {"authenticationMode": "API"}}}"#;
        assert!(matches!(run(ctx), Outcome::Documents(d) if matches!(d[0], Document::Context(_))));
        let cfg = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: demo\n";
        assert!(matches!(run(cfg), Outcome::Documents(d) if matches!(d[0], Document::ClusterConfig(_))));
    }

    #[test]
    fn bom_and_invalid_utf8() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(JSON.as_bytes());
        let t = template(recognise(&Arc::from("t.json"), bytes.to_vec(), true));
        assert_eq!(t.resources.len(), 1);
        let bad = recognise(&Arc::from("t.yaml"), b"a: \xff\xfe\n".to_vec(), true);
        assert!(matches!(bad, Outcome::Error(m) if m.starts_with("not valid UTF-8")));
    }

    #[test]
    fn bare_resource_maps_are_template_fragments() {
        let json = r#"{"LT": {"Type": "AWS::EC2::LaunchTemplate"}, "NG": {"Type": "AWS::EKS::Nodegroup"}}"#;
        let t = template(run(json));
        assert!(t.fragment);
        assert_eq!((t.resource_count, t.resources.len()), (2, 1));
        let t = template(run("LT:\n  Type: AWS::EC2::LaunchTemplate\nE:\n  Type: AWS::EKS::AccessEntry\n"));
        assert!(t.fragment);
        assert_eq!(t.resources[0].logical_id, "E");
        assert!(matches!(run(r#"{"a": {"Type": "x"}}"#), Outcome::Skipped(_)));
    }

    #[test]
    fn repeated_keys_keep_the_last_value_in_json_and_yaml() {
        let json = r#"{"Resources": {"A": {"Type": "AWS::S3::Bucket"}},
            "Resources": {"E": {"Type": "AWS::EKS::Cluster"}, "E": {"Type": "AWS::EKS::AccessEntry"}}}"#;
        let t = template(run(json));
        assert_eq!(t.resource_count, 1);
        assert_eq!(t.resources.len(), 1);
        assert_eq!(t.resources[0].resource_type, "AWS::EKS::AccessEntry");
        assert_eq!(t.resources[0].key_pos, Pos { line: 2, column: 63 });
        let yaml = "Resources:\n  E: {Type: AWS::EKS::Cluster}\n  E: {Type: AWS::EKS::AccessEntry}\n";
        let t = template(recognise(&Arc::from("t.yaml"), yaml.as_bytes().to_vec(), true));
        assert_eq!(t.resource_count, 1);
        assert_eq!(t.resources[0].resource_type, "AWS::EKS::AccessEntry");
        assert_eq!(t.resources[0].key_pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn deep_json_inside_any_value_is_not_a_crash() {
        let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(300_000), close.repeat(300_000));
        // Validated without recursion where no tree is built.
        let ignored = format!(r#"{{"Resources": {{}}, "Other": {}}}"#, deep("[", "]"));
        assert_eq!(template(run(&ignored)).resources.len(), 0);
        assert!(matches!(run(&deep("[", "]")), Outcome::Skipped(_)));
        assert!(matches!(run(&deep("{\"a\":", "}")), Outcome::Skipped(_)));
        // Where a tree is built, too deep is an error with a position.
        let eks = format!(r#"{{"Resources": {{"C": {{"Type": "AWS::EKS::Cluster", "P": {}}}}}}}"#, deep("[", "]"));
        match run(&eks) {
            Outcome::Error(m) => assert!(m.starts_with("JSON nested deeper than 256 levels"), "{m}"),
            other => panic!("{other:?}"),
        }
        let params = format!(r#"{{"Resources": {{}}, "Parameters": {}}}"#, deep("{\"a\":", "}"));
        assert!(matches!(run(&params), Outcome::Error(m) if m.contains("at line 1 column")));
    }

    #[test]
    fn many_resources_load_in_linear_time() {
        // Position look-ups used to rescan from the start of the file.
        let n = 50_000;
        let entries: Vec<String> =
            (0..n).map(|i| format!(r#""E{i}": {{"Type": "AWS::EKS::AccessEntry", "Properties": {{}}}}"#)).collect();
        let json = format!("{{\"Resources\": {{{}}}}}", entries.join(",\n"));
        let started = std::time::Instant::now();
        let t = template(run(&json));
        assert_eq!(t.resources.len(), n);
        assert_eq!(t.resources[n - 1].key_pos, Pos { line: n as u32, column: 1 });
        assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    }

    #[test]
    fn stack_names_come_from_file_names() {
        assert_eq!(stack_name_of("a/b/eksctl-demo-cluster.json"), "eksctl-demo-cluster");
        assert_eq!(stack_name_of("x.tgz!t/eksctl-demo-nodegroup-ng-1.yaml"), "eksctl-demo-nodegroup-ng-1");
        assert_eq!(stack_name_of("-"), "stdin");
        assert_eq!(stack_name_of("noext"), "noext");
    }
}
