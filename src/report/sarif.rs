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
    serde_json::to_writer_pretty(&mut *out, &document(report, options.base.as_deref()))?;
    out.write_all(b"\n")
}

/// The SARIF log as a JSON value; `base` is the working directory.
pub fn document(report: &Report, base: Option<&str>) -> Value {
    let findings = report.findings.to_vec();
    // Guard rules are known by the findings they gave: id (the Guard rule's
    // name) and the file it is in, from the remediation.
    let mut guard: Vec<&Finding> = findings.iter().filter(|f| !REGISTRY.iter().any(|r| r.id == f.rule)).collect();
    guard.sort_by_key(|f| f.rule);
    guard.dedup_by_key(|f| f.rule);
    let rules: Vec<Value> = REGISTRY.iter().map(rule).chain(guard.iter().map(|f| guard_rule(f))).collect();
    let index_of = |id: &str| {
        REGISTRY
            .iter()
            .position(|r| r.id == id)
            .or_else(|| guard.iter().position(|f| f.rule == id).map(|i| REGISTRY.len() + i))
    };
    // Suppressed findings are results too, marked as suppressed in the
    // source with their reason (SARIF §3.35).
    let suppressed = report.suppressed.iter().map(|s| (&s.finding, Some(&s.justification)));
    let results: Vec<Value> = findings
        .iter()
        .map(|f| (f, None))
        .chain(suppressed)
        .map(|(f, justification)| {
            let index = index_of(f.rule);
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
        .collect();
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
