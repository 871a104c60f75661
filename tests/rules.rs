//! Registry-driven checks: every built-in rule has a documentation file
//! whose front matter agrees with the registry, a bad sample set where it
//! fires and a good one where it does not; every doc has a rule; the
//! README's rule table is the generated one; and each bad sample's
//! findings are snapshotted.

use std::path::Path;

use eksguard::rules::{REGISTRY, doc};
use eksguard::{ScanConfig, scan};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn findings(dir: &str) -> Vec<eksguard::finding::Finding> {
    // Relative paths keep locations stable in snapshots.
    std::env::set_current_dir(root()).expect("cd");
    let config = ScanConfig { paths: vec![dir.to_owned()], jobs: Some(1), ..ScanConfig::default() };
    let report = scan(&config).expect("scan");
    assert!(report.errors.is_empty(), "{dir}: {:?}", report.errors);
    report.findings
}

#[test]
fn every_rule_has_a_matching_doc() {
    for rule in REGISTRY {
        let on_disk = std::fs::read_to_string(root().join(format!("rules/{}.md", rule.id)))
            .unwrap_or_else(|e| panic!("rules/{}.md: {e}", rule.id));
        assert_eq!(on_disk, rule.doc, "{}: the embedded doc is stale", rule.id);
        assert_eq!(doc::field(rule.doc, "id"), Some(rule.id), "{}: front matter id", rule.id);
        assert_eq!(doc::field(rule.doc, "name"), Some(rule.name), "{}: front matter name", rule.id);
        assert_eq!(
            doc::field(rule.doc, "severity"),
            Some(rule.severity.as_str()),
            "{}: front matter severity",
            rule.id
        );
        for key in ["since", "eksctl"] {
            assert!(doc::field(rule.doc, key).is_some_and(|v| !v.is_empty()), "{}: front matter lacks {key}", rule.id);
        }
        for section in ["## What", "## Why", "## Bad", "## Good", "## How to fix", "## Sources"] {
            assert!(rule.doc.contains(section), "{}: no `{section}` section", rule.id);
        }
    }
}

#[test]
fn every_doc_has_a_rule() {
    for entry in std::fs::read_dir(root().join("rules")).expect("rules/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
            if stem.starts_with("EKS") {
                assert!(REGISTRY.iter().any(|r| r.id == stem), "{} documents no registered rule", path.display());
            }
        }
    }
}

#[test]
fn every_rule_fires_on_its_bad_sample_only() {
    for rule in REGISTRY {
        for kind in ["bad", "good"] {
            let dir = format!("samples/{}/{kind}", rule.id);
            assert!(root().join(&dir).is_dir(), "{dir} is missing");
            let fired = findings(&dir).iter().filter(|f| f.rule == rule.id).count();
            match kind {
                "bad" => assert!(fired > 0, "{} does not fire on {dir}", rule.id),
                _ => assert_eq!(fired, 0, "{} fires on {dir}", rule.id),
            }
        }
    }
}

#[test]
fn bad_sample_findings() {
    for rule in REGISTRY {
        let dir = format!("samples/{}/bad", rule.id);
        insta::assert_json_snapshot!(format!("{}_bad_findings", rule.id.to_lowercase()), findings(&dir));
    }
}

#[test]
fn readme_rule_table_is_generated() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let (_, rest) = readme.split_once("<!-- rules:start -->\n").expect("README has <!-- rules:start -->");
    let (table, _) = rest.split_once("<!-- rules:end -->").expect("README has <!-- rules:end -->");
    assert_eq!(
        table,
        doc::markdown_table(),
        "README rule table is stale: replace it with `eksguard rules --format markdown`"
    );
}
