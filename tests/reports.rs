//! The Markdown and HTML reports: snapshots of the Markdown on samples, its
//! Mermaid block checked for structure, the HTML parsed as XML and checked
//! for requests and injected markup, both bounded or proportionate at size.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;

fn scan_in(dir: &Path, args: &[&str]) -> (String, Option<i32>) {
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(dir)
        .env_remove("EKSGUARD_EKSCTL_VERSION")
        .arg("scan")
        .args(args)
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    (String::from_utf8(output.stdout).expect("UTF-8"), output.status.code())
}

fn scan(args: &[&str]) -> String {
    scan_in(Path::new(env!("CARGO_MANIFEST_DIR")), args).0
}

/// The Mermaid blocks of a Markdown document.
fn mermaid_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line) {
            (None, "```mermaid") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, l) => assert!(!l.starts_with("```"), "an unexpected fence: {l}"),
        }
    }
    assert!(current.is_none(), "an unclosed fence");
    blocks
}

/// A label between quotes: nothing that could end it, start markup or an
/// entity code, close the fence or open a directive; markup only as the
/// generator writes it.
fn check_label(label: &str) {
    let plain = label.replace("<b>", "").replace("</b>", "").replace("<br/>", "");
    for c in plain.chars() {
        assert!(!"\"<>&#%`".contains(c) && !c.is_control(), "character {c:?} in label {label:?}");
    }
}

/// What GitHub's Mermaid would need from a flowchart: one header, known
/// statement shapes, generated ids, declared nodes before their edges,
/// link styles naming edges that exist; and under Mermaid's size limit.
fn check_mermaid(block: &str) {
    assert!(block.len() <= eksguard::report::markdown::MERMAID_BYTES, "{} bytes", block.len());
    let mut lines = block.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let is_id = |id: &str| {
        id.len() > 1 && matches!(id.as_bytes()[0], b'c' | b's' | b'm') && id[1..].chars().all(|c| c.is_ascii_digit())
    };
    let mut nodes = BTreeSet::new();
    let mut edges = 0;
    for line in lines {
        let line = line.strip_prefix("  ").unwrap_or_else(|| panic!("not indented: {line}"));
        if let Some(rest) = line.strip_prefix("classDef ") {
            assert!(rest.chars().all(|c| c.is_ascii_alphanumeric() || " #:,-".contains(c)), "{line}");
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            let (list, style) = rest.split_once(' ').expect("a style");
            for n in list.split(',') {
                assert!(n.parse::<usize>().expect("an edge number") < edges, "{line}");
            }
            assert!(style.chars().all(|c| c.is_ascii_alphanumeric() || "#:,-".contains(c)), "{line}");
        } else if let Some((id, rest)) = line.split_once("[\"") {
            assert!(is_id(id), "{line}");
            let (label, class) = rest.rsplit_once("\"]:::").expect("a class");
            check_label(label);
            assert!(class.chars().all(|c| c.is_ascii_alphabetic()), "{line}");
            assert!(nodes.insert(id.to_owned()), "{id} declared twice");
        } else {
            let (from, rest) = line.split_once(' ').expect("an edge");
            let rest = rest.strip_prefix("-->|\"").or_else(|| rest.strip_prefix("==>|\"")).expect("an arrow");
            let (label, to) = rest.split_once("\"| ").expect("a label");
            check_label(label);
            assert!(nodes.contains(from) && nodes.contains(to), "{line}");
            edges += 1;
        }
    }
}

/// Every row of every table has as many cells as its header.
fn check_tables(markdown: &str) {
    let mut columns = None;
    for line in markdown.lines() {
        if let Some(inner) = line.strip_prefix("| ").and_then(|l| l.strip_suffix(" |")) {
            let cells = inner.split(" | ").count();
            assert!(!inner.contains("||"), "{line}");
            match columns {
                None => columns = Some(cells),
                Some(n) => assert_eq!(n, cells, "{line}"),
            }
        } else if line.starts_with("|--") || line.starts_with("|---") {
            continue;
        } else {
            columns = None;
        }
    }
}

