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
