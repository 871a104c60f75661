//! Users' AWS CloudFormation Guard rules, run beside the built-in rules.
//!
//! The only module that calls the `cfn-guard` crate. Takes the text of
//! `.guard` files, each template (re-read from its source, and only when
//! Guard rules are given, so a scan without them pays nothing) and the
//! correlated [`Model`]; gives [`Finding`]s, one per failing Guard rule and
//! resource, located by eksguard's own loader. A template Guard cannot
//! take (nested deeper than [`GUARD_MAX_DEPTH`], unreadable as a whole) or
//! fails on is one `note` finding on that template naming Guard as the
//! cause ([`NOT_CHECKED`]): the file is still counted once, as analysed,
//! with its built-in findings. Before evaluation every resource gets the cross-stack facts
//! under `Metadata.EksGuard` (see `rules/guard.md`), so a Guard rule can
//! say what Guard alone cannot know, e.g. that an access entry's target
//! cluster is CONFIG_MAP.
//!
//! Severity is `error` unless a comment `# eksguard-severity: LEVEL` stands
//! in the comment lines right above `rule NAME`.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value as Json, json};

use crate::correlate::{Model, Target};
use crate::facts::Locator;
use crate::finding::Location;
use crate::load::node::{Node, Value};
use crate::load::{Template, Wrapper, json_tree as json_reader, yaml_tree};

use super::{Finding, Severity};

/// The reserved key, under each resource's `Metadata`.
pub const FACTS_KEY: &str = "EksGuard";

/// The `name` of every Guard finding.
pub const FINDING_NAME: &str = "guard";

/// The rule id of the note on a template Guard did not check.
pub const NOT_CHECKED: &str = "guard-not-checked";

/// Deepest nesting Guard takes in a data document, the root counted:
/// cfn-guard 3.2 reads data with `serde_yaml`, whose recursion limit is
/// 128 ("Error parsing incoming YAML context recursion limit exceeded").
/// A deeper template is not given to Guard.
pub const GUARD_MAX_DEPTH: usize = 128;

/// One parsed `.guard` file.
#[derive(Debug, Clone)]
pub struct GuardFile {
    pub path: String,
    text: String,
    /// Rule name -> severity from the comment convention.
    severities: HashMap<String, Severity>,
}

/// Every Guard file given with `--guard-rules`.
#[derive(Debug, Clone, Default)]
pub struct GuardRules {
    pub files: Vec<GuardFile>,
}

impl GuardRules {
    /// The `(name, file)` of every Guard rule, in file order.
    pub fn names(&self) -> Vec<(String, &str)> {
        self.files.iter().flat_map(|f| rule_names(&f.text).into_iter().map(move |n| (n, f.path.as_str()))).collect()
    }

    /// The default severity of the Guard rule `name` of `file`.
    pub fn severity_of(&self, name: &str, file: &str) -> Severity {
        self.files
            .iter()
            .find(|f| f.path == file)
            .and_then(|f| f.severities.get(name).copied())
            .unwrap_or(Severity::Error)
    }
}

/// The names of the `rule NAME` lines of a Guard file.
fn rule_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("rule "))
        .map(|rest| rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect::<String>())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Why a Guard rule file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Guard cannot parse the file: its message, with the line where it
    /// gives one.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// An `# eksguard-severity:` comment names no severity.
    #[error("{file}: line {line}: {message}")]
    Severity { file: String, line: usize, message: String },
}

/// The command line reports every error as its one-line text.
impl From<GuardError> for String {
    fn from(e: GuardError) -> Self {
        e.to_string()
    }
}

impl GuardRules {
    /// Parses `(path, text)` pairs; a file Guard cannot parse is an error
    /// naming the file and, where Guard says, the line.
    pub fn parse(files: Vec<(String, String)>) -> Result<Self, GuardError> {
        let mut out = Vec::new();
        for (path, text) in files {
            // Guard parses the rules before it looks at the data, so
            // evaluating against an empty document checks the syntax.
            match run_guard("{}", "syntax-check", &text, &path) {
                Ok(_) => {}
                Err(message) => {
                    return Err(GuardError::Syntax { file: path, message: tidy_parse_error(&message) });
                }
            }
            let severities = severities(&text).map_err(|(line, message)| GuardError::Severity {
                file: path.clone(),
                line,
                message,
            })?;
            out.push(GuardFile { path, text, severities });
        }
        Ok(Self { files: out })
    }
}