fn markdown(dir: &str) -> String {
    let out = scan(&[dir, "--format", "markdown"]);
    check_tables(&out);
    for block in mermaid_blocks(&out) {
        check_mermaid(&block);
    }
    out
}

#[test]
fn markdown_mixed() {
    insta::assert_snapshot!(markdown("samples/mixed"));
}

#[test]
fn markdown_eks001_bad() {
    insta::assert_snapshot!(markdown("samples/EKS001/bad"));
}

#[test]
fn markdown_eks009_bad() {
    insta::assert_snapshot!(markdown("samples/EKS009/bad"));
}

#[test]
fn markdown_clean() {
    insta::assert_snapshot!(markdown("samples/EKS001/good"));
}

/// Checks a page: well-formed (as XML), one inline script and no other,
/// no event-handler attributes, no element that loads anything, links only
/// to fragments or eksguard's documentation. Gives the page's text.
fn check_html(page: &str) -> String {
    use quick_xml::events::Event;
    assert!(page.starts_with("<!DOCTYPE html>\n"));
    let mut reader = quick_xml::Reader::from_str(page);
    let mut scripts = 0;
    let mut text = String::new();
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.buffer_position())) {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_ascii_lowercase();
                assert!(
                    ![
                        "img",
                        "iframe",
                        "object",
                        "embed",
                        "link",
                        "base",
                        "image",
                        "use",
                        "foreignobject",
                        "audio",
                        "video"
                    ]
                    .contains(&name.as_str()),
                    "element {name}"
                );
                if name == "script" {
                    scripts += 1;
                }
                for a in e.attributes() {
                    let a = a.expect("attribute");
                    let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
                    let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).expect("value").into_owned();
                    assert!(!key.starts_with("on"), "handler {key}={value}");
                    assert!(
                        !["src", "srcset", "action", "formaction", "style", "xlink:href"].contains(&key.as_str()),
                        "{key}"
                    );
                    if key == "href" {
                        assert!(
                            value.starts_with('#') || value.starts_with("https://github.com/eksguard/eksguard"),
                            "href {value}"
                        );
                    }
                }
            }
            Event::Text(t) => text.push_str(&t.decode().expect("text")),
            Event::GeneralRef(r) => match r.resolve_char_ref().expect("a character reference") {
                Some(c) => text.push(c),
                None => {
                    let name = r.decode().expect("entity");
                    let c = match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("entity &{other}; is not XML"),
                    };
                    text.push(c);
                }
            },
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(scripts, 1, "one inline script");
    text
}

#[test]
fn html_is_well_formed_and_self_contained() {
    for dir in ["samples/mixed", "samples/EKS001/bad", "samples/EKS009/bad", "samples/EKS001/good"] {
        let page = scan(&[dir, "--format", "html"]);
        let text = check_html(&page);
        assert!(text.contains("eksguard report"), "{dir}");
    }
    let page = scan(&["samples/mixed", "--format", "html"]);
    // The findings, their quoted lines, related locations and fixes.
    assert!(page.contains("<pre class=\"src\"><span class=\"ln\">"), "source lines quoted");
    assert!(page.contains("<ul class=\"related\">"));
    assert!(page.contains("<div class=\"fix\"><b>Fix</b><pre>"));
    assert!(page.contains("href=\"https://github.com/eksguard/eksguard/blob/main/rules/EKS001.md\""));
    assert!(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // The filters are hidden until the script shows them.
    assert!(page.contains("<form id=\"filters\" class=\"filters\" hidden=\"hidden\">"));
}

const HOSTILE_CLUSTER: &str = "x\"]; c0-->s0 <script>alert(1)</script>|`@me #1";
const HOSTILE_ID: &str = "E</script><img src=x onerror=alert(1)>";

/// A stack set whose names try to break out of every format.
fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = serde_json::json!({"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {
        "Name": HOSTILE_CLUSTER, "RoleArn": "arn:aws:iam::111122223333:role/eks", "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]},
        "AccessConfig": {"AuthenticationMode": "CONFIG_MAP"}}}}});
    let entry = serde_json::json!({"Resources": {HOSTILE_ID: {"Type": "AWS::EKS::AccessEntry", "Properties": {
        "ClusterName": HOSTILE_CLUSTER, "PrincipalArn": "arn:aws:iam::111122223333:role/<b>admin</b>"}}}});
    std::fs::write(dir.path().join("cluster.json"), cluster.to_string()).expect("write");
    std::fs::write(dir.path().join("a<img src=x>'\"|`[x].json"), entry.to_string()).expect("write");
    dir
}

