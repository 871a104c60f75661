//! The SARIF 2.1.0 report, for GitHub code scanning and other SARIF tools.
//!
//! One run; `tool.driver` lists every built-in rule (short description from
//! the registry, full description and help from `rules/<ID>.md`), then the
//! Guard rules that found something, and every result points at its rule
//! with `ruleIndex`. Each finding is a result with one physical location
//! relative to `%SRCROOT%`, the working directory (`./` dropped; absolute
//! paths outside it become `file://` URIs), its cross-stack evidence as
//! related locations, and a `partialFingerprints` entry from
//! [`crate::finding::fingerprint`], which survives line shifts. Input
//! errors are tool execution notifications, and the invocation is not
//! successful when there are any (exit code 2). Archive entries keep their
//! `ARCHIVE!entry` path; standard input is `stdin` with a description,
//! unless `--stdin-filename` names it. Text a viewer shows (messages,
//! snippets, names) is [`crate::finding::visible`]: no control characters.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::finding::{Finding, Location, Severity, Visible, fingerprint, visible};
use crate::rules::{REGISTRY, Rule};

use super::{RenderOptions, Report, host_path};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/eksguard/eksguard";
/// The key of eksguard's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "eksguard/v1";
const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // The log around the results is built whole; the results, one per
    // finding, are written as they are made, so that a large sweep's log
    // never holds them all.
    let base = options.base.as_deref();
    let guard = guard_rules(report);
    let log = skeleton(report, &guard, base, Value::String(RESULTS.to_owned()));
    let results = std::cell::RefCell::new(Some(results(report, &guard, base)));
    serde_json::to_writer_pretty(&mut *out, &Streamed { value: &log, results: &results })?;
    out.write_all(b"\n")
}

/// The SARIF log as a JSON value; `base` is the working directory.
pub fn document(report: &Report, base: Option<&str>) -> Value {
    let guard = guard_rules(report);
    let results = results(report, &guard, base).collect();
    skeleton(report, &guard, base, Value::Array(results))
}

/// Where [`render`]'s log has its results: a string no log holds.
const RESULTS: &str = "\u{0}results";

/// A log serialised as [`Value`] serialises it, with the results taken from
/// the iterator where [`RESULTS`] stands.
struct Streamed<'a, I> {
    value: &'a Value,
    results: &'a std::cell::RefCell<Option<I>>,
}

impl<I: Iterator<Item = Value>> serde::Serialize for Streamed<'_, I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        let inner = |value| Streamed { value, results: self.results };
        match self.value {
            Value::String(s) if s == RESULTS => {
                serializer.collect_seq(self.results.borrow_mut().take().into_iter().flatten())
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&inner(item))?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, &inner(value))?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// The Guard rules that found something, by id, each with its first
/// finding: they are known by the findings they gave (id, the Guard rule's
/// name, and the file it is in, from the remediation).
fn guard_rules(report: &Report) -> Vec<Finding> {
    let mut guard = std::collections::BTreeMap::new();
    for f in report.findings.iter().filter(|f| !REGISTRY.iter().any(|r| r.id == f.rule)) {
        guard.entry(f.rule).or_insert(f);
    }
    guard.into_values().collect()
}

/// Every result, in order: the findings, then the suppressed ones, marked as
/// suppressed in the source with their reason (SARIF §3.35).
fn results<'a>(report: &'a Report, guard: &'a [Finding], base: Option<&'a str>) -> impl Iterator<Item = Value> + 'a {
    let suppressed = report.suppressed.iter().map(|s| (s.finding.clone(), Some(&s.justification)));
    report.findings.iter().map(|f| (f, None)).chain(suppressed).map(move |(f, justification)| {
        let f = &f;
        let index = REGISTRY
            .iter()
            .position(|r| r.id == f.rule)
            .or_else(|| guard.iter().position(|g| g.rule == f.rule).map(|i| REGISTRY.len() + i));
        let mut result = json!({
            "ruleId": f.rule,
            "level": level(f.severity),
            "message": { "text": visible(&f.message) },
            "locations": [location(&f.location, None, base)],
            "partialFingerprints": { FINGERPRINT_KEY: fingerprint(f) },
            "properties": { "remediation": visible(&f.remediation.text()) },
        });
        if let Some(index) = index {
            result["ruleIndex"] = json!(index);
        }
        if let Some(justification) = justification {
            let mut suppression = json!({ "kind": "inSource" });
            if let Some(reason) = justification {
                suppression["justification"] = json!(reason);
            }
            result["suppressions"] = json!([suppression]);
        }
        if let Some(resource) = &f.resource {
            let qualified = match &f.stack {
                Some(stack) => format!("{stack}/{resource}"),
                None => resource.clone(),
            };
            let (name, qualified) = (visible(resource), visible(&qualified));
            result["locations"][0]["logicalLocations"] =
                json!([{ "name": name, "fullyQualifiedName": qualified, "kind": "resource" }]);
        }
        if !f.related.is_empty() {
            result["relatedLocations"] = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| location(&r.location, Some((i + 1, &r.message)), base))
                .collect();
        }
        result
    })
}