/// Reads `# eksguard-severity: LEVEL` comments that precede `rule NAME`;
/// an error gives the line and what is wrong there.
fn severities(text: &str) -> Result<HashMap<String, Severity>, (usize, String)> {
    let mut out = HashMap::new();
    let mut pending = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(level) = comment.trim().strip_prefix("eksguard-severity:") {
                pending = Some(level.trim().parse::<Severity>().map_err(|e| (i + 1, e))?);
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("rule ") {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect();
            if let Some(level) = pending {
                out.insert(name, level);
            }
        }
        pending = None;
    }
    Ok(out)
}

/// Runs Guard on one data document, catching its panics.
fn run_guard(data: &str, data_name: &str, rules: &str, rules_name: &str) -> Result<String, String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        cfn_guard::run_checks(
            cfn_guard::ValidateInput { content: data, file_name: data_name },
            cfn_guard::ValidateInput { content: rules, file_name: rules_name },
            false,
        )
    }));
    match result {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => Err(one_line(&e.to_string())),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(format!("cfn-guard panicked: {}", one_line(&what)))
        }
    }
}

/// Guard's parse errors repeat themselves ("Parser Error when parsing
/// `Parser Error ... at line 2 at column 17, when handling ...`"): keep the
/// position and the reason.
fn tidy_parse_error(message: &str) -> String {
    let Some(at) = message.find(" at line ") else { return message.to_owned() };
    let rest = &message[at + 1..];
    let rest = rest.trim_end_matches(['`', ' ']);
    let rest = rest.trim_end_matches(", fragment").trim_end_matches(", fragment `");
    format!("Guard syntax error {rest}")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a sweep keeps of one template until Guard runs, after the
/// cross-stack facts are known: its identity and, only when it cannot be
/// read again (standard input, an archive entry), its text. A file is read
/// again when Guard runs ([`crate::load::reread`]), so that Guard's memory
/// does not grow with the number of templates; its length and a hash of
/// its text are kept so that a file changed since is not checked against
/// facts taken from the old text.
#[derive(Debug)]
pub struct Pending {
    path: Arc<str>,
    stack_name: String,
    fragment: bool,
    wrapper: Option<Wrapper>,
    text: PendingText,
    stamp: (usize, u64),
}

/// Where a waiting template's text comes from when Guard runs.
#[derive(Debug)]
enum PendingText {
    /// Its file, read again.
    Reread(crate::load::Input),
    /// Kept from the sweep: standard input and archive entries cannot be
    /// read again cheaply.
    Kept(crate::load::SourceText),
}

/// A cheap fingerprint of a template's text.
fn stamp(bytes: &[u8]) -> (usize, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    (bytes.len(), h.finish())
}

/// What to keep of `t`, read from `input`, until Guard runs.
pub fn pending(t: &Template, input: &crate::load::Input) -> Pending {
    let reread = t.source.rereadable && matches!(input.source, crate::load::Source::File(_));
    pending_as(t, if reread { PendingText::Reread(input.clone()) } else { PendingText::Kept(t.source.clone()) })
}

fn pending_as(t: &Template, text: PendingText) -> Pending {
    Pending {
        path: t.source.path.clone(),
        stack_name: t.stack_name.clone(),
        fragment: t.fragment,
        wrapper: t.wrapper,
        text,
        stamp: stamp(&t.source.bytes),
    }
}

/// Guard's findings on `t` now, from the text in hand, with no facts beside
/// its resources: for a template whose input has none, which would be
/// checked with an empty model anyway. Nothing is kept for later, so a
/// sweep's Guard memory holds only the templates that have facts.
pub fn check_now(rules: &GuardRules, t: &Template) -> Vec<Finding> {
    let pending = pending_as(t, PendingText::Kept(t.source.clone()));
    check(rules, &prepare(&pending, None), &FactIndex::new(&Model::default()))
}

impl Pending {
    /// The template's file (or archive entry), as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The template's path, shared.
    pub fn shared_path(&self) -> &Arc<str> {
        &self.path
    }

    /// The input to read again before [`prepare`], if its text was not kept.
    pub fn to_reread(&self) -> Option<&crate::load::Input> {
        match &self.text {
            PendingText::Reread(input) => Some(input),
            PendingText::Kept(_) => None,
        }
    }
}

/// A template ready for Guard: its whole tree, re-read from the source.
#[derive(Debug)]
pub struct Prepared {
    path: Arc<str>,
    stack_name: String,
    fragment: bool,
    root: Node,
    source: crate::load::SourceText,
    wrapper: Option<Wrapper>,
    /// Why Guard does not see this template, if it does not.
    not_checked: Option<String>,
}

/// Reads the whole template (the loader keeps only EKS resources) from the
/// kept text or, for a file, from `reread` (its text read again; `None` when
/// it could not be). A template that cannot be read whole, is deeper than
/// Guard takes, or changed since it was scanned, is prepared as not
/// checked, with the reason.
pub fn prepare(t: &Pending, reread: Option<crate::load::SourceText>) -> Prepared {
    let kept = match &t.text {
        PendingText::Kept(source) => Some(source.clone()),
        PendingText::Reread(_) => None,
    };
    let Some(source) = kept.or(reread) else {
        let reason = "the file could not be read again for Guard, so Guard was not run on it".to_owned();
        return unchecked(t, empty_source(t), reason);
    };
    if stamp(&source.bytes) != t.stamp {
        let reason = "the file changed while eksguard ran, so Guard was not run on it".to_owned();
        return unchecked(t, source, reason);
    }
    let (root, not_checked) = match read_whole(&source, t.wrapper) {
        Ok(root) if depth(&root) > GUARD_MAX_DEPTH => (
            Node::new(root.pos, Value::Null),
            Some(format!(
                "the template is nested deeper than the {GUARD_MAX_DEPTH} levels Guard (cfn-guard) reads, \
                 so Guard was not run on it"
            )),
        ),
        Ok(root) => (root, None),
        Err(e) => (
            Node::new(crate::load::node::Pos::default(), Value::Null),
            Some(format!("the template cannot be read whole for Guard ({e}), so Guard was not run on it")),
        ),
    };
    Prepared {
        path: t.path.clone(),
        stack_name: t.stack_name.clone(),
        fragment: t.fragment,
        root,
        source,
        wrapper: t.wrapper,
        not_checked,
    }
}

/// `t` prepared as not checked, for `reason`.
fn unchecked(t: &Pending, source: crate::load::SourceText, reason: String) -> Prepared {
    Prepared {
        path: t.path.clone(),
        stack_name: t.stack_name.clone(),
        fragment: t.fragment,
        root: Node::new(crate::load::node::Pos::default(), Value::Null),
        source,
        // Located at the start of the file, not inside a wrapper.
        wrapper: None,
        not_checked: Some(reason),
    }
}

fn empty_source(t: &Pending) -> crate::load::SourceText {
    crate::load::SourceText { path: t.path.clone(), bytes: Arc::new(Vec::new()), rereadable: false }
}

/// Nesting depth of a tree, the root counted (without recursion: the tree
/// may be as deep as the readers allow).
fn depth(root: &Node) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(root, 1_usize)];
    while let Some((node, d)) = stack.pop() {
        match &node.value {
            Value::Seq(items) => {
                deepest = deepest.max(d);
                stack.extend(items.iter().map(|n| (n, d + 1)));
            }
            Value::Map(entries) => {
                deepest = deepest.max(d);
                stack.extend(entries.iter().map(|e| (&e.value, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

fn read_whole(source: &crate::load::SourceText, wrapper: Option<Wrapper>) -> Result<Node, String> {
    let bytes: &[u8] = &source.bytes;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let mut root = parse_any(body)?;
    match wrapper {
        Some(Wrapper::Object) => root = take(root, "TemplateBody").ok_or("no TemplateBody")?,
        Some(Wrapper::String(_)) => {
            let inner = root.get("TemplateBody").and_then(Node::as_str).ok_or("no TemplateBody")?.to_owned();
            root = parse_any(inner.as_bytes())?;
        }
        None => {}
    }
    Ok(root)
}

fn parse_any(body: &[u8]) -> Result<Node, String> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return json_reader::parse_positioned(body, crate::load::node::Pos { line: 1, column: 1 })
            .map_err(|e| e.to_string());
    }
    let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    // A stream of several templates is rare: Guard sees the first one.
    yaml_tree::parse_stream(text)
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|n| n.as_map().is_some())
        .ok_or_else(|| "no YAML mapping".to_owned())
}

fn take(node: Node, key: &str) -> Option<Node> {
    match node.value {
        Value::Map(entries) => entries.into_iter().rev().find(|e| e.key == key).map(|e| e.value),
        _ => None,
    }
}

/// Interned Guard rule names: `Finding::rule` is `&'static str`, and a run
/// sees only the few names its rule files declare.
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeMap<String, &'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(s) = names.get(name) {
        return s;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(name.to_owned(), leaked);
    leaked
}

/// Evaluates every Guard file against every prepared template.
pub fn evaluate(rules: &GuardRules, templates: &[Prepared], model: &Model) -> Vec<Finding> {
    use rayon::prelude::*;
    let facts = FactIndex::new(model);
    let results: Vec<_> = templates.par_iter().map(|t| check(rules, t, &facts)).collect();
    results.into_iter().flatten().collect()
}

/// The note on a template Guard did not check, at its start.
fn not_checked(t: &Prepared, locator: &Locator<'_>, reason: &str) -> Finding {
    Finding {
        rule: NOT_CHECKED,
        name: FINDING_NAME,
        severity: Severity::Note,
        message: format!("Guard rules were not checked on this template: {reason}; eksguard's built-in rules were"),
        location: resource_location(t, locator, None),
        stack: Some(t.stack_name.clone()),
        cluster: None,
        resource: None,
        related: Vec::new(),
        remediation: "Check this template with `cfn-guard validate` on its own, or flatten its deepest nesting.".into(),
        cluster_named_at_deploy: false,
    }
}

/// Evaluates every Guard file against one prepared template, with the
/// cross-stack facts of `facts`.
pub fn check(rules: &GuardRules, t: &Prepared, facts: &FactIndex<'_>) -> Vec<Finding> {
    let locator = Locator::new(&t.source, t.wrapper);
    if let Some(reason) = &t.not_checked {
        return vec![not_checked(t, &locator, reason)];
    }
    let data = guard_document(t, facts).to_string();
    let mut findings = Vec::new();
    for file in &rules.files {
        let output = match run_guard(&data, &t.path, &file.text, &file.path) {
            Ok(o) => o,
            Err(message) => {
                let reason = format!("Guard (cfn-guard) failed on it with rules {}: {message}", file.path);
                findings.push(not_checked(t, &locator, &reason));
                continue;
            }
        };
        let Ok(report) = serde_json::from_str::<Json>(&output) else {
            if !output.trim().is_empty() {
                let reason = format!("Guard (cfn-guard) gave output eksguard cannot read with rules {}", file.path);
                findings.push(not_checked(t, &locator, &reason));
            }
            continue;
        };
        for failed in report["not_compliant"].as_array().into_iter().flatten() {
            let Some(rule) = failed.get("Rule") else { continue };
            let Some(name) = rule["name"].as_str() else { continue };
            let mut messages = Vec::new();
            let mut resources = Vec::new();
            collect(rule, &mut messages, &mut resources, t.fragment);
            if resources.is_empty() {
                resources.push(None);
            }
            resources.sort();
            resources.dedup();
            let message = messages.first().cloned().unwrap_or_else(|| format!("Guard rule `{name}` failed"));
            for logical_id in resources {
                let location = resource_location(t, &locator, logical_id.as_deref());
                findings.push(Finding {
                    rule: intern(name),
                    name: FINDING_NAME,
                    severity: file.severities.get(name).copied().unwrap_or(Severity::Error),
                    message: message.clone(),
                    location,
                    stack: Some(t.stack_name.clone()),
                    cluster: None,
                    cluster_named_at_deploy: false,
                    resource: logical_id,
                    related: Vec::new(),
                    remediation: format!("See Guard rule `{name}` in {}.", file.path).into(),
                });
            }
        }
    }
    findings
}

/// Gathers custom messages and the resources named by failing checks.
fn collect(v: &Json, messages: &mut Vec<String>, resources: &mut Vec<Option<String>>, fragment: bool) {
    match v {
        Json::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("custom_message", Json::String(m)) => {
                        let m = one_line(m);
                        if !m.is_empty() && !messages.contains(&m) {
                            messages.push(m);
                        }
                    }
                    ("path", Json::String(p)) => {
                        let mut tokens = p.trim_start_matches('/').split('/');
                        let id = if fragment {
                            tokens.next()
                        } else {
                            tokens.next().filter(|t| *t == "Resources").and_then(|_| tokens.next())
                        };
                        if let Some(id) = id.filter(|s| !s.is_empty()) {
                            resources.push(Some(id.to_owned()));
                        }
                    }
                    _ => collect(v, messages, resources, fragment),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| collect(i, messages, resources, fragment)),
        _ => {}
    }
}

fn resources_of(t: &Prepared) -> Option<&Node> {
    if t.fragment { Some(&t.root) } else { t.root.get("Resources") }
}

fn resource_location(t: &Prepared, locator: &Locator<'_>, logical_id: Option<&str>) -> Location {
    let entry = logical_id.and_then(|id| resources_of(t).and_then(|r| r.entry(id)));
    match entry {
        Some(e) if t.fragment => locator.at(&[e.key.as_str()], e.key_pos),
        Some(e) => locator.at(&["Resources", e.key.as_str()], e.key_pos),
        None => locator.at(&[], t.root.pos),
    }
}

/// The cross-stack facts of each resource, by (path, stack, logical id),
/// worked out from the model when Guard reads the resource's template:
/// nothing is built ahead for every resource of a sweep.
#[derive(Debug)]
pub struct FactIndex<'m> {
    model: &'m Model,
    /// The stacks of each (path, stack name), in model order.
    stacks: HashMap<(&'m str, &'m str), Vec<usize>>,
    /// The access entries of each stack (indices into the model's), in
    /// model order.
    entries: HashMap<usize, Vec<usize>>,
    entries_per_cluster: HashMap<usize, usize>,
}

