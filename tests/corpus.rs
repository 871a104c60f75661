//! The core scan over eksctl's own test data (`../shared/corpus/eksctl`,
//! classified in its MANIFEST.tsv). Skipped, with a message, when absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/eksctl");
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared/corpus/eksctl is absent");
        None
    }
}

/// MANIFEST rows: (path, kind, has access entry).
fn manifest(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            Some((cols.next()?.to_owned(), cols.next()?.to_owned(), cols.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn every_cloudformation_file_loads_and_no_config_map_cluster_is_targeted() {
    let Some(dir) = corpus() else { return };
    let out = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(&dir)
        .args(["scan", ".", "--format", "json"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["errors"], Value::Array(vec![]), "every file loads");
    assert_eq!(out.status.code(), Some(0), "no error findings");

    let skipped: BTreeSet<&str> =
        report["skipped"].as_array().expect("skipped").iter().map(|s| s["path"].as_str().expect("path")).collect();
    let findings = report["findings"].as_array().expect("findings");
    assert!(findings.iter().all(|f| f["rule"] != "EKS001"), "no EKS001 in the corpus");
    let eks002: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "EKS002")
        .map(|f| f["location"]["path"].as_str().expect("path"))
        .collect();

    let rows = manifest(&dir);
    let mut stacks = 0;
    for (path, kind, has_entry) in &rows {
        let shown = format!("./{path}");
        if kind.ends_with("-stack") {
            stacks += 1;
            assert!(!skipped.contains(shown.as_str()), "{path} ({kind}) was skipped, not analysed");
        }
        if kind == "accessentry-stack" {
            assert!(eks002.contains(shown.as_str()), "stand-alone access entry stack {path} gets EKS002");
        }
        if has_entry == "yes" && kind.ends_with("-stack") {
            assert!(eks002.contains(shown.as_str()), "{path}: its cluster `cluster` is not in the corpus");
        }
    }
    assert!(stacks > 40, "the manifest lists the corpus stacks ({stacks})");
}

fn public_corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared/corpus/public is absent");
        None
    }
}

/// aws-cloudformation-templates and cfn-lint's fixtures: conditions,
/// mappings, loops and broken intrinsics aplenty. Evaluation adds no input
/// error (the four errors are files that are not JSON or YAML) and every
/// input is still accounted for.
#[test]
fn public_templates_gain_no_error_and_every_input_is_counted() {
    let Some(dir) = public_corpus() else { return };
    let out = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(&dir)
        .args(["scan", ".", "--format", "json"])
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let errors: BTreeSet<&str> =
        report["errors"].as_array().expect("errors").iter().map(|e| e["path"].as_str().expect("path")).collect();
    let expected = BTreeSet::from([
        "./cfn-lint-fixtures/test/fixtures/templates/bad/core/config_invalid_json.json",
        "./cfn-lint-fixtures/test/fixtures/templates/bad/core/config_invalid_yaml.yaml",
        "./cfn-lint-fixtures/test/fixtures/templates/bad/json_parse.json",
        "./cfn-lint-fixtures/test/fixtures/templates/bad/template.yaml",
    ]);
    assert_eq!(errors, expected);
    let s = &report["summary"];
    let n = |k: &str| s[k].as_u64().expect(k);
    assert_eq!(n("inputs"), n("analysed") + n("skipped") + n("errors"), "{s}");
    assert!(n("inputs") > 500, "{s}");
    assert_eq!(report["findings"], Value::Array(vec![]), "no findings in the public corpus");
}

/// Every resource and loop of every public template evaluated in every
/// scenario (not only EKS ones, as a scan does): answers, never a panic.
#[test]
fn evaluation_of_every_public_template_answers() {
    use eksguard::evaluate::{Evaluator, Inputs, foreach};
    use eksguard::load::node::{Node, Pos};

    let Some(dir) = public_corpus() else { return };
    let mut files = Vec::new();
    let mut todo = vec![dir];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "json" || e == "yaml" || e == "yml" || e == "template") {
                files.push(path);
            }
        }
    }
    files.sort();
    let overrides = std::collections::BTreeMap::new();
    let mut evaluated = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let Ok(docs) = eksguard::load::yaml_tree::parse_stream(&text) else { continue };
        for template in &docs {
            let Some(resources) = template.get("Resources").and_then(Node::as_map) else { continue };
            let transform = template.get("Transform").map(|t| format!("{t:?}")).unwrap_or_default();
            let inputs = Inputs {
                stack_name: "stack",
                parameters: template.get("Parameters"),
                conditions: template.get("Conditions"),
                mappings: template.get("Mappings"),
                overrides: &overrides,
                language_extensions: transform.contains("AWS::LanguageExtensions"),
                logical_ids: None,
            };
            let roots: Vec<&Node> = resources.iter().map(|e| &e.value).collect();
            let ev = Evaluator::new(inputs, &roots);
            let loops: Vec<(String, Pos, Node)> = resources
                .iter()
                .filter(|e| e.key.starts_with("Fn::ForEach::"))
                .map(|e| (e.key.clone(), e.key_pos, e.value.clone()))
                .collect();
            let (made, _) = foreach::expand(&ev, &loops, &["Resources"]);
            for node in roots.iter().copied().chain(made.iter().map(|g| &g.node)) {
                let _ = ev.exists(node);
                if let Some(props) = node.get("Properties").and_then(Node::as_map) {
                    for p in props {
                        let _ = ev.string(&p.value, ev.all());
                    }
                }
            }
            evaluated += 1;
        }
    }
    assert!(evaluated > 400, "{evaluated} templates evaluated");
}