/// The log, with `results` as its run's results.
fn skeleton(report: &Report, guard: &[Finding], base: Option<&str>, results: Value) -> Value {
    let rules: Vec<Value> = REGISTRY.iter().map(rule).chain(guard.iter().map(guard_rule)).collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("input error: {}", Visible(&e.message)) },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(&e.path, base) } }],
            })
        })
        .chain(report.unmatched.iter().map(|u| {
            json!({
                "level": "note",
                "message": { "text": format!("deployed template not compared: {}", u.reason) },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(&u.path, base) } }],
            })
        }))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "eksguard",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "originalUriBaseIds": { SRCROOT: { "description": { "text": "The directory eksguard ran in." } } },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "summary": {
                    "inputs": report.summary.inputs,
                    "analysed": report.summary.analysed,
                    "errors": report.summary.errors,
                    "suppressed": report.summary.suppressed,
                    "baselined": report.summary.baselined,
                }
            },
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A Guard rule, as far as its findings tell.
fn guard_rule(f: &Finding) -> Value {
    json!({
        "id": f.rule,
        "name": f.rule,
        "shortDescription": { "text": format!("AWS CloudFormation Guard rule `{}`", f.rule) },
        "help": { "text": visible(&f.remediation.text()) },
        "defaultConfiguration": { "level": level(f.severity) },
        "properties": { "tags": ["guard"] },
    })
}

fn rule(r: &Rule) -> Value {
    let body = doc_body(r.doc);
    let full = section(r.doc, "What").map_or_else(|| r.summary.to_owned(), |s| plain(&s));
    let fix = section(r.doc, "How to fix").map_or_else(|| r.summary.to_owned(), |s| plain(&s));
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": full },
        "help": { "text": fix, "markdown": body.trim() },
        "helpUri": format!("{INFORMATION_URI}/blob/main/rules/{}.md", r.id),
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": { "tags": ["eks", "cloudformation", "eksctl"] },
    })
}

/// The documentation without its front matter.
fn doc_body(doc: &str) -> &str {
    doc.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")).map_or(doc, |(_, body)| body)
}

/// The text of the `## <heading>...` section, up to the next heading.
fn section(doc: &str, heading: &str) -> Option<String> {
    let body = doc_body(doc);
    let start = body.lines().position(|l| l.strip_prefix("## ").is_some_and(|h| h.starts_with(heading)))?;
    let lines: Vec<&str> = body.lines().skip(start + 1).take_while(|l| !l.starts_with("## ")).collect();
    let text = lines.join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Markdown paragraphs as plain text: lines joined, code fences kept.
fn plain(markdown: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push_str(line);
            out.push('\n');
        } else if line.trim().is_empty() {
            if !out.ends_with("\n\n") {
                out = out.trim_end_matches(' ').to_owned();
                out.push_str("\n\n");
            }
        } else {
            out.push_str(line.trim().trim_start_matches("> "));
            out.push(' ');
        }
    }
    out.trim().replace('`', "").replace("**", "")
}

fn location(l: &Location, related: Option<(usize, &String)>, base: Option<&str>) -> Value {
    let mut physical = json!({ "artifactLocation": artifact(&l.path, base) });
    if l.line >= 1 {
        physical["region"] = json!({ "startLine": l.line, "startColumn": l.column.max(1) });
        if let Some(line) = &l.source_line {
            physical["region"]["snippet"] = json!({ "text": visible(line) });
        }
    }
    let mut value = json!({ "physicalLocation": physical });
    if let Some((id, message)) = related {
        value["id"] = json!(id);
        value["message"] = json!({ "text": visible(message) });
    }
    value
}