impl<'m> FactIndex<'m> {
    /// The index of `model`'s stacks and entries.
    pub fn new(model: &'m Model) -> Self {
        let mut stacks: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (si, s) in model.stacks.iter().enumerate() {
            stacks.entry((&*s.path, s.stack_name.as_str())).or_default().push(si);
        }
        let mut entries: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut entries_per_cluster: HashMap<usize, usize> = HashMap::new();
        for (k, e) in model.entries.iter().enumerate() {
            entries.entry(e.stack).or_default().push(k);
            if let Target::Cluster { cluster, .. } = e.target {
                *entries_per_cluster.entry(cluster).or_default() += 1;
            }
        }
        Self { model, stacks, entries, entries_per_cluster }
    }

    /// The facts Guard sees beside resource `id` of stack `stack_name` in
    /// `path`: an access entry's, else a cluster's (the last one met when
    /// several documents of a file share a stack name).
    fn of(&self, path: &str, stack_name: &str, id: &str) -> Option<Json> {
        let model = self.model;
        let stacks = self.stacks.get(&(path, stack_name))?;
        // The last one in model order, as a map filled in that order keeps.
        let entry = stacks
            .iter()
            .filter_map(|si| self.entries.get(si))
            .flatten()
            .copied()
            .filter(|&k| model.entry(&model.entries[k]).logical_id == id)
            .max();
        if let Some(k) = entry {
            return Some(self.entry_facts(&model.entries[k]));
        }
        let (si, ci) = stacks
            .iter()
            .rev()
            .find_map(|&si| model.stacks[si].clusters.iter().rposition(|c| c.logical_id == id).map(|ci| (si, ci)))?;
        Some(self.cluster_facts(si, ci))
    }

