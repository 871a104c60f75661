//! Every output format on the same samples (`samples/mixed`), as users see
//! it; the SARIF log validated against the official 2.1.0 schema.

use std::path::Path;

use assert_cmd::Command;

fn scan(args: &[&str]) -> (String, String, Option<i32>) {
    let output = Command::cargo_bin("eksguard")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("scan")
        .args(args)
        .output()
        .expect("run");
    (
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
        output.status.code(),
    )
}

fn format(name: &str) -> String {
    let (stdout, stderr, code) = scan(&["samples/mixed", "--format", name]);
    assert_eq!(code, Some(1), "{stderr}");
    // No progress bar or anything else when stderr is not a terminal.
    assert_eq!(stderr, "");
    stdout
}

#[test]
fn text() {
    insta::assert_snapshot!(format("text"));
}

#[test]
fn json() {
    insta::assert_snapshot!(format("json"));
}

#[test]
fn sarif() {
    insta::assert_snapshot!(format("sarif"));
}

#[test]
fn junit() {
    insta::assert_snapshot!(format("junit"));
}

#[test]
fn github() {
    insta::assert_snapshot!(format("github"));
}

#[test]
fn sarif_validates_against_the_schema() {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    let Ok(schema) = std::fs::read_to_string(&schema_path) else {
        eprintln!("skipped: {} is absent", schema_path.display());
        return;
    };
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    // The samples, and a run with an input error and no findings.
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"Resources\": {,}").expect("write");
    let (with_error, _, code) = scan(&["--format", "sarif", broken.to_str().expect("utf-8")]);
    assert_eq!(code, Some(2));
    for log in [format("sarif"), with_error] {
        let instance: serde_json::Value = serde_json::from_str(&log).expect("SARIF is JSON");
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let run = &instance["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().map(Vec::len), Some(eksguard::rules::REGISTRY.len()));
    }
}

#[test]
fn sarif_fingerprints_survive_line_shifts() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["eksctl-mixed-demo-cluster.json", "eksctl-mixed-demo-nodegroup-ng-1.yaml"] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mixed").join(name), dir.path().join(name))
            .expect("copy");
    }
    let fingerprints = || {
        let output = Command::cargo_bin("eksguard")
            .expect("binary")
            .current_dir(dir.path())
            .args(["scan", ".", "--format", "sarif"])
            .output()
            .expect("run");
        let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let result = &log["runs"][0]["results"][0];
        (
            result["partialFingerprints"].clone(),
            result["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
        )
    };
    let (before, line_before) = fingerprints();
    let ng = dir.path().join("eksctl-mixed-demo-nodegroup-ng-1.yaml");
    let text = std::fs::read_to_string(&ng).expect("read");
    std::fs::write(&ng, format!("# a comment\n\n{text}")).expect("write");
    let (after, line_after) = fingerprints();
    assert_ne!(line_before, line_after);
    assert_eq!(before, after);
    assert!(before["eksguard/v1"].is_string());
}
