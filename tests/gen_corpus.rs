//! The benchmark corpus generator plants exactly the EKS001 findings and
//! the errors it says it did (no timing here: see `examples/bench.rs`).

#[path = "../examples/support/corpus.rs"]
mod corpus;

use assert_cmd::Command;

#[test]
fn planted_findings_are_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = corpus::Spec { templates: 300, seed: 7, malformed: 4 };
    let written = corpus::generate(dir.path(), &spec).expect("generate");
    assert_eq!(written.files, 300);
    assert!(written.eks001 > 0 && written.yaml_files > 0 && written.json_files > 0, "{written:?}");
    // Same seed, same corpus.
    let again = tempfile::tempdir().expect("tempdir");
    assert_eq!(corpus::generate(again.path(), &spec).expect("generate"), written);

    let report = dir.path().join("report.json");
    Command::cargo_bin("eksguard")
        .expect("binary")
        .args(["scan", "--format", "json", "--output"])
        .arg(&report)
        .arg(dir.path())
        .assert()
        .code(2);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    let eks001 = findings.iter().filter(|f| f["rule"] == "EKS001").count();
    assert_eq!(eks001, written.eks001);
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(written.malformed));
    // The report file itself was written after discovery: not an input.
    assert_eq!(report["summary"]["inputs"].as_u64(), Some(written.files as u64));
    assert_eq!(report["summary"]["access_entries"].as_u64(), Some(written.access_entries as u64));
}