    fn cluster_facts(&self, si: usize, ci: usize) -> Json {
        let model = self.model;
        let c = &model.stacks[si].clusters[ci];
        let d = crate::correlate::DefinitionRef { stack: si, index: ci };
        let cluster = model.cluster_of(d);
        let mut facts = Map::new();
        facts.insert("Name".into(), json!(c.name));
        if let Some(eff) = cluster.and_then(|i| model.effective(i, Some(d))) {
            facts.insert("AuthenticationMode".into(), json!(eff.mode.mode.as_ref().map(|m| m.as_str())));
            facts.insert("ModeSource".into(), json!(eff.mode.source.slug()));
        }
        facts.insert(
            "AccessEntries".into(),
            json!(cluster.and_then(|i| self.entries_per_cluster.get(&i)).copied().unwrap_or(0)),
        );
        Json::Object(facts)
    }

    fn entry_facts(&self, e: &crate::correlate::EntryRef) -> Json {
        let model = self.model;
        let entry = model.entry(e);
        let target = match &e.target {
            Target::Cluster { cluster, definition } => {
                let eff = model.effective(*cluster, *definition);
                let defined_in = definition
                    .or_else(|| model.clusters[*cluster].definitions.first().copied())
                    .map(|d| model.stack(d.stack).stack_name.clone());
                json!({
                    "Resolved": eff.is_some_and(|m| m.mode.mode.is_some()),
                    "Name": model.clusters[*cluster].name,
                    "AuthenticationMode": eff.and_then(|m| m.mode.mode.as_ref().map(|m| m.as_str().to_owned())),
                    "ModeSource": eff.map(|m| m.mode.source.slug()),
                    "Stack": defined_in,
                })
            }
            Target::Missing { name, why } => json!({"Resolved": false, "Name": name, "Why": why}),
        };
        json!({
            "TargetCluster": target,
            "Principal": entry.principal.as_ref().filter(|p| p.literal).map(|p| p.key.clone()),
            "Type": entry.entry_type,
        })
    }
}