#[test]
fn untrusted_names_are_escaped_in_html() {
    let dir = hostile_dir();
    let (page, code) = scan_in(dir.path(), &[".", "--format", "html"]);
    assert_eq!(code, Some(1));
    let text = check_html(&page);
    // The names are there, as text.
    assert!(text.contains(HOSTILE_CLUSTER), "{text}");
    assert!(text.contains(HOSTILE_ID));
    assert!(text.contains("a<img src=x>'\"|`[x].json"));
    assert!(!page.contains("<img") && !page.contains("<b>admin"));
}

#[test]
fn untrusted_names_are_escaped_in_markdown() {
    let dir = hostile_dir();
    let (out, code) = scan_in(dir.path(), &[".", "--format", "markdown"]);
    assert_eq!(code, Some(1));
    check_tables(&out);
    let blocks = mermaid_blocks(&out);
    assert_eq!(blocks.len(), 1);
    check_mermaid(&blocks[0]);
    assert!(!out.contains("<script") && !out.contains("<img"), "{out}");
    // No mention outside the diagram (a code block, where none is made).
    let outside: String = out.split("```").step_by(2).collect();
    assert!(!outside.contains("@me"), "{out}");
}

/// A sweep of `n` stacks, each with an access entry on one of `clusters`
/// CONFIG_MAP clusters (long names, so that tables fill up).
fn large_dir(n: usize, clusters: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "a-rather-long-cluster-name-that-fills-a-cell".repeat(2);
    for c in 0..clusters {
        let cluster = serde_json::json!({"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": format!("{long}-{c}"), "RoleArn": "arn:aws:iam::111122223333:role/eks",
            "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]}, "AccessConfig": {"AuthenticationMode": "CONFIG_MAP"}}}}});
        std::fs::write(dir.path().join(format!("cluster-{c}.json")), cluster.to_string()).expect("write");
    }
    for i in 0..n {
        let entry = serde_json::json!({"Resources": {"AccessEntry": {"Type": "AWS::EKS::AccessEntry", "Properties": {
            "ClusterName": format!("{long}-{}", i % clusters),
            "PrincipalArn": format!("arn:aws:iam::111122223333:role/r{i}")}}}});
        std::fs::write(dir.path().join(format!("stack-{i:05}-{long}.json")), entry.to_string()).expect("write");
    }
    dir
}

#[test]
fn markdown_stays_under_the_step_summary_limit() {
    let dir = large_dir(2500, 30);
    let (out, code) = scan_in(dir.path(), &[".", "--format", "markdown"]);
    assert_eq!(code, Some(1));
    assert!(out.len() <= eksguard::report::markdown::MAX_BYTES, "{} bytes", out.len());
    assert!(out.contains("more findings (the JSON and HTML reports list them all)"), "the findings table was cut");
    check_tables(&out);
    let blocks = mermaid_blocks(&out);
    assert_eq!(blocks.len(), 1);
    check_mermaid(&blocks[0]);
    assert!(out.contains("The diagram shows 20 of 30 clusters"));
    assert!(blocks[0].contains("more stacks"), "a cluster's many stacks folded into one node");
}

#[test]
fn html_grows_with_findings_not_with_clean_stacks() {
    // The same findings, with and without 400 clean stacks beside them.
    let dir = large_dir(50, 2);
    let (with_findings, _) = scan_in(dir.path(), &[".", "--format", "html"]);
    // One fix per cluster, written once above its 25 findings.
    assert_eq!(with_findings.matches("<b>Fix for 25 of these findings</b>").count(), 2);
    assert_eq!(with_findings.matches("<b>Fix</b> <a href=\"#fix-k").count(), 50);
    for i in 0..400 {
        let clean = serde_json::json!({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}});
        std::fs::write(dir.path().join(format!("clean-{i}.json")), clean.to_string()).expect("write");
    }
    let (with_clean, _) = scan_in(dir.path(), &[".", "--format", "html"]);
    check_html(&with_clean);
    // Only the counts change.
    assert!(with_clean.len().abs_diff(with_findings.len()) < 16, "{} vs {}", with_clean.len(), with_findings.len());
}

#[test]
fn rejected_entries_in_the_relations_are_the_eks001_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = eksguard::ScanConfig {
        paths: vec![root.join("samples").to_string_lossy().into_owned()],
        jobs: Some(2),
        relations: true,
        ..eksguard::ScanConfig::default()
    };
    let report = eksguard::scan(&config).expect("scan");
    let failing: usize = report.relations.iter().map(|r| r.failing).sum();
    // A suppressed rejection is still a rejection (EKS016's good sample).
    let reported = report.findings.iter().chain(report.suppressed.iter().map(|s| s.finding.clone()));
    let eks001 = reported.filter(|f| f.rule == "EKS001").count();
    assert_eq!(report.summary.suppressed, 1, "the samples suppress one finding");
    assert!(eks001 > 0);
    assert_eq!(failing, eks001);
    // Sorted, every relation names a cluster of the report.
    assert!(report.relations.windows(2).all(|w| (w[0].cluster, &w[0].path) <= (w[1].cluster, &w[1].path)));
    assert!(report.relations.iter().all(|r| r.cluster < report.clusters.len() && r.entries >= r.failing));
}