/// A path under the working directory becomes a URI relative to
/// `%SRCROOT%`; another absolute one a `file://` URI; standard input a
/// placeholder that says what it is.
fn artifact(path: &str, base: Option<&str>) -> Value {
    let Some(path) = host_path(path, base) else {
        return json!({
            "uri": "stdin",
            "description": { "text": "standard input (name it with --stdin-filename)" },
        });
    };
    let slashed = path.replace('\\', "/");
    let b = slashed.as_bytes();
    // `C:/x` or `C:\x`, not `a:b.json`.
    let drive = b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/';
    if slashed.starts_with('/') || drive {
        let prefix = if slashed.starts_with('/') { "file://" } else { "file:///" };
        return json!({ "uri": format!("{prefix}{}", encode(&slashed)) });
    }
    // A relative reference whose first segment holds `:` would read as a
    // scheme (RFC 3986 4.2): `./` keeps it a path.
    let first = slashed.split('/').next().unwrap_or_default();
    let encoded = encode(&slashed);
    let uri = if first.contains(':') { format!("./{encoded}") } else { encoded };
    json!({ "uri": uri, "uriBaseId": SRCROOT })
}

/// Percent-encodes what may not appear in a URI path (RFC 3986: unreserved,
/// sub-delims, `:`, `@` and `/` stay as they are).
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log written as it goes is, to the byte, the log built whole,
    /// with Guard rules and suppressed findings in it, and
    /// with no results at all.
    #[test]
    fn the_streamed_log_is_the_whole_log() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = crate::ScanConfig {
            paths: vec![root.join("samples").to_string_lossy().into_owned()],
            guard: Some(std::sync::Arc::new(
                crate::rules::guard::GuardRules::parse(
                    crate::load::settings_files::read_guard_rules(&[root
                        .join("rules/guard")
                        .to_string_lossy()
                        .into_owned()])
                    .expect("read"),
                )
                .expect("guard rules"),
            )),
            ..crate::ScanConfig::default()
        };
        let report = crate::scan(&config).expect("the samples scan");
        assert!(!report.suppressed.is_empty() && !guard_rules(&report).is_empty());
        let empty = Report { findings: Vec::new().into(), suppressed: Vec::new(), ..report.clone() };
        for report in [report, empty] {
            let options = RenderOptions { base: Some(root.to_string_lossy().into_owned()), ..RenderOptions::default() };
            let mut streamed = Vec::new();
            render(&report, &options, &mut streamed).expect("render");
            let mut whole = serde_json::to_vec_pretty(&document(&report, options.base.as_deref())).expect("json");
            whole.push(b'\n');
            assert_eq!(String::from_utf8_lossy(&streamed), String::from_utf8_lossy(&whole));
        }
    }

    #[test]
    fn uris_are_relative_encoded_or_file() {
        let artifact = |p| artifact(p, Some("/work/repo"));
        assert_eq!(artifact("./a b/t.json"), json!({"uri": "a%20b/t.json", "uriBaseId": SRCROOT}));
        assert_eq!(artifact("/work/repo/t.json"), json!({"uri": "t.json", "uriBaseId": SRCROOT}));
        assert_eq!(artifact("x.tgz!t/a.yaml"), json!({"uri": "x.tgz!t/a.yaml", "uriBaseId": SRCROOT}));
        assert_eq!(artifact("/tmp/t.json"), json!({"uri": "file:///tmp/t.json"}));
        assert_eq!(artifact("C:\\t.json"), json!({"uri": "file:///C:/t.json"}));
        assert_eq!(artifact("a:b.json"), json!({"uri": "./a:b.json", "uriBaseId": SRCROOT}));
        assert_eq!(artifact("d/a:b.json"), json!({"uri": "d/a:b.json", "uriBaseId": SRCROOT}));
        assert_eq!(artifact("-")["uri"], "stdin");
        assert_eq!(encode("100%é"), "100%25%C3%A9");
    }

    #[test]
    fn rule_docs_give_descriptions_and_help() {
        let r = rule(&REGISTRY[0]);
        let full = r["fullDescription"]["text"].as_str().unwrap_or_default();
        assert!(full.starts_with("An AWS::EKS::AccessEntry"), "{full}");
        let help = r["help"]["text"].as_str().unwrap_or_default();
        assert!(help.starts_with("The remediation depends on the case"), "{help}");
        assert!(r["help"]["markdown"].as_str().is_some_and(|m| m.starts_with("# EKS001")));
    }
}