/// The template as Guard sees it: every resource with `Metadata.EksGuard`.
fn guard_document(t: &Prepared, facts: &FactIndex<'_>) -> Json {
    let mut root = to_json(&t.root);
    let resources = if t.fragment { Some(&mut root) } else { root.get_mut("Resources") };
    if let Some(Json::Object(resources)) = resources {
        for (id, resource) in resources.iter_mut() {
            let Json::Object(resource) = resource else { continue };
            let mut injected = match facts.of(&t.path, &t.stack_name, id) {
                Some(Json::Object(m)) => m,
                _ => Map::new(),
            };
            injected.insert("Stack".into(), json!(t.stack_name));
            let metadata = resource.entry("Metadata").or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = metadata {
                m.insert(FACTS_KEY.into(), Json::Object(injected));
            }
        }
    }
    root
}

fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => n.parse::<serde_json::Number>().map_or_else(|_| Json::String(n.clone()), Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(entries.iter().map(|e| (e.key.clone(), to_json(&e.value))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_comments_apply_to_the_next_rule() {
        let text = "# eksguard-severity: warning\n# more words\nrule a when x exists { x == 1 }\nrule b { y == 2 }\n";
        let s = severities(text).expect("ok");
        assert_eq!(s.get("a"), Some(&Severity::Warning));
        assert_eq!(s.get("b"), None);
        assert!(severities("# eksguard-severity: fatal\nrule a {}\n").is_err());
    }

    #[test]
    fn unparsable_rules_are_errors_naming_the_file() {
        let err = GuardRules::parse(vec![("x.guard".into(), "rule broken {\n  Resources.* ==\n".into())])
            .expect_err("must not parse");
        assert!(matches!(&err, GuardError::Syntax { file, .. } if file == "x.guard"), "{err}");
        assert!(err.to_string().starts_with("x.guard: "), "{err}");
        let bad_level = GuardRules::parse(vec![(
            "y.guard".into(),
            "# eksguard-severity: fatal\nrule a {\n  Resources exists\n}\n".into(),
        )]);
        assert!(matches!(bad_level, Err(GuardError::Severity { line: 1, .. })));
    }

    #[test]
    fn a_file_is_read_again_for_guard_and_a_changed_one_is_not_checked() {
        let text = b"Resources:\n  B:\n    Type: AWS::S3::Bucket\n".to_vec();
        let source = |bytes: &[u8]| crate::load::SourceText {
            path: Arc::from("t.yaml"),
            bytes: Arc::new(bytes.to_vec()),
            rereadable: true,
        };
        let input = crate::load::Input {
            path: Arc::from("t.yaml"),
            source: crate::load::Source::File(None),
            explicit: true,
            role: crate::load::Role::Scanned,
            stack: None,
        };
        let pending = Pending {
            path: Arc::from("t.yaml"),
            stack_name: "t".into(),
            fragment: false,
            wrapper: None,
            text: PendingText::Reread(input),
            stamp: stamp(&text),
        };
        assert!(pending.to_reread().is_some(), "a file's text is not kept");
        let same = prepare(&pending, Some(source(&text)));
        assert_eq!(same.not_checked, None);
        assert!(same.root.get("Resources").is_some());
        let changed = prepare(&pending, Some(source(b"Resources: {}\n")));
        assert!(changed.not_checked.is_some_and(|r| r.contains("changed while eksguard ran")));
        let gone = prepare(&pending, None);
        assert!(gone.not_checked.is_some_and(|r| r.contains("could not be read again")));
    }

    #[test]
    fn guards_depth_limit_is_found_before_guard_runs() {
        let rules = "rule r {\n  Resources.*.Type exists\n}\n";
        // Root, Resources, E, Properties, X: 4 maps, then the arrays.
        let data = |arrays: usize| {
            let inner = format!("{}1{}", "[".repeat(arrays), "]".repeat(arrays));
            format!(r#"{{"Resources": {{"E": {{"Type": "AWS::S3::Bucket", "Properties": {{"X": {inner}}}}}}}}}"#)
        };
        let fits = data(GUARD_MAX_DEPTH - 4);
        let node = json_reader::parse_positioned(fits.as_bytes(), crate::load::node::Pos::default()).expect("json");
        assert_eq!(depth(&node), GUARD_MAX_DEPTH);
        assert!(run_guard(&fits, "t.json", rules, "r.guard").is_ok());
        let deeper = data(GUARD_MAX_DEPTH - 3);
        let node = json_reader::parse_positioned(deeper.as_bytes(), crate::load::node::Pos::default()).expect("json");
        assert_eq!(depth(&node), GUARD_MAX_DEPTH + 1);
        let err = run_guard(&deeper, "t.json", rules, "r.guard").expect_err("Guard's limit");
        assert!(err.contains("recursion limit"), "{err}");
    }

    #[test]
    fn guard_output_shape() {
        let data = r#"{"Resources": {"E": {"Type": "AWS::EKS::AccessEntry", "Properties": {"Type": "EC2_LINUX"}}}}"#;
        let rules = "rule no_linux {\n  Resources.*[ Type == 'AWS::EKS::AccessEntry' ].Properties.Type != 'EC2_LINUX'\n  <<entry is linux>>\n}\n";
        let out = run_guard(data, "t.json", rules, "r.guard").expect("runs");
        let v: Json = serde_json::from_str(&out).expect("json");
        let mut messages = Vec::new();
        let mut resources = Vec::new();
        collect(&v["not_compliant"][0]["Rule"], &mut messages, &mut resources, false);
        assert_eq!(messages, vec!["entry is linux".to_owned()], "{out}");
        assert_eq!(resources, vec![Some("E".to_owned())], "{out}");
    }
}