#[test]
fn one_thread_or_many_give_the_same_bytes() {
    for format in ["markdown", "html"] {
        let one = scan(&["samples", "--format", format, "--jobs", "1"]);
        let many = scan(&["samples", "--format", format, "--jobs", "4"]);
        assert_eq!(one, many, "{format}");
    }
}

#[test]
fn markdown_and_html_files_beside_another_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("summary.md");
    let html = dir.path().join("report.html");
    let json = scan(&[
        "samples/mixed",
        "--format",
        "json",
        "--markdown-output",
        md.to_str().expect("utf-8"),
        "--html-output",
        html.to_str().expect("utf-8"),
    ]);
    assert!(json.starts_with('{'));
    assert_eq!(std::fs::read_to_string(&md).expect("markdown"), scan(&["samples/mixed", "--format", "markdown"]));
    assert_eq!(std::fs::read_to_string(&html).expect("html"), scan(&["samples/mixed", "--format", "html"]));
}

#[test]
fn the_library_applies_a_baseline_as_the_command_line_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = eksguard::ScanConfig {
        paths: vec![root.join("samples/EKS001").to_string_lossy().into_owned()],
        jobs: Some(1),
        ..eksguard::ScanConfig::default()
    };
    let before = eksguard::scan(&config).expect("scan");
    assert!(!before.findings.is_empty());
    let recorded = eksguard::baseline::Baseline::of(before.findings.iter(), root);
    config.baseline = Some(eksguard::baseline::Applied { baseline: recorded, root: root.to_path_buf() });
    let after = eksguard::scan(&config).expect("scan");
    assert!(after.findings.is_empty(), "{:?}", after.findings);
    assert_eq!(after.summary.baselined, before.findings.len());
    assert_eq!(after.summary.findings, eksguard::report::Counts::default());
}
